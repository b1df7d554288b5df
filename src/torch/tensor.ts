// A Torch tensor: a view (1-based storage offset, sizes, strides) into a Storage.
//
// The public API is Torch's, 1-based like Lua: dimensions and indices count from 1,
// storageOffset() is 1-based. Views (narrow, select, transpose, ...) share the
// storage; in-place methods write through it.
//
// This file is the core: constructors, shape, views, element access, copy. The math
// methods come from the class chain in the tensor_*.ts files (see tensor_base.ts):
// element loops (tensor_elementwise.ts), pointwise math (tensor_pointwise.ts), index
// and sort (tensor_index.ts), reductions (tensor_reduce.ts), matrix products
// (tensor_blas.ts), random fills (tensor_random.ts), the tfjs bridge (tensor_tf.ts).

import type * as tf from '@tensorflow/tfjs-core';
import { Storage } from './storage.js';
import {
  halfToNumber,
  isTensorType,
  numberToHalf,
  tensorClassName,
  typeFromClassName,
  type HostArray,
  type TensorType,
} from './types.js';
import {
  contiguousStrides,
  forEachStorageIndex,
  indexArray,
  isContiguousLayout,
  product,
} from './layout.js';
import { TensorTF } from './tensor_tf.js';
import { writeElement } from './tensor_elementwise.js';
import { describeArg } from './tensor_args.js';

export type NestedNumbers = number | NestedNumbers[];

let defaultType: TensorType = 'Double';

export function setDefaultTensorType(name: string): void {
  const parsed = typeFromClassName(name);
  if (!parsed || parsed.kind !== 'Tensor' || parsed.cuda) {
    throw new TypeError(`torch.setdefaulttensortype: expected a CPU tensor class such as 'torch.FloatTensor', got '${name}'`);
  }
  defaultType = parsed.type;
}

export function getDefaultTensorType(): string {
  return tensorClassName(defaultType);
}

export function defaultTensorType(): TensorType {
  return defaultType;
}

/**
 * A Torch7 tensor: a view (sizes, strides, 1-based storage offset) of a {@link Storage} of one
 * element type. Methods keep Torch's names, argument forms and meanings; dimensions and
 * indices count from 1. In-place methods return the tensor itself, so calls chain as in Lua
 * (`t.resize(2, 3).fill(1)`). Make one with `torch.FloatTensor(2, 3)` (or `torch.Tensor`,
 * the default type, Double unless `torch.setdefaulttensortype` says otherwise).
 */
export class Tensor extends TensorTF {
  /** The class this tensor was loaded as when it differs from the CPU one (e.g. 'torch.CudaTensor'). */
  sourceClass: string | undefined;

  /**
   * A view of `storage`; most code wants `torch.FloatTensor(...)`, {@link Tensor.create} or
   * {@link Tensor.fromStorage} instead.
   * @param type element type (default: the default tensor type, Double unless changed)
   * @param storage the storage viewed; null for a tensor without one (Torch's empty tensor)
   * @param offset 0-based offset of the first element in the storage
   * @param sizes size of each dimension (none: no dimensions)
   * @param strides step in the storage per dimension (default: contiguous, row-major)
   */
  constructor(type: TensorType = defaultType, storage: Storage | null = null, offset = 0, sizes: number[] = [], strides?: number[]) {
    super(type, storage, offset, sizes.slice(), strides ? strides.slice() : contiguousStrides(sizes));
    if (storage && storage.type !== type) {
      throw new TypeError(`a ${type} tensor cannot view a ${storage.type} storage`);
    }
  }

  /**
   * A new tensor of the given sizes (contents zero). As in Torch7, the dims end at the
   * first size 0: create(t, [0]) has no dimensions (Torch7 has no empty dims).
   */
  static create(type: TensorType, sizes: readonly number[] = []): Tensor {
    const dims = torchSizes(sizes, 'create');
    const n = dims.length === 0 ? 0 : product(dims);
    return new Tensor(type, new Storage(type, n), 0, dims);
  }

  /** A view of `storage` (offset is 0-based here; Torch's constructor takes it 1-based). */
  static fromStorage(storage: Storage, offset: number, sizes: readonly number[], strides?: readonly number[]): Tensor {
    return new Tensor(storage.type, storage, offset, sizes.slice(), strides?.slice());
  }

