// The .t7 writer: Torch7's File:writeObject. Objects get indices 1, 2, 3, ... in
// the order they are first written (tables, torch objects and their field tables,
// tensors, storages, functions and their upvalue tables), and an object met again
// is written as its index only. Reading a Torch file and writing it back therefore
// gives its exact bytes: tables keep their order, and so does numbering.

import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { codecForValue, type T7Output } from './codec.js';
import { T7WriteError } from './errors.js';
import { formatG } from './number_format.js';
import { LuaFunction } from './lua_function.js';
import { LuaTable } from './lua_table.js';
import { formatPath, type PathSegment } from './path.js';
import {
  LEGACY_TYPE_RECUR_FUNCTION,
  TYPE_BOOLEAN,
  TYPE_FUNCTION,
  TYPE_NIL,
  TYPE_NUMBER,
  TYPE_RECUR_FUNCTION,
  TYPE_STRING,
  TYPE_TABLE,
  TYPE_TORCH,
} from './reader.js';
import { AsciiSink, BinarySink, type Sink } from './sink.js';
import { TorchObject } from './torch_object.js';
import './tds.js';

/** How to write a .t7 file; the defaults are torch.save's on 64-bit Linux. */
export interface WriteOptions {
  /** 'binary' (default, torch.save's) or 'ascii' (torch.save(f, x, 'ascii')). */
  format?: 'binary' | 'ascii';
  /** Bytes per long in binary mode (default 8; 4 as 32-bit and Windows builds wrote). */
  longSize?: 4 | 8;
  /** Byte order in binary mode (default 'little'; 'big' as Torch's bigEndianEncoding()). */
  endianness?: 'little' | 'big';
  /** Torch's `referenced` flag: false writes a shared object in full every time. */
  referenced?: boolean;
  /** Deepest nesting accepted (default 1500; matters for referenced = false with cycles). */
  maxDepth?: number;
}

/** Lua strings are bytes: chars 0-255 are written as bytes; a string with any wider char as UTF-8. */
export function luaStringBytes(s: string): Uint8Array {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 255) return new Uint8Array(Buffer.from(s, 'utf8'));
  }
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

