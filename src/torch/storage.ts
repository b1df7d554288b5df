// A Torch storage: a flat run of elements with one home at a time.
//
// The host home is a typed array; the device home is a tfjs tensor (float32 for
// floating types, int32 for integer ones). Whichever side was written last is the
// truth; the other side is filled only when somebody asks for it. The storage owns
// its device tensor: replacing it disposes the old one, and a storage that is
// garbage collected releases it through a FinalizationRegistry.
//
// The device copy may hold the elements in another order than the storage's own: a
// storage of contiguous NCHW images can keep its device copy channels-last (NHWC), the
// order tfjs's convolutions want (DESIGN.md, "channels-last activations, privately").
// The storage remembers that order; everything that reads the storage (data(),
// deviceTensor(), element access, views, t7) sees the storage's own order, paying one
// permutation on the way. Only code that asks for the device copy as it lies
// (deviceImages) sees the NHWC order.

import { tf } from './tfjs_core.js';
import { reshapeShared } from './tf_view.js';
import { downloadForParking, parkedValuesForUpload, releaseParkedArray } from './parked_arrays.js';
import {
  allocHost,
  castNumber,
  halfToNumber,
  isFloatingType,
  numberToHalf,
  storageClassName,
  type HostArray,
  type TensorType,
} from './types.js';

interface DeviceSlot {
  tensor: tf.Tensor | null;
}

/**
 * The channels-last order of a device copy: the storage holds contiguous NCHW images of
 * c x h x w elements (n = size / (c h w) of them) and the device copy holds each image
 * HWC (pixel by pixel, channels innermost).
 */
export interface ImageOrder {
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/** Counts of the permutations paid between the device's order and the storage's (see bench/train_step). */
export const layoutTransfers = {
  /** Device copies in NHWC order read to the host (permuted on the host). */
  hostReads: 0,
  /** NHWC device copies permuted to the storage's order on the device. */
  deviceReorders: 0,
};

const releaseDevice = new FinalizationRegistry<DeviceSlot>((slot) => {
  if (slot.tensor && !slot.tensor.isDisposed) slot.tensor.dispose();
  slot.tensor = null;
});

const HOST_ARRAY: Record<TensorType, Function> = {
  Byte: Uint8Array, Char: Int8Array, Short: Int16Array, Int: Int32Array,
  Long: BigInt64Array, Float: Float32Array, Double: Float64Array, Half: Uint16Array,
};

/**
 * Torch7's storage: a flat array of one element type that tensors view. Its values live on
 * the host (a typed array) and, when nn code computes on it, also as a tfjs tensor on the
 * device; the storage keeps the two in step and says which is current. Index arguments of
 * its TypeScript methods are 0-based (Lua's s[i] is 1-based).
 */
export class Storage {
  /** The element type ('Float', 'Double', ...). */
  readonly type: TensorType;
  /** The class this storage was loaded as when it differs from the CPU one (e.g. 'torch.CudaStorage'). */
  sourceClass: string | undefined;
  private host: HostArray | null;
  private hostValid: boolean;
  /** Made, and registered for release at collection, when the storage first goes to the device. */
  private slot: DeviceSlot | null = null;
  private deviceValid = false;
  /** The order of the device copy: null for the storage's own order. */
  private order: ImageOrder | null = null;
  /**
   * The device copy's values kept in host memory, as the device held them (park()); uploaded
   * again as they lie when a reader wants the device copy. Dropped by every write.
   */
  private parked: { values: Float32Array | Int32Array; order: ImageOrder | null } | null = null;
  private length: number;

  /**
   * @param type element type
   * @param sizeOrData a size (that many zeros; default 0) or a typed array of this type's host kind to hold (not copied)
   */
  constructor(type: TensorType, sizeOrData: number | HostArray = 0) {
    this.type = type;
    if (typeof sizeOrData === 'number') {
      if (!Number.isInteger(sizeOrData) || sizeOrData < 0) {
        throw new RangeError(`Storage size must be a non-negative integer, got ${sizeOrData}`);
      }
      this.host = allocHost(type, sizeOrData);
      this.length = sizeOrData;
    } else {
      const expected = HOST_ARRAY[type];
      if (sizeOrData.constructor !== expected) {
        throw new TypeError(`a ${type} storage holds a ${expected.name}, got a ${sizeOrData.constructor.name}`);
      }
      this.host = sizeOrData;
      this.length = sizeOrData.length;
    }
    this.hostValid = true;
  }

  /** The device slot; storages that never reach the device skip the registry's cost. */
  private get device(): DeviceSlot {
    if (!this.slot) {
      this.slot = { tensor: null };
      releaseDevice.register(this, this.slot, this);
    }
    return this.slot;
  }

