// nn.SpatialAveragePooling(kW, kH, dW = 1, dH = 1, padW = 0, padH = 0), with :ceil() /
// :floor(), :setCountIncludePad() / :setCountExcludePad() (Torch's defaults: floor,
// count_include_pad = true, divide = true).
//
// THNN's divisor: with count_include_pad the window clipped to the padded image (so a
// ceil-mode window hanging past the padding divides by less than kW*kH), otherwise the
// window clipped to the image. A file without `divide` (old nn) multiplies the result
// back by kW*kH. Float runs on tfjs (zero padding, 'valid' average pool, a per-window
// correction where the divisor is not kW*kH); Double on the host.

import type { Tensor } from '../torch/tensor.js';
import { tf } from '../torch/tfjs_core.js';
import { type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf, expectTensor, hostValues, setOutputHost } from './tensor_helpers.js';
import { avgPoolBackward, avgPoolDivisors, avgPoolForward, tfPoolPadding, type PoolShape } from './float64/pool.js';
import { asBatch4d, setOutputTFBatch } from './float64/batching.js';
import { SpatialPooling, checkPoolGradOutput, pooledSizes } from './SpatialMaxPooling.js';

/**
 * nn.SpatialAveragePooling(kW, kH, dW = 1, dH = 1, padW = 0, padH = 0): the mean of each kW x kH
 * window, per channel; the padding counts in the divisor (count_include_pad) unless
 * setCountExcludePad().
 */
export class SpatialAveragePooling extends SpatialPooling {
  /**
   * @param kW window width (pixels).
   * @param kH window height.
   * @param dW horizontal stride (Torch's default 1).
   * @param dH vertical stride (default 1).
   * @param padW padding left and right (default 0).
   * @param padH padding top and bottom (default 0).
   */
  constructor(kW: number, kH: number, dW = 1, dH = 1, padW = 0, padH = 0) {
    super('nn.SpatialAveragePooling', kW, kH, dW, dH, padW, padH);
    this.fields.set('count_include_pad', true);
    this.fields.set('divide', true);
  }

  /** Whether padded positions count in the divisor (Torch's default true). */
  get count_include_pad(): boolean { return this.fields.get('count_include_pad') !== false; }
  /** Old nn files have no `divide` field: they sum instead of averaging. */
  get divide(): boolean {
    const d = this.fields.get('divide');
    return d === undefined ? this.divideWhenAbsent() : d === true;
  }

  /** What a missing `divide` field means (nn: an old file that sums; cudnn overrides). */
  protected divideWhenAbsent(): boolean {
    return false;
  }

  /** Padded positions count in the divisor (the default); returns this. */
  setCountIncludePad(): this {
    this.fields.set('count_include_pad', true);
    return this;
  }

  /** Only positions inside the image count in the divisor; returns this. */
  setCountExcludePad(): this {
    this.fields.set('count_include_pad', false);
    return this;
  }

  override updateOutput(input: Activity): Tensor {
    const where = `${this.className}:updateOutput`;
    this.backwardCompatible();
    const x = expectTensor(input, where);
    const { x4, batched } = asBatch4d(x, where);
    const out = this.buffer('output', x);
    const s = this.shapeOf(x4, where);
    const factor = this.divide ? 1 : this.kW * this.kH;
    if (engineOf(x, where) === 'tf') {
      const y = tf.tidy(() => avgPoolNHWC(x4.toTFNHWC(), s, this.count_include_pad, factor));
      setOutputTFBatch(out, y, batched);
    } else {
      const y = avgPoolForward(hostValues(x4), s, this.count_include_pad);
      if (factor !== 1) for (let i = 0; i < y.length; i++) y[i] *= factor;
      setOutputHost(out, pooledSizes(x4, s, batched), y);
    }
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const where = `${this.className}:updateGradInput`;
    this.backwardCompatible();
    const x = expectTensor(input, where);
    const dy = expectTensor(gradOutput, where);
    const { x4, batched } = asBatch4d(x, where);
    const s = this.shapeOf(x4, where);
    const dy4 = checkPoolGradOutput(dy, x4, s, batched, where);
    const gradInput = this.buffer('gradInput', x);
    const factor = this.divide ? 1 : this.kW * this.kH;
    const includePad = this.count_include_pad;
    if (engineOf(x, where) === 'tf') {
      const dx = tf.tidy(() => {
        const [n, c, h, w] = x4.size() as [number, number, number, number];
        return avgPoolBackwardNHWC([n, h, w, c], dy4.toTFNHWC(), s, includePad, factor);
      });
      setOutputTFBatch(gradInput, dx, batched);
    } else {
      const dx = avgPoolBackward(hostValues(dy4), s, includePad);
      if (factor !== 1) for (let i = 0; i < dx.length; i++) dx[i] *= factor;
      setOutputHost(gradInput, x.size(), dx);
    }
    return gradInput;
  }

