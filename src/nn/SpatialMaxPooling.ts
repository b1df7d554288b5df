// nn.SpatialMaxPooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0), with :ceil() / :floor().
//
// THNN semantics: windows are clipped to the image (padding never wins), the first
// strict maximum in a window is taken, output size floor (or ceil) of
// (size - k + 2*pad) / d + 1, and with padding a last window starting in the padding is
// dropped. Float runs on tfjs (padding with -inf, then a 'valid' max pool); Double on
// the host, which also records Torch's `indices` (1-based position in the plane).
// The Float path leaves `indices` empty: filling it on tfjs was measured at 12-16x the
// forward's time with MaxPoolWithArgmax (wasm, 32x32x32x64 2x2: 1.7 -> 21 ms; cpu 34 ->
// 232 ms) and far more with per-tap compares, and its backward does not need it.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf, expectTensor, hostValues, setOutputHost } from './tensor_helpers.js';
import { maxPoolBackward, maxPoolForward, poolShape, tfPoolPadding, type PoolShape } from './float64/pool.js';
import { asBatch4d, setOutputTFBatch } from './float64/batching.js';

/**
 * What max and average pooling share: the kW, kH, dW, dH, padW, padH and ceil_mode fields
 * (in Torch's order), :ceil() / :floor(), THNN's geometry and Torch's print format.
 */
export class SpatialPooling extends Module<Tensor, Tensor> {
  /**
   * @param className Torch's class name.
   * @param kW window width (pixels).
   * @param kH window height.
   * @param dW horizontal stride.
   * @param dH vertical stride.
   * @param padW padding left and right.
   * @param padH padding top and bottom.
   */
  constructor(className: string, kW: number, kH: number, dW: number, dH: number, padW: number, padH: number) {
    super(className);
    const f = this.fields;
    f.set('kW', kW);
    f.set('kH', kH);
    f.set('dW', dW);
    f.set('dH', dH);
    f.set('padW', padW);
    f.set('padH', padH);
    f.set('ceil_mode', false);
  }

  /** Window width (pixels). */
  get kW(): number { return this.numberField('kW'); }
  /** Window height (pixels). */
  get kH(): number { return this.numberField('kH'); }
  /** Horizontal stride. */
  get dW(): number { return this.numberField('dW'); }
  /** Vertical stride. */
  get dH(): number { return this.numberField('dH'); }
  /** Padding left and right (pixels). */
  get padW(): number { return (this.fields.get('padW') as number | undefined) ?? 0; }
  /** Padding top and bottom (pixels). */
  get padH(): number { return (this.fields.get('padH') as number | undefined) ?? 0; }
  /** Whether output sizes are rounded up (ceil()) rather than down. */
  get ceil_mode(): boolean { return this.fields.get('ceil_mode') === true; }

  /** Rounds output sizes up, as Torch's :ceil(); returns this. */
  ceil(): this {
    this.fields.set('ceil_mode', true);
    return this;
  }

  /** Rounds output sizes down (the default), as Torch's :floor(); returns this. */
  floor(): this {
    this.fields.set('ceil_mode', false);
    return this;
  }

  /** Torch's pooling __tostring__: name(kWxkH, dW,dH[, padW,padH]). */
  override __tostring__(): string {
    let s = `${this.className}(${this.kW}x${this.kH}, ${this.dW},${this.dH}`;
    if (this.padW !== 0 || this.padH !== 0) s += `, ${this.padW},${this.padH}`;
    return `${s})`;
  }

  protected shapeOf(x4: Tensor, where: string): PoolShape {
    return poolShape(x4.size(), { kW: this.kW, kH: this.kH, dW: this.dW, dH: this.dH, padW: this.padW, padH: this.padH, ceil: this.ceil_mode }, where);
  }
}

/**
 * nn.SpatialMaxPooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0): the maximum of each kW x kH
 * window, per channel of N x C x H x W (or C x H x W); output height floor((H + 2 padH - kH) / dH) + 1
 * (ceil with :ceil()).
 */
export class SpatialMaxPooling extends SpatialPooling {
  /**
   * @param kW window width (pixels).
   * @param kH window height.
   * @param dW horizontal stride (default kW).
   * @param dH vertical stride (default kH).
   * @param padW padding left and right (default 0; at most kW / 2).
   * @param padH padding top and bottom (default 0).
   */
  constructor(kW: number, kH: number, dW?: number, dH?: number, padW = 0, padH = 0) {
    super('nn.SpatialMaxPooling', kW, kH, dW ?? kW, dH ?? kH, padW, padH);
    this.fields.set('indices', new Tensor('Long'));
  }