  /** A tensor holding nested arrays of numbers (a Lua table, in Torch). */
  static fromArray(type: TensorType, values: NestedNumbers): Tensor {
    const sizes: number[] = [];
    let probe: NestedNumbers = values;
    while (Array.isArray(probe)) {
      sizes.push(probe.length);
      probe = probe[0] as NestedNumbers;
      if (probe === undefined) break;
    }
    const flat = (values as NestedNumbers[]).flat(Infinity as 1) as number[];
    if (flat.length !== product(sizes)) {
      throw new RangeError(`inconsistent table: expected a rectangular table of sizes [${sizes.join(', ')}]`);
    }
    const t = Tensor.create(type, sizes);
    const d = t.storage_!.mutableData();
    flat.forEach((v, i) => writeElement(d, type, i, v));
    return t;
  }

  /**
   * A Float (or Int) tensor owning a tfjs tensor. layout 'NHWC' takes a 4-d NHWC
   * tensor as the contiguous NCHW tensor whose storage keeps it channels-last on the device.
   */
  static fromTF(t: tf.Tensor, layout: 'logical' | 'NHWC' = 'logical'): Tensor {
    const type: TensorType = t.dtype === 'float32' ? 'Float' : t.dtype === 'int32' ? 'Int' : 'Byte';
    const out = new Tensor(type, null, 0, []);
    out.setTF(t, layout);
    return out;
  }

  // ---- shape and storage ---------------------------------------------------

  /** Torch's class name: 'torch.FloatTensor', ... (or the CUDA class it was loaded as). */
  className(): string {
    return this.sourceClass ?? tensorClassName(this.elementType);
  }

  /** Torch's t:type(): with no argument the class name; with one, a converted tensor. */
  type(): string;
  type(name: string): Tensor;
  type(name?: string): string | Tensor {
    if (name === undefined) return this.className();
    const parsed = typeFromClassName(name);
    if (!parsed || parsed.kind !== 'Tensor') throw new TypeError(`type: expected a tensor class name, got '${name}'`);
    if (parsed.type === this.elementType && name === this.className()) return this;
    const out = Tensor.create(parsed.type, this.sizes_).copy(this);
    if (parsed.cuda) out.sourceClass = name;
    return out;
  }

  /** Torch's t:typeAs(other): this tensor converted to other's class (itself when it has it). */
  typeAs(other: Tensor): Tensor {
    return this.type(other.className());
  }

  /** This tensor as a DoubleTensor (itself when it is one; otherwise a converted copy). */
  double(): Tensor { return this.type('torch.DoubleTensor'); }
  /** This tensor as a FloatTensor (itself when it is one; otherwise a converted copy). */
  float(): Tensor { return this.type('torch.FloatTensor'); }
  /** This tensor as a HalfTensor (itself when it is one; otherwise a converted copy). */
  half(): Tensor { return this.type('torch.HalfTensor'); }
  /** This tensor as a LongTensor (itself when it is one; otherwise a copy, truncated like a C cast). */
  long(): Tensor { return this.type('torch.LongTensor'); }
  /** This tensor as an IntTensor (itself when it is one; otherwise a copy, truncated like a C cast). */
  int(): Tensor { return this.type('torch.IntTensor'); }
  /** This tensor as a ShortTensor (itself when it is one; otherwise a copy, truncated and wrapped like a C cast). */
  short(): Tensor { return this.type('torch.ShortTensor'); }
  /** This tensor as a CharTensor (itself when it is one; otherwise a copy, truncated and wrapped like a C cast). */
  char(): Tensor { return this.type('torch.CharTensor'); }
  /** This tensor as a ByteTensor (itself when it is one; otherwise a copy, truncated and wrapped like a C cast). */
  byte(): Tensor { return this.type('torch.ByteTensor'); }

  /** Torch's t:size(): all sizes, or the size of 1-based dim `d`. */
  size(): number[];
  size(d: number): number;
  size(d?: number): number | number[] {
    if (d === undefined) return this.sizes_.slice();
    return this.sizes_[this.checkDim(d, 'size')]!;
  }

