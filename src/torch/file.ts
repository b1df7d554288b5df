// torch.DiskFile and torch.MemoryFile, as Torch7's File.c, THDiskFile.c and
// THMemoryFile.c define them (facts read from torch/torch7, not its code):
//
// - modes 'r', 'w', 'rw' ('rw' opens an existing file or creates it); a file that cannot
//   be opened is an error "cannot open <NAME> in mode r " unless quiet, then nil;
// - ascii by default (binary() / ascii() switch): numbers as text ("%d" for Byte..Long,
//   "%.9g" Float, "%.17g" Double), values of one call separated by ' ' and ended by '\n'
//   with autoSpacing (the default); Byte and Char are raw bytes in both modes; binary is
//   the host's little-endian layout with 8-byte longs;
// - readX() one value, readX(n) a new XStorage of the n (or fewer) values read,
//   readX(storage) fills it and returns the count; writeX(value) or writeX(storage);
//   a short read is an error "read error: read K blocks instead of N" unless quiet (then
//   hasError() is true); positions are 1-based in Lua (seek(1) is the start);
// - readString('*a' | '*l'), writeString(s) (raw bytes); readObject / writeObject with one
//   table of references per file (an object written twice is stored once), as File.lua.
//
// The file's bytes live in memory; a DiskFile writes them to its path (temp file +
// rename) on synchronize() and close(), and at process exit if the script never closed it.

import { closeSync, existsSync, openSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, basename, join } from 'node:path';
import { Storage } from './storage.js';
import type { TensorType } from './types.js';
import { formatDouble, formatFloat } from '../t7/number_format.js';
import { ObjectReader } from '../t7/reader.js';
import { ObjectWriter } from '../t7/writer.js';
import { memoryInput } from '../t7/source.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

type PlainType = Exclude<TensorType, 'Half'>;
const NEWLINE = new Uint8Array([10]);
const SIZES: Record<PlainType, number> = { Byte: 1, Char: 1, Short: 2, Int: 4, Long: 8, Float: 4, Double: 8 };

/** A Torch File on a byte buffer (see the file's head). */
export class TorchFile {
  protected bytes = new Uint8Array(0);
  protected size = 0;
  protected pos = 0;
  /** Bumped on every write (readObject's reader is rebuilt after one). */
  version = 0;
  private binaryMode = false;
  private spacing = true;
  private quietMode: boolean;
  private error = false;
  private opened = true;
  readonly readable: boolean;
  readonly writable: boolean;
  /** readObject / writeObject state (the .t7 reader and writer kept across calls). */
  objectState: Record<string, unknown> = {};
  /** Applied to what readObject returns (Lua gives pure-Lua class instances their tables back). */
  revive?: (v: unknown) => unknown;

  constructor(readonly typename: string, mode: string, quiet: boolean) {
    if (mode !== 'r' && mode !== 'w' && mode !== 'rw') throw new Error(`${typename}: file mode should be 'r','w' or 'rw', got '${mode}'`);
    this.readable = mode !== 'w';
    this.writable = mode !== 'r';
    this.quietMode = quiet;
  }

  // ---- flags ----
  binary(): this { this.binaryMode = true; return this; }
  ascii(): this { this.binaryMode = false; return this; }
  autoSpacing(): this { this.spacing = true; return this; }
  noAutoSpacing(): this { this.spacing = false; return this; }
  quiet(): this { this.quietMode = true; return this; }
  pedantic(): this { this.quietMode = false; return this; }
  clearError(): this { this.error = false; return this; }
  isBinary(): boolean { return this.binaryMode; }
  isAutoSpacing(): boolean { return this.spacing; }
  isQuiet(): boolean { return this.quietMode; }
  hasError(): boolean { return this.error; }
  isReadable(): boolean { return this.readable; }
  isWritable(): boolean { return this.writable; }

  // ---- position (1-based in Lua) ----
  seek(position: number): this {
    this.check();
    if (!(position >= 1)) throw new Error('bad argument #2 to \'seek\' (position has to be greater than 0!)');
    if (position - 1 > this.size) return this.fail(`unable to seek to position ${position - 1}`, this);
    this.pos = position - 1;
    return this;
  }
  seekEnd(): this { this.check(); this.pos = this.size; return this; }
  position(): number { this.check(); return this.pos + 1; }
  synchronize(): this { this.check(); this.flushToDisk(); return this; }
  close(): this {
    if (this.opened) {
      this.flushToDisk();
      this.opened = false;
    }
    return this;
  }

