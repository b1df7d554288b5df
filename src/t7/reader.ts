// The .t7 reader: Torch7's File:readObject, binary or ascii, without running code.
//
// Objects with an index (tables, torch objects, functions) are recorded in the
// reference index before their contents are read, as Torch does, so shared objects
// load as one object and cycles load as cycles.

import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { typeFromClassName, type TensorType } from '../torch/types.js';
import { codecForClass, type T7Input } from './codec.js';
import { T7FormatError } from './errors.js';
import { LuaFunction, type LuaFunctionTag } from './lua_function.js';
import { LuaTable } from './lua_table.js';
import { formatPath, type PathSegment } from './path.js';
import * as fs from 'node:fs';
import { openInput } from './files.js';
import { AsciiSource, BinarySource, fileInput, memoryInput, type ByteInput, type Source } from './source.js';
import { createTorchObject } from './torch_object.js';
import './tds.js';

export const TYPE_NIL = 0;
export const TYPE_NUMBER = 1;
export const TYPE_STRING = 2;
export const TYPE_TABLE = 3;
export const TYPE_TORCH = 4;
export const TYPE_BOOLEAN = 5;
export const TYPE_FUNCTION = 6;
export const LEGACY_TYPE_RECUR_FUNCTION = 7;
export const TYPE_RECUR_FUNCTION = 8;

/** How to read a .t7 file; every field is detected by default. */
export interface ReadOptions {
  /** 'auto' (default) tells them apart by the first bytes. */
  format?: 'binary' | 'ascii' | 'auto';
  /** Bytes per long in binary files; 'auto' (default) tries 8, then 4 if only that parses. */
  longSize?: 4 | 8 | 'auto';
  /**
   * Byte order of binary files; 'auto' (default) reads it from the first type tag (an
   * int from 0 to 8: its value is in the first byte little-endian, the last big-endian).
   */
  endianness?: 'little' | 'big' | 'auto';
  /** Deepest nesting accepted (default 1500). */
  maxDepth?: number;
}

/** What loadWithInfo gives: the object and how the file was written. */
export interface ReadResult {
  /** The object the file holds (torch.load's result). */
  value: unknown;
  /** Whether the file is binary (torch.save's default) or ascii. */
  format: 'binary' | 'ascii';
  /** Bytes per long in the file (8 on 64-bit Linux; 4 from 32-bit or Windows builds). */
  longSize: 4 | 8;
  /** Byte order of a binary file ('little' for ascii files). */
  endianness: 'little' | 'big';
  /** Bytes the object used (a file may carry trailing bytes, which Torch ignores). */
  bytesRead: number;
}

/** Marks a tensor whose index is taken but whose storage is still being read. */
const PENDING = Symbol('pending tensor');

// Node's default stack holds about 2,000 levels of nested tables; stop cleanly before that
// (models nest some 20 levels; only linked structures such as long nngraph chains go deeper).
const DEFAULT_MAX_DEPTH = 1500;

/** Lua 5.1's tonumber for a version header: decimal or hex, surrounding spaces allowed. */
function luaToNumber(s: string): number | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return (t[0] === '-' ? -1 : 1) * parseInt(t.replace(/^[+-]?0x/i, ''), 16);
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) || /^[+-]?(nan|inf)$/i.test(t)) {
    const v = Number(t.replace(/^([+-]?)inf$/i, '$1Infinity'));
    return Number.isNaN(v) && !/nan/i.test(t) ? undefined : v;
  }
  return undefined;
}

export class ObjectReader implements T7Input {
  private readonly objects = new Map<number, unknown>();
  private readonly segs: PathSegment[] = [];
  private depth = 0;
  overflow: { pos: number; depth: number; segs: PathSegment[] } | undefined;
  readonly src: Source;
  private readonly maxDepth: number;

  constructor(input: ByteInput, format: 'binary' | 'ascii', longSize: 4 | 8, maxDepth: number, littleEndian: boolean) {
    const fail = (reason: string, offset: number): never => {
      throw new T7FormatError(reason, offset, formatPath(this.segs));
    };
    this.src = format === 'binary' ? new BinarySource(input, longSize, fail, littleEndian) : new AsciiSource(input.whole!, fail);
    this.maxDepth = maxDepth;
  }

  fail(reason: string, offset = this.src.pos): never {
    throw new T7FormatError(reason, offset, formatPath(this.segs));
  }

