// Reductions (sum, prod, mean, max/min, norm, dot, var/std, cumsum), equal, and the
// comparisons that give ByteTensor masks (eq, ne, gt, lt, ge, le). Sums accumulate in
// double as Torch7's `accreal` does.

import { isTensor } from './tensor_base.js';
import { TensorIndex } from './tensor_index.js';
import { identity } from './tensor_elementwise.js';
import { isFloatingType } from './types.js';
import { indexArray } from './layout.js';
import type { Tensor } from './tensor.js';

/** Part of Tensor's class chain: reductions and comparisons. */
export abstract class TensorReduce extends TensorIndex {
  /** sum() is the sum of all elements (accumulated in double; Long: see sumBig); sum(dim) keeps dim with size 1. */
  sum(): number;
  sum(dim: number): Tensor;
  sum(dim?: number): number | Tensor {
    if (dim === undefined) {
      if (this.elementType === 'Long') return Number(this.sumBig());
      if (this.isContiguous() && this.elementType !== 'Half') {
        return sumContiguous(this.storage().data() as Float64Array, this.offset_, this.nElement());
      }
      let s = 0;
      this.forEachNumber((x) => (s += x));
      return s;
    }
    const { bases, size, stride, outSizes } = this.slices(dim, 'sum');
    const out = this.newTensor(this.elementType, outSizes);
    const d = this.storage().data();
    const o = out.storage().mutableData();
    if (d instanceof BigInt64Array) {
      const ob = o as BigInt64Array;
      for (let k = 0; k < bases.length; k++) {
        let s = 0n;
        for (let i = 0, p = bases[k]!; i < size; i++, p += stride) s += d[p]!;
        ob[k] = s;
      }
      return out;
    }
    const read = this.readFn();
    // TH accumulates in double when the reduced dim has stride 1, otherwise in `real` (float for Float).
    const r = stride !== 1 ? this.roundFn() : identity;
    const write = this.writeFn(o);
    for (let k = 0; k < bases.length; k++) {
      let s = 0;
      for (let i = 0, p = bases[k]!; i < size; i++, p += stride) s = r(s + read(d, p));
      write(k, s);
    }
    return out;
  }

  /** The exact sum of an integer tensor as a bigint. */
  sumBig(): bigint {
    if (isFloatingType(this.elementType)) throw new TypeError(`sumBig: expected an integer tensor, got a ${this.className()}`);
    const d = this.storage().data();
    let s = 0n;
    if (d instanceof BigInt64Array) {
      if (this.isContiguous()) for (let i = this.offset_, e = this.offset_ + this.nElement(); i < e; i++) s += d[i]!;
      else for (const i of indexArray(this.sizes_, this.strides_, this.offset_)) s += d[i]!;
      return s;
    }
    let part = 0;
    this.forEachNumber((x) => {
      part += x;
      if (part > 2 ** 52 || part < -(2 ** 52)) {
        s += BigInt(part);
        part = 0;
      }
    });
    return s + BigInt(part);
  }

  /** Product of all elements (accumulated in double; Long exact then converted). */
  prod(): number {
    if (this.elementType === 'Long') {
      let p = 1n;
      for (const v of this.bigValues()) p *= v;
      return Number(BigInt.asIntN(64, p));
    }
    let p = 1;
    this.forEachNumber((x) => (p *= x));
    return p;
  }

  /** mean() over all elements (double), or mean(dim) keeping dim (floating tensors, as in Torch7). */
  mean(): number;
  mean(dim: number): Tensor;
  mean(dim?: number): number | Tensor {
    this.requireFloating('mean');
    if (dim === undefined) {
      if (this.nElement() === 0) throw new RangeError('mean: the tensor is empty');
      return this.sum() / this.nElement();
    }
    const size = this.sizes_[this.checkDim(dim, 'mean')]!;
    return this.sum(dim).div(size);
  }

  /** Largest element (NaN wins, as in TH); max(dim) gives [values, indices (Long, 1-based)]. */
  max(): number;
  max(dim: number): [Tensor, Tensor];
  max(dim?: number): number | [Tensor, Tensor] {
    return dim === undefined ? this.extremeAll('max', (v, best) => !(v <= best), (v, best) => v > best) : this.extremeDim('max', dim, (v, best) => !(v <= best), (v, best) => v > best);
  }

