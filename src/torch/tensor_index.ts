// Index and sort: maskedSelect, sort, topk, indexSelect/index, indexCopy, indexAdd,
// indexFill, and cat (joining tensors along a dim). Indices are 1-based LongTensors.

import { isTensor } from './tensor_base.js';
import { describeArg } from './tensor_args.js';
import { TensorPointwise } from './tensor_pointwise.js';
import { indexArray } from './layout.js';
import type { Tensor } from './tensor.js';

/** Part of Tensor's class chain: selection by mask and index, sort and topk, cat. */
export abstract class TensorIndex extends TensorPointwise {
  /** A 1-d tensor of the elements where the ByteTensor mask is 1. */
  maskedSelect(mask: Tensor): Tensor {
    this.checkMask('maskedSelect', mask);
    const m = mask.byteValues('maskedSelect');
    let count = 0;
    for (const b of m) count += b;
    const out = this.newTensor(this.elementType, [count]);
    const src = this.storage().data();
    const dst = out.storage().mutableData();
    const idx = indexArray(this.sizes_, this.strides_, this.offset_);
    let j = 0;
    for (let k = 0; k < idx.length; k++) if (m[k]) (dst as Float64Array)[j++] = (src as Float64Array)[idx[k]!]!;
    return out;
  }

  /** Sorts along 1-based dim (default: the last) ascending, or descending; returns [values, indices (Long, 1-based)]. NaN sorts as the largest value; ties keep their order. */
  sort(dim?: number, descending = false): [Tensor, Tensor] {
    const dd = dim ?? this.sizes_.length;
    const { size } = this.slices(dd, 'sort');
    return this.selectAlong('sort', dd, size, descending);
  }

  /**
   * Torch7's topk(k, dim, dir, sorted): the k smallest (dir false, the default) or largest
   * (dir true) along dim (default: the last); returns [values, indices (Long, 1-based)].
   * Results come sorted (ascending for smallest, descending for largest) whatever `sorted` says.
   */
  topk(k = 1, dim?: number, dir = false, _sorted = false): [Tensor, Tensor] {
    const dd = dim ?? this.sizes_.length;
    const { size } = this.slices(dd, 'topk');
    if (!Number.isInteger(k) || k < 1 || k > size) throw new RangeError(`topk: k must be in [1, ${size}] for dimension ${dd}, got ${k}`);
    return this.selectAlong('topk', dd, k, dir);
  }

  /** The slices at the (1-based) positions of a 1-d LongTensor along dim, as a new tensor (Torch's index). */
  indexSelect(dim: number, index: Tensor): Tensor {
    const d0 = this.checkDim(dim, 'indexSelect');
    const idx = this.indexPositions('indexSelect', d0, index);
    const sizes = this.sizes_.slice();
    sizes[d0] = idx.length;
    const out = this.newTensor(this.elementType, sizes);
    idx.forEach((p, k) => out.narrow(dim, k + 1, 1).copy(this.narrow(dim, p, 1)));
    return out;
  }

  /** Torch's t:index(dim, index): as indexSelect (a new tensor of the slices at the 1-based positions in a LongTensor). */
  index(dim: number, index: Tensor): Tensor {
    return this.indexSelect(dim, index);
  }

  /** Copies the slices of src into the positions given by a LongTensor along dim. */
  indexCopy(dim: number, index: Tensor, src: Tensor): this {
    const d0 = this.checkDim(dim, 'indexCopy');
    const idx = this.indexPositions('indexCopy', d0, index);
    idx.forEach((p, k) => this.narrow(dim, p, 1).copy(src.narrow(dim, k + 1, 1)));
    return this;
  }

  /** Adds the slices of src into the positions given by a LongTensor along dim. */
  indexAdd(dim: number, index: Tensor, src: Tensor): this {
    const d0 = this.checkDim(dim, 'indexAdd');
    const idx = this.indexPositions('indexAdd', d0, index);
    idx.forEach((p, k) => this.narrow(dim, p, 1).add(src.narrow(dim, k + 1, 1)));
    return this;
  }

  /** Fills the slices at the positions given by a LongTensor along dim. */
  indexFill(dim: number, index: Tensor, value: number | bigint): this {
    const d0 = this.checkDim(dim, 'indexFill');
    const idx = this.indexPositions('indexFill', d0, index);
    idx.forEach((p) => this.narrow(dim, p, 1).fill(value));
    return this;
  }


