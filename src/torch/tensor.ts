// A Torch tensor: a view (1-based storage offset, sizes, strides) into a Storage.
//
// The public API is Torch's, 1-based like Lua: dimensions and indices count from 1,
// storageOffset() is 1-based. Views (narrow, select, transpose, ...) share the
// storage; in-place methods write through it.

import * as tf from '@tensorflow/tfjs-core';
import { Storage, type ImageOrder } from './storage.js';
import {
  castNumber,
  halfToNumber,
  isFloatingType,
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
import { Generator, defaultGenerator, fillNormal, fillUniform, fillWith, randpermValues, type FillTarget } from './random.js';

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

export class Tensor {
  readonly elementType: TensorType;
  /** The class this tensor was loaded as when it differs from the CPU one (e.g. 'torch.CudaTensor'). */
  sourceClass: string | undefined;
  private storage_: Storage | null;
  /** 0-based offset into the storage. */
  private offset_: number;
  private sizes_: number[];
  private strides_: number[];

  constructor(type: TensorType = defaultType, storage: Storage | null = null, offset = 0, sizes: number[] = [], strides?: number[]) {
    this.elementType = type;
    this.storage_ = storage;
    this.offset_ = offset;
    this.sizes_ = sizes.slice();
    this.strides_ = strides ? strides.slice() : contiguousStrides(sizes);
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

  typeAs(other: Tensor): Tensor {
    return this.type(other.className());
  }

  double(): Tensor { return this.type('torch.DoubleTensor'); }
  float(): Tensor { return this.type('torch.FloatTensor'); }
  half(): Tensor { return this.type('torch.HalfTensor'); }
  long(): Tensor { return this.type('torch.LongTensor'); }
  int(): Tensor { return this.type('torch.IntTensor'); }
  short(): Tensor { return this.type('torch.ShortTensor'); }
  char(): Tensor { return this.type('torch.CharTensor'); }
  byte(): Tensor { return this.type('torch.ByteTensor'); }

  /** Torch's t:size(): all sizes, or the size of 1-based dim `d`. */
  size(): number[];
  size(d: number): number;
  size(d?: number): number | number[] {
    if (d === undefined) return this.sizes_.slice();
    return this.sizes_[this.checkDim(d, 'size')]!;
  }

  stride(): number[];
  stride(d: number): number;
  stride(d?: number): number | number[] {
    if (d === undefined) return this.strides_.slice();
    return this.strides_[this.checkDim(d, 'stride')]!;
  }

  dim(): number {
    return this.sizes_.length;
  }

  nDimension(): number {
    return this.sizes_.length;
  }

  nElement(): number {
    return this.sizes_.length === 0 ? 0 : product(this.sizes_);
  }

  numel(): number {
    return this.nElement();
  }

  /** The storage; a tensor that never had one gets an empty storage, as in Torch. */
  storage(): Storage {
    if (!this.storage_) this.storage_ = new Storage(this.elementType, 0);
    return this.storage_;
  }

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

  isContiguous(): boolean {
    return isContiguousLayout(this.sizes_, this.strides_);
  }

  isSameSizeAs(other: Tensor): boolean {
    const a = this.sizes_;
    const b = other.sizes_;
    return a.length === b.length && a.every((s, i) => s === b[i]);
  }

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

  // ---- math (element-wise, reductions, comparisons) ----------------------------
  //
  // Host math with Torch7's semantics. Scalar arguments are first converted to the
  // tensor's `real` type as the C binding does (Float rounds to float32, integer types
  // truncate and wrap like a C cast, Long is exact with bigint). Float results are
  // rounded to float32 after every C operation; sums accumulate in double (accreal).
  // Element-wise ops need the same number of elements, not the same shape (Torch7).

  /** Fills every element with `value`. */
  fill(value: number | bigint): this {
    const n = this.nElement();
    if (n === 0) return this;
    const storage = this.storage();
    const covers = this.isContiguous() && this.offset_ === 0 && n === storage.size();
    // A fill that covers the whole storage need not download a device copy first.
    const d = covers ? storage.overwriteData() : storage.mutableData();
    if (d instanceof BigInt64Array) {
      const v = this.realBig(value, 'fill');
      if (this.isContiguous()) d.fill(v, this.offset_, this.offset_ + n);
      else for (const i of indexArray(this.sizes_, this.strides_, this.offset_)) d[i] = v;
      return this;
    }
    const v = this.elementType === 'Half' ? numberToHalf(this.real(value, 'fill')) : this.real(value, 'fill');
    if (this.isContiguous()) (d as Float64Array).fill(v, this.offset_, this.offset_ + n);
    else {
      const a = d as Float64Array;
      for (const i of indexArray(this.sizes_, this.strides_, this.offset_)) a[i] = v;
    }
    return this;
  }

  zero(): this {
    return this.fill(0);
  }

  /**
   * Torch's add: add(value), add(src) (this += src), add(value, src) (this += value*src),
   * and the result forms add(t, value) (this = t + value), add(t, src), add(t, value, src).
   */
  add(value: number | bigint): this;
  add(src: Tensor): this;
  add(value: number | bigint, src: Tensor): this;
  add(t: Tensor, value: number | bigint): this;
  add(t: Tensor, src: Tensor): this;
  add(t: Tensor, value: number | bigint, src: Tensor): this;
  add(...args: (number | bigint | Tensor)[]): this {
    const [t, value, src] = parseAddArgs('add', args);
    return this.caddFrom('add', t, value, src, false);
  }

  /** Torch's csub: csub(value) (this -= value), csub(src), csub(value, src) (this -= value*src), and result forms. */
  csub(value: number | bigint): this;
  csub(src: Tensor): this;
  csub(value: number | bigint, src: Tensor): this;
  csub(t: Tensor, value: number | bigint): this;
  csub(t: Tensor, src: Tensor): this;
  csub(t: Tensor, value: number | bigint, src: Tensor): this;
  csub(...args: (number | bigint | Tensor)[]): this {
    const [t, value, src] = parseAddArgs('csub', args);
    return this.caddFrom('csub', t, value, src, true);
  }

  /** mul(value) in place, or mul(t, value): this = t * value. */
  mul(value: number | bigint): this;
  mul(t: Tensor, value: number | bigint): this;
  mul(a: number | bigint | Tensor, b?: number | bigint): this {
    const [t, value] = a instanceof Tensor ? [a, b] : [this, a];
    if (value === undefined) throw new TypeError('mul: expected (value) or (tensor, value), got (tensor)');
    this.fromSource('mul', t);
    const kind = kindOf(this.elementType);
    if (kind === 'long') {
      const v = this.realBig(value, 'mul');
      return this.map1('mul', NO_NUMBER, (x) => x * v);
    }
    const v = this.real(value, 'mul');
    if ((kind === 'f32' || kind === 'f64') && this.isContiguous()) {
      scaleContiguous(this.storage().mutableData() as Float32Array | Float64Array, this.offset_, this.nElement(), v);
      return this;
    }
    if (kind === 'int32') return this.map1('mul', (x) => Math.imul(x, v));
    return this.map1('mul', (x) => x * v);
  }

  /** div(value) in place, or div(t, value): this = t / value (integer types truncate like C). */
  div(value: number | bigint): this;
  div(t: Tensor, value: number | bigint): this;
  div(a: number | bigint | Tensor, b?: number | bigint): this {
    const [t, value] = a instanceof Tensor ? [a, b] : [this, a];
    if (value === undefined) throw new TypeError('div: expected (value) or (tensor, value), got (tensor)');
    this.fromSource('div', t);
    const kind = kindOf(this.elementType);
    if (kind === 'long') {
      const v = this.realBig(value, 'div');
      if (v === 0n) throw new RangeError(`div: integer division by zero in a ${this.className()}`);
      return this.map1('div', NO_NUMBER, (x) => x / v);
    }
    const v = this.real(value, 'div');
    if (kind === 'int32' || kind === 'small') {
      if (v === 0) throw new RangeError(`div: integer division by zero in a ${this.className()}`);
      return this.map1('div', (x) => Math.trunc(x / v));
    }
    return this.map1('div', (x) => x / v);
  }

  /** cmul(src): this *= src element-wise; cmul(a, b): this = a * b. */
  cmul(src: Tensor): this;
  cmul(a: Tensor, b: Tensor): this;
  cmul(a: Tensor, b?: Tensor): this {
    const src = b === undefined ? a : this.fromSource('cmul', a, b)[0]!;
    const kind = kindOf(this.elementType);
    if ((kind === 'f32' || kind === 'f64') && this.isContiguous() && src.isContiguous() && src.elementType === this.elementType) {
      this.checkCount('cmul', src);
      const d = this.storage().mutableData() as Float64Array;
      const s = src.storage().data() as Float64Array;
      cmulContiguous(d, this.offset_, s, src.offset_, this.nElement());
      return this;
    }
    if (kind === 'int32') return this.zip2('cmul', src, (x, y) => Math.imul(x, y));
    return this.zip2('cmul', src, (x, y) => x * y, (x, y) => x * y);
  }

  /** cdiv(src): this /= src element-wise; cdiv(a, b): this = a / b. */
  cdiv(src: Tensor): this;
  cdiv(a: Tensor, b: Tensor): this;
  cdiv(a: Tensor, b?: Tensor): this {
    const src = b === undefined ? a : this.fromSource('cdiv', a, b)[0]!;
    const kind = kindOf(this.elementType);
    if (kind === 'int32' || kind === 'small') {
      return this.zip2('cdiv', src, (x, y) => {
        if (y === 0) throw new RangeError(`cdiv: integer division by zero in a ${this.className()}`);
        return Math.trunc(x / y);
      });
    }
    return this.zip2('cdiv', src, (x, y) => x / y, (x, y) => {
      if (y === 0n) throw new RangeError(`cdiv: integer division by zero in a ${this.className()}`);
      return x / y;
    });
  }

  /** addcmul([t,] [value,] t1, t2): this (= t) += value * t1 * t2. */
  addcmul(t1: Tensor, t2: Tensor): this;
  addcmul(value: number | bigint, t1: Tensor, t2: Tensor): this;
  addcmul(t: Tensor, t1: Tensor, t2: Tensor): this;
  addcmul(t: Tensor, value: number | bigint, t1: Tensor, t2: Tensor): this;
  addcmul(...args: (number | bigint | Tensor)[]): this {
    const [t, value, a1, a2] = parseAddcArgs('addcmul', args, this);
    const [t1, t2] = this.fromSource('addcmul', t, a1, a2) as [Tensor, Tensor];
    const kind = kindOf(this.elementType);
    if (kind === 'long') {
      const v = this.realBig(value, 'addcmul');
      return this.zip3('addcmul', t1, t2, NO_NUMBER3, (x, a, b) => x + v * a * b);
    }
    const v = this.real(value, 'addcmul');
    if (kind === 'f32') {
      if (this.isContiguous() && t1.isContiguous() && t2.isContiguous() && t1.elementType === 'Float' && t2.elementType === 'Float') {
        this.checkCount('addcmul', t1, t2);
        addcmulF32(this.storage().mutableData() as Float32Array, this.offset_, t1.storage().data() as Float32Array, t1.offset_, t2.storage().data() as Float32Array, t2.offset_, this.nElement(), v);
        return this;
      }
      return this.zip3('addcmul', t1, t2, (x, a, b) => x + Math.fround(Math.fround(v * a) * b));
    }
    if (kind === 'int32') return this.zip3('addcmul', t1, t2, (x, a, b) => x + Math.imul(Math.imul(v, a), b));
    return this.zip3('addcmul', t1, t2, (x, a, b) => x + v * a * b);
  }

  /** addcdiv([t,] [value,] t1, t2): this (= t) += value * t1 / t2. */
  addcdiv(t1: Tensor, t2: Tensor): this;
  addcdiv(value: number | bigint, t1: Tensor, t2: Tensor): this;
  addcdiv(t: Tensor, t1: Tensor, t2: Tensor): this;
  addcdiv(t: Tensor, value: number | bigint, t1: Tensor, t2: Tensor): this;
  addcdiv(...args: (number | bigint | Tensor)[]): this {
    const [t, value, a1, a2] = parseAddcArgs('addcdiv', args, this);
    const [t1, t2] = this.fromSource('addcdiv', t, a1, a2) as [Tensor, Tensor];
    const kind = kindOf(this.elementType);
    const zero = (): never => {
      throw new RangeError(`addcdiv: integer division by zero in a ${this.className()}`);
    };
    if (kind === 'long') {
      const v = this.realBig(value, 'addcdiv');
      return this.zip3('addcdiv', t1, t2, NO_NUMBER3, (x, a, b) => (b === 0n ? zero() : x + (v * a) / b));
    }
    const v = this.real(value, 'addcdiv');
    if (kind === 'f32') return this.zip3('addcdiv', t1, t2, (x, a, b) => x + Math.fround(Math.fround(v * a) / b));
    if (kind === 'int32') return this.zip3('addcdiv', t1, t2, (x, a, b) => (b === 0 ? zero() : x + Math.trunc(Math.imul(v, a) / b)));
    if (kind === 'small') return this.zip3('addcdiv', t1, t2, (x, a, b) => (b === 0 ? zero() : x + Math.trunc((v * a) / b)));
    return this.zip3('addcdiv', t1, t2, (x, a, b) => x + (v * a) / b);
  }

  /** -x (in place, or this = -src). */
  neg(src?: Tensor): this {
    return this.unary('neg', src, (x) => -x, (x) => -x);
  }

  abs(src?: Tensor): this {
    return this.unary('abs', src, Math.abs, (x) => (x < 0n ? -x : x));
  }

  /** 1 for positive, -1 for negative, 0 otherwise (ByteTensor: 1 or 0). */
  sign(src?: Tensor): this {
    return this.unary('sign', src, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n));
  }

  sqrt(src?: Tensor): this { return this.floatingUnary('sqrt', src, Math.sqrt); }
  exp(src?: Tensor): this { return this.floatingUnary('exp', src, Math.exp); }
  log(src?: Tensor): this { return this.floatingUnary('log', src, Math.log); }
  log1p(src?: Tensor): this { return this.floatingUnary('log1p', src, Math.log1p); }
  tanh(src?: Tensor): this { return this.floatingUnary('tanh', src, Math.tanh); }
  floor(src?: Tensor): this { return this.floatingUnary('floor', src, Math.floor); }
  ceil(src?: Tensor): this { return this.floatingUnary('ceil', src, Math.ceil); }
  /** Rounds half away from zero, like C's round(). */
  round(src?: Tensor): this { return this.floatingUnary('round', src, (x) => Math.sign(x) * Math.round(Math.abs(x))); }
  trunc(src?: Tensor): this { return this.floatingUnary('trunc', src, Math.trunc); }
  sigmoid(src?: Tensor): this {
    const r = this.roundFn();
    return this.floatingUnary('sigmoid', src, (x) => 1 / r(1 + r(Math.exp(-x))));
  }
  /** 1 / x */
  cinv(src?: Tensor): this { return this.floatingUnary('cinv', src, (x) => 1 / x); }
  /** 1 / sqrt(x) */
  rsqrt(src?: Tensor): this {
    const r = this.roundFn();
    return this.floatingUnary('rsqrt', src, (x) => 1 / r(Math.sqrt(x)));
  }

  /** pow(value) in place, or pow(t, value): this = t ^ value (Torch's special cases for 2, 3, ±0.5, -1, -2). */
  pow(value: number): this;
  pow(t: Tensor, value: number): this;
  pow(a: number | Tensor, b?: number): this {
    const [t, value] = a instanceof Tensor ? [a, b] : [undefined, a];
    if (typeof value !== 'number') throw new TypeError(`pow: expected a number exponent, got ${describeArg(value)}`);
    const p = this.real(value, 'pow');
    const r = this.roundFn();
    let f: (x: number) => number;
    if (p === 1) f = (x) => x;
    else if (p === 2) f = (x) => x * x;
    else if (p === 3) f = (x) => r(x * x) * x;
    else if (p === 0.5) f = Math.sqrt;
    else if (p === -0.5) f = (x) => 1 / r(Math.sqrt(x));
    else if (p === -1) f = (x) => 1 / x;
    else if (p === -2) f = (x) => 1 / r(x * x);
    else f = (x) => Math.pow(x, p);
    return this.floatingUnary('pow', t, f);
  }

  /** Clamps every element into [min, max] (clamp(t, min, max) is the result form). */
  clamp(min: number, max: number): this;
  clamp(t: Tensor, min: number, max: number): this;
  clamp(a: number | Tensor, b: number, c?: number): this {
    const [t, lo, hi] = a instanceof Tensor ? [a, b, c] : [undefined, a, b];
    if (typeof lo !== 'number' || typeof hi !== 'number') throw new TypeError(`clamp: expected (min, max) numbers, got (${describeArg(lo)}, ${describeArg(hi)})`);
    if (this.elementType === 'Long') {
      const l = this.realBig(lo, 'clamp');
      const h = this.realBig(hi, 'clamp');
      return this.unary('clamp', t, NO_NUMBER, (x) => (x < l ? l : x > h ? h : x));
    }
    const l = this.real(lo, 'clamp');
    const h = this.real(hi, 'clamp');
    return this.unary('clamp', t, (x) => (x < l ? l : x > h ? h : x));
  }

  /** Element-wise maximum with a tensor or a value (cmax(a, b) is the result form). */
  cmax(other: Tensor | number): this;
  cmax(a: Tensor, b: Tensor | number): this;
  cmax(a: Tensor | number, b?: Tensor | number): this {
    return this.cextreme('cmax', a, b, (x, y) => (x > y ? x : y), (x, y) => (x > y ? x : y));
  }

  /** Element-wise minimum with a tensor or a value (cmin(a, b) is the result form). */
  cmin(other: Tensor | number): this;
  cmin(a: Tensor, b: Tensor | number): this;
  cmin(a: Tensor | number, b?: Tensor | number): this {
    return this.cextreme('cmin', a, b, (x, y) => (x < y ? x : y), (x, y) => (x < y ? x : y));
  }

  /** Sets elements where the ByteTensor mask is 1 (the mask needs as many elements; only 0 and 1 allowed). */
  maskedFill(mask: Tensor, value: number | bigint): this {
    this.checkMask('maskedFill', mask);
    const long = this.elementType === 'Long';
    const vb = long ? this.realBig(value, 'maskedFill') : 0n;
    const vn = long ? 0 : this.real(value, 'maskedFill');
    const m = mask.byteValues('maskedFill');
    if (long) return this.map1K('maskedFill', NO_NUMBER_K, (x, k) => (m[k] ? vb : x));
    return this.map1K('maskedFill', (x, k) => (m[k] ? vn : x));
  }

  /** A 1-d tensor of the elements where the ByteTensor mask is 1. */
  maskedSelect(mask: Tensor): Tensor {
    this.checkMask('maskedSelect', mask);
    const m = mask.byteValues('maskedSelect');
    let count = 0;
    for (const b of m) count += b;
    const out = Tensor.create(this.elementType, [count]);
    const src = this.storage().data();
    const dst = out.storage().mutableData();
    const idx = indexArray(this.sizes_, this.strides_, this.offset_);
    let j = 0;
    for (let k = 0; k < idx.length; k++) if (m[k]) (dst as Float64Array)[j++] = (src as Float64Array)[idx[k]!]!;
    return out;
  }

  // -- reductions --

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
    const out = Tensor.create(this.elementType, outSizes);
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
    const out = Tensor.create(this.elementType, outSizes);
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
    const out = Tensor.create(this.elementType, this.sizes_);
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

  eq(other: Tensor | number | bigint): Tensor { return this.compare('eq', other, (a, b) => a === b, (a, b) => a === b); }
  ne(other: Tensor | number | bigint): Tensor { return this.compare('ne', other, (a, b) => a !== b, (a, b) => a !== b); }
  gt(other: Tensor | number | bigint): Tensor { return this.compare('gt', other, (a, b) => a > b, (a, b) => a > b); }
  lt(other: Tensor | number | bigint): Tensor { return this.compare('lt', other, (a, b) => a < b, (a, b) => a < b); }
  ge(other: Tensor | number | bigint): Tensor { return this.compare('ge', other, (a, b) => a >= b, (a, b) => a >= b); }
  le(other: Tensor | number | bigint): Tensor { return this.compare('le', other, (a, b) => a <= b, (a, b) => a <= b); }

  // -- sorting and selection --

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
    const out = Tensor.create(this.elementType, sizes);
    idx.forEach((p, k) => out.narrow(dim, k + 1, 1).copy(this.narrow(dim, p, 1)));
    return out;
  }

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

  // -- matrix products (host; Float and Double accumulate in double) --

  /** this = m1 · m2 (resized to m1.size(1) x m2.size(2)). */
  mm(m1: Tensor, m2: Tensor): this {
    this.checkMatrices('mm', [m1, 2], [m2, 2]);
    this.resize(m1.sizes_[0]!, m2.sizes_[1]!);
    return this.gemm('mm', 0, this, 1, m1, m2);
  }

  /**
   * Torch's method addmm: this = beta * M + alpha * (m1 · m2), with M = this unless given:
   * addmm(m1, m2), addmm(alpha, m1, m2), addmm(M, m1, m2), addmm(M, alpha, m1, m2),
   * addmm(beta, alpha, m1, m2), addmm(beta, M, alpha, m1, m2).
   */
  addmm(...args: (number | Tensor)[]): this {
    const [beta, M, alpha, m1, m2] = parseBlasArgs('addmm', args, this);
    this.checkMatrices('addmm', [M, 2], [m1, 2], [m2, 2]);
    return this.gemm('addmm', beta, M, alpha, m1, m2);
  }

  /** this = mat · vec (resized to mat.size(1)). */
  mv(mat: Tensor, vec: Tensor): this {
    this.checkMatrices('mv', [mat, 2], [vec, 1]);
    this.resize(mat.sizes_[0]!);
    return this.gemm('mv', 0, this, 1, mat, vec);
  }

  /** this = beta * v + alpha * (mat · vec); argument forms as addmm. */
  addmv(...args: (number | Tensor)[]): this {
    const [beta, v, alpha, mat, vec] = parseBlasArgs('addmv', args, this);
    this.checkMatrices('addmv', [v, 1], [mat, 2], [vec, 1]);
    return this.gemm('addmv', beta, v, alpha, mat, vec);
  }

  /** this = beta * M + alpha * (v1 ⊗ v2); argument forms as addmm. */
  addr(...args: (number | Tensor)[]): this {
    const [beta, M, alpha, v1, v2] = parseBlasArgs('addr', args, this);
    this.checkMatrices('addr', [M, 2], [v1, 1], [v2, 1]);
    return this.gemm('addr', beta, M, alpha, v1, v2);
  }

  /** this = v1 ⊗ v2 (outer product, resized to fit). */
  ger(v1: Tensor, v2: Tensor): this {
    this.checkMatrices('ger', [v1, 1], [v2, 1]);
    this.resize(v1.sizes_[0]!, v2.sizes_[0]!);
    return this.gemm('ger', 0, this, 1, v1, v2);
  }

  /**
   * Torch's res:cat(tensors, dim): this becomes the tensors joined along 1-based dim
   * (default: the last dim of the first tensor); other sizes must agree.
   */
  cat(tensors: Tensor[], dim?: number): this {
    const parts = tensors.filter((t) => t.nElement() > 0);
    if (tensors.some((t) => !(t instanceof Tensor))) throw new TypeError(`cat: expected an array of tensors, got [${tensors.map(describeArg).join(', ')}]`);
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

  /**
   * Torch's apply: calls fn on every element in logical order (Long elements as numbers);
   * a number it returns replaces the element.
   */
  apply(fn: (x: number) => number | void): this {
    const long = this.elementType === 'Long';
    return this.map1K('apply', (x) => {
      const r = fn(x);
      return typeof r === 'number' ? r : x;
    }, long ? (x) => {
      const r = fn(Number(x));
      return typeof r === 'number' ? BigInt(Math.trunc(r)) : x;
    } : undefined);
  }

  /** Torch's map: this[i] = fn(this[i], other[i]) (a number result replaces the element). */
  map(other: Tensor, fn: (x: number, y: number) => number | void): this {
    const long = this.elementType === 'Long';
    return this.zip2('map', other, (x, y) => {
      const r = fn(x, y);
      return typeof r === 'number' ? r : x;
    }, long ? (x, y) => {
      const r = fn(Number(x), Number(y));
      return typeof r === 'number' ? BigInt(Math.trunc(r)) : x;
    } : undefined);
  }

  // -- math internals --

  /** A Lua number argument as this tensor's `real` (not for Long). */
  private real(v: unknown, op: string): number {
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v !== 'number') throw new TypeError(`${op}: expected a number, got ${describeArg(v)}`);
    return castNumber(this.elementType, v);
  }

  /** A Lua number (or bigint) argument as a Long value (truncated like a C cast, wrapped to 64 bits). */
  private realBig(v: unknown, op: string): bigint {
    if (typeof v === 'bigint') return BigInt.asIntN(64, v);
    if (typeof v !== 'number') throw new TypeError(`${op}: expected a number, got ${describeArg(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`${op}: a LongTensor cannot hold ${v}`);
    return BigInt.asIntN(64, BigInt(Math.trunc(v)));
  }

  /** Rounds like this type's C arithmetic between two operations (float32 for Float). */
  private roundFn(): (x: number) => number {
    return this.elementType === 'Float' ? Math.fround : this.elementType === 'Half' ? (x) => halfToNumber(numberToHalf(x)) : identity;
  }

  private readFn(): (d: HostArray, i: number) => number {
    if (this.elementType === 'Half') return (d, i) => halfToNumber((d as Uint16Array)[i]!);
    if (this.elementType === 'Long') return (d, i) => Number((d as BigInt64Array)[i]!);
    return (d, i) => (d as Float64Array)[i]!;
  }

  private writeFn(d: HostArray): (i: number, v: number) => void {
    if (d instanceof BigInt64Array) return (i, v) => (d[i] = BigInt(Math.trunc(v)));
    if (this.elementType === 'Half') return (i, v) => ((d as Uint16Array)[i] = numberToHalf(v));
    return (i, v) => ((d as Float64Array)[i] = v);
  }

  /** Calls fn with every element as a number, in logical order. */
  private forEachNumber(fn: (x: number) => void): void {
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

  private requireFloating(op: string): void {
    if (!isFloatingType(this.elementType)) {
      throw new TypeError(`${op}: expected a floating-point tensor (Float, Double or Half), got a ${this.className()} (Torch7 defines ${op} only for floating types)`);
    }
  }

  private checkCount(op: string, ...others: Tensor[]): void {
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
  private fromSource(op: string, t: Tensor, ...others: Tensor[]): Tensor[] {
    if (t === this) return others;
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(t)}`);
    this.checkSameType(t, op);
    const safe = others.map((o) => (o instanceof Tensor && this.storage_ !== null && o.storage_ === this.storage_ ? o.clone() : o));
    if (!this.isSameSizeAs(t)) this.resizeAs(t);
    this.copy(t);
    return safe;
  }

  private caddFrom(op: string, t: Tensor | null, value: number | bigint, operand: Tensor | null, negate: boolean): this {
    const src = t !== null && t !== this && operand !== null ? this.fromSource(op, t, operand)[0]! : operand;
    if (t !== null && t !== this && operand === null) this.fromSource(op, t);
    const kind = kindOf(this.elementType);
    if (src === null) {
      if (kind === 'long') {
        const v = this.realBig(value, op);
        const w = negate ? -v : v;
        return this.map1(op, NO_NUMBER, (x) => x + w);
      }
      const v = this.real(value, op);
      const w = negate ? this.real(-v, op) : v;
      if ((kind === 'f32' || kind === 'f64') && this.isContiguous()) {
        addScalarContiguous(this.storage().mutableData() as Float32Array | Float64Array, this.offset_, this.nElement(), w);
        return this;
      }
      return this.map1(op, (x) => x + w);
    }
    if (!(src instanceof Tensor)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(src)}`);
    this.checkSameType(src, op);
    if (kind === 'long') {
      const v = this.realBig(value, op);
      const w = negate ? -v : v;
      return this.zip2(op, src, NO_NUMBER2, w === 1n ? (x, y) => x + y : (x, y) => x + w * y);
    }
    const v = this.real(value, op);
    const w = negate ? this.real(-v, op) : v;
    if ((kind === 'f32' || kind === 'f64') && this.isContiguous() && src.isContiguous()) {
      this.checkCount(op, src);
      // TH runs BLAS axpy here: w*y rounded, then the sum rounded (no fused multiply-add;
      // the optim.sgd fixtures match this bit for bit and not an FMA).
      const d = this.storage().mutableData();
      const s = src.storage().data();
      if (kind === 'f32') axpyF32(d as Float32Array, this.offset_, s as Float32Array, src.offset_, this.nElement(), w);
      else axpyF64(d as Float64Array, this.offset_, s as Float64Array, src.offset_, this.nElement(), w);
      return this;
    }
    if (kind === 'f32') return this.zip2(op, src, (x, y) => x + Math.fround(w * y));
    if (kind === 'int32') return this.zip2(op, src, (x, y) => x + Math.imul(w, y));
    return this.zip2(op, src, (x, y) => x + w * y);
  }

  private cextreme(op: string, a: Tensor | number, b: Tensor | number | undefined, fn: (x: number, y: number) => number, fb: (x: bigint, y: bigint) => bigint): this {
    let other: Tensor | number;
    if (b !== undefined) {
      if (!(a instanceof Tensor)) throw new TypeError(`${op}: expected (tensor, tensor|value), got (${describeArg(a)}, ${describeArg(b)})`);
      other = b instanceof Tensor ? this.fromSource(op, a, b)[0]! : (this.fromSource(op, a), b);
    } else other = a;
    if (other instanceof Tensor) return this.zip2(op, other, fn, fb);
    if (this.elementType === 'Long') {
      const v = this.realBig(other, op);
      return this.map1(op, NO_NUMBER, (x) => fb(x, v));
    }
    const v = this.real(other, op);
    return this.map1(op, (x) => fn(x, v));
  }

  private unary(op: string, src: Tensor | undefined, fn: (x: number) => number, fb?: (x: bigint) => bigint): this {
    if (src === undefined || src === this) return this.map1(op, fn, fb);
    if (!(src instanceof Tensor)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(src)}`);
    this.checkSameType(src, op);
    if (!this.isSameSizeAs(src)) this.resizeAs(src);
    return this.zip2(op, src, (_x, y) => fn(y), fb && ((_x, y) => fb(y)));
  }

  private floatingUnary(op: string, src: Tensor | undefined, fn: (x: number) => number): this {
    this.requireFloating(op);
    return this.unary(op, src, fn);
  }

  /** this[i] = f(this[i]) for every element, in logical order. */
  private map1(op: string, fn: (x: number) => number, fb?: (x: bigint) => bigint): this {
    return this.map1K(op, fn, fb && ((x) => fb(x)));
  }

  private map1K(op: string, fn: (x: number, k: number) => number, fb?: (x: bigint, k: number) => bigint): this {
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
  private zip2(op: string, src: Tensor, fn: (x: number, y: number) => number, fb?: (x: bigint, y: bigint) => bigint): this {
    if (!(src instanceof Tensor)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(src)}`);
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
  private zip3(op: string, t1: Tensor, t2: Tensor, fn: (x: number, y: number, z: number) => number, fb?: (x: bigint, y: bigint, z: bigint) => bigint): this {
    for (const t of [t1, t2]) {
      if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a tensor, got ${describeArg(t)}`);
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

  private checkMask(op: string, mask: Tensor): void {
    if (!(mask instanceof Tensor) || mask.elementType !== 'Byte') throw new TypeError(`${op}: expected a ByteTensor mask, got ${mask instanceof Tensor ? `a ${mask.className()}` : describeArg(mask)}`);
    this.checkCount(op, mask);
  }

  /** A Byte mask's values, checked to be 0 or 1 as TH requires. */
  private byteValues(op: string): Uint8Array {
    const v = Uint8Array.from(this.values());
    for (const b of v) if (b > 1) throw new RangeError(`${op}: the mask may hold only 0 and 1, found ${b}`);
    return v;
  }

  /** Bases of every 1-d slice along 1-based dim (in the logical order of a keepdim result). */
  private slices(dim: number, op: string): { bases: Int32Array; size: number; stride: number; outSizes: number[] } {
    const d0 = this.checkDim(dim, op);
    const outSizes = this.sizes_.slice();
    outSizes[d0] = 1;
    return { bases: indexArray(outSizes, this.strides_, this.offset_), size: this.sizes_[d0]!, stride: this.strides_[d0]!, outSizes };
  }

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
    const values = Tensor.create(this.elementType, outSizes);
    const indices = Tensor.create('Long', outSizes);
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
    const out = Tensor.create(this.elementType, outSizes);
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
    const out = Tensor.create('Byte', this.sizes_);
    const o = out.storage().mutableData() as Uint8Array;
    if (this.elementType === 'Long') {
      const a = this.bigValues();
      if (other instanceof Tensor) {
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
    if (other instanceof Tensor) {
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
  private selectAlong(op: string, dim: number, keep: number, descending: boolean): [Tensor, Tensor] {
    const { bases, size, stride } = this.slices(dim, op);
    const d0 = dim - 1;
    const outSizes = this.sizes_.slice();
    outSizes[d0] = keep;
    const values = Tensor.create(this.elementType, outSizes);
    const indices = Tensor.create('Long', outSizes);
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
    if (!(index instanceof Tensor) || index.elementType !== 'Long' || index.sizes_.length > 1) {
      throw new TypeError(`${op}: expected a 1-d LongTensor index, got ${index instanceof Tensor ? `a ${index.sizes_.length}-d ${index.className()}` : describeArg(index)}`);
    }
    const n = this.sizes_[d0]!;
    return index.values().map((p) => {
      if (!Number.isInteger(p) || p < 1 || p > n) throw new RangeError(`${op}: index ${p} out of range for dimension ${d0 + 1} of size ${n}`);
      return p;
    });
  }

  private checkMatrices(op: string, ...mats: [Tensor, number][]): void {
    mats.forEach(([m, dims], i) => {
      if (!(m instanceof Tensor)) throw new TypeError(`${op}: argument ${i + 1} should be a tensor, got ${describeArg(m)}`);
      this.checkSameType(m, op);
      if (m.sizes_.length !== dims) {
        throw new RangeError(`${op}: expected a ${dims === 2 ? 'matrix (2-d)' : 'vector (1-d)'} as operand ${i + 1}, got a ${m.sizes_.length}-d tensor of sizes [${m.sizes_.join(', ')}]`);
      }
    });
  }

  /**
   * this = beta * M + alpha * (a · b) for matrix/vector operands (a vector b is a column,
   * a vector a with a vector b is an outer product). beta = 0 ignores M's contents, as BLAS does.
   */
  private gemm(op: string, beta: number, M: Tensor, alpha: number, a: Tensor, b: Tensor): this {
    const n = a.sizes_[0]!;
    const k = a.sizes_.length === 2 ? a.sizes_[1]! : 1;
    const kb = b.sizes_.length === 2 ? b.sizes_[0]! : a.sizes_.length === 2 ? b.sizes_[0]! : 1;
    const p = b.sizes_.length === 2 ? b.sizes_[1]! : a.sizes_.length === 2 ? 1 : b.sizes_[0]!;
    if (k !== kb) throw new RangeError(`${op}: size mismatch, [${a.sizes_.join(' x ')}] times [${b.sizes_.join(' x ')}]`);
    const expected = M.sizes_.length === 2 ? [n, p] : [n];
    if (M.sizes_.some((s, i) => s !== expected[i])) {
      throw new RangeError(`${op}: the result should have sizes [${expected.join(', ')}], got [${M.sizes_.join(', ')}]`);
    }
    const long = this.elementType === 'Long';
    // Operands are read before the result is touched, so they may alias it.
    const A = long ? [] : Float64Array.from(a.values());
    const B = long ? [] : Float64Array.from(b.values());
    const AB = long ? a.bigValues() : [];
    const BB = long ? b.bigValues() : [];
    if (M !== this) {
      this.checkSameType(M, op);
      const m = M.storage_ === this.storage_ ? M.clone() : M;
      if (!this.isSameSizeAs(m)) this.resizeAs(m);
      if (beta !== 0) this.copy(m);
    }
    if (long) {
      const C = beta === 0 ? null : this.bigValues();
      const bb = this.realBig(beta, op);
      const ab = this.realBig(alpha, op);
      const out = new Array<bigint>(n * p);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < p; j++) {
          let s = 0n;
          for (let l = 0; l < k; l++) s += AB[i * k + l]! * BB[l * p + j]!;
          out[i * p + j] = (C ? bb * C[i * p + j]! : 0n) + ab * s;
        }
      }
      const d = this.storage().mutableData() as BigInt64Array;
      indexArray(this.sizes_, this.strides_, this.offset_).forEach((q, t) => (d[q] = out[t]!));
      return this;
    }
    const C = beta === 0 ? null : this.values();
    const be = this.real(beta, op);
    const al = this.real(alpha, op);
    const acc = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      const row = i * p;
      for (let l = 0; l < k; l++) {
        const x = A[i * k + l]!;
        const brow = l * p;
        for (let j = 0; j < p; j++) acc[row + j]! += x * B[brow + j]!;
      }
    }
    const d = this.storage().mutableData();
    const write = this.writeFn(d);
    const int32 = this.elementType === 'Int';
    indexArray(this.sizes_, this.strides_, this.offset_).forEach((q, t) => {
      // Integer types wrap their products like C (Int through 32-bit arithmetic).
      const s = int32 ? Math.imul(al, acc[t]! | 0) : al * acc[t]!;
      write(q, C ? (int32 ? Math.imul(be, C[t]!) : be * C[t]!) + s : s);
    });
    return this;
  }


  // ---- random fills (the generator lives in random.ts) --------------------------
  // Torch's TH_TENSOR_APPLY order: one draw per element in logical row-major order.
  // Each method takes an optional Generator first, like Torch (default: torch's).
  // Float tensors receive their real-typed arguments rounded to float first (the Lua
  // wrapper reads them as `float`), then compute in double and round the result.

  /** t:random([gen,] [a], [b]): integers in [a, b], [1, b], or the type's full default range. */
  random(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, a, b] = splitGenerator(args);
    const t = this.randomTarget('random', false);
    if (a === undefined) {
      const mod = DEFAULT_RANDOM_MODULUS[this.elementType];
      if (this.elementType === 'Long') fillWith(t, () => gen.random());
      else fillWith(t, () => gen.random() % mod);
      return this;
    }
    if (b === undefined) {
      const hi = Math.trunc(a);
      if (!(hi > 0)) throw new RangeError(`random: upper bound must be strictly positive, got ${a}`);
      fillWith(t, () => (gen.random() % hi) + 1);
      return this;
    }
    const lo = Math.trunc(a);
    const hi = Math.trunc(b);
    if (!(hi >= lo)) throw new RangeError(`random: upper bound must be larger than lower bound, got [${a}, ${b}]`);
    const span = hi + 1 - lo;
    const floating = this.elementType === 'Float' || this.elementType === 'Double';
    fillWith(t, () => {
      const v = (gen.random() % span) + lo;
      // C adds in unsigned long: a negative sum wraps to 2^64 + v before a Float/Double cast.
      return floating && v < 0 ? Number(2n ** 64n + BigInt(v)) : v;
    });
    return this;
  }

  /** t:uniform([gen,] [a = 0], [b = 1]): doubles in [a, b) rounded to the element type. */
  uniform(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, a = 0, b = 1] = splitGenerator(args);
    fillUniform(this.randomTarget('uniform', true), gen, this.realArg(a), this.realArg(b));
    return this;
  }

  /** t:normal([gen,] [mean = 0], [stdv = 1]). */
  normal(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, mean = 0, stdv = 1] = splitGenerator(args);
    fillNormal(this.randomTarget('normal', true), gen, this.realArg(mean), this.realArg(stdv));
    return this;
  }

  /** t:bernoulli([gen,] [p = 0.5]) with a number, or with a Float/Double tensor of probabilities. */
  bernoulli(...args: [(number | Tensor)?] | [Generator, (number | Tensor)?]): this {
    const [gen, p = 0.5] = splitGenerator(args);
    const t = this.randomTarget('bernoulli', false);
    if (typeof p === 'number') {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be >= 0 and <= 1, got ${p}`);
      fillWith(t, () => gen.bernoulli(p));
      return this;
    }
    if (p.elementType !== 'Float' && p.elementType !== 'Double') {
      throw new TypeError(`bernoulli: expected a number or a FloatTensor/DoubleTensor of probabilities, got a ${p.className()}`);
    }
    if (p.nElement() !== t.n) throw new RangeError(`bernoulli: the tensor has ${t.n} elements but p has ${p.nElement()}`);
    const probs = p.values();
    let k = 0;
    fillWith(t, () => gen.bernoulli(probs[k++]!));
    return this;
  }

  /** t:geometric([gen,] p): integers >= 1. */
  geometric(...args: [number] | [Generator, number]): this {
    const [gen, p] = splitGenerator<[number]>(args);
    fillWith(this.randomTarget('geometric', false), () => gen.geometric(p));
    return this;
  }

  /** t:exponential([gen,] lambda). */
  exponential(...args: [number] | [Generator, number]): this {
    const [gen, lambda] = splitGenerator<[number]>(args);
    const l = this.realArg(lambda);
    fillWith(this.randomTarget('exponential', true), () => gen.exponential(l));
    return this;
  }

  /** t:cauchy([gen,] [median = 0], [sigma = 1]). */
  cauchy(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, median = 0, sigma = 1] = splitGenerator(args);
    const m = this.realArg(median);
    const s = this.realArg(sigma);
    fillWith(this.randomTarget('cauchy', true), () => gen.cauchy(m, s));
    return this;
  }

  /** t:logNormal([gen,] [mean = 1], [stdv = 2]). */
  logNormal(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, mean = 1, stdv = 2] = splitGenerator(args);
    const m = this.realArg(mean);
    const s = this.realArg(stdv);
    fillWith(this.randomTarget('logNormal', true), () => gen.logNormal(m, s));
    return this;
  }

  /** t:rand([gen,] sizes...): resize, then uniform on [0, 1). */
  rand(...args: number[] | [Generator, ...number[]]): this {
    const [gen, ...sizes] = splitGenerator(args);
    this.resize(...(sizes as number[]));
    return this.uniform(gen, 0, 1);
  }

  /** t:randn([gen,] sizes...): resize, then normal(0, 1). */
  randn(...args: number[] | [Generator, ...number[]]): this {
    const [gen, ...sizes] = splitGenerator(args);
    this.resize(...(sizes as number[]));
    return this.normal(gen, 0, 1);
  }

  /** t:randperm([gen,] n): a random permutation of 1..n (Torch's Fisher-Yates). */
  randperm(...args: [number] | [Generator, number]): this {
    const [gen, n] = splitGenerator<[number]>(args);
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`randperm: n must be a strictly positive integer, got ${n}`);
    if (this.elementType === 'Half') throw new TypeError('randperm: torch.HalfTensor has no random functions in Torch7');
    this.resize(n);
    const v = randpermValues(gen, n);
    const d = this.storage().mutableData();
    for (let i = 0; i < n; i++) writeElement(d, this.elementType, this.offset_ + i, v[i]!);
    return this;
  }

  /** Where a random fill writes, in TH_TENSOR_APPLY order. */
  private randomTarget(op: string, floatingOnly: boolean): FillTarget {
    if (this.elementType === 'Half') throw new TypeError(`${op}: torch.HalfTensor has no random functions in Torch7`);
    if (floatingOnly && this.elementType !== 'Float' && this.elementType !== 'Double') {
      throw new TypeError(`${op}: defined for FloatTensor and DoubleTensor only, got a ${this.className()}`);
    }
    const n = this.nElement();
    const data = n === 0 ? this.storage().data() : this.storage().mutableData();
    const order = this.isContiguous() ? null : indexArray(this.sizes_, this.strides_, this.offset_);
    return { data, order, offset: this.offset_, n };
  }

  /** A Lua number passed to a `real` argument of this tensor's C function. */
  private realArg(v: number): number {
    return this.elementType === 'Float' ? Math.fround(v) : v;
  }

  // ---- TensorFlow.js bridge ------------------------------------------------------

  /**
   * A new tfjs tensor with this tensor's logical shape and values; the caller owns
   * it (dispose it, or call inside tf.tidy). Free of copies when the view is
   * contiguous and its storage is on the device in the storage's order; a view of
   * whole images whose device copy is channels-last costs one permutation on the device.
   */
  toTF(): tf.Tensor {
    const shape = this.sizes_.length ? this.sizes_ : [0];
    if (this.readsFromDevice()) {
      const { order } = this.storage_!.deviceImages();
      if (!order && this.isContiguous()) return tf.tidy(() => tf.reshape(this.deviceSlice(), shape));
      const n = order ? this.wholeImages(order) : 0;
      if (order && n > 0) {
        const { c, h, w } = order;
        return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(this.deviceSlice(), [n, h, w, c]), [0, 3, 1, 2]), shape));
      }
    }
    return tf.tensor(this.gatherForDevice(), shape, this.deviceDtype());
  }

  /**
   * For a 4-d NCHW tensor: a new tfjs tensor in NHWC order. Free when its storage's
   * device copy is channels-last with these images (or when NHWC and NCHW coincide:
   * one channel, or one pixel per image).
   */
  toTFNHWC(): tf.Tensor4D {
    if (this.sizes_.length !== 4) throw new RangeError(`toTFNHWC: expected a 4-d tensor, got sizes [${this.sizes_}]`);
    const [n, c, h, w] = this.sizes_ as [number, number, number, number];
    if (this.readsFromDevice() && this.isContiguous()) {
      const { order } = this.storage_!.deviceImages();
      const same = order ? order.c === c && order.h === h && order.w === w && this.wholeImages(order) === n : c === 1 || h * w === 1;
      if (same) return tf.tidy(() => tf.reshape(this.deviceSlice(), [n, h, w, c])) as tf.Tensor4D;
    }
    const nhwc = tf.tidy(() => tf.transpose(this.toTF(), [0, 2, 3, 1]) as tf.Tensor4D);
    const s = this.storage_;
    if (s && s.home() === 'host' && this.offset_ === 0 && this.nElement() === s.size() && this.isContiguous()) {
      // A host batch read channels-last (a network's input): keep that device copy, so the
      // next reader (the first conv's weight gradient) gets it free.
      s.cacheDevice(tf.clone(nhwc), { c, h, w });
    }
    return nhwc;
  }

  /**
   * True when this 4-d tensor's values lie channels-last on the device (toTFNHWC is free
   * and toTF is not). Torch cannot observe it: sizes and strides stay Torch's.
   */
  isChannelsLast(): boolean {
    if (this.sizes_.length !== 4 || !this.readsFromDevice() || !this.isContiguous()) return false;
    const order = this.storage_!.deviceOrder();
    const [n, c, h, w] = this.sizes_ as [number, number, number, number];
    return order !== null && order.c === c && order.h === h && order.w === w && this.wholeImages(order) === n;
  }

  /**
   * Makes `t` this tensor's content (ownership of t passes to this tensor). When this
   * tensor covers its whole storage (or has none), the storage takes t as its device
   * home (its old device tensor is disposed) and this tensor views all of it,
   * contiguously, with t's shape: no copy. A view of part of a storage (a narrow, a
   * parameter inside a flat getParameters storage, a buffer whose storage is larger
   * after a shrinking resize) keeps its layout and gets t's values written through it
   * (a host copy), so the other views of that storage stay intact; t must then hold
   * nElement() values. 'NHWC' takes a 4-d NHWC t as the NCHW tensor [n, c, h, w]
   * (contiguous, as Torch has it) whose storage keeps t channels-last on the device.
   */
  setTF(t: tf.Tensor, layout: 'logical' | 'NHWC' = 'logical'): this {
    const shape = t.shape.slice();
    if (layout === 'NHWC' && shape.length !== 4) throw new RangeError(`setTF: layout NHWC needs a 4-d tensor, got shape [${shape}]`);
    const covers = !this.storage_ || (this.offset_ === 0 && this.nElement() === this.storage_.size() && this.isContiguous());
    if (!covers) {
      const src = new Tensor(this.elementType, null, 0, []);
      src.setTF(t, layout);
      try {
        if (src.nElement() !== this.nElement()) {
          throw new RangeError(`setTF: this view of part of a storage holds ${this.nElement()} elements (sizes [${this.sizes_.join(', ')}]), the tfjs tensor has ${src.nElement()} (shape [${shape.join(', ')}])`);
        }
        this.copy(src);
      } finally {
        src.storage_!.dispose();
      }
      return this;
    }
    if (!this.storage_) this.storage_ = new Storage(this.elementType, 0);
    this.offset_ = 0;
    if (layout === 'NHWC') {
      const [n, h, w, c] = shape as [number, number, number, number];
      this.storage_.setDevice(t, { c, h, w });
      this.sizes_ = [n, c, h, w];
    } else {
      this.storage_.setDevice(t);
      this.sizes_ = shape;
    }
    this.strides_ = contiguousStrides(this.sizes_);
    return this;
  }

  // ---- internals -------------------------------------------------------------------

  /** Converts a 1-based dim to 0-based, with a clear error. */
  protected checkDim(d: number, op: string): number {
    if (!Number.isInteger(d) || d < 1 || d > this.sizes_.length) {
      throw new RangeError(`${op}: dimension ${d} out of range for a ${this.sizes_.length}-d tensor (dims count from 1)`);
    }
    return d - 1;
  }

  protected checkSameType(other: Tensor, op: string): void {
    if (other.elementType !== this.elementType) {
      throw new TypeError(`${op}: expected a ${this.className()}, got a ${other.className()}`);
    }
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

  private deviceDtype(): 'float32' | 'int32' {
    return this.elementType === 'Float' || this.elementType === 'Double' || this.elementType === 'Half' ? 'float32' : 'int32';
  }

  /**
   * Whether to build a tfjs tensor from the device copy. A part of a storage whose host
   * copy is current (a parameter inside a flat getParameters storage) is uploaded from
   * the host instead: on wasm and cpu a device slice reads the whole storage first.
   */
  private readsFromDevice(): boolean {
    const s = this.storage_;
    if (!s?.onDevice()) return false;
    return s.home() === 'device' || (this.offset_ === 0 && this.nElement() === s.size());
  }

  /**
   * How many whole images of `order` this contiguous view covers, starting at an image
   * boundary (0 when it does not: then its elements are not a block of the NHWC copy).
   */
  private wholeImages(order: ImageOrder): number {
    const chw = order.c * order.h * order.w;
    const n = this.nElement();
    if (!this.isContiguous() || n === 0 || n % chw !== 0 || this.offset_ % chw !== 0) return 0;
    return n / chw;
  }

  /** A slice of the flat device copy, as it lies, covering this (dense) view; the caller owns it. */
  private deviceSlice(): tf.Tensor1D {
    const dev = this.storage_!.deviceImages().tensor;
    const n = this.nElement();
    // A reshape shares the data (clone would copy it on wasm); the caller owns the new handle.
    if (this.offset_ === 0 && n === dev.size) return tf.reshape(dev, [n]);
    return tf.slice(dev, this.offset_, n);
  }

  /** Host values in logical order (or in the given storage-index order) for upload. */
  private gatherForDevice(order?: Int32Array): Float32Array | Int32Array {
    const d = this.storage().data();
    const n = order ? order.length : this.nElement();
    const out = this.deviceDtype() === 'float32' ? new Float32Array(n) : new Int32Array(n);
    const half = this.elementType === 'Half';
    if (!order && this.isContiguous() && !half && !(d instanceof BigInt64Array)) {
      // Dense host data: one typed-array copy (converting, wrapping as int32 for integer types).
      out.set((d as Float64Array).subarray(this.offset_, this.offset_ + n));
      return out;
    }
    const put = (i: number, k: number) => {
      const v = d[i]!;
      out[k] = typeof v === 'bigint' ? Number(v) : half ? halfToNumber(v) : v;
    };
    if (order) order.forEach(put);
    else forEachStorageIndex(this.sizes_, this.strides_, this.offset_, put);
    return out;
  }
}

// ---- math helpers --------------------------------------------------------------------

type Kind = 'f32' | 'f64' | 'half' | 'int32' | 'small' | 'long';

function kindOf(type: TensorType): Kind {
  switch (type) {
    case 'Float': return 'f32';
    case 'Double': return 'f64';
    case 'Half': return 'half';
    case 'Int': return 'int32';
    case 'Long': return 'long';
    default: return 'small';
  }
}

const identity = (x: number): number => x;

// Placeholders for the number path of ops whose Long path is the bigint function.
function unreachable(): never {
  throw new Error('internal: number kernel called for a LongTensor');
}
const NO_NUMBER: (x: number) => number = unreachable;
const NO_NUMBER_K: (x: number, k: number) => number = unreachable;
const NO_NUMBER2: (x: number, y: number) => number = unreachable;
const NO_NUMBER3: (x: number, y: number, z: number) => number = unreachable;

function describeArg(v: unknown): string {
  if (v instanceof Tensor) return `a ${v.className()} of sizes [${v.size().join(', ')}]`;
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  return `${typeof v} ${String(v)}`;
}

function isScalar(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** add/csub argument forms -> [result base or null, value, src or null]. */
function parseAddArgs(op: string, args: unknown[]): [Tensor | null, number | bigint, Tensor | null] {
  const [a, b, c] = args;
  if (args.length === 1 && isScalar(a)) return [null, a, null];
  if (args.length === 1 && a instanceof Tensor) return [null, 1, a];
  if (args.length === 2 && isScalar(a) && b instanceof Tensor) return [null, a, b];
  if (args.length === 2 && a instanceof Tensor && isScalar(b)) return [a, b, null];
  if (args.length === 2 && a instanceof Tensor && b instanceof Tensor) return [a, 1, b];
  if (args.length === 3 && a instanceof Tensor && isScalar(b) && c instanceof Tensor) return [a, b, c];
  throw new TypeError(`${op}: expected (value), (tensor), (value, tensor), (tensor, value), (tensor, tensor) or (tensor, value, tensor), got (${args.map(describeArg).join(', ')})`);
}

/** addcmul/addcdiv argument forms -> [result base (self unless given), value, t1, t2]. */
function parseAddcArgs(op: string, args: unknown[], self: Tensor): [Tensor, number | bigint, Tensor, Tensor] {
  const tensors = args.filter((x): x is Tensor => x instanceof Tensor);
  const scalars = args.filter(isScalar);
  const ok =
    tensors.length + scalars.length === args.length &&
    (tensors.length === 2 || tensors.length === 3) &&
    scalars.length <= 1 &&
    (scalars.length === 0 || args[args.length - 3] === scalars[0]);
  if (!ok) throw new TypeError(`${op}: expected ([tensor,] [value,] tensor1, tensor2), got (${args.map(describeArg).join(', ')})`);
  const base = tensors.length === 3 ? tensors[0]! : self;
  return [base, scalars[0] ?? 1, tensors[tensors.length - 2]!, tensors[tensors.length - 1]!] as [Tensor, number | bigint, Tensor, Tensor];
}

/**
 * Torch7's method forms of addmm/addmv/addr -> [beta, M, alpha, a, b]:
 * (a, b), (alpha, a, b), (M, a, b), (M, alpha, a, b), (beta, alpha, a, b), (beta, M, alpha, a, b).
 */
function parseBlasArgs(op: string, args: unknown[], self: Tensor): [number, Tensor, number, Tensor, Tensor] {
  const tensors = args.filter((x): x is Tensor => x instanceof Tensor);
  const numbers = args.filter((x): x is number => typeof x === 'number');
  const last2Tensors = args.length >= 2 && args[args.length - 1] instanceof Tensor && args[args.length - 2] instanceof Tensor;
  if (tensors.length + numbers.length !== args.length || tensors.length < 2 || tensors.length > 3 || numbers.length > 2 || !last2Tensors) {
    throw new TypeError(`${op}: expected ([beta,] [M,] [alpha,] a, b), got (${args.map(describeArg).join(', ')})`);
  }
  const M = tensors.length === 3 ? tensors[0]! : self;
  const [beta, alpha] = numbers.length === 2 ? [numbers[0]!, numbers[1]!] : [1, numbers[0] ?? 1];
  return [beta, M, alpha, tensors[tensors.length - 2]!, tensors[tensors.length - 1]!];
}

// Contiguous fast paths. Float32Array stores round to float32, which gives Torch's
// float results for one operation (a product or sum of two floats computed in double
// and rounded to float32 is the correctly rounded float result); chained operations
// round in between with Math.fround, as C float arithmetic does.

function addScalarContiguous(d: Float32Array | Float64Array, o: number, n: number, v: number): void {
  for (let i = o, e = o + n; i < e; i++) d[i] += v;
}

function scaleContiguous(d: Float32Array | Float64Array, o: number, n: number, v: number): void {
  for (let i = o, e = o + n; i < e; i++) d[i] *= v;
}

function axpyF32(d: Float32Array, o: number, s: Float32Array, q: number, n: number, v: number): void {
  if (v === 1) for (let k = 0; k < n; k++) d[o + k] += s[q + k]!;
  else for (let k = 0; k < n; k++) d[o + k] += Math.fround(v * s[q + k]!);
}

function axpyF64(d: Float64Array, o: number, s: Float64Array, q: number, n: number, v: number): void {
  if (v === 1) for (let k = 0; k < n; k++) d[o + k] += s[q + k]!;
  else for (let k = 0; k < n; k++) d[o + k] += v * s[q + k]!;
}

function cmulContiguous(d: Float64Array, o: number, s: Float64Array, q: number, n: number): void {
  for (let k = 0; k < n; k++) d[o + k] *= s[q + k]!;
}

function addcmulF32(d: Float32Array, o: number, a: Float32Array, p: number, b: Float32Array, q: number, n: number, v: number): void {
  if (v === 1) for (let k = 0; k < n; k++) d[o + k] += Math.fround(a[p + k]! * b[q + k]!);
  else for (let k = 0; k < n; k++) d[o + k] += Math.fround(Math.fround(v * a[p + k]!) * b[q + k]!);
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

/** Splits Torch's optional leading Generator off an argument list. */
function splitGenerator<T extends unknown[]>(args: T | [Generator, ...T]): [Generator, ...T] {
  if (args[0] instanceof Generator) return args as [Generator, ...T];
  return [defaultGenerator(), ...(args as T)];
}

/** t:random() with no bounds: THRandom_random modulo the type's range (TH's per-type choice). */
const DEFAULT_RANDOM_MODULUS: Record<TensorType, number> = {
  Byte: 256,
  Char: 128,
  Short: 32768,
  Int: 2 ** 31,
  Long: 2 ** 63,
  Float: 2 ** 24 + 1,
  Double: 2 ** 53 + 1,
  Half: 1,
};

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

export { isTensorType };