  /** A storage whose truth is the given tfjs tensor (ownership passes to the storage). */
  static fromDevice(type: TensorType, t: tf.Tensor, order: ImageOrder | null = null): Storage {
    const s = new Storage(type, 0);
    s.setDevice(t, order);
    return s;
  }

  /** Torch's class name: 'torch.FloatStorage', ... (or the CUDA class it was loaded as). */
  className(): string {
    return this.sourceClass ?? storageClassName(this.type);
  }

  /** The number of elements. */
  size(): number {
    return this.length;
  }

  /** Where the truth is now. */
  home(): 'host' | 'device' {
    return this.hostValid ? 'host' : 'device';
  }

  /** The host array for reading; it syncs from the device when the device holds the truth. */
  data(): HostArray {
    if (!this.hostValid) {
      // a parked copy is current whenever it exists: reading it spares a download
      const from = this.parked ?? { values: this.device.tensor!.dataSync() as Float32Array | Int32Array, order: this.order };
      let values = from.values;
      if (from.order) {
        values = imagesToStorageOrder(values, from.order);
        layoutTransfers.hostReads++;
      }
      const host = allocHost(this.type, this.length);
      if (host instanceof BigInt64Array) {
        for (let i = 0; i < this.length; i++) host[i] = BigInt(Math.trunc(values[i] as number));
      } else if (this.type === 'Half') {
        for (let i = 0; i < this.length; i++) host[i] = numberToHalf(values[i] as number);
      } else {
        (host as Float64Array).set(values as ArrayLike<number>);
      }
      this.host = host;
      this.hostValid = true;
      // the host holds the truth now (and callers may write into it)
      this.dropParked();
    }
    return this.host!;
  }

  /** The host array for writing: the device copy (if any) becomes stale and is released. */
  mutableData(): HostArray {
    const d = this.data();
    this.dropDevice();
    return d;
  }

  /**
   * The host array for a caller that will overwrite every element: a device-home
   * storage is not downloaded first (its contents are left unspecified).
   */
  overwriteData(): HostArray {
    if (!this.hostValid) {
      this.host = allocHost(this.type, this.length);
      this.hostValid = true;
    }
    this.dropDevice();
    return this.host!;
  }

