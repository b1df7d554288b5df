// A Torch storage: a flat run of elements with one home at a time.
//
// The host home is a typed array; the device home is a tfjs tensor (float32 for
// floating types, int32 for integer ones). Whichever side was written last is the
// truth; the other side is filled only when somebody asks for it. The storage owns
// its device tensor: replacing it disposes the old one, and a storage that is
// garbage collected releases it through a FinalizationRegistry.

import * as tf from '@tensorflow/tfjs-core';
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

const releaseDevice = new FinalizationRegistry<DeviceSlot>((slot) => {
  if (slot.tensor && !slot.tensor.isDisposed) slot.tensor.dispose();
  slot.tensor = null;
});

const HOST_ARRAY: Record<TensorType, Function> = {
  Byte: Uint8Array, Char: Int8Array, Short: Int16Array, Int: Int32Array,
  Long: BigInt64Array, Float: Float32Array, Double: Float64Array, Half: Uint16Array,
};

export class Storage {
  readonly type: TensorType;
  /** The class this storage was loaded as when it differs from the CPU one (e.g. 'torch.CudaStorage'). */
  sourceClass: string | undefined;
  private host: HostArray | null;
  private hostValid: boolean;
  /** Made, and registered for release at collection, when the storage first goes to the device. */
  private slot: DeviceSlot | null = null;
  private deviceValid = false;
  private length: number;

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
  static fromDevice(type: TensorType, t: tf.Tensor): Storage {
    const s = new Storage(type, 0);
    s.setDevice(t);
    return s;
  }

  className(): string {
    return this.sourceClass ?? storageClassName(this.type);
  }

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
      const t = this.device.tensor!;
      const values = t.dataSync();
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
   * The device tensor, flat, owned by this storage (never dispose it; reshape or
   * slice it inside tf.tidy). Uploads the host data when the device copy is stale.
   */
  deviceTensor(): tf.Tensor1D {
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
    }
    return this.device.tensor as tf.Tensor1D;
  }

  /** True when the device holds a current copy (so reading it costs no upload). */
  onDevice(): boolean {
    return this.deviceValid;
  }

  /**
   * Makes `t` the truth (ownership passes to the storage; the old device tensor is
   * disposed). The storage's size becomes t.size; the host copy becomes stale.
   */
  setDevice(t: tf.Tensor): void {
    if (this.slot && t === this.slot.tensor) return;
    this.dropDevice();
    let flat = t;
    if (t.rank !== 1) {
      flat = tf.reshape(t, [t.size]);
      t.dispose();
    }
    this.device.tensor = tf.keep(flat);
    this.deviceValid = true;
    this.length = t.size;
    this.host = null;
    this.hostValid = false;
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

  /** Element i (0-based) as a number (Long values beyond 2^53 round, as in Lua). */
  getNumber(i: number): number {
    const d = this.data();
    const v = d[i]!;
    if (typeof v === 'bigint') return Number(v);
    return this.type === 'Half' ? halfToNumber(v) : v;
  }

  setNumber(i: number, v: number): void {
    const d = this.mutableData();
    if (d instanceof BigInt64Array) d[i] = BigInt(Math.trunc(v));
    else if (this.type === 'Half') d[i] = numberToHalf(v);
    else d[i] = castNumber(this.type, v);
  }

  fill(v: number): this {
    const d = this.mutableData();
    if (d instanceof BigInt64Array) d.fill(BigInt(Math.trunc(v)));
    else if (this.type === 'Half') (d as Uint16Array).fill(numberToHalf(v));
    else (d as Float64Array).fill(castNumber(this.type, v));
    return this;
  }

  /** Releases the device copy now (the storage stays usable from the host). */
  dispose(): void {
    this.data();
    this.dropDevice();
  }

  private dropDevice(): void {
    const slot = this.slot;
    if (slot?.tensor && !slot.tensor.isDisposed) slot.tensor.dispose();
    if (slot) slot.tensor = null;
    this.deviceValid = false;
  }
}