  /** Smallest element (NaN wins, as in TH); min(dim) gives [values, indices (Long, 1-based)]. */
  min(): number;
  min(dim: number): [Tensor, Tensor];
  min(dim?: number): number | [Tensor, Tensor] {
    return dim === undefined ? this.extremeAll('min', (v, best) => !(v >= best), (v, best) => v < best) : this.extremeDim('min', dim, (v, best) => !(v >= best), (v, best) => v < best);
  }

  /** The p-norm of all elements (p = 0 counts non-zeros), or norm(p, dim) keeping dim. */
  norm(p?: number): number;
  norm(p: number, dim: number): Tensor;
  norm(p = 2, dim?: number): number | Tensor {
    this.requireFloating('norm');
    const r = this.roundFn();
    const pr = r(p);
    if (dim === undefined) {
      let s = 0;
      if (pr === 0) this.forEachNumber((x) => (s += x !== 0 ? 1 : 0));
      else if (pr === 1) this.forEachNumber((x) => (s += Math.abs(x)));
      else if (pr === 2) {
        if (this.isContiguous() && this.elementType !== 'Half') {
          return Math.sqrt(dotContiguous(this.storage().data() as Float64Array, this.offset_, this.storage().data() as Float64Array, this.offset_, this.nElement()));
        }
        this.forEachNumber((x) => (s += x * x));
        return Math.sqrt(s);
      } else {
        this.forEachNumber((x) => (s += r(Math.pow(Math.abs(x), pr))));
        return r(Math.pow(r(s), r(1 / pr)));
      }
      return s;
    }
    const { bases, size, stride, outSizes } = this.slices(dim, 'norm');
    const out = this.newTensor(this.elementType, outSizes);
    const d = this.storage().data();
    const read = this.readFn();
    const write = this.writeFn(out.storage().mutableData());
    for (let k = 0; k < bases.length; k++) {
      let s = 0;
      for (let i = 0, q = bases[k]!; i < size; i++, q += stride) {
        const x = read(d, q);
        s += pr === 0 ? (x !== 0 ? 1 : 0) : r(Math.pow(Math.abs(x), pr));
      }
      write(k, pr === 0 ? s : r(Math.pow(r(s), r(1 / pr))));
    }
    return out;
  }

  /** Sum of element-wise products (same element count), accumulated in double. */
  dot(other: Tensor): number {
    this.checkSameType(other, 'dot');
    this.checkCount('dot', other);
    if (this.elementType === 'Long') {
      const a = this.bigValues();
      const b = other.bigValues();
      let s = 0n;
      for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
      return Number(BigInt.asIntN(64, s));
    }
    const n = this.nElement();
    if (n === 0) return 0;
    const da = this.storage().data();
    const db = other.storage().data();
    if (this.isContiguous() && other.isContiguous() && this.elementType !== 'Half') {
      return dotContiguous(da as Float64Array, this.offset_, db as Float64Array, other.offset_, n);
    }
    const ia = indexArray(this.sizes_, this.strides_, this.offset_);
    const ib = indexArray(other.sizes_, other.strides_, other.offset_);
    const read = this.readFn();
    let s = 0;
    for (let k = 0; k < n; k++) s += read(da, ia[k]!) * read(db, ib[k]!);
    return s;
  }

  /** Variance of all elements (unbiased unless `biased`), or var(dim, biased) keeping dim. */
  var(biased?: boolean): number;
  var(dim: number, biased?: boolean): Tensor;
  var(a?: number | boolean, b?: boolean): number | Tensor {
    return this.moment('var', a, b, false);
  }

  /** Standard deviation of all elements (unbiased unless `biased`), or std(dim, biased) keeping dim. */
  std(biased?: boolean): number;
  std(dim: number, biased?: boolean): Tensor;
  std(a?: number | boolean, b?: boolean): number | Tensor {
    return this.moment('std', a, b, true);
  }

