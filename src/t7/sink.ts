// Byte-level writers for Torch's two file modes (the mirror of source.ts).
// Binary output is a list of chunks: small values go through a scratch buffer and
// large storages are passed on as views of their typed arrays (no copy).

import { halfToNumber, type HostArray, type TensorType } from '../torch/types.js';
import { formatDouble, formatFloat } from './number_format.js';

export interface Sink {
  readonly mode: 'binary' | 'ascii';
  readonly longSize: 4 | 8;
  int(v: number): void;
  long(v: number): void;
  longs(v: readonly number[]): void;
  double(v: number): void;
  /** Raw bytes (a Lua string's contents, bytecode). */
  chars(b: Uint8Array): void;
  storage(type: TensorType, data: HostArray, n: number): void;
  /** The bytes written, in order. */
  finish(): Uint8Array[];
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const SCRATCH = 1 << 16;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function checkInt32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new RangeError(`${what}: ${v} does not fit in a 4-byte int`);
}

function bytesOf(a: HostArray, n: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);
}

export class BinarySink implements Sink {
  readonly mode = 'binary' as const;
  readonly longSize: 4 | 8;
  /** False to write as Torch does after bigEndianEncoding(). */
  readonly littleEndian: boolean;
  private readonly chunks: Uint8Array[] = [];
  private buf = new Uint8Array(SCRATCH);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  constructor(longSize: 4 | 8, littleEndian = true) {
    this.longSize = longSize;
    this.littleEndian = littleEndian;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(SCRATCH);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  int(v: number): void {
    checkInt32(v, 'int');
    this.room(4);
    this.view.setInt32(this.pos, v, this.littleEndian);
    this.pos += 4;
  }

  long(v: number): void {
    if (this.longSize === 4) {
      checkInt32(v, 'long (longSize 4)');
      this.int(v);
      return;
    }
    if (!Number.isSafeInteger(v)) throw new RangeError(`long: ${v} is not an integer of at most 2^53`);
    this.room(8);
    this.view.setBigInt64(this.pos, BigInt(v), this.littleEndian);
    this.pos += 8;
  }

  longs(v: readonly number[]): void {
    for (const x of v) this.long(x);
  }

  double(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, this.littleEndian);
    this.pos += 8;
  }

  chars(b: Uint8Array): void {
    if (b.length >= SCRATCH / 4) {
      this.flush();
      this.chunks.push(b);
      return;
    }
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  storage(type: TensorType, data: HostArray, n: number): void {
    if (type === 'Long' && this.longSize === 4) {
      const src = data as BigInt64Array;
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v !== BigInt.asIntN(32, v)) throw new RangeError(`LongStorage element ${i + 1} (${v}) does not fit in a 4-byte long`);
        out[i] = Number(v);
      }
      this.pushArray(out, n);
      return;
    }
    this.pushArray(data, n);
  }

  private pushArray(a: HostArray, n: number): void {
    let b = bytesOf(a, n);
    if (LITTLE_ENDIAN_HOST !== this.littleEndian && a.BYTES_PER_ELEMENT > 1) {
      b = b.slice();
      const size = a.BYTES_PER_ELEMENT;
      for (let i = 0; i + size <= b.length; i += size) b.subarray(i, i + size).reverse();
    }
    this.chars(b);
  }

  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}

/** Ascii mode: text numbers ("%d", "%ld", "%.17g", "%.9g"), raw Byte/Char data. */
export class AsciiSink implements Sink {
  readonly mode = 'ascii' as const;
  readonly longSize = 8 as const;
  private readonly chunks: Uint8Array[] = [];
  private parts: string[] = [];
  private partsLength = 0;

  private put(s: string): void {
    this.parts.push(s);
    this.partsLength += s.length;
    if (this.partsLength > 1 << 24) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(Buffer.from(this.parts.join(''), 'latin1'));
    this.parts = [];
    this.partsLength = 0;
  }

  int(v: number): void {
    checkInt32(v, 'int');
    this.put(`${v}\n`);
  }

  long(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`long: ${v} is not an integer of at most 2^53`);
    this.put(`${v}\n`);
  }

  longs(v: readonly number[]): void {
    for (const x of v) if (!Number.isSafeInteger(x)) throw new RangeError(`long: ${x} is not an integer of at most 2^53`);
    if (v.length > 0) this.put(`${v.join(' ')}\n`);
  }

  double(v: number): void {
    this.put(`${formatDouble(v)}\n`);
  }

  chars(b: Uint8Array): void {
    if (b.length === 0) return;
    this.flush();
    this.chunks.push(b);
    this.put('\n');
  }

  storage(type: TensorType, data: HostArray, n: number): void {
    if (n === 0) return;
    if (type === 'Byte' || type === 'Char') {
      this.chars(bytesOf(data, n));
      return;
    }
    const fmt: (i: number) => string =
      type === 'Double'
        ? (i) => formatDouble((data as Float64Array)[i]!)
        : type === 'Float'
          ? (i) => formatFloat((data as Float32Array)[i]!)
          : type === 'Half'
            ? (i) => formatFloat(halfToNumber((data as Uint16Array)[i]!))
            : (i) => String(data[i]);
    const line: string[] = [];
    for (let i = 0; i < n; i++) {
      line.push(fmt(i));
      if (line.length >= 65536) {
        this.put(line.join(' '));
        this.put(i < n - 1 ? ' ' : '');
        line.length = 0;
      }
    }
    this.put(line.join(' '));
    this.put('\n');
  }

  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}