  // ---- T7Input (for class codecs) ----
  readInt(): number {
    return this.src.readInt('an int');
  }
  readLong(): number {
    return this.src.readLong('a long');
  }
  readDouble(): number {
    return this.src.readDouble('a double');
  }
  readBytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) this.fail(`expected a non-negative byte count, found ${n}`);
    return this.src.readBytes(n, 'raw bytes');
  }

  readObject(segment?: string | number): unknown {
    if (segment === undefined) return this.readValue();
    this.segs.push(segment);
    try {
      return this.readValue();
    } finally {
      this.segs.pop();
    }
  }

  readValue(): unknown {
    if (++this.depth > this.maxDepth) this.fail(`objects nested deeper than ${this.maxDepth} levels (option maxDepth)`);
    try {
      return this.readTagged();
    } catch (e) {
      // The JS stack ran out before maxDepth: remember where (with as little work as
      // possible, the stack is nearly full) and let readOnce report it.
      if (e instanceof RangeError && this.overflow === undefined && e.message.startsWith('Maximum call stack')) this.overflow = { pos: this.src.pos, depth: this.depth, segs: this.segs.slice() };
      throw e;
    } finally {
      this.depth--;
    }
  }

  private readTagged(): unknown {
    const src = this.src;
    const tagAt = src.pos;
    const tag = src.readInt('a type tag');
    switch (tag) {
      case TYPE_NIL:
        return undefined;
      case TYPE_NUMBER:
        return src.readDouble('a number');
      case TYPE_BOOLEAN:
        return src.readInt('a boolean') === 1;
      case TYPE_STRING:
        return this.readLuaString('a string');
      case TYPE_FUNCTION:
        return this.readFunction(TYPE_FUNCTION, 0);
      case TYPE_TABLE:
      case TYPE_TORCH:
      case TYPE_RECUR_FUNCTION:
      case LEGACY_TYPE_RECUR_FUNCTION: {
        const indexAt = src.pos;
        const index = src.readInt('an object index');
        if (this.objects.has(index)) {
          const known = this.objects.get(index);
          if (known === PENDING) this.fail(`reference to object #${index}, a tensor whose storage is still being read`, indexAt);
          return known;
        }
        if (tag === TYPE_TABLE) return this.readTable(index);
        if (tag === TYPE_TORCH) return this.readTorch(index);
        return this.readFunction(tag, index);
      }
      default:
        return this.fail(`unknown type tag ${tag} (expected 0 nil, 1 number, 2 string, 3 table, 4 torch object, 5 boolean, 6/7/8 function)`, tagAt);
    }
  }

  private readLuaString(what: string): string {
    const at = this.src.pos;
    const n = this.src.readInt(`the length of ${what}`);
    if (n < 0) this.fail(`expected a non-negative length for ${what}, found ${n}`, at);
    return this.src.readString(n, what);
  }

  private readTable(index: number): LuaTable {
    const at = this.src.pos;
    const n = this.src.readInt('a table size');
    if (n < 0) this.fail(`expected a non-negative table size, found ${n}`, at);
    const t = new LuaTable();
    this.objects.set(index, t);
    for (let i = 0; i < n; i++) {
      const keyAt = this.src.pos;
      this.segs.push({ label: `key ${i + 1} of ${n}` });
      const k = this.readValue();
      this.segs.pop();
      if (k === undefined) this.fail(`table entry ${i + 1} has a nil key`, keyAt);
      if (typeof k === 'number' && Number.isNaN(k)) this.fail(`table entry ${i + 1} has a NaN key`, keyAt);
      this.segs.push(typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean' ? k : { label: `value ${i + 1}` });
      const v = this.readValue();
      this.segs.pop();
      t.set(k, v);
    }
    return t;
  }

  private readFunction(tag: LuaFunctionTag, index: number): LuaFunction {
    const at = this.src.pos;
    const n = this.src.readInt('the bytecode length of a function');
    if (n < 0) this.fail(`expected a non-negative bytecode length, found ${n}`, at);
    const fn = new LuaFunction(this.src.readBytes(n, 'function bytecode'), undefined, tag);
    if (tag !== TYPE_FUNCTION) this.objects.set(index, fn);
    this.segs.push({ label: 'upvalues' });
    fn.upvalues = this.readValue();
    this.segs.pop();
    return fn;
  }

  private readTorch(index: number): unknown {
    const first = this.readLuaString('a class version or name');
    const m = /^V (.*)$/s.exec(first);
    const num = m ? luaToNumber(m[1]!) : undefined;
    let className: string;
    let version: number | null;
    if (num === undefined) {
      className = first; // written before versioning existed
      version = null;
    } else {
      version = num;
      className = this.readLuaString('a class name');
    }
    const tt = typeFromClassName(className);
    if (tt) {
      if (tt.kind === 'Storage') {
        const s = this.readStorage(tt.type, className);
        if (tt.cuda) s.sourceClass = className;
        this.objects.set(index, s);
        return s;
      }
      return this.readTensor(index, tt.type, className, tt.cuda);
    }
    const codec = codecForClass(className);
    if (codec) {
      const obj = codec.create(className, version);
      this.objects.set(index, obj);
      codec.read(obj, this, version);
      return obj;
    }
    const obj = createTorchObject(className, version);
    this.objects.set(index, obj);
    const at = this.src.pos;
    const fields = this.readValue();
    if (!(fields instanceof LuaTable)) {
      this.fail(`object of class ${className}: expected its field table, found ${describeKind(fields)} (a class with its own binary layout that mpelu does not know?)`, at);
    }
    obj.fields = fields;
    try {
      obj.onLoad();
    } catch (e) {
      if (e instanceof T7FormatError) throw e;
      this.fail(`object of class ${className} rejected its fields: ${(e as Error).message}`, at);
    }
    return obj;
  }

  private readStorage(type: TensorType, className: string): Storage {
    const at = this.src.pos;
    const n = this.src.readLong(`the size of a ${className}`);
    if (n < 0) this.fail(`expected a non-negative ${className} size, found ${n}`, at);
    return new Storage(type, this.src.readStorage(type, n, `a ${className}`));
  }

  private readTensor(index: number, type: TensorType, className: string, cuda: boolean): Tensor {
    this.objects.set(index, PENDING);
    const at = this.src.pos;
    const { sizes, strides, storageOffset } = this.src.readTensorHeader();
    if (sizes.some((s) => s < 0)) this.fail(`${className}: negative size in [${sizes.join(', ')}]`, at);
    if (storageOffset < 1) this.fail(`${className}: the 1-based storage offset must be at least 1, found ${storageOffset}`, at);
    const storageAt = this.src.pos;
    this.segs.push({ label: 'storage' });
    const storage = this.readValue();
    this.segs.pop();
    const nElement = sizes.length === 0 ? 0 : sizes.reduce((a, b) => a * b, 1);
    if (storage !== undefined && !(storage instanceof Storage && storage.type === type)) {
      this.fail(`${className}: expected a ${type} storage or nil, found ${describeKind(storage)}`, storageAt);
    }
    if (nElement > 0) {
      if (storage === undefined) this.fail(`${className} of size [${sizes.join(', ')}] has no storage`, storageAt);
      let lo = storageOffset - 1;
      let hi = lo;
      sizes.forEach((s, d) => {
        const span = (s - 1) * strides[d]!;
        if (span < 0) lo += span;
        else hi += span;
      });
      if (lo < 0 || hi >= storage.size()) {
        this.fail(`${className} of size [${sizes.join(', ')}], strides [${strides.join(', ')}], offset ${storageOffset} reaches outside its storage of ${storage.size()} elements`, at);
      }
    }
    const t = new Tensor(type, storage ?? null, storageOffset - 1, sizes, strides);
    if (cuda) t.sourceClass = className;
    this.objects.set(index, t);
    return t;
  }
}