  override updateOutput(input: Activity): Tensor {
    const where = `${this.className}:updateOutput`;
    const x = expectTensor(input, where);
    const { x4, batched } = asBatch4d(x, where);
    const out = this.buffer('output', x);
    this.fields.set('iheight', x.size(x.dim() - 1));
    this.fields.set('iwidth', x.size(x.dim()));
    // Torch's backward compatibility for files from before these fields existed.
    if (this.fields.get('ceil_mode') === undefined) this.fields.set('ceil_mode', false);
    if (this.fields.get('padW') === undefined) this.fields.set('padW', 0);
    if (this.fields.get('padH') === undefined) this.fields.set('padH', 0);
    const s = this.shapeOf(x4, where);
    if (engineOf(x, where) === 'tf') {
      // Torch's `self.indices = self.indices:long()`: a LongTensor whatever the module's type;
      // the Float path leaves it empty (docs/ARCHITECTURE.md, departures: filling it costs 12-16x the forward).
      if (!(this.fields.get('indices') instanceof Tensor) || (this.fields.get('indices') as Tensor).elementType !== 'Long') this.fields.set('indices', new Tensor('Long'));
      const y = tf.tidy(() => maxPoolNHWC(x4.toTFNHWC(), s));
      setOutputTFBatch(out, y, batched);
    } else {
      const { y, indices } = maxPoolForward(hostValues(x4), s);
      const outSizes = pooledSizes(x4, s, batched);
      setOutputHost(out, outSizes, y);
      let ind = this.fields.get('indices');
      if (!(ind instanceof Tensor) || ind.elementType !== 'Long') {
        ind = new Tensor('Long');
        this.fields.set('indices', ind);
      }
      const it = (ind as Tensor).resize(...outSizes);
      const d = it.storage().mutableData() as BigInt64Array;
      for (let k = 0, o = it.offset(); k < indices.length; k++) d[o + k] = BigInt(indices[k]!);
    }
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const where = `${this.className}:updateGradInput`;
    const x = expectTensor(input, where);
    const dy = expectTensor(gradOutput, where);
    const { x4, batched } = asBatch4d(x, where);
    const s = this.shapeOf(x4, where);
    const dy4 = checkPoolGradOutput(dy, x4, s, batched, where);
    const gradInput = this.buffer('gradInput', x);
    if (engineOf(x, where) === 'tf') {
      const dx = tf.tidy(() => maxPoolBackwardNHWC(x4.toTFNHWC(), dy4.toTFNHWC(), s));
      setOutputTFBatch(gradInput, dx, batched);
    } else {
      const ind = this.fields.get('indices');
      if (!(ind instanceof Tensor) || ind.nElement() !== s.planes * s.oH * s.oW) {
        throw new Error(`${where}: indices from updateOutput are missing or do not match the input; call forward first`);
      }
      setOutputHost(gradInput, x.size(), maxPoolBackward(hostValues(dy4), hostValues(ind), s));
    }
    return gradInput;
  }

  /** Torch's empty(), for backward compatibility. */
  empty(): void {
    this.clearState();
  }

  override clearState(): this {
    const ind = this.fields.get('indices');
    if (ind instanceof Tensor) ind.set();
    return super.clearState();
  }
}

/** The pooled output's sizes: [n, c, oH, oW], or [c, oH, oW] for an unbatched (3-d) input. */
export function pooledSizes(x4: Tensor, s: PoolShape, batched: boolean): number[] {
  return batched ? [x4.size(1), x4.size(2), s.oH, s.oW] : [x4.size(2), s.oH, s.oW];
}

/** Checks gradOutput against the pooled size and returns it as 4-d. */
export function checkPoolGradOutput(dy: Tensor, x4: Tensor, s: PoolShape, batched: boolean, where: string): Tensor {
  const expected = pooledSizes(x4, s, batched);
  const got = dy.size();
  if (got.length !== expected.length || got.some((v, i) => v !== expected[i])) {
    throw new RangeError(`${where}: expected gradOutput of sizes [${expected.join(', ')}], got [${got.join(', ')}]`);
  }
  if (dy.elementType !== x4.elementType) throw new TypeError(`${where}: gradOutput is a ${dy.className()}, the input a ${x4.className()}`);
  return asBatch4d(dy, where).x4;
}