  /**
   * Torch's res:cat(tensors, dim): this becomes the tensors joined along 1-based dim
   * (default: the last dim of the first tensor); other sizes must agree.
   */
  cat(tensors: Tensor[], dim?: number): this {
    const parts = tensors.filter((t) => t.nElement() > 0);
    if (tensors.some((t) => !isTensor(t))) throw new TypeError(`cat: expected an array of tensors, got [${tensors.map(describeArg).join(', ')}]`);
    if (parts.length === 0) return this.resize(0);
    const first = parts[0]!;
    const d = dim ?? first.sizes_.length;
    const d0 = first.checkDim(d, 'cat');
    let total = 0;
    for (const t of parts) {
      this.checkSameType(t, 'cat');
      const ok = t.sizes_.length === first.sizes_.length && t.sizes_.every((s, i) => i === d0 || s === first.sizes_[i]);
      if (!ok) throw new RangeError(`cat: sizes [${t.sizes_.join(', ')}] do not match [${first.sizes_.join(', ')}] outside dimension ${d}`);
      total += t.sizes_[d0]!;
    }
    const sizes = first.sizes_.slice();
    sizes[d0] = total;
    if (parts.some((t) => t.storage_ === this.storage_ && this.storage_ !== null)) {
      throw new RangeError('cat: the result tensor shares its storage with an input; use a separate result tensor');
    }
    this.resize(...sizes);
    let at = 1;
    for (const t of parts) {
      this.narrow(d, at, t.sizes_[d0]!).copy(t);
      at += t.sizes_[d0]!;
    }
    return this;
  }


  private selectAlong(op: string, dim: number, keep: number, descending: boolean): [Tensor, Tensor] {
    const { bases, size, stride } = this.slices(dim, op);
    const d0 = dim - 1;
    const outSizes = this.sizes_.slice();
    outSizes[d0] = keep;
    const values = this.newTensor(this.elementType, outSizes);
    const indices = this.newTensor('Long', outSizes);
    if (this.nElement() === 0) return [values, indices];
    const outBaseSizes = outSizes.slice();
    outBaseSizes[d0] = 1;
    const outBases = indexArray(outBaseSizes, values.strides_, 0);
    const outStride = values.strides_[d0]!;
    const d = this.storage().data();
    const vo = values.storage().mutableData();
    const io = indices.storage().mutableData() as BigInt64Array;
    const order = Array.from({ length: size }, (_, i) => i);
    const long = d instanceof BigInt64Array;
    const read = this.readFn();
    const slice = new Float64Array(size);
    const sliceBig = long ? new BigInt64Array(size) : null;
    const sign = descending ? -1 : 1;
    // NaN counts as the largest value; Array.prototype.sort is stable, so ties keep their order.
    const cmp = long
      ? (i: number, j: number) => {
          const a = sliceBig![i]!;
          const b = sliceBig![j]!;
          return sign * (a < b ? -1 : a > b ? 1 : 0);
        }
      : (i: number, j: number) => {
          const a = slice[i]!;
          const b = slice[j]!;
          const an = Number.isNaN(a);
          const bn = Number.isNaN(b);
          if (an || bn) return sign * ((an ? 1 : 0) - (bn ? 1 : 0));
          return sign * (a < b ? -1 : a > b ? 1 : 0);
        };
    for (let k = 0; k < bases.length; k++) {
      for (let i = 0; i < size; i++) {
        const p = bases[k]! + i * stride;
        if (long) sliceBig![i] = (d as BigInt64Array)[p]!;
        else slice[i] = read(d, p);
        order[i] = i;
      }
      order.sort(cmp);
      for (let i = 0; i < keep; i++) {
        const at = outBases[k]! + i * outStride;
        const src = order[i]!;
        if (long) (vo as BigInt64Array)[at] = sliceBig![src]!;
        else if (this.elementType === 'Half') (vo as Uint16Array)[at] = (d as Uint16Array)[bases[k]! + src * stride]!;
        else (vo as Float64Array)[at] = slice[src]!;
        io[at] = BigInt(src + 1);
      }
    }
    return [values, indices];
  }

  /** The 1-based positions held by a 1-d LongTensor index, checked against dim's size. */
  private indexPositions(op: string, d0: number, index: Tensor): number[] {
    if (!isTensor(index) || index.elementType !== 'Long' || index.sizes_.length > 1) {
      throw new TypeError(`${op}: expected a 1-d LongTensor index, got ${isTensor(index) ? `a ${index.sizes_.length}-d ${index.className()}` : describeArg(index)}`);
    }
    const n = this.sizes_[d0]!;
    return index.values().map((p) => {
      if (!Number.isInteger(p) || p < 1 || p > n) throw new RangeError(`${op}: index ${p} out of range for dimension ${d0 + 1} of size ${n}`);
      return p;
    });
  }

}