  /** Cumulative sum along 1-based dim (default 1), as a new tensor. */
  cumsum(dim = 1): Tensor {
    const { bases, size, stride } = this.slices(dim, 'cumsum');
    const out = this.newTensor(this.elementType, this.sizes_);
    const outStride = out.strides_[dim - 1]!;
    const outBases = indexArray(this.sizes_.map((s, i) => (i === dim - 1 ? 1 : s)), out.strides_, 0);
    const d = this.storage().data();
    const o = out.storage().mutableData();
    if (d instanceof BigInt64Array) {
      for (let k = 0; k < bases.length; k++) {
        let s = 0n;
        for (let i = 0; i < size; i++) {
          s += d[bases[k]! + i * stride]!;
          (o as BigInt64Array)[outBases[k]! + i * outStride] = s;
        }
      }
      return out;
    }
    const read = this.readFn();
    const write = this.writeFn(o);
    for (let k = 0; k < bases.length; k++) {
      let s = 0;
      for (let i = 0; i < size; i++) {
        s += read(d, bases[k]! + i * stride);
        write(outBases[k]! + i * outStride, s);
      }
    }
    return out;
  }

  /** True when both tensors have the same sizes and equal elements (NaN is never equal). */
  equal(other: Tensor): boolean {
    this.checkSameType(other, 'equal');
    if (!this.isSameSizeAs(other)) return false;
    if (this.elementType === 'Long') {
      const a = this.bigValues();
      const b = other.bigValues();
      return a.every((v, k) => v === b[k]);
    }
    const a = this.values();
    const b = other.values();
    return a.every((v, k) => v === b[k]);
  }

  // -- comparisons (ByteTensor masks) --

  /** A ByteTensor of this tensor's sizes: 1 where the element equals other's (a tensor of as many elements, or a value), else 0. */
  eq(other: Tensor | number | bigint): Tensor { return this.compare('eq', other, (a, b) => a === b, (a, b) => a === b); }
  /** A ByteTensor: 1 where the element differs from other's (NaN differs from everything), else 0. */
  ne(other: Tensor | number | bigint): Tensor { return this.compare('ne', other, (a, b) => a !== b, (a, b) => a !== b); }
  /** A ByteTensor: 1 where the element is greater than other's, else 0. */
  gt(other: Tensor | number | bigint): Tensor { return this.compare('gt', other, (a, b) => a > b, (a, b) => a > b); }
  /** A ByteTensor: 1 where the element is less than other's, else 0. */
  lt(other: Tensor | number | bigint): Tensor { return this.compare('lt', other, (a, b) => a < b, (a, b) => a < b); }
  /** A ByteTensor: 1 where the element is greater than or equal to other's, else 0. */
  ge(other: Tensor | number | bigint): Tensor { return this.compare('ge', other, (a, b) => a >= b, (a, b) => a >= b); }
  /** A ByteTensor: 1 where the element is less than or equal to other's, else 0. */
  le(other: Tensor | number | bigint): Tensor { return this.compare('le', other, (a, b) => a <= b, (a, b) => a <= b); }


  private extremeAll(op: string, better: (v: number, best: number) => boolean, betterBig: (v: bigint, best: bigint) => boolean): number {
    if (this.nElement() === 0) throw new RangeError(`${op}: the tensor is empty`);
    if (this.elementType === 'Long') {
      const v = this.bigValues();
      let best = v[0]!;
      for (const x of v) if (betterBig(x, best)) best = x;
      return Number(best);
    }
    let best = NaN;
    let first = true;
    let done = false;
    this.forEachNumber((x) => {
      if (done) return;
      if (first) {
        best = x;
        first = false;
      }
      if (better(x, best)) best = x;
      if (Number.isNaN(x)) done = true;
    });
    return best;
  }