  /**
   * The device tensor, flat and in the storage's order, owned by this storage (never
   * dispose it; reshape or slice it inside tf.tidy). Uploads the host data when the
   * device copy is stale; a channels-last device copy is put in the storage's order
   * first (from the host when it is current, else by a permutation on the device).
   */
  deviceTensor(): tf.Tensor1D {
    if (this.deviceValid && this.order) {
      if (this.hostValid) {
        this.dropDevice();
      } else {
        const { c, h, w } = this.order;
        const dev = this.device.tensor!;
        const flat = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(dev, [this.length / (c * h * w), h, w, c]), [0, 3, 1, 2]), [this.length]));
        dev.dispose();
        this.device.tensor = tf.keep(flat);
        this.order = null;
        layoutTransfers.deviceReorders++;
      }
    }
    return this.deviceCopy();
  }

  /**
   * The device copy as it lies, flat, with its order (null: the storage's own order);
   * uploads the host data in the storage's order when the device copy is stale. Owned
   * by the storage, as deviceTensor's.
   */
  deviceImages(): { tensor: tf.Tensor1D; order: ImageOrder | null } {
    const tensor = this.deviceCopy();
    return { tensor, order: this.order };
  }

  /** The order of the current device copy (null: the storage's own order, or no device copy). */
  deviceOrder(): ImageOrder | null {
    return this.deviceValid ? this.order : null;
  }

  private deviceCopy(): tf.Tensor1D {
    if (!this.deviceValid && this.parked) {
      // parked values go back as they lie (the parked copy stays: park() again is free)
      const { values, order } = this.parked;
      this.device.tensor = tf.keep(tf.tensor1d(parkedValuesForUpload(values), isFloatingType(this.type) ? 'float32' : 'int32'));
      this.deviceValid = true;
      this.order = order;
      return this.device.tensor as tf.Tensor1D;
    }
    if (!this.deviceValid) {
      const host = this.host!;
      let values: Float32Array | Int32Array;
      // Always a fresh array: the cpu backend keeps the array it is given by reference,
      // and later host writes to this storage must not reach tensors derived from it.
      if (isFloatingType(this.type)) {
        if (host instanceof Float32Array) values = host.slice();
        else if (this.type === 'Half') values = Float32Array.from(host as Uint16Array, halfToNumber);
        else values = Float32Array.from(host as Float64Array);
      } else if (host instanceof BigInt64Array) {
        values = Int32Array.from(host, (v) => Number(BigInt.asIntN(32, v)));
      } else {
        values = host instanceof Int32Array ? host.slice() : Int32Array.from(host as ArrayLike<number>);
      }
      this.dropDevice();
      this.device.tensor = tf.tensor1d(values, isFloatingType(this.type) ? 'float32' : 'int32');
      tf.keep(this.device.tensor);
      this.deviceValid = true;
      this.order = null;
    }
    return this.device.tensor as tf.Tensor1D;
  }

  /** True when the device holds a current copy (so reading it costs no upload). */
  onDevice(): boolean {
    return this.deviceValid;
  }

  /** True when park() would only free the device copy: a current parked copy exists. */
  hasParkedCopy(): boolean {
    return this.parked !== null;
  }

  /** True when the values lie in host memory as the device held them (park()), not yet read back. */
  isParked(): boolean {
    return !this.hostValid && !this.deviceValid && this.parked !== null;
  }

  /**
   * Frees the device copy and keeps the values in host memory: as the device holds them (a
   * channels-last copy stays channels-last, so uploading it again needs no permutation) unless
   * the host copy is current anyway. For activations between the passes (nn/offload.ts).
   * The parked copy stays valid while nothing writes the storage: nn modules write their
   * outputs only by making them anew (setDevice), never in place on the device after a pass.
   */
  park(): void {
    if (!this.deviceValid) return;
    if (!this.hostValid && !this.parked) this.parked = { values: downloadForParking(this.device.tensor!), order: this.order };
    this.freeDeviceTensor();
  }

  /**
   * Makes `t` the truth (ownership passes to the storage; the old device tensor is
   * disposed). The storage's size becomes t.size; the host copy becomes stale. With an
   * `order`, t holds the storage's NCHW images channels-last (an order in which NHWC and
   * NCHW coincide, one channel or one pixel, is recorded as the storage's own).
   */
  setDevice(t: tf.Tensor, order: ImageOrder | null = null): void {
    this.adoptDevice(t, order);
    this.length = t.size;
    this.host = null;
    this.hostValid = false;
  }

  /**
   * Keeps `t` (ownership passes) as the device copy of a storage whose host copy is
   * current: the same values, in `order` (an input batch uploaded channels-last once,
   * then read by every module that wants it so). The host stays the truth.
   */
  cacheDevice(t: tf.Tensor, order: ImageOrder | null): void {
    if (!this.hostValid || t.size !== this.length) {
      t.dispose();
      throw new RangeError(`cacheDevice: expected a current host copy of ${this.length} elements, got ${this.hostValid ? `${t.size} elements` : 'a device-home storage'}`);
    }
    this.adoptDevice(t, order);
  }

  private adoptDevice(t: tf.Tensor, order: ImageOrder | null): void {
    const next = order && order.c > 1 && order.h * order.w > 1 ? order : null;
    if (next && t.size % (next.c * next.h * next.w) !== 0) {
      throw new RangeError(`setDevice: ${t.size} elements are not whole images of ${next.c}x${next.h}x${next.w}`);
    }
    if (this.slot && t === this.slot.tensor) {
      this.order = next;
      this.dropParked();
      return;
    }
    this.dropDevice();
    let flat = t;
    if (t.rank !== 1) {
      flat = reshapeShared(t, [t.size]);
      t.dispose();
    }
    this.device.tensor = tf.keep(flat);
    this.deviceValid = true;
    this.order = next;
  }

  /** Torch's storage:resize(n): keeps the first min(old, n) elements. */
  resize(n: number): this {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Storage size must be a non-negative integer, got ${n}`);
    if (n === this.length) return this;
    const old = this.data();
    const next = allocHost(this.type, n);
    (next as Float64Array).set((old as Float64Array).subarray(0, Math.min(n, old.length)));
    this.dropDevice();
    this.host = next;
    this.length = n;
    return this;
  }

  /**
   * Torch's Char/Byte storage:string(): the bytes as a Lua string (one char per byte);
   * string(s) resizes the storage to s and copies it in, returning the storage.
   */
  string(): string;
  string(s: string): this;
  string(s?: string): string | this {
    if (this.type !== 'Char' && this.type !== 'Byte') throw new TypeError(`string(): a CharStorage or ByteStorage expected, got a ${this.type}Storage`);
    if (s === undefined) {
      const d = this.data();
      return Buffer.from(d.buffer, d.byteOffset, this.length).toString('latin1');
    }
    const b = Buffer.from(String(s), 'latin1');
    this.resize(b.length);
    const d = this.mutableData();
    new Uint8Array(d.buffer, d.byteOffset, b.length).set(b);
    return this;
  }

  /** Element i (0-based) as a number (Long values beyond 2^53 round, as in Lua). */
  getNumber(i: number): number {
    const d = this.data();
    const v = d[i]!;
    if (typeof v === 'bigint') return Number(v);
    return this.type === 'Half' ? halfToNumber(v) : v;
  }

  /** Sets 0-based element i to v, converted to the element type as a C cast does. */
  setNumber(i: number, v: number): void {
    const d = this.mutableData();
    if (d instanceof BigInt64Array) d[i] = BigInt(Math.trunc(v));
    else if (this.type === 'Half') d[i] = numberToHalf(v);
    else d[i] = castNumber(this.type, v);
  }

  /** Sets every element to v (converted as a C cast does). */
  fill(v: number): this {
    const d = this.mutableData();
    if (d instanceof BigInt64Array) d.fill(BigInt(Math.trunc(v)));
    else if (this.type === 'Half') (d as Uint16Array).fill(numberToHalf(v));
    else (d as Float64Array).fill(castNumber(this.type, v));
    return this;
  }

  /**
   * Empties the storage now (size 0): both copies are dropped and nothing is read back. For
   * buffers whose contents nobody needs any more (nn's released gradInputs).
   */
  release(): void {
    this.dropDevice();
    this.host = allocHost(this.type, 0);
    this.hostValid = true;
    this.length = 0;
  }

  /**
   * Takes over `other`'s values without a copy (its device tensor, or its host array), as if
   * they had been written here; `other` is left empty (size 0), as release() leaves it. For a
   * result computed into another module's buffer (nn.ConcatTable's residual fusion).
   */
  takeContentsOf(other: Storage): void {
    if (other === this) return;
    if (other.type !== this.type) throw new TypeError(`takeContentsOf: a ${this.type} storage cannot take a ${other.type} storage's values`);
    const t = other.hostValid ? null : other.slot?.tensor ?? null;
    if (t) {
      // handed over, not disposed: the slot forgets it first
      const order = other.order;
      other.slot!.tensor = null;
      other.deviceValid = false;
      this.setDevice(t, order);
    } else {
      this.dropDevice();
      this.host = other.data();
      this.hostValid = true;
      this.length = this.host.length;
    }
    other.release();
  }

  /**
   * Moves the values into `target` (this storage's host kind, its length), which holds them
   * from now on: e.g. a slot of a WebAssembly memory a kernel updates in place
   * (optim/sgd_arena.ts). The device copy is dropped; every tensor on this storage sees the
   * same values, now in `target`.
   */
  moveHostTo(target: HostArray): void {
    if (target.constructor !== HOST_ARRAY[this.type] || target.length !== this.length) {
      throw new TypeError(`moveHostTo: a ${this.type} storage of ${this.length} elements needs a ${HOST_ARRAY[this.type]!.name} of that length, got a ${target.constructor.name} of ${target.length}`);
    }
    const values = this.mutableData();
    if (values === target) return;
    (target as Float64Array).set(values as Float64Array);
    this.host = target;
  }

  /** Releases the device copy now (the storage stays usable from the host). */
  dispose(): void {
    this.data();
    this.dropDevice();
  }

  /** Drops the device copy (and a parked one): the values are about to change, or live on the host. */
  private dropDevice(): void {
    this.freeDeviceTensor();
    this.dropParked();
  }

  /** Forgets the parked copy; its array serves a later park (nothing else holds it). */
  private dropParked(): void {
    if (this.parked) releaseParkedArray(this.parked.values);
    this.parked = null;
  }

  private freeDeviceTensor(): void {
    const slot = this.slot;
    if (slot?.tensor && !slot.tensor.isDisposed) slot.tensor.dispose();
    if (slot) slot.tensor = null;
    this.deviceValid = false;
    this.order = null;
  }
}

/** NHWC images (as the device holds them) back in NCHW order. */
function imagesToStorageOrder(values: Float32Array | Int32Array, order: ImageOrder): Float32Array | Int32Array {
  const { c, h, w } = order;
  const hw = h * w;
  const chw = c * hw;
  const out = new (values.constructor as new (n: number) => Float32Array | Int32Array)(values.length);
  for (let base = 0; base < values.length; base += chw) {
    for (let p = 0; p < hw; p++) {
      const from = base + p * c;
      for (let ch = 0; ch < c; ch++) out[base + ch * hw + p] = values[from + ch]!;
    }
  }
  return out;
}