  /** The bytes from `from` (0-based) to the end, as the object reader sees them. */
  contents(): Uint8Array { return this.bytes.subarray(0, this.size); }
  /** Where readObject goes on (0-based), and moves to after it. */
  get offset(): number { return this.pos; }
  set offset(p: number) { this.pos = p; }

  // ---- typed reads and writes ----
  read(type: PlainType, what: unknown): number | Storage {
    this.check();
    if (!this.readable) throw new Error('attempt to read in a write-only file');
    if (what === undefined) {
      const s = new Storage(type, 1);
      if (this.readValues(type, s, 1) !== 1) return 0;
      return Number(s.data()[0]);
    }
    if (typeof what === 'number') {
      const s = new Storage(type, what);
      const n = this.readValues(type, s, what);
      if (n !== what) s.resize(n);
      return s;
    }
    if (what instanceof Storage && what.type === type) return this.readValues(type, what, what.size());
    throw new Error(`nothing, number, or ${type}Storage expected`);
  }

  write(type: PlainType, what: unknown): number | undefined {
    this.check();
    if (!this.writable) throw new Error('attempt to write in a read-only file');
    if (typeof what === 'number') {
      const s = new Storage(type, 1);
      s.mutableData()[0] = (type === 'Long' ? BigInt(Math.trunc(what)) : what) as never;
      this.writeValues(type, s.data(), 1);
      return undefined;
    }
    if (what instanceof Storage && what.type === type) {
      this.writeValues(type, what.data(), what.size());
      return what.size();
    }
    throw new Error(`number, or ${type}Storage expected`);
  }

  readString(format: string): string {
    this.check();
    if (!this.readable) throw new Error('attempt to read in a write-only file');
    if (format !== '*a' && format !== '*l') throw new Error("bad argument #2 to 'readString' (format must be '*a' or '*l')");
    if (this.pos >= this.size) return this.fail('read error: read 0 blocks instead of 1', '');
    let end = this.size;
    let next = end;
    if (format === '*l') {
      const nl = this.bytes.subarray(this.pos, this.size).indexOf(10);
      if (nl >= 0) {
        end = this.pos + nl;
        next = end + 1;
      }
    }
    const s = Buffer.from(this.bytes.subarray(this.pos, end)).toString('latin1');
    this.pos = next;
    return s;
  }

  writeString(s: string): number {
    this.check();
    if (!this.writable) throw new Error('attempt to write in a read-only file');
    const b = Buffer.from(s, 'latin1');
    this.put(b);
    return b.length;
  }

  /** Raw bytes at the position (readObject's writer hands its output here). */
  put(b: Uint8Array): void {
    const end = this.pos + b.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2, 256));
      grown.set(this.bytes.subarray(0, this.size));
      this.bytes = grown;
    }
    this.bytes.set(b, this.pos);
    this.pos = end;
    this.size = Math.max(this.size, end);
    this.version++;
  }

  protected flushToDisk(): void {}

  protected check(): void {
    if (!this.opened) throw new Error('attempt to use a closed file');
  }

  private fail<T>(message: string, quietValue: T): T {
    this.error = true;
    if (!this.quietMode) throw new Error(message);
    return quietValue;
  }

  private readValues(type: PlainType, s: Storage, n: number): number {
    const out = s.mutableData();
    let got = 0;
    if (type === 'Byte' || type === 'Char' || this.binaryMode) {
      const width = SIZES[type];
      got = Math.min(n, Math.floor((this.size - this.pos) / width));
      const bytes = new Uint8Array(out.buffer, out.byteOffset, got * width);
      bytes.set(this.bytes.subarray(this.pos, this.pos + got * width));
      this.pos += got * width;
      if (!this.binaryMode) this.swallowNewline(n);
    } else {
      for (; got < n; got++) {
        const v = this.scanNumber(type);
        if (v === null) break;
        out[got] = (type === 'Long' ? BigInt(v) : v) as never;
      }
      this.swallowNewline(n);
    }
    if (got !== n) return this.fail(`read error: read ${got} blocks instead of ${n}`, got);
    return got;
  }

  /** autoSpacing: the '\n' that ended an ascii group of values is swallowed. */
  private swallowNewline(n: number): void {
    if (this.spacing && n > 0 && this.pos < this.size && this.bytes[this.pos] === 10) this.pos++;
  }

  /** fscanf's %d / %g: spaces, then the longest numeral; null (position kept) when none. */
  private scanNumber(type: PlainType): number | null {
    let p = this.pos;
    while (p < this.size && (this.bytes[p] === 32 || (this.bytes[p]! >= 9 && this.bytes[p]! <= 13))) p++;
    const text = Buffer.from(this.bytes.subarray(p, Math.min(this.size, p + 400))).toString('latin1');
    const integer = type !== 'Float' && type !== 'Double';
    const m = integer ? /^[+-]?\d+/.exec(text) : /^[+-]?(inf(inity)?|nan|(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)/i.exec(text);
    if (!m) return null;
    this.pos = p + m[0].length;
    const t = m[0].toLowerCase();
    if (/inf/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/nan/.test(t)) return NaN;
    return type === 'Float' ? Math.fround(Number(t)) : Number(t);
  }

  private writeValues(type: PlainType, data: ArrayLike<number | bigint>, n: number): void {
    if (type === 'Byte' || type === 'Char' || this.binaryMode) {
      const a = data as unknown as { buffer: ArrayBufferLike; byteOffset: number };
      this.put(new Uint8Array(a.buffer, a.byteOffset, n * SIZES[type]));
      if (!this.binaryMode && this.spacing && n > 0) this.put(NEWLINE); // ascii Byte/Char: raw, then '\n'
      return;
    }
    const format = type === 'Double' ? (x: number | bigint) => formatDouble(Number(x)) : type === 'Float' ? (x: number | bigint) => formatFloat(Number(x)) : (x: number | bigint) => String(x);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(format(data[i]!));
    this.put(Buffer.from(parts.join(this.spacing ? ' ' : '') + (this.spacing && n > 0 ? '\n' : ''), 'latin1'));
  }
}

