// A Torch tensor: a view (1-based storage offset, sizes, strides) into a Storage.
//
// The public API is Torch's, 1-based like Lua: dimensions and indices count from 1,
// storageOffset() is 1-based. Views (narrow, select, transpose, ...) share the
// storage; in-place methods write through it.

import * as tf from '@tensorflow/tfjs-core';
import { Storage } from './storage.js';
import {
  castNumber,
  halfToNumber,
  isTensorType,
  numberToHalf,
  tensorClassName,
  typeFromClassName,
  type HostArray,
  type TensorType,
} from './types.js';
import {
  channelsLastStrides,
  contiguousStrides,
  forEachStorageIndex,
  isChannelsLastLayout,
  isContiguousLayout,
  product,
} from './layout.js';

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

  /** A new tensor of the given sizes (contents zero). */
  static create(type: TensorType, sizes: readonly number[] = []): Tensor {
    for (const s of sizes) {
      if (!Number.isInteger(s) || s < 0) throw new RangeError(`tensor sizes must be non-negative integers, got [${sizes.join(', ')}]`);
    }
    const n = sizes.length === 0 ? 0 : product(sizes);
    return new Tensor(type, new Storage(type, n), 0, sizes.slice());
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
   * tensor and presents it as NCHW with channels-last strides.
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

  /** A 4-d tensor physically laid out NHWC (see DESIGN.md, channels-last activations). */
  isChannelsLast(): boolean {
    return isChannelsLastLayout(this.sizes_, this.strides_);
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

  /** Torch's resize: contiguous strides, storage grown (never shrunk) to fit. */
  resize(...sizes: number[]): this {
    const flat = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown as number[]) : sizes;
    for (const s of flat) {
      if (!Number.isInteger(s) || s < 0) throw new RangeError(`resize: sizes must be non-negative integers, got [${flat.join(', ')}]`);
    }
    const same = this.sizes_.length === flat.length && this.sizes_.every((s, i) => s === flat[i]) && this.isContiguous();
    if (same && this.storage_) return this;
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

  /** Repeats singleton dims with stride 0 (a view). */
  expand(...sizes: number[]): Tensor {
    const flat = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown as number[]) : sizes;
    if (flat.length < this.sizes_.length) throw new RangeError(`expand: cannot expand [${this.sizes_}] to fewer dims [${flat}]`);
    const lead = flat.length - this.sizes_.length;
    const strides = flat.map((s, i) => {
      if (i < lead) return 0;
      const own = this.sizes_[i - lead]!;
      if (own === s) return this.strides_[i - lead]!;
      if (own === 1) return 0;
      throw new RangeError(`expand: dimension ${i + 1} has size ${own}, cannot expand to ${s}`);
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
    const n = this.nElement();
    if (src.nElement() !== n) throw new RangeError(`copy: sizes do not match: ${n} elements vs ${src.nElement()}`);
    if (n === 0) return this;
    if (src.storage_!.home() === 'device' && this.storage_ !== src.storage_) {
      // Reading a device-home source syncs it; that is the one host<->device crossing.
      src.storage_!.data();
    }
    const from = src.storage_!.data();
    const to = this.storage().mutableData();
    const sameKind = src.elementType === this.elementType;
    const srcIdx: number[] = [];
    forEachStorageIndex(src.sizes_, src.strides_, src.offset_, (i) => srcIdx.push(i));
    if (from === to) {
      // Overlapping self-copy: read everything first.
      const tmp = srcIdx.map((i) => from[i]!);
      forEachStorageIndex(this.sizes_, this.strides_, this.offset_, (i, k) => {
        (to as Float64Array)[i] = tmp[k] as number;
      });
      return this;
    }
    if (sameKind) {
      forEachStorageIndex(this.sizes_, this.strides_, this.offset_, (i, k) => {
        (to as Float64Array)[i] = (from as Float64Array)[srcIdx[k]!]!;
      });
      return this;
    }
    const srcHalf = src.elementType === 'Half';
    forEachStorageIndex(this.sizes_, this.strides_, this.offset_, (i, k) => {
      const v = from[srcIdx[k]!]!;
      if (typeof v === 'bigint') writeElement(to, this.elementType, i, this.elementType === 'Long' ? v : Number(v));
      else writeElement(to, this.elementType, i, srcHalf ? halfToNumber(v) : v);
    });
    return this;
  }

  // ---- math (element-wise, reductions, comparisons) ----------------------------
  // (math methods go here)

  // ---- random fills (the generator lives in random.ts) --------------------------
  // (random methods go here)

  // ---- TensorFlow.js bridge ------------------------------------------------------

  /**
   * A new tfjs tensor with this tensor's logical shape and values; the caller owns
   * it (dispose it, or call inside tf.tidy). Free of copies when the view is
   * contiguous and its storage is on the device.
   */
  toTF(): tf.Tensor {
    if (this.isContiguous() && this.storage_?.onDevice()) {
      return tf.tidy(() => tf.reshape(this.deviceSlice(), this.sizes_.length ? this.sizes_ : [0]));
    }
    if (this.isChannelsLast() && this.storage_?.onDevice()) {
      return tf.tidy(() => tf.transpose(this.toTFNHWC(), [0, 3, 1, 2]));
    }
    return tf.tensor(this.gatherForDevice(), this.sizes_.length ? this.sizes_ : [0], this.deviceDtype());
  }

  /** For a 4-d NCHW tensor: a new tfjs tensor in NHWC order (free when channels-last on the device). */
  toTFNHWC(): tf.Tensor4D {
    if (this.sizes_.length !== 4) throw new RangeError(`toTFNHWC: expected a 4-d tensor, got sizes [${this.sizes_}]`);
    const [n, c, h, w] = this.sizes_ as [number, number, number, number];
    if (this.isChannelsLast()) {
      if (this.storage_?.onDevice()) {
        return tf.tidy(() => tf.reshape(this.deviceSlice(), [n, h, w, c])) as tf.Tensor4D;
      }
      const hostValues = this.gatherForDevice(channelsLastOrder(this.sizes_, this.strides_, this.offset_));
      return tf.tensor4d(hostValues, [n, h, w, c], this.deviceDtype());
    }
    return tf.tidy(() => tf.transpose(this.toTF(), [0, 2, 3, 1]) as tf.Tensor4D);
  }

  /**
   * Makes `t` this tensor's content: the storage takes ownership (its old device
   * tensor is disposed) and this tensor views all of it. 'NHWC' presents a 4-d
   * NHWC tensor as NCHW with channels-last strides.
   */
  setTF(t: tf.Tensor, layout: 'logical' | 'NHWC' = 'logical'): this {
    const shape = t.shape.slice();
    if (!this.storage_) this.storage_ = new Storage(this.elementType, 0);
    this.storage_.setDevice(t);
    this.offset_ = 0;
    if (layout === 'NHWC') {
      if (shape.length !== 4) throw new RangeError(`setTF: layout NHWC needs a 4-d tensor, got shape [${shape}]`);
      const [n, h, w, c] = shape as [number, number, number, number];
      this.sizes_ = [n, c, h, w];
      this.strides_ = channelsLastStrides(this.sizes_);
    } else {
      this.sizes_ = shape;
      this.strides_ = contiguousStrides(shape);
    }
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

  /** A slice of the flat device tensor covering this (dense) view; the caller owns it. */
  private deviceSlice(): tf.Tensor1D {
    const dev = this.storage_!.deviceTensor();
    const n = this.nElement();
    if (this.offset_ === 0 && n === dev.size) return dev.clone();
    return tf.slice(dev, this.offset_, n);
  }

  /** Host values in logical order (or in the given storage-index order) for upload. */
  private gatherForDevice(order?: Int32Array): Float32Array | Int32Array {
    const d = this.storage().data();
    const n = order ? order.length : this.nElement();
    const out = this.deviceDtype() === 'float32' ? new Float32Array(n) : new Int32Array(n);
    const half = this.elementType === 'Half';
    const put = (i: number, k: number) => {
      const v = d[i]!;
      out[k] = typeof v === 'bigint' ? Number(v) : half ? halfToNumber(v) : v;
    };
    if (order) order.forEach(put);
    else forEachStorageIndex(this.sizes_, this.strides_, this.offset_, put);
    return out;
  }
}

/** Storage indices of a channels-last 4-d view in physical NHWC order. */
function channelsLastOrder(sizes: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const [n, c, h, w] = sizes as [number, number, number, number];
  const [sn, sc, sh, sw] = strides as [number, number, number, number];
  const out = new Int32Array(n * c * h * w);
  let k = 0;
  for (let a = 0; a < n; a++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[k++] = offset + a * sn + y * sh + x * sw + ch * sc;
  return out;
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

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

export { isTensorType };