  private extremeDim(op: string, dim: number, better: (v: number, best: number) => boolean, betterBig: (v: bigint, best: bigint) => boolean): [Tensor, Tensor] {
    const { bases, size, stride, outSizes } = this.slices(dim, op);
    if (size === 0) throw new RangeError(`${op}: dimension ${dim} is empty`);
    const values = this.newTensor(this.elementType, outSizes);
    const indices = this.newTensor('Long', outSizes);
    const d = this.storage().data();
    const vo = values.storage().mutableData();
    const io = indices.storage().mutableData() as BigInt64Array;
    if (d instanceof BigInt64Array) {
      for (let k = 0; k < bases.length; k++) {
        let best = d[bases[k]!]!;
        let at = 0;
        for (let i = 0; i < size; i++) {
          const v = d[bases[k]! + i * stride]!;
          if (betterBig(v, best)) {
            best = v;
            at = i;
          }
        }
        (vo as BigInt64Array)[k] = best;
        io[k] = BigInt(at + 1);
      }
      return [values, indices];
    }
    const read = this.readFn();
    const write = this.writeFn(vo);
    for (let k = 0; k < bases.length; k++) {
      let best = read(d, bases[k]!);
      let at = 0;
      for (let i = 0; i < size; i++) {
        const v = read(d, bases[k]! + i * stride);
        if (better(v, best)) {
          best = v;
          at = i;
          if (Number.isNaN(v)) break;
        }
      }
      write(k, best);
      io[k] = BigInt(at + 1);
    }
    return [values, indices];
  }

  private moment(op: 'var' | 'std', a: number | boolean | undefined, b: boolean | undefined, root: boolean): number | Tensor {
    this.requireFloating(op);
    if (typeof a !== 'number') {
      const biased = a === true;
      const n = this.nElement();
      if (n === 0) throw new RangeError(`${op}: the tensor is empty`);
      const mean = this.sum() / n;
      let s = 0;
      this.forEachNumber((x) => (s += (x - mean) * (x - mean)));
      s /= n - (biased ? 0 : 1);
      return root ? Math.sqrt(s) : s;
    }
    const biased = b === true;
    const { bases, size, stride, outSizes } = this.slices(a, op);
    const out = this.newTensor(this.elementType, outSizes);
    const d = this.storage().data();
    const read = this.readFn();
    const r = this.roundFn();
    const write = this.writeFn(out.storage().mutableData());
    for (let k = 0; k < bases.length; k++) {
      let sum = 0;
      let sum2 = 0;
      for (let i = 0, p = bases[k]!; i < size; i++, p += stride) {
        const z = read(d, p);
        sum += z;
        sum2 += r(z * z);
      }
      sum /= size;
      if (biased) {
        sum2 /= size;
        sum2 -= sum * sum;
      } else {
        sum2 /= size - 1;
        sum2 -= r(size / (size - 1)) * sum * sum;
      }
      if (sum2 < 0) sum2 = 0;
      write(k, root ? Math.sqrt(r(sum2)) : sum2);
    }
    return out;
  }

  private compare(op: string, other: Tensor | number | bigint, test: (a: number, b: number) => boolean, testBig: (a: bigint, b: bigint) => boolean): Tensor {
    const out = this.newTensor('Byte', this.sizes_);
    const o = out.storage().mutableData() as Uint8Array;
    if (this.elementType === 'Long') {
      const a = this.bigValues();
      if (isTensor(other)) {
        this.checkSameType(other, op);
        this.checkCount(op, other);
        const b = other.bigValues();
        for (let k = 0; k < a.length; k++) o[k] = testBig(a[k]!, b[k]!) ? 1 : 0;
      } else {
        const v = this.realBig(other, op);
        for (let k = 0; k < a.length; k++) o[k] = testBig(a[k]!, v) ? 1 : 0;
      }
      return out;
    }
    const a = this.values();
    if (isTensor(other)) {
      this.checkSameType(other, op);
      this.checkCount(op, other);
      const b = other.values();
      for (let k = 0; k < a.length; k++) o[k] = test(a[k]!, b[k]!) ? 1 : 0;
    } else {
      const v = this.real(other, op);
      for (let k = 0; k < a.length; k++) o[k] = test(a[k]!, v) ? 1 : 0;
    }
    return out;
  }

  /** Sorts every slice along dim and keeps the first `keep` (ascending, or descending). */
}

function sumContiguous(a: Float64Array, o: number, n: number): number {
  let s = 0;
  for (let k = o, e = o + n; k < e; k++) s += a[k]!;
  return s;
}

function dotContiguous(a: Float64Array, o: number, b: Float64Array, q: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[o + k]! * b[q + k]!;
  return s;
}