function keySegment(k: unknown): PathSegment {
  return typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean' ? k : { label: 'value' };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

export class ObjectWriter implements T7Output {
  private readonly ids = new Map<object, number>();
  private next = 0;
  private readonly segs: PathSegment[] = [];
  private depth = 0;
  overflow: { depth: number; segs: PathSegment[] } | undefined;
  private readonly referenced: boolean;
  private readonly maxDepth: number;
  readonly sink: Sink;

  constructor(options: WriteOptions) {
    this.sink = options.format === 'ascii' ? new AsciiSink() : new BinarySink(options.longSize ?? 8, options.endianness !== 'big');
    this.referenced = options.referenced ?? true;
    this.maxDepth = options.maxDepth ?? 1500;
  }

  private fail(reason: string): never {
    throw new T7WriteError(reason, formatPath(this.segs));
  }

  // ---- T7Output (for class codecs) ----
  writeInt(v: number): void {
    this.sink.int(v);
  }
  writeLong(v: number): void {
    this.sink.long(v);
  }
  writeDouble(v: number): void {
    this.sink.double(v);
  }
  writeBytes(b: Uint8Array): void {
    this.sink.chars(b);
  }

  writeObject(v: unknown, segment?: PathSegment): void {
    if (segment !== undefined) this.segs.push(segment);
    if (++this.depth > this.maxDepth) this.fail(`objects nested deeper than ${this.maxDepth} levels (a cycle with referenced = false?)`);
    try {
      this.writeValue(v);
    } catch (e) {
      if (e instanceof RangeError && this.overflow === undefined && e.message.startsWith('Maximum call stack')) this.overflow = { depth: this.depth, segs: this.segs.slice() };
      throw e;
    } finally {
      this.depth--;
      if (segment !== undefined) this.segs.pop();
    }
  }

  private string(s: string): void {
    const b = luaStringBytes(s);
    this.sink.int(b.length);
    this.sink.chars(b);
  }

  /** Writes the index; returns false when the object was written before (index only). */
  private index(obj: object): boolean {
    const known = this.ids.get(obj);
    if (known !== undefined) {
      this.sink.int(known);
      return false;
    }
    const id = ++this.next;
    if (this.referenced) this.ids.set(obj, id);
    this.sink.int(id);
    return true;
  }

  private torchHeader(className: string, version: number | null): void {
    if (version !== null) this.string(`V ${formatG(version, 14)}`);
    this.string(className);
  }

  private writeValue(v: unknown): void {
    const sink = this.sink;
    if (v === undefined || v === null) {
      sink.int(TYPE_NIL);
      return;
    }
    switch (typeof v) {
      case 'number':
        sink.int(TYPE_NUMBER);
        sink.double(v);
        return;
      case 'boolean':
        sink.int(TYPE_BOOLEAN);
        sink.int(v ? 1 : 0);
        return;
      case 'string':
        sink.int(TYPE_STRING);
        this.string(v);
        return;
      case 'object':
        break;
      default:
        this.fail(`cannot write a JavaScript ${typeof v} (Lua has numbers, strings, booleans, tables, functions and torch objects)`);
    }
    const obj = v as object;
    if (obj instanceof Tensor) {
      sink.int(TYPE_TORCH);
      if (this.index(obj)) this.writeTensor(obj);
      return;
    }
    if (obj instanceof Storage) {
      sink.int(TYPE_TORCH);
      if (this.index(obj)) {
        this.torchHeader(obj.className(), 1);
        const n = obj.size();
        sink.long(n);
        sink.storage(obj.type, obj.data(), n);
      }
      return;
    }
    if (obj instanceof LuaFunction) {
      this.writeFunction(obj);
      return;
    }
    const codec = codecForValue(obj);
    if (codec) {
      sink.int(TYPE_TORCH);
      if (this.index(obj)) {
        const h = codec.header(obj);
        this.torchHeader(h.className, h.version);
        codec.write(obj, this);
      }
      return;
    }
    if (obj instanceof TorchObject) {
      sink.int(TYPE_TORCH);
      if (this.index(obj)) {
        obj.onSave();
        this.torchHeader(obj.className, obj.version);
        this.writeValue(obj.fields);
      }
      return;
    }
    if (obj instanceof LuaTable) {
      sink.int(TYPE_TABLE);
      if (this.index(obj)) {
        sink.int(obj.size);
        for (const [k, val] of obj) {
          this.key(k);
          this.writeObject(val, keySegment(k));
        }
      }
      return;
    }
    if (Array.isArray(obj)) {
      sink.int(TYPE_TABLE);
      if (this.index(obj)) {
        let n = 0;
        for (const x of obj) if (x !== undefined && x !== null) n++;
        sink.int(n);
        for (let i = 0; i < obj.length; i++) {
          const x: unknown = obj[i];
          if (x === undefined || x === null) continue;
          this.key(i + 1);
          this.writeObject(x, i + 1);
        }
      }
      return;
    }
    if (isPlainObject(obj)) {
      sink.int(TYPE_TABLE);
      if (this.index(obj)) {
        const entries = Object.entries(obj).filter(([, x]) => x !== undefined && x !== null);
        sink.int(entries.length);
        for (const [k, x] of entries) {
          this.key(k);
          this.writeObject(x, k);
        }
      }
      return;
    }
    this.fail(`cannot write an object of JavaScript class ${obj.constructor?.name ?? 'unknown'}`);
  }

  /** Writes a table key; the caller then writes the value with writeObject(v, keySegment(k)). */
  private key(k: unknown): void {
    if (k === undefined || k === null) this.fail('a table key cannot be nil');
    this.segs.push({ label: 'key' });
    this.writeObject(k);
    this.segs.pop();
  }

  private writeTensor(t: Tensor): void {
    const sink = this.sink;
    this.torchHeader(t.className(), 1);
    const sizes = t.size();
    sink.int(sizes.length);
    sink.longs(sizes);
    sink.longs(t.stride());
    sink.long(t.offset() + 1);
    this.segs.push({ label: 'storage' });
    this.writeObject(t.hasStorage() ? t.storage() : undefined);
    this.segs.pop();
  }

  private writeFunction(fn: LuaFunction): void {
    const sink = this.sink;
    const tag = fn.tag === TYPE_FUNCTION || fn.tag === LEGACY_TYPE_RECUR_FUNCTION ? fn.tag : TYPE_RECUR_FUNCTION;
    sink.int(tag);
    if (tag !== TYPE_FUNCTION && !this.index(fn)) return;
    sink.int(fn.bytecode.length);
    sink.chars(fn.bytecode);
    this.segs.push({ label: 'upvalues' });
    this.writeObject(fn.upvalues);
    this.segs.pop();
  }
}

/** The bytes of `value` as a .t7 file, in chunks (concatenate, or write them in order). */
export function writeT7Chunks(value: unknown, options: WriteOptions = {}): Uint8Array[] {
  const w = new ObjectWriter(options);
  try {
    w.writeObject(value);
  } catch (e) {
    const o = w.overflow;
    if (o && !(e instanceof T7WriteError)) throw new T7WriteError(`objects nested ${o.depth} levels deep: too deep for the JavaScript stack (option maxDepth)`, formatPath(o.segs));
    throw e;
  }
  return w.sink.finish();
}

/** The bytes of `value` as a .t7 file. */
export function writeT7(value: unknown, options: WriteOptions = {}): Uint8Array {
  const chunks = writeT7Chunks(value, options);
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