  /** Torch's t:stride(): all strides (in elements), or the stride of 1-based dim `d`. */
  stride(): number[];
  stride(d: number): number;
  stride(d?: number): number | number[] {
    if (d === undefined) return this.strides_.slice();
    return this.strides_[this.checkDim(d, 'stride')]!;
  }

  /** The number of dimensions (0 for an empty tensor: Torch7 has no empty dims). */
  dim(): number {
    return this.sizes_.length;
  }

  /** The number of dimensions, as dim(). */
  nDimension(): number {
    return this.sizes_.length;
  }

  /** The number of elements (0 for a tensor without dimensions). */
  nElement(): number {
    return this.sizes_.length === 0 ? 0 : product(this.sizes_);
  }

  /** The number of elements, as nElement(). */
  numel(): number {
    return this.nElement();
  }

  /** The storage; a tensor that never had one gets an empty storage, as in Torch. */
  storage(): Storage {
    if (!this.storage_) this.storage_ = new Storage(this.elementType, 0);
    return this.storage_;
  }

  /** False for a tensor that never had a storage (storage() would create an empty one). */
  hasStorage(): boolean {
    return this.storage_ !== null;
  }

  /** 1-based, as Torch reports it. */
  storageOffset(): number {
    return this.offset_ + 1;
  }

  /** 0-based offset, for code that indexes the storage's array directly. */
  offset(): number {
    return this.offset_;
  }

  /** True when the elements lie in row-major order without gaps (size-1 dims' strides do not count, as in Torch). */
  isContiguous(): boolean {
    return isContiguousLayout(this.sizes_, this.strides_);
  }

  /** True when both tensors have the same sizes (strides and types may differ). */
  isSameSizeAs(other: Tensor): boolean {
    const a = this.sizes_;
    const b = other.sizes_;
    return a.length === b.length && a.every((s, i) => s === b[i]);
  }

  /** Torch's t:isSetTo(other): true when both view the same storage with the same offset, sizes and strides. */
  isSetTo(other: Tensor): boolean {
    return (
      this.storage_ !== null &&
      this.storage_ === other.storage_ &&
      this.offset_ === other.offset_ &&
      this.isSameSizeAs(other) &&
      this.strides_.every((s, i) => s === other.strides_[i])
    );
  }

  /**
   * Torch's t:set(): with a tensor, view what it views; with a storage, view it from
   * the 1-based offset with the given sizes and strides; with nothing, become empty.
   */
  set(source?: Tensor | Storage, storageOffset = 1, sizes?: readonly number[], strides?: readonly number[]): this {
    if (source === undefined) {
      this.storage_ = null;
      this.offset_ = 0;
      this.sizes_ = [];
      this.strides_ = [];
    } else if (source instanceof Tensor) {
      this.checkSameType(source, 'set');
      this.storage_ = source.storage_;
      this.offset_ = source.offset_;
      this.sizes_ = source.sizes_.slice();
      this.strides_ = source.strides_.slice();
    } else {
      if (source.type !== this.elementType) throw new TypeError(`set: a ${this.elementType} tensor cannot view a ${source.type} storage`);
      const sz = sizes ? sizes.slice() : [source.size() - (storageOffset - 1)];
      this.storage_ = source;
      this.offset_ = storageOffset - 1;
      this.sizes_ = sz;
      this.strides_ = strides ? strides.slice() : contiguousStrides(sz);
      this.checkInStorage('set');
    }
    return this;
  }

