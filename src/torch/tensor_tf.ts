// The TensorFlow.js bridge: a tensor's values as a tfjs tensor (toTF, toTFNHWC) and a
// tfjs tensor as a tensor's content (setTF), using the storage's device copy where it
// can (see storage.ts: a device copy of NCHW images may lie channels-last).

import { tf } from './tfjs_core.js';
import { TensorRandom } from './tensor_random.js';
import { halfToNumber } from './types.js';
import { forEachStorageIndex, contiguousStrides } from './layout.js';
import { Storage, type ImageOrder } from './storage.js';
import { reshapeShared } from './tf_view.js';

/** Part of Tensor's class chain: the TensorFlow.js bridge. */
export abstract class TensorTF extends TensorRandom {
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
      if (!order && this.isContiguous()) return this.deviceSliceAs(shape);
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
      if (same) return this.deviceSliceAs([n, h, w, c]) as tf.Tensor4D;
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
    // a view left on a storage that nn's release of consumed gradInputs emptied (another
    // tensor sharing it, e.g. an in-place module's gradInput, was the one released): nothing
    // in it to keep, the value gets a storage of its own
    if (this.storage_ && this.storage_.size() === 0) this.storage_ = null;
    const covers = !this.storage_ || (this.offset_ === 0 && this.nElement() === this.storage_.size() && this.isContiguous());
    if (!covers) {
      const src = this.newTensor(this.elementType, []);
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
    if (s?.isParked()) return true;
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
    if (this.offset_ === 0 && n === dev.size) return reshapeShared(dev, [n]);
    return tf.slice(dev, this.offset_, n);
  }

  /** deviceSlice() with `shape` (one new handle when the view covers the whole copy). */
  private deviceSliceAs(shape: readonly number[]): tf.Tensor {
    const dev = this.storage_!.deviceImages().tensor;
    if (this.offset_ === 0 && this.nElement() === dev.size) return reshapeShared(dev, shape);
    return tf.tidy(() => tf.reshape(this.deviceSlice(), shape as number[]));
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