const unclosed = new Set<DiskFile>();
process.on('exit', () => {
  for (const f of unclosed) f.close();
});

/** torch.DiskFile(name, mode = 'r', quiet = false): null when quiet and the file cannot be opened. */
export class DiskFile extends TorchFile {
  private written = false;

  private constructor(readonly name: string, mode: string, quiet: boolean) {
    super('torch.DiskFile', mode, quiet);
  }

  static open(name: string, mode = 'r', quiet = false): DiskFile | null {
    const f = new DiskFile(name, mode, quiet);
    try {
      if (mode === 'w' || (mode === 'rw' && !existsSync(name))) {
        closeSync(openSync(name, 'w')); // fopen "wb" creates (and empties) it at once
        f.written = true;
      } else {
        const bytes = readFileSync(name);
        f.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
        f.size = bytes.length;
      }
    } catch {
      if (quiet) return null;
      throw new Error(`cannot open <${name}> in mode ${f.readable ? 'r' : ' '}${f.writable ? 'w' : ' '}`);
    }
    if (f.writable) unclosed.add(f);
    return f;
  }

  override put(b: Uint8Array): void {
    super.put(b);
    this.written = true;
  }

  protected override flushToDisk(): void {
    if (!this.writable || !this.written) return;
    const tmp = join(dirname(this.name), `.${basename(this.name)}.${process.pid}.tmp`);
    writeFileSync(tmp, this.contents());
    renameSync(tmp, this.name);
    this.written = false;
  }

  override close(): this {
    super.close();
    unclosed.delete(this);
    return this;
  }
}

/**
 * torch.PipeFile(command, mode = 'r'): read mode runs the command under /bin/sh to its end
 * and reads its stdout; write mode collects what is written and runs the command with it
 * as stdin at close() (its stdout goes to the process's stdout).
 */
export class PipeFile extends TorchFile {
  private constructor(private readonly command: string, mode: string, quiet: boolean) {
    super('torch.PipeFile', mode, quiet);
  }

  static open(command: string, mode = 'r', quiet = false): PipeFile | null {
    if (mode !== 'r' && mode !== 'w') throw new Error("torch.PipeFile: file mode should be 'r' or 'w'");
    const f = new PipeFile(command, mode, quiet);
    if (mode === 'r') {
      const r = spawnSync('/bin/sh', ['-c', command], { maxBuffer: 1 << 30 });
      if (r.error) {
        if (quiet) return null;
        throw new Error(`cannot open <${command}> in mode r`);
      }
      if (r.stderr?.length) process.stderr.write(r.stderr);
      f.put(r.stdout);
      f.seek(1);
    }
    return f;
  }