function describeKind(v: unknown): string {
  if (v === undefined) return 'nil';
  if (v instanceof Storage) return `a ${v.className()}`;
  if (v instanceof Tensor) return `a ${v.className()}`;
  if (v instanceof LuaTable) return 'a table';
  if (v !== null && typeof v === 'object' && 'className' in v) return `an object of class ${(v as { className: string }).className}`;
  return `a ${typeof v}`;
}

/**
 * Binary files start with a type tag 0..8 as a 4-byte int (little-endian: [t, 0, 0, 0];
 * big-endian: [0, 0, 0, t]); ascii ones with its digits.
 */
export function detectFormat(bytes: Uint8Array): 'binary' | 'ascii' {
  if (bytes.length >= 4 && bytes[0]! <= 8 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 0) return 'binary';
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3]! <= 8) return 'binary';
  return 'ascii';
}

/** The byte order of a binary file from its first tag (a nil file, all zeros, reads either way). */
export function detectEndianness(bytes: Uint8Array): 'little' | 'big' {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[3] !== 0 ? 'big' : 'little';
}

function readOnce(input: ByteInput, format: 'binary' | 'ascii', longSize: 4 | 8, maxDepth: number, endianness: 'little' | 'big'): ReadResult {
  const r = new ObjectReader(input, format, longSize, maxDepth, endianness === 'little');
  let value: unknown;
  try {
    value = r.readValue();
  } catch (e) {
    const o = r.overflow;
    if (o && !(e instanceof T7FormatError)) {
      throw new T7FormatError(`objects nested ${o.depth} levels deep: too deep for the JavaScript stack (option maxDepth)`, o.pos, formatPath(o.segs), { cause: e });
    }
    throw e;
  }
  return { value, format, longSize: r.src.longSize, endianness: format === 'binary' ? endianness : 'little', bytesRead: r.src.pos };
}