/** The input padded with -inf (padding never wins) so that a 'valid' max pool has THNN's windows. */
function padForMax(x: tf.Tensor4D, s: PoolShape): tf.Tensor4D {
  const [top, bottom, left, right] = tfPoolPadding(s).pads;
  return top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -Infinity) : x;
}

/** Max pooling of an NHWC tensor at THNN's window positions. */
function maxPoolNHWC(x: tf.Tensor4D, s: PoolShape): tf.Tensor4D {
  const y = tf.maxPool(padForMax(x, s), [s.kH, s.kW], [s.dH, s.dW], 'valid');
  return tfPoolPadding(s).exact ? y : tf.slice(y, [0, 0, 0, 0], [-1, s.oH, s.oW, -1]);
}

/**
 * gradInput of maxPoolNHWC with THNN's routing: each gradOutput element goes to the FIRST
 * maximum of its window in row-major window order. Built from tfjs ops, one pass per
 * kernel offset, instead of the backends' MaxPoolGrad: their tie-breaking differs from
 * Torch's (ties are common after a ReLU), and tfjs-backend-wasm 4.22's MaxPoolGrad drops
 * the gradient of windows whose maximum is negative.
 */
function maxPoolBackwardNHWC(x: tf.Tensor4D, dy: tf.Tensor4D, s: PoolShape): tf.Tensor4D {
  const padded = padForMax(x, s);
  const [n, hp, wp, c] = padded.shape;
  const { oH, oW, kH, kW, dH, dW } = s;
  const spanH = (oH - 1) * dH + 1;
  const spanW = (oW - 1) * dW + 1;
  const windows: tf.Tensor4D[] = [];
  for (let ky = 0; ky < kH; ky++) {
    for (let kx = 0; kx < kW; kx++) {
      windows.push(tf.stridedSlice(padded, [0, ky, kx, 0], [n, ky + spanH, kx + spanW, c], [1, dH, dW, 1]) as tf.Tensor4D);
    }
  }
  const y = windows.reduce((a, b) => tf.maximum(a, b));
  let taken: tf.Tensor = tf.cast(tf.zerosLike(y), 'bool');
  let dx: tf.Tensor4D = tf.zeros([n, hp, wp, c]);
  windows.forEach((win, k) => {
    const hit = tf.logicalAnd(tf.equal(win, y), tf.logicalNot(taken));
    taken = tf.logicalOr(taken, hit);
    const part = tf.mul(dy, tf.cast(hit, 'float32')) as tf.Tensor4D;
    dx = tf.add(dx, placeStrided(part, Math.floor(k / kW), k % kW, s, [n, hp, wp, c]));
  });
  const [top, , left] = tfPoolPadding(s).pads;
  return padded === x ? dx : tf.slice(dx, [0, top, left, 0], x.shape);
}

/** Spreads [n, oH, oW, c] onto the padded grid at rows ky + oy*dH, columns kx + ox*dW (zeros elsewhere). */
function placeStrided(part: tf.Tensor4D, ky: number, kx: number, s: PoolShape, shape: [number, number, number, number]): tf.Tensor4D {
  const [n, hp, wp, c] = shape;
  const { oH, oW, dH, dW } = s;
  let t: tf.Tensor = part;
  if (dH > 1) t = tf.reshape(tf.pad(tf.reshape(t, [n * oH, 1, oW * c]), [[0, 0], [0, dH - 1], [0, 0]]), [n, oH * dH, oW, c]);
  if (dW > 1) t = tf.reshape(tf.pad(tf.reshape(t, [n * oH * dH * oW, 1, c]), [[0, 0], [0, dW - 1], [0, 0]]), [n, oH * dH, oW * dW, c]);
  const spanH = (oH - 1) * dH + 1;
  const spanW = (oW - 1) * dW + 1;
  if (dH > 1 || dW > 1) t = tf.slice(t, [0, 0, 0, 0], [n, spanH, spanW, c]);
  return tf.pad(t as tf.Tensor4D, [[0, 0], [ky, hp - ky - spanH], [kx, wp - kx - spanW], [0, 0]]);
}

registerModule('nn.SpatialMaxPooling', SpatialMaxPooling);
