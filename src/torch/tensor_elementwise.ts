// The element loops every math method builds on: a Lua number as the tensor's `real`,
// reading and writing one element of any type, visiting elements in logical order
// (map1/zip2/zip3 update this tensor from itself and up to two operands), the
// element-count and type checks, and the 1-d slices along a dim that reductions walk.

import { isTensor, TensorBase } from './tensor_base.js';
import { describeArg } from './tensor_args.js';
import { castNumber, halfToNumber, isFloatingType, numberToHalf, type HostArray, type TensorType } from './types.js';
import { indexArray } from './layout.js';
import type { Tensor } from './tensor.js';

/** Part of Tensor's class chain: the element loops the math methods share (protected). */
export abstract class TensorElementwise extends TensorBase {
  /** A Lua number argument as this tensor's `real` (not for Long). */
  protected real(v: unknown, op: string): number {
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v !== 'number') throw new TypeError(`${op}: expected a number, got ${describeArg(v)}`);
    return castNumber(this.elementType, v);
  }

  /** A Lua number (or bigint) argument as a Long value (truncated like a C cast, wrapped to 64 bits). */
  protected realBig(v: unknown, op: string): bigint {
    if (typeof v === 'bigint') return BigInt.asIntN(64, v);
    if (typeof v !== 'number') throw new TypeError(`${op}: expected a number, got ${describeArg(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`${op}: a LongTensor cannot hold ${v}`);
    return BigInt.asIntN(64, BigInt(Math.trunc(v)));
  }

  /** Rounds like this type's C arithmetic between two operations (float32 for Float). */
  protected roundFn(): (x: number) => number {
    return this.elementType === 'Float' ? Math.fround : this.elementType === 'Half' ? (x) => halfToNumber(numberToHalf(x)) : identity;
  }

  protected readFn(): (d: HostArray, i: number) => number {
    if (this.elementType === 'Half') return (d, i) => halfToNumber((d as Uint16Array)[i]!);
    if (this.elementType === 'Long') return (d, i) => Number((d as BigInt64Array)[i]!);
    return (d, i) => (d as Float64Array)[i]!;
  }

  protected writeFn(d: HostArray): (i: number, v: number) => void {
    if (d instanceof BigInt64Array) return (i, v) => (d[i] = BigInt(Math.trunc(v)));
    if (this.elementType === 'Half') return (i, v) => ((d as Uint16Array)[i] = numberToHalf(v));
    return (i, v) => ((d as Float64Array)[i] = v);
  }

  /** Calls fn with every element as a number, in logical order. */
  protected forEachNumber(fn: (x: number) => void): void {
    const n = this.nElement();
    if (n === 0) return;
    const d = this.storage().data();
    const read = this.readFn();
    if (this.isContiguous()) {
      if (this.elementType === 'Half' || this.elementType === 'Long') for (let i = this.offset_; i < this.offset_ + n; i++) fn(read(d, i));
      else {
        const a = d as Float64Array;
        for (let i = this.offset_, e = this.offset_ + n; i < e; i++) fn(a[i]!);
      }
      return;
    }
    for (const i of indexArray(this.sizes_, this.strides_, this.offset_)) fn(read(d, i));
  }

  protected requireFloating(op: string): void {
    if (!isFloatingType(this.elementType)) {
      throw new TypeError(`${op}: expected a floating-point tensor (Float, Double or Half), got a ${this.className()} (Torch7 defines ${op} only for floating types)`);
    }
  }

  protected checkCount(op: string, ...others: Tensor[]): void {
    const n = this.nElement();
    for (const o of others) {
      if (o.nElement() !== n) {
        throw new RangeError(`${op}: expected ${n} elements (a tensor of sizes [${this.sizes_.join(', ')}]), got ${o.nElement()} elements (sizes [${o.sizes_.join(', ')}])`);
      }
    }
  }

  /**
   * Result forms: makes this hold `t` (resized and copied) before an in-place op reads
   * `others`; returns the operands to use (a private copy of any that views this storage,
   * so that copying t first cannot clobber it).
   */
  protected fromSource(op: string, t: Tensor, ...others: Tensor[]): Tensor[] {
    if (t === this.asTensor()) return others;
    if (!isTensor(t)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(t)}`);
    this.checkSameType(t, op);
    const safe = others.map((o) => (isTensor(o) && this.storage_ !== null && o.storage_ === this.storage_ ? o.clone() : o));
    if (!this.isSameSizeAs(t)) this.resizeAs(t);
    this.copy(t);
    return safe;
  }


  protected map1(op: string, fn: (x: number) => number, fb?: (x: bigint) => bigint): this {
    return this.map1K(op, fn, fb && ((x) => fb(x)));
  }

  protected map1K(op: string, fn: (x: number, k: number) => number, fb?: (x: bigint, k: number) => bigint): this {
    const n = this.nElement();
    if (n === 0) return this;
    const d = this.storage().mutableData();
    const o = this.offset_;
    const idx = this.isContiguous() ? null : indexArray(this.sizes_, this.strides_, o);
    if (d instanceof BigInt64Array) {
      if (!fb) throw new TypeError(`${op}: not defined for a ${this.className()}`);
      for (let k = 0; k < n; k++) {
        const i = idx ? idx[k]! : o + k;
        d[i] = fb(d[i]!, k);
      }
    } else if (this.elementType === 'Half') {
      const h = d as Uint16Array;
      for (let k = 0; k < n; k++) {
        const i = idx ? idx[k]! : o + k;
        h[i] = numberToHalf(fn(halfToNumber(h[i]!), k));
      }
    } else {
      const a = d as Float64Array;
      if (idx) for (let k = 0; k < n; k++) a[idx[k]!] = fn(a[idx[k]!]!, k);
      else for (let k = 0; k < n; k++) a[o + k] = fn(a[o + k]!, k);
    }
    return this;
  }

  /** this[i] = f(this[i], src[i]) for every element (same type, same element count). */
  protected zip2(op: string, src: Tensor, fn: (x: number, y: number) => number, fb?: (x: bigint, y: bigint) => bigint): this {
    if (!isTensor(src)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(src)}`);
    this.checkSameType(src, op);
    this.checkCount(op, src);
    const n = this.nElement();
    if (n === 0) return this;
    const d = this.storage().mutableData();
    const s = src.storage().data();
    const o = this.offset_;
    const q = src.offset_;
    const ia = this.isContiguous() ? null : indexArray(this.sizes_, this.strides_, o);
    const ib = src.isContiguous() ? null : indexArray(src.sizes_, src.strides_, q);
    if (d instanceof BigInt64Array) {
      if (!fb) throw new TypeError(`${op}: not defined for a ${this.className()}`);
      const sb = s as BigInt64Array;
      for (let k = 0; k < n; k++) {
        const i = ia ? ia[k]! : o + k;
        d[i] = fb(d[i]!, sb[ib ? ib[k]! : q + k]!);
      }
    } else if (this.elementType === 'Half') {
      const h = d as Uint16Array;
      const sh = s as Uint16Array;
      for (let k = 0; k < n; k++) {
        const i = ia ? ia[k]! : o + k;
        h[i] = numberToHalf(fn(halfToNumber(h[i]!), halfToNumber(sh[ib ? ib[k]! : q + k]!)));
      }
    } else {
      const a = d as Float64Array;
      const b = s as Float64Array;
      if (!ia && !ib) for (let k = 0; k < n; k++) a[o + k] = fn(a[o + k]!, b[q + k]!);
      else {
        for (let k = 0; k < n; k++) {
          const i = ia ? ia[k]! : o + k;
          a[i] = fn(a[i]!, b[ib ? ib[k]! : q + k]!);
        }
      }
    }
    return this;
  }

  /** this[i] = f(this[i], a[i], b[i]) for every element. */
  protected zip3(op: string, t1: Tensor, t2: Tensor, fn: (x: number, y: number, z: number) => number, fb?: (x: bigint, y: bigint, z: bigint) => bigint): this {
    for (const t of [t1, t2]) {
      if (!isTensor(t)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(t)}`);
      this.checkSameType(t, op);
    }
    this.checkCount(op, t1, t2);
    const n = this.nElement();
    if (n === 0) return this;
    const d = this.storage().mutableData();
    const s1 = t1.storage().data();
    const s2 = t2.storage().data();
    // Contiguous operands are addressed by offset, others through their index lists.
    const o = this.offset_;
    const p = t1.offset_;
    const q = t2.offset_;
    const ia = this.isContiguous() ? null : indexArray(this.sizes_, this.strides_, o);
    const ib = t1.isContiguous() ? null : indexArray(t1.sizes_, t1.strides_, p);
    const ic = t2.isContiguous() ? null : indexArray(t2.sizes_, t2.strides_, q);
    if (d instanceof BigInt64Array) {
      if (!fb) throw new TypeError(`${op}: not defined for a ${this.className()}`);
      const b1 = s1 as BigInt64Array;
      const b2 = s2 as BigInt64Array;
      for (let k = 0; k < n; k++) {
        const i = ia ? ia[k]! : o + k;
        d[i] = fb(d[i]!, b1[ib ? ib[k]! : p + k]!, b2[ic ? ic[k]! : q + k]!);
      }
    } else if (this.elementType === 'Half') {
      const h = d as Uint16Array;
      const h1 = s1 as Uint16Array;
      const h2 = s2 as Uint16Array;
      for (let k = 0; k < n; k++) {
        const i = ia ? ia[k]! : o + k;
        h[i] = numberToHalf(fn(halfToNumber(h[i]!), halfToNumber(h1[ib ? ib[k]! : p + k]!), halfToNumber(h2[ic ? ic[k]! : q + k]!)));
      }
    } else {
      const a = d as Float64Array;
      const a1 = s1 as Float64Array;
      const a2 = s2 as Float64Array;
      if (!ia && !ib && !ic) for (let k = 0; k < n; k++) a[o + k] = fn(a[o + k]!, a1[p + k]!, a2[q + k]!);
      else {
        for (let k = 0; k < n; k++) {
          const i = ia ? ia[k]! : o + k;
          a[i] = fn(a[i]!, a1[ib ? ib[k]! : p + k]!, a2[ic ? ic[k]! : q + k]!);
        }
      }
    }
    return this;
  }

  protected checkMask(op: string, mask: Tensor): void {
    if (!isTensor(mask) || mask.elementType !== 'Byte') throw new TypeError(`${op}: expected a ByteTensor mask, got ${isTensor(mask) ? `a ${mask.className()}` : describeArg(mask)}`);
    this.checkCount(op, mask);
  }

  /** A Byte mask's values, checked to be 0 or 1 as TH requires. */
  protected byteValues(op: string): Uint8Array {
    const v = Uint8Array.from(this.values());
    for (const b of v) if (b > 1) throw new RangeError(`${op}: the mask may hold only 0 and 1, found ${b}`);
    return v;
  }

  /** Bases of every 1-d slice along 1-based dim (in the logical order of a keepdim result). */
  protected slices(dim: number, op: string): { bases: Int32Array; size: number; stride: number; outSizes: number[] } {
    const d0 = this.checkDim(dim, op);
    const outSizes = this.sizes_.slice();
    outSizes[d0] = 1;
    return { bases: indexArray(outSizes, this.strides_, this.offset_), size: this.sizes_[d0]!, stride: this.strides_[d0]!, outSizes };
  }

}

export type Kind = 'f32' | 'f64' | 'half' | 'int32' | 'small' | 'long';

export function kindOf(type: TensorType): Kind {
  switch (type) {
    case 'Float': return 'f32';
    case 'Double': return 'f64';
    case 'Half': return 'half';
    case 'Int': return 'int32';
    case 'Long': return 'long';
    default: return 'small';
  }
}

export const identity = (x: number): number => x;

// Placeholders for the number path of ops whose Long path is the bigint function.
export function unreachable(): never {
  throw new Error('internal: number kernel called for a LongTensor');
}
export const NO_NUMBER: (x: number) => number = unreachable;
export const NO_NUMBER_K: (x: number, k: number) => number = unreachable;
export const NO_NUMBER2: (x: number, y: number) => number = unreachable;
export const NO_NUMBER3: (x: number, y: number, z: number) => number = unreachable;


/** Writes a number (or bigint, for Long) into a host array of the given element type. */
export function writeElement(d: HostArray, type: TensorType, i: number, v: number | bigint): void {
  if (d instanceof BigInt64Array) {
    d[i] = typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Math.trunc(v));
  } else if (type === 'Half') {
    d[i] = numberToHalf(Number(v));
  } else {
    d[i] = castNumber(type, Number(v));
  }
}