  protected override flushToDisk(): void {
    if (!this.writable) return;
    const r = spawnSync('/bin/sh', ['-c', this.command], { input: this.contents(), stdio: ['pipe', 'inherit', 'inherit'] });
    if (r.error) throw new Error(`torch.PipeFile: cannot run <${this.command}>: ${r.error.message}`);
  }

  override synchronize(): this {
    return this; // a pipe's command runs once, at close()
  }
}

/** torch.MemoryFile(mode = 'rw') or torch.MemoryFile(charStorage, mode = 'rw'). */
export class MemoryFile extends TorchFile {
  constructor(storageOrMode?: Storage | string, mode?: string, quiet = false) {
    const m = typeof storageOrMode === 'string' ? storageOrMode : (mode ?? 'rw');
    super('torch.MemoryFile', m, quiet);
    if (storageOrMode instanceof Storage) {
      if (storageOrMode.type !== 'Char') throw new Error(`torch.MemoryFile: expected a CharStorage, got a ${storageOrMode.type}Storage`);
      const d = storageOrMode.data() as Int8Array;
      const bytes = new Uint8Array(d.buffer, d.byteOffset, d.length);
      // Torch's storage ends with the '\0' MemoryFile:storage() adds: it is not content
      const n = bytes.length > 0 && bytes[bytes.length - 1] === 0 ? bytes.length - 1 : bytes.length;
      this.bytes = bytes.slice(0, n);
      this.size = n;
    }
  }

  /** The contents as a CharStorage with Torch's trailing '\0'. */
  storage(): Storage {
    this.check();
    const s = new Storage('Char', this.size + 1);
    new Uint8Array((s.mutableData() as Int8Array).buffer).set(this.contents());
    return s;
  }
}

// ---- readObject / writeObject: the .t7 codec on the file's bytes, one reference table per file ----

interface ObjectState {
  reader?: ObjectReader;
  readerVersion?: number;
  readerMode?: boolean;
  writer?: ObjectWriter;
  writerMode?: boolean;
}

export interface TorchFile {
  readObject(): unknown;
  writeObject(v: unknown): void;
  readByte(what?: unknown): number | Storage; readChar(what?: unknown): number | Storage; readShort(what?: unknown): number | Storage;
  readInt(what?: unknown): number | Storage; readLong(what?: unknown): number | Storage; readFloat(what?: unknown): number | Storage;
  readDouble(what?: unknown): number | Storage;
  writeByte(what: unknown): number | undefined; writeChar(what: unknown): number | undefined; writeShort(what: unknown): number | undefined;
  writeInt(what: unknown): number | undefined; writeLong(what: unknown): number | undefined; writeFloat(what: unknown): number | undefined;
  writeDouble(what: unknown): number | undefined;
}

for (const type of Object.keys(SIZES) as PlainType[]) {
  (TorchFile.prototype as any)[`read${type}`] = function (this: TorchFile, what?: unknown) {
    return this.read(type, what);
  };
  (TorchFile.prototype as any)[`write${type}`] = function (this: TorchFile, what: unknown) {
    return this.write(type, what);
  };
}

TorchFile.prototype.readObject = function (this: TorchFile): unknown {
  if (!this.isReadable()) throw new Error('attempt to read in a write-only file');
  const st = this.objectState as ObjectState;
  // the reader keeps the references of earlier reads; it is rebuilt when the bytes changed
  if (!st.reader || st.readerVersion !== this.version || st.readerMode !== this.isBinary()) {
    const bytes = this.contents().slice();
    st.reader = new ObjectReader(memoryInput(bytes), this.isBinary() ? 'binary' : 'ascii', 8, 1500, true);
    st.readerVersion = this.version;
    st.readerMode = this.isBinary();
  }
  st.reader.src.pos = this.offset;
  const v = st.reader.readValue();
  this.offset = st.reader.src.pos;
  return this.revive ? this.revive(v) : v;
};

TorchFile.prototype.writeObject = function (this: TorchFile, v: unknown): void {
  if (!this.isWritable()) throw new Error('attempt to write in a read-only file');
  const st = this.objectState as ObjectState;
  if (!st.writer || st.writerMode !== this.isBinary()) {
    st.writer = new ObjectWriter({ format: this.isBinary() ? 'binary' : 'ascii' });
    st.writerMode = this.isBinary();
  }
  st.writer.writeObject(v);
  for (const chunk of st.writer.sink.finish().splice(0)) this.put(chunk);
  st.readerVersion = -1;
};