function readInput(input: ByteInput, head: Uint8Array, options: ReadOptions): ReadResult {
  const forced = options.endianness === 'big' || options.endianness === 'little' ? options.endianness : undefined;
  try {
    return readInputAs(input, head, options);
  } catch (e) {
    // A forced byte order the first type tag contradicts: say so, it is the likely cause.
    if (e instanceof T7FormatError && forced && detectFormat(head) === 'binary' && detectEndianness(head) !== forced) {
      throw new T7FormatError(`${e.reason}; read as ${forced}-endian as asked, but the file's first bytes say ${detectEndianness(head)}-endian`, e.offset, e.path, { cause: e });
    }
    throw e;
  }
}

function readInputAs(input: ByteInput, head: Uint8Array, options: ReadOptions): ReadResult {
  if (input.length === 0) throw new T7FormatError('empty file: expected a type tag', 0, '');
  const format = !options.format || options.format === 'auto' ? detectFormat(head) : options.format;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const ls = options.longSize ?? 'auto';
  const order = !options.endianness || options.endianness === 'auto' ? detectEndianness(head) : options.endianness;
  if (format === 'ascii' && !input.whole) throw new Error('internal: ascii files are read from memory');
  if (format === 'ascii' || ls !== 'auto') return readOnce(input, format, ls === 'auto' ? 8 : ls, maxDepth, order);
  // Nothing in a file says how long a long is: take 8 unless only 4 explains the bytes.
  let first: ReadResult | undefined;
  let firstError: unknown;
  try {
    first = readOnce(input, 'binary', 8, maxDepth, order);
    if (first.bytesRead === input.length) return first;
  } catch (e) {
    if (!(e instanceof T7FormatError)) throw e;
    firstError = e;
  }
  try {
    const second = readOnce(input, 'binary', 4, maxDepth, order);
    if (second.bytesRead === input.length) return second;
  } catch (e) {
    if (!(e instanceof T7FormatError)) throw e;
  }
  if (first) return first;
  throw firstError;
}

/** Reads one object from the bytes of a .t7 file (or of torch.serialize). The bytes are copied, never aliased. */
export function readT7(bytes: Uint8Array, options: ReadOptions = {}): ReadResult {
  // a plain view: Buffer#slice would not copy, Uint8Array#slice does
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readInput(memoryInput(plain), plain.subarray(0, 4), options);
}

/**
 * Reads one object from a .t7 file. Binary files are read as Torch does: headers
 * through a small window, each storage straight from the file into its own array.
 */
export function readT7File(file: string, options: ReadOptions = {}): ReadResult {
  const input = openInput(file);
  if ('bytes' in input) return readT7(input.bytes, options);
  const { fd, size: length } = input;
  try {
    const head = new Uint8Array(Math.min(4, length));
    fs.readSync(fd, head, 0, head.length, 0);
    const format = !options.format || options.format === 'auto' ? detectFormat(head) : options.format;
    if (format === 'ascii') return readT7(fs.readFileSync(fd), { ...options, format });
    return readInput(fileInput(fd, length, fs.readSync), head, { ...options, format });
  } finally {
    fs.closeSync(fd);
  }
}
