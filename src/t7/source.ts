// Byte-level readers for Torch's two file modes. Both follow THDiskFile/THMemoryFile:
//  - binary: little-endian ints (4 bytes), longs (4 or 8 bytes), doubles, raw bytes;
//  - ascii: numbers as text separated by whitespace (fscanf), Byte/Char data raw,
//    and after every read of n > 0 elements one '\n' is swallowed if it follows.
// Every read checks the bytes left first, so a hostile size never allocates more
// than the file could hold and truncation is an error at a known offset.

import { allocHost, bytesPerElement, numberToHalf, type HostArray, type TensorType } from '../torch/types.js';
import { negativeNaN } from './number_format.js';

export type Fail = (reason: string, offset: number) => never;

export interface TensorHeader {
  sizes: number[];
  strides: number[];
  /** 1-based, as stored. */
  storageOffset: number;
}

export interface Source {
  readonly mode: 'binary' | 'ascii';
  readonly longSize: 4 | 8;
  pos: number;
  readonly length: number;
  readInt(what: string): number;
  /** A long that must be a safe integer (sizes, counts, offsets). */
  readLong(what: string): number;
  readDouble(what: string): number;
  /** n raw bytes (a copy). */
  readBytes(n: number, what: string): Uint8Array;
  /** n raw bytes as a Lua string (one char per byte). */
  readString(n: number, what: string): string;
  readTensorHeader(): TensorHeader;
  /** n elements of a storage of `type`, in a fresh typed array. */
  readStorage(type: TensorType, n: number, what: string): HostArray;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of every `size`-byte element in place (for big-endian hosts). */
function swapInPlace(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) b.subarray(i, i + size).reverse();
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** Where binary bytes come from: memory, or an open file read on demand (as Torch's fread). */
export interface ByteInput {
  /** Total bytes available. */
  readonly length: number;
  /** All the bytes, when they are in memory. */
  readonly whole: Uint8Array | null;
  /** Copies bytes [start, start + dest.length) into dest. */
  readInto(dest: Uint8Array, start: number): void;
}

export function memoryInput(bytes: Uint8Array): ByteInput {
  return {
    length: bytes.length,
    whole: bytes,
    readInto: (dest, start) => dest.set(bytes.subarray(start, start + dest.length)),
  };
}

/** Reads an open file: small reads go through a window, storages straight into their arrays. */
export function fileInput(fd: number, length: number, readSync: (fd: number, b: Uint8Array, off: number, len: number, pos: number) => number): ByteInput {
  return {
    length,
    whole: null,
    readInto: (dest, start) => {
      let done = 0;
      while (done < dest.length) {
        const n = readSync(fd, dest, done, dest.length - done, start + done);
        if (n <= 0) throw new Error(`file shrank while being read (got ${start + done} of ${length} bytes)`);
        done += n;
      }
    },
  };
}

const WINDOW = 1 << 16;
// storages below ARENA_MIN bytes share blocks of up to ARENA_MAX bytes
const ARENA_MIN = 1 << 20;
const ARENA_MAX = 1 << 26;

export class BinarySource implements Source {
  readonly mode = 'binary' as const;
  readonly longSize: 4 | 8;
  pos = 0;
  readonly length: number;
  private readonly input: ByteInput;
  /** Bytes [winStart, winStart + win.length) of the input. */
  private win: Uint8Array = new Uint8Array(0);
  private buffer: Uint8Array = new Uint8Array(0);
  private arena: ArrayBuffer | null = null;
  private arenaUsed = 0;
  private winStart = 0;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private readonly fail: Fail;

  constructor(input: ByteInput, longSize: 4 | 8, fail: Fail) {
    this.input = input;
    this.length = input.length;
    this.longSize = longSize;
    this.fail = fail;
  }

  /** Makes bytes [pos, pos + n) available in the window (n must fit in the input). */
  private load(n: number): void {
    if (this.pos >= this.winStart && this.pos + n <= this.winStart + this.win.length) return;
    const whole = this.input.whole;
    if (whole) {
      this.win = whole;
      this.winStart = 0;
    } else {
      // one reusable buffer (grown for a long string), refilled in place
      const len = Math.min(this.length - this.pos, Math.max(n, WINDOW));
      if (this.buffer.length < len) this.buffer = new Uint8Array(Math.max(len, WINDOW));
      this.win = this.buffer.subarray(0, len);
      this.input.readInto(this.win, this.pos);
      this.winStart = this.pos;
    }
    this.view = new DataView(this.win.buffer, this.win.byteOffset, this.win.byteLength);
  }

  private need(n: number, what: string): number {
    if (this.length - this.pos < n) {
      this.fail(`file truncated: expected ${n} byte${n === 1 ? '' : 's'} for ${what}, found ${this.length - this.pos}`, this.pos);
    }
    this.load(n);
    return this.pos - this.winStart;
  }

  readInt(what: string): number {
    const at = this.need(4, what);
    this.pos += 4;
    return this.view.getInt32(at, true);
  }

  readLong(what: string): number {
    if (this.longSize === 4) return this.readInt(what);
    const start = this.pos;
    const at = this.need(8, what);
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getInt32(at + 4, true);
    this.pos += 8;
    const v = hi * 4294967296 + lo;
    if (!Number.isSafeInteger(v)) this.fail(`${what}: expected a long of at most 2^53, found ${(BigInt(hi) << 32n) + BigInt(lo)}`, start);
    return v;
  }

  readDouble(what: string): number {
    const at = this.need(8, what);
    this.pos += 8;
    return this.view.getFloat64(at, true);
  }

  /**
   * Room for n bytes at an 8-byte aligned offset. Storages are carved from a few
   * large blocks rather than allocated one by one: one allocation for a whole model.
   */
  private alloc(n: number): Uint8Array {
    const at = (this.arenaUsed + 7) & ~7;
    if (!this.arena || at + n > this.arena.byteLength) {
      if (n >= ARENA_MIN) return new Uint8Array(n);
      const size = Math.max(ARENA_MIN, Math.min(this.length - this.pos + 4096, ARENA_MAX));
      this.arena = new ArrayBuffer(size);
      this.arenaUsed = n;
      return new Uint8Array(this.arena, 0, n);
    }
    this.arenaUsed = at + n;
    return new Uint8Array(this.arena, at, n);
  }

  /** n raw bytes in a fresh buffer (read straight from the file when not in the window). */
  private copyOut(n: number, what: string): Uint8Array {
    if (this.length - this.pos < n) {
      this.fail(`file truncated: expected ${n} byte${n === 1 ? '' : 's'} for ${what}, found ${this.length - this.pos}`, this.pos);
    }
    const out = this.alloc(n);
    const inWin = this.winStart + this.win.length - this.pos;
    if (this.pos >= this.winStart && inWin > 0) {
      const k = Math.min(n, inWin);
      const at = this.pos - this.winStart;
      out.set(this.win.subarray(at, at + k));
      if (k < n) this.input.readInto(out.subarray(k), this.pos + k);
    } else {
      this.input.readInto(out, this.pos);
    }
    this.pos += n;
    return out;
  }

  readBytes(n: number, what: string): Uint8Array {
    return this.copyOut(n, what);
  }

  readString(n: number, what: string): string {
    const at = this.need(n, what);
    this.pos += n;
    return Buffer.from(this.win.buffer, this.win.byteOffset + at, n).toString('latin1');
  }

  readTensorHeader(): TensorHeader {
    const start = this.pos;
    const first = this.need(4, 'the number of dimensions of a tensor');
    const nDim = this.view.getInt32(first, true);
    const room = Math.floor((this.length - start - 4 - this.longSize) / (2 * this.longSize));
    if (nDim < 0) this.fail(`expected a non-negative number of tensor dimensions, found ${nDim}`, start);
    if (nDim > room) {
      this.fail(`file truncated: a tensor of ${nDim} dimensions needs ${4 + (2 * nDim + 1) * this.longSize} bytes, found ${this.length - start}`, start);
    }
    // nDim is bounded by the bytes left: the whole header is in the window now
    this.need(4 + (2 * nDim + 1) * this.longSize, 'a tensor header');
    this.pos += 4;
    const sizes = Array.from({ length: nDim }, () => this.readLong('a tensor size'));
    const strides = Array.from({ length: nDim }, () => this.readLong('a tensor stride'));
    const storageOffset = this.readLong('a tensor storage offset');
    return { sizes, strides, storageOffset };
  }

  readStorage(type: TensorType, n: number, what: string): HostArray {
    const bpe = type === 'Long' ? this.longSize : bytesPerElement(type);
    const at = this.pos;
    if (n > (this.length - at) / bpe) {
      this.fail(`file truncated: ${what} of ${n} elements needs ${n * bpe} bytes, found ${this.length - at}`, at);
    }
    // One copy into a fresh (hence aligned) buffer, then a typed view: no per-element work.
    const raw = this.copyOut(n * bpe, what);
    if (!LITTLE_ENDIAN_HOST && bpe > 1) swapInPlace(raw, bpe);
    const off = raw.byteOffset;
    if (type === 'Long' && bpe === 4) {
      const i32 = new Int32Array(raw.buffer, off, n);
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(i32[i]!);
      return out;
    }
    switch (type) {
      case 'Byte': return raw;
      case 'Char': return new Int8Array(raw.buffer, off, n);
      case 'Short': return new Int16Array(raw.buffer, off, n);
      case 'Int': return new Int32Array(raw.buffer, off, n);
      case 'Long': return new BigInt64Array(raw.buffer, off, n);
      case 'Float': return new Float32Array(raw.buffer, off, n);
      case 'Double': return new Float64Array(raw.buffer, off, n);
      case 'Half': return new Uint16Array(raw.buffer, off, n);
    }
  }
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const HEXFLOAT = /^[+-]?0x([0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(p[+-]?\d+)?$/i;
const SPECIAL = /^([+-]?)(nan(\([0-9a-z_]*\))?|inf(inity)?)$/i;

/** strtod of a C99 floating literal (decimal, hex, inf, nan); NaN result for bad text is signalled by null. */
function parseCDouble(tok: string): number | null {
  if (DECIMAL.test(tok)) return Number(tok);
  const sp = SPECIAL.exec(tok);
  if (sp) {
    const neg = sp[1] === '-';
    if (sp[2]![0] === 'n' || sp[2]![0] === 'N') return neg ? negativeNaN() : NaN;
    return neg ? -Infinity : Infinity;
  }
  if (HEXFLOAT.test(tok)) {
    const neg = tok[0] === '-';
    const body = tok.replace(/^[+-]?0x/i, '');
    const [mant, exp = '0'] = body.split(/p/i) as [string, string?];
    const [ip = '', fp = ''] = mant.split('.');
    let v = 0;
    for (const ch of ip) v = v * 16 + parseInt(ch, 16);
    let scale = 1 / 16;
    for (const ch of fp) {
      v += parseInt(ch, 16) * scale;
      scale /= 16;
    }
    v *= 2 ** Number(exp);
    return neg ? -v : v;
  }
  return null;
}

export class AsciiSource implements Source {
  readonly mode = 'ascii' as const;
  readonly longSize = 8 as const;
  pos = 0;
  readonly length: number;
  private readonly bytes: Uint8Array;
  private readonly fail: Fail;

  constructor(bytes: Uint8Array, fail: Fail) {
    this.bytes = bytes;
    this.length = bytes.length;
    this.fail = fail;
  }

  /** After reading n > 0 elements Torch swallows one '\n' (isAutoSpacing). */
  private endGroup(): void {
    if (this.pos < this.length && this.bytes[this.pos] === 10) this.pos++;
  }

  private token(what: string): { text: string; at: number } {
    const b = this.bytes;
    let p = this.pos;
    while (p < this.length && isSpace(b[p]!)) p++;
    const start = p;
    while (p < this.length && !isSpace(b[p]!) && p - start < 400) p++;
    if (p === start) this.fail(`file truncated: expected ${what} (a number in ascii mode), found end of file`, start);
    this.pos = p;
    return { text: latin1(b, start, p), at: start };
  }

  private integerToken(what: string, bits: 16 | 32 | 64): number {
    const { text, at } = this.token(what);
    if (!/^[+-]?\d+$/.test(text)) this.fail(`expected ${what} (an integer), found ${JSON.stringify(text.slice(0, 40))}`, at);
    const v = Number(text);
    const lim = bits === 16 ? 32768 : bits === 32 ? 2147483648 : Number.MAX_SAFE_INTEGER + 1;
    if (!(v >= -lim && v < lim)) this.fail(`${what}: ${text} does not fit in ${bits === 64 ? 'a long of at most 2^53' : `${bits} bits`}`, at);
    return v;
  }

  readInt(what: string): number {
    const v = this.integerToken(what, 32);
    this.endGroup();
    return v;
  }

  readLong(what: string): number {
    const v = this.integerToken(what, 64);
    this.endGroup();
    return v;
  }

  private doubleToken(what: string): number {
    const { text, at } = this.token(what);
    const v = parseCDouble(text);
    if (v === null) this.fail(`expected ${what} (a floating point number), found ${JSON.stringify(text.slice(0, 40))}`, at);
    return v;
  }

  readDouble(what: string): number {
    const v = this.doubleToken(what);
    this.endGroup();
    return v;
  }

  private raw(n: number, what: string): number {
    if (this.length - this.pos < n) {
      this.fail(`file truncated: expected ${n} raw bytes for ${what}, found ${this.length - this.pos}`, this.pos);
    }
    const at = this.pos;
    this.pos += n;
    if (n > 0) this.endGroup();
    return at;
  }

  readBytes(n: number, what: string): Uint8Array {
    const at = this.raw(n, what);
    return this.bytes.slice(at, at + n);
  }

  readString(n: number, what: string): string {
    const at = this.raw(n, what);
    return latin1(this.bytes, at, at + n);
  }

  readTensorHeader(): TensorHeader {
    const at = this.pos;
    const nDim = this.readInt('the number of dimensions of a tensor');
    if (nDim < 0) this.fail(`expected a non-negative number of tensor dimensions, found ${nDim}`, at);
    // each long takes at least two characters ("0 ")
    if (nDim > (this.length - this.pos) / 4) this.fail(`file truncated: a tensor of ${nDim} dimensions cannot fit in the ${this.length - this.pos} bytes left`, at);
    const longs = (): number[] => {
      const out: number[] = [];
      for (let i = 0; i < nDim; i++) out.push(this.integerToken('a tensor size or stride', 64));
      if (nDim > 0) this.endGroup();
      return out;
    };
    const sizes = longs();
    const strides = longs();
    const storageOffset = this.readLong('the storage offset of a tensor');
    return { sizes, strides, storageOffset };
  }

  readStorage(type: TensorType, n: number, what: string): HostArray {
    const at = this.pos;
    if (type === 'Byte' || type === 'Char') {
      const start = this.raw(n, what);
      const copy = this.bytes.slice(start, start + n);
      return type === 'Byte' ? copy : new Int8Array(copy.buffer, 0, n);
    }
    // every element takes at least one character and a separator
    if (n > (this.length - at + 1) / 2) this.fail(`file truncated: ${what} of ${n} elements cannot fit in the ${this.length - at} bytes left`, at);
    const out = allocHost(type, n);
    switch (type) {
      case 'Short':
      case 'Int': {
        const a = out as Int16Array | Int32Array;
        for (let i = 0; i < n; i++) a[i] = this.integerToken(`element ${i + 1} of ${what}`, type === 'Short' ? 16 : 32);
        break;
      }
      case 'Long': {
        const a = out as BigInt64Array;
        for (let i = 0; i < n; i++) {
          const { text, at: p } = this.token(`element ${i + 1} of ${what}`);
          if (!/^[+-]?\d+$/.test(text)) this.fail(`expected element ${i + 1} of ${what} (an integer), found ${JSON.stringify(text.slice(0, 40))}`, p);
          const v = BigInt(text);
          if (v !== BigInt.asIntN(64, v)) this.fail(`element ${i + 1} of ${what}: ${text} does not fit in 64 bits`, p);
          a[i] = v;
        }
        break;
      }
      case 'Float': {
        const a = out as Float32Array;
        for (let i = 0; i < n; i++) a[i] = this.doubleToken(`element ${i + 1} of ${what}`);
        break;
      }
      case 'Double': {
        const a = out as Float64Array;
        for (let i = 0; i < n; i++) a[i] = this.doubleToken(`element ${i + 1} of ${what}`);
        break;
      }
      case 'Half': {
        const a = out as Uint16Array;
        for (let i = 0; i < n; i++) a[i] = numberToHalf(Math.fround(this.doubleToken(`element ${i + 1} of ${what}`)));
        break;
      }
    }
    if (n > 0) this.endGroup();
    return out;
  }
}