  /**
   * Torch's resize: a tensor that already has these sizes is left alone (strides
   * included); otherwise contiguous strides, storage grown (never shrunk) to fit. The
   * dims end at the first size 0, as in Torch7.
   */
  resize(...sizes: number[]): this {
    const given = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown as number[]) : sizes;
    const flat = torchSizes(given, 'resize');
    const same = this.sizes_.length === flat.length && this.sizes_.every((s, i) => s === flat[i]);
    if (same && (this.storage_ || flat.length === 0)) return this;
    this.sizes_ = flat.slice();
    this.strides_ = contiguousStrides(flat);
    const need = flat.length === 0 ? 0 : this.offset_ + product(flat);
    const storage = this.storage();
    if (storage.size() < need) storage.resize(need);
    return this;
  }

  /** Resizes to other's sizes (as resize: contiguous strides, the storage grown if needed, never shrunk). */
  resizeAs(other: Tensor): this {
    return this.resize(...other.sizes_);
  }

  // ---- views -----------------------------------------------------------------

  /** A view of `size` slices of 1-based dim `d` starting at 1-based `index`. */
  narrow(d: number, index: number, size: number): Tensor {
    const dim = this.checkDim(d, 'narrow');
    const n = this.sizes_[dim]!;
    if (!Number.isInteger(index) || !Number.isInteger(size) || index < 1 || size < 0 || index - 1 + size > n) {
      throw new RangeError(`narrow: dimension ${d} has size ${n}; cannot take ${size} from index ${index}`);
    }
    const sizes = this.sizes_.slice();
    sizes[dim] = size;
    return new Tensor(this.elementType, this.storage_, this.offset_ + (index - 1) * this.strides_[dim]!, sizes, this.strides_);
  }

  /** The slice at 1-based `index` of dim `d`, with that dim removed. */
  select(d: number, index: number): Tensor {
    if (this.sizes_.length <= 1) throw new RangeError('select: cannot select on a vector (use get)');
    const dim = this.checkDim(d, 'select');
    const n = this.sizes_[dim]!;
    if (!Number.isInteger(index) || index < 1 || index > n) {
      throw new RangeError(`select: index ${index} out of range for dimension ${d} of size ${n}`);
    }
    const sizes = this.sizes_.slice();
    const strides = this.strides_.slice();
    sizes.splice(dim, 1);
    strides.splice(dim, 1);
    return new Tensor(this.elementType, this.storage_, this.offset_ + (index - 1) * this.strides_[dim]!, sizes, strides);
  }

  /** Torch's sub(d1s, d1e, d2s, d2e, ...): inclusive 1-based ranges, negatives count from the end. */
  sub(...bounds: number[]): Tensor {
    if (bounds.length % 2 !== 0 || bounds.length / 2 > this.sizes_.length) {
      throw new RangeError(`sub: expected pairs of bounds for at most ${this.sizes_.length} dimensions, got ${bounds.length} numbers`);
    }
    let view: Tensor = this;
    for (let i = 0; i < bounds.length / 2; i++) {
      const n = this.sizes_[i]!;
      let first = bounds[2 * i]!;
      let last = bounds[2 * i + 1]!;
      if (first < 0) first = n + first + 1;
      if (last < 0) last = n + last + 1;
      view = view.narrow(i + 1, first, last - first + 1);
    }
    return view;
  }

  /** A contiguous view with new sizes; one size may be -1 (inferred). */
  view(...sizes: number[]): Tensor {
    const flat = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown as number[]) : sizes;
    if (!this.isContiguous()) throw new Error(`view: input is not contiguous (sizes [${this.sizes_}], strides [${this.strides_}])`);
    const n = this.nElement();
    const out = flat.slice();
    const infer = out.indexOf(-1);
    if (infer !== out.lastIndexOf(-1)) throw new RangeError('view: only one dimension can be inferred (-1)');
    if (infer >= 0) {
      const rest = product(out.filter((_, i) => i !== infer));
      if (rest === 0 || n % rest !== 0) throw new RangeError(`view: cannot infer a size for ${n} elements from [${flat}]`);
      out[infer] = n / rest;
    }
    if (product(out) !== n) throw new RangeError(`view: sizes [${flat}] hold ${product(out)} elements, the tensor has ${n}`);
    return new Tensor(this.elementType, this.storage_, this.offset_, out);
  }

  /** A view with other's sizes (this tensor must be contiguous; see view). */
  viewAs(other: Tensor): Tensor {
    return this.view(...other.sizes_);
  }

  /** Swaps 1-based dims d1 and d2 (a view). */
  transpose(d1: number, d2: number): Tensor {
    const a = this.checkDim(d1, 'transpose');
    const b = this.checkDim(d2, 'transpose');
    const sizes = this.sizes_.slice();
    const strides = this.strides_.slice();
    [sizes[a], sizes[b]] = [sizes[b]!, sizes[a]!];
    [strides[a], strides[b]] = [strides[b]!, strides[a]!];
    return new Tensor(this.elementType, this.storage_, this.offset_, sizes, strides);
  }

  /** The transpose of a 2-d tensor (a view: transpose(1, 2)). */
  t(): Tensor {
    if (this.sizes_.length !== 2) throw new RangeError(`t: expected a 2-d tensor, got ${this.sizes_.length} dims`);
    return this.transpose(1, 2);
  }

  /** All windows of `size` elements along dim d, `step` apart, as a new last dimension. */
  unfold(d: number, size: number, step: number): Tensor {
    const dim = this.checkDim(d, 'unfold');
    const n = this.sizes_[dim]!;
    if (size > n || step <= 0) throw new RangeError(`unfold: size ${size} and step ${step} do not fit dimension ${d} of size ${n}`);
    const sizes = this.sizes_.slice();
    const strides = this.strides_.slice();
    sizes[dim] = Math.floor((n - size) / step) + 1;
    strides[dim] = step * this.strides_[dim]!;
    sizes.push(size);
    strides.push(this.strides_[dim]!);
    return new Tensor(this.elementType, this.storage_, this.offset_, sizes, strides);
  }

  /**
   * Torch7's expand: a view where every size-1 dim takes the given size with stride 0
   * (even when the size stays 1); the number of sizes must equal dim().
   */
  expand(...sizes: number[]): Tensor {
    const flat = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown as number[]) : sizes;
    if (flat.length !== this.sizes_.length) {
      throw new RangeError(`expand: expected ${this.sizes_.length} sizes (the tensor's dim()), got [${flat.join(', ')}]`);
    }
    const strides = flat.map((s, i) => {
      const own = this.sizes_[i]!;
      if (!Number.isInteger(s) || s < 1) throw new RangeError(`expand: sizes must be positive integers, got [${flat.join(', ')}]`);
      if (own === 1) return 0;
      if (own === s) return this.strides_[i]!;
      throw new RangeError(`expand: dimension ${i + 1} has size ${own}; only size-1 dims can expand (to ${s})`);
    });
    return new Tensor(this.elementType, this.storage_, this.offset_, flat.slice(), strides);
  }

  /** expand to other's sizes (a view; only size-1 dims expand). */
  expandAs(other: Tensor): Tensor {
    return this.expand(...other.sizes_);
  }

  /** Removes singleton dims (all, or the 1-based dim given). */
  squeeze(d?: number): Tensor {
    const keep = this.sizes_.map((s, i) => (d === undefined ? s !== 1 : i !== this.checkDim(d, 'squeeze') || s !== 1));
    const sizes = this.sizes_.filter((_, i) => keep[i]);
    const strides = this.strides_.filter((_, i) => keep[i]);
    if (sizes.length === 0 && this.sizes_.length > 0) return new Tensor(this.elementType, this.storage_, this.offset_, [1], [1]);
    return new Tensor(this.elementType, this.storage_, this.offset_, sizes, strides);
  }

  /** Inserts a singleton dim before 1-based position d. */
  unsqueeze(d: number): Tensor {
    if (!Number.isInteger(d) || d < 1 || d > this.sizes_.length + 1) {
      throw new RangeError(`unsqueeze: dimension ${d} out of range for a ${this.sizes_.length}-d tensor`);
    }
    const sizes = this.sizes_.slice();
    const strides = this.strides_.slice();
    const inner = d - 1 < strides.length ? strides[d - 1]! * sizes[d - 1]! : 1;
    sizes.splice(d - 1, 0, 1);
    strides.splice(d - 1, 0, inner);
    return new Tensor(this.elementType, this.storage_, this.offset_, sizes, strides);
  }

  /** Itself when contiguous, otherwise a contiguous copy. */
  contiguous(): Tensor {
    return this.isContiguous() ? this : this.clone();
  }

  /** A contiguous copy with the same sizes and type (a new storage). */
  clone(): Tensor {
    const out = Tensor.create(this.elementType, this.sizes_).copy(this);
    out.sourceClass = this.sourceClass;
    return out;
  }

  // ---- elements ----------------------------------------------------------------

  /** The element at 1-based indices (Long values beyond 2^53 round, as in Lua). */
  get(...indices: number[]): number {
    const d = this.storage().data();
    const v = d[this.elementIndex(indices, 'get')]!;
    if (typeof v === 'bigint') return Number(v);
    return this.elementType === 'Half' ? halfToNumber(v) : v;
  }

  /** The exact 64-bit value of a Long element. */
  getBig(...indices: number[]): bigint {
    const d = this.storage().data();
    const v = d[this.elementIndex(indices, 'getBig')]!;
    return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  }

  /** Sets the element at 1-based indices: put(i, j, value). */
  put(...indicesAndValue: (number | bigint)[]): this {
    const value = indicesAndValue[indicesAndValue.length - 1]!;
    const idx = this.elementIndex(indicesAndValue.slice(0, -1) as number[], 'put');
    const d = this.storage().mutableData();
    writeElement(d, this.elementType, idx, value);
    return this;
  }

  /** Logical row-major values as numbers (Long values beyond 2^53 round). */
  values(): number[] {
    const d = this.storage().data();
    const out = new Array<number>(this.nElement());
    const half = this.elementType === 'Half';
    forEachStorageIndex(this.sizes_, this.strides_, this.offset_, (i, k) => {
      const v = d[i]!;
      out[k] = typeof v === 'bigint' ? Number(v) : half ? halfToNumber(v) : v;
    });
    return out;
  }

  /** Logical row-major values of a Long tensor, exact. */
  bigValues(): bigint[] {
    const d = this.storage().data();
    const out = new Array<bigint>(this.nElement());
    forEachStorageIndex(this.sizes_, this.strides_, this.offset_, (i, k) => {
      const v = d[i]!;
      out[k] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v as number));
    });
    return out;
  }

  /** Torch's totable(): nested arrays. */
  totable(): NestedNumbers {
    const flat = this.values();
    if (this.sizes_.length === 0) return [];
    let k = 0;
    const build = (dim: number): NestedNumbers => {
      const n = this.sizes_[dim]!;
      const out: NestedNumbers[] = [];
      for (let i = 0; i < n; i++) out.push(dim === this.sizes_.length - 1 ? flat[k++]! : build(dim + 1));
      return out;
    };
    return build(0);
  }

  /** Copies src's elements (same count, any shape, any type) into this tensor. */
  copy(src: Tensor): this {
    if (!(src instanceof Tensor)) throw new TypeError(`copy: expected a tensor, got ${describeArg(src)}`);
    const n = this.nElement();
    if (src.nElement() !== n) {
      throw new RangeError(`copy: expected a source of ${n} elements (sizes [${this.sizes_.join(', ')}]), got ${src.nElement()} elements (sizes [${src.sizes_.join(', ')}])`);
    }
    if (n === 0) return this;
    // Reading a device-home source syncs it; that is the one host<->device crossing.
    const from = src.storage_!.data();
    const storage = this.storage();
    const covers = this.isContiguous() && this.offset_ === 0 && n === storage.size() && storage !== src.storage_;
    const to = covers ? storage.overwriteData() : storage.mutableData();
    const sameKind = src.elementType === this.elementType;
    const srcContig = src.isContiguous();
    const dstContig = this.isContiguous();
    if (sameKind && srcContig && dstContig) {
      // TypedArray.set handles overlapping ranges of one buffer like memmove.
      (to as Float64Array).set((from as Float64Array).subarray(src.offset_, src.offset_ + n), this.offset_);
      return this;
    }
    const si = srcContig ? null : indexArray(src.sizes_, src.strides_, src.offset_);
    const di = dstContig ? null : indexArray(this.sizes_, this.strides_, this.offset_);
    if (from === to) {
      // Overlapping self-copy: read everything first.
      const tmp = allocLike(from, n);
      for (let k = 0; k < n; k++) (tmp as Float64Array)[k] = (from as Float64Array)[si ? si[k]! : src.offset_ + k]!;
      return this.copyFrom(tmp, src.elementType, null, 0, to, di);
    }
    return this.copyFrom(from, src.elementType, si, src.offset_, to, di);
  }

  /** Element conversion loop of copy (C casts between types; Long keeps 64 bits). */
  private copyFrom(from: HostArray, fromType: TensorType, si: Int32Array | null, so: number, to: HostArray, di: Int32Array | null): this {
    const n = this.nElement();
    const o = this.offset_;
    if (fromType === this.elementType) {
      const a = to as Float64Array;
      const b = from as Float64Array;
      for (let k = 0; k < n; k++) a[di ? di[k]! : o + k] = b[si ? si[k]! : so + k]!;
      return this;
    }
    const srcHalf = fromType === 'Half';
    const type = this.elementType;
    if (to instanceof BigInt64Array) {
      for (let k = 0; k < n; k++) {
        const v = from[si ? si[k]! : so + k]!;
        const num = typeof v === 'bigint' ? v : srcHalf ? halfToNumber(v) : v;
        writeElement(to, type, di ? di[k]! : o + k, num);
      }
      return this;
    }
    if (type === 'Half') {
      const h = to as Uint16Array;
      for (let k = 0; k < n; k++) {
        const v = from[si ? si[k]! : so + k]!;
        h[di ? di[k]! : o + k] = numberToHalf(typeof v === 'bigint' ? Number(v) : srcHalf ? halfToNumber(v) : v);
      }
      return this;
    }
    const a = to as Float64Array;
    const wrapping = type !== 'Float' && type !== 'Double';
    for (let k = 0; k < n; k++) {
      const v = from[si ? si[k]! : so + k]!;
      let x: number;
      if (typeof v === 'bigint') x = wrapping ? Number(BigInt.asIntN(32, v)) : Number(v);
      else x = srcHalf ? halfToNumber(v) : v;
      // Typed-array stores convert as C casts do in practice (truncate, wrap).
      a[di ? di[k]! : o + k] = x;
    }
    return this;
  }


  // -- conveniences Torch scripts use --

  /** Torch's t.new(...): an empty tensor of the same type, or one of the given sizes. */
  new(...sizes: number[]): Tensor {
    return Tensor.create(this.elementType, sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown as number[]) : sizes);
  }

  /** Torch's x:zeros(sizes): resize and fill with 0. */
  zeros(...sizes: number[]): this {
    return this.resize(...sizes).zero();
  }

  /** Torch's x:ones(sizes): resize and fill with 1. */
  ones(...sizes: number[]): this {
    return this.resize(...sizes).fill(1);
  }

  /** Torch's reshape: a new contiguous tensor with these sizes holding a copy of the elements. */
  reshape(...sizes: number[]): Tensor {
    const flat = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown as number[]) : sizes;
    const out = Tensor.create(this.elementType, flat);
    if (out.nElement() !== this.nElement()) {
      throw new RangeError(`reshape: sizes [${flat.join(', ')}] hold ${out.nElement()} elements, the tensor has ${this.nElement()}`);
    }
    return out.copy(this);
  }


  // ---- internals -------------------------------------------------------------------

  protected override newTensor(type: TensorType, sizes: readonly number[]): Tensor {
    return Tensor.create(type, sizes);
  }

  private checkInStorage(op: string): void {
    const n = this.nElement();
    if (n === 0) return;
    let last = this.offset_;
    this.sizes_.forEach((s, i) => (last += (s - 1) * this.strides_[i]!));
    if (this.offset_ < 0 || last >= this.storage().size()) {
      throw new RangeError(`${op}: the view reaches element ${last + 1} of a storage of size ${this.storage().size()}`);
    }
  }

  private elementIndex(indices: number[], op: string): number {
    if (indices.length !== this.sizes_.length) {
      throw new RangeError(`${op}: expected ${this.sizes_.length} indices, got ${indices.length}`);
    }
    let idx = this.offset_;
    indices.forEach((i, d) => {
      const n = this.sizes_[d]!;
      if (!Number.isInteger(i) || i < 1 || i > n) throw new RangeError(`${op}: index ${i} out of range for dimension ${d + 1} of size ${n}`);
      idx += (i - 1) * this.strides_[d]!;
    });
    return idx;
  }

}

/** Checks sizes and cuts them at the first 0, as THTensor_resizeNd does. */
function torchSizes(sizes: readonly number[], op: string): number[] {
  const out: number[] = [];
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`${op}: sizes must be non-negative integers, got [${sizes.join(', ')}]`);
  }
  for (const s of sizes) {
    if (s === 0) break;
    out.push(s);
  }
  return out;
}

function allocLike(a: HostArray, n: number): HostArray {
  return new (a.constructor as new (n: number) => HostArray)(n);
}


export { isTensor } from './tensor_base.js';
export { writeElement } from './tensor_elementwise.js';
export { isTensorType };