  /** Torch's backwardCompatible: files from before ceil_mode existed. */
  private backwardCompatible(): void {
    if (this.fields.get('ceil_mode') === undefined) {
      this.fields.set('ceil_mode', false);
      this.fields.set('count_include_pad', true);
      this.fields.set('padH', 0);
      this.fields.set('padW', 0);
    }
  }
}

/**
 * Per-window multipliers that turn tfjs's mean over kH*kW (zero padding included) into
 * THNN's sum / divisor, times `factor`; null when they are all 1.
 */
function correction(s: PoolShape, countIncludePad: boolean, factor: number): tf.Tensor3D | null {
  const full = s.kH * s.kW;
  const div = avgPoolDivisors(s, countIncludePad);
  if (factor === 1 && div.every((d) => d === full)) return null;
  return tf.tensor3d(Float32Array.from(div, (d) => (full / d) * factor), [s.oH, s.oW, 1]);
}

/** Average pooling of an NHWC tensor with THNN's windows and divisors, times `factor`. */
function avgPoolNHWC(x: tf.Tensor4D, s: PoolShape, countIncludePad: boolean, factor: number): tf.Tensor4D {
  const { pads, exact } = tfPoolPadding(s);
  const [top, bottom, left, right] = pads;
  const padded = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
  let y = tf.avgPool(padded, [s.kH, s.kW], [s.dH, s.dW], 'valid');
  if (!exact) y = tf.slice(y, [0, 0, 0, 0], [-1, s.oH, s.oW, -1]);
  const c = correction(s, countIncludePad, factor);
  return c ? tf.mul(y, c) : y;
}

/** gradInput of avgPoolNHWC: dy times the multipliers, the backend's AvgPoolGrad over the padded shape, the padding cut off. */
function avgPoolBackwardNHWC(xShape: number[], dy: tf.Tensor4D, s: PoolShape, countIncludePad: boolean, factor: number): tf.Tensor4D {
  const { pads } = tfPoolPadding(s);
  const [top, bottom, left, right] = pads;
  const [n, h, w, c] = xShape as [number, number, number, number];
  const paddedShape: [number, number, number, number] = [n, h + top + bottom, w + left + right, c];
  const validH = Math.floor((paddedShape[1] - s.kH) / s.dH) + 1;
  const validW = Math.floor((paddedShape[2] - s.kW) / s.dW) + 1;
  const corr = correction(s, countIncludePad, factor);
  if (!corr && !top && !bottom && !left && !right && s.oH === 1 && s.oW === 1 && h === s.kH && w === s.kW) {
    // Global pooling (the end of a CIFAR ResNet): every input gets dy / (kH*kW). A broadcast
    // is ~100x faster than AvgPoolGrad on wasm (Tile is slow there; on cpu it is the fast one).
    const g0 = tf.mul(dy, 1 / (s.kH * s.kW));
    return (tf.getBackend() === 'cpu' ? tf.tile(g0, [1, h, w, 1]) : tf.add(g0, tf.zeros([1, h, w, 1]))) as tf.Tensor4D;
  }
  let g = corr ? tf.mul(dy, corr) : dy;
  if (validH !== s.oH || validW !== s.oW) g = tf.pad(g, [[0, 0], [0, validH - s.oH], [0, validW - s.oW], [0, 0]]);
  // AvgPoolGrad reads only the input's shape.
  const shapeOnly = tf.zeros(paddedShape);
  const dxPadded = tf.engine().runKernel('AvgPoolGrad', { dy: g, input: shapeOnly }, {
    filterSize: [s.kH, s.kW],
    strides: [s.dH, s.dW],
    pad: 'valid',
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return top || bottom || left || right ? tf.slice(dxPadded, [0, top, left, 0], [n, h, w, c]) : dxPadded;
}

registerModule('nn.SpatialAveragePooling', SpatialAveragePooling);
