// The compute functions the nn modules call on Float (float32) tfjs tensors.
// Activations are NHWC (channels last). Every function returns NEW tensors owned by
// the caller and leaves no intermediate tensor alive (tf.tidy).
//
// MPELU and batch norm dispatch to fused kernels (one pass forward, one pass backward)
// when the active backend has them (cpu, wasm: see fused/register.ts); otherwise a composite
// of tfjs ops computes the same thing (tensorflow and any other backend).

import { tf } from '../torch/tfjs_core.js';
import { FUSED, hasFusedKernel } from './fused/register.js';
import { conv2dForwardWasmSimd } from './wasm/conv_forward.js';

export type Pair = number | readonly [number, number];

function pair(v: Pair, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0]!, v[1]!];
  throw new TypeError(`${what}: expected a number or [h, w], got ${JSON.stringify(v)}`);
}

function expectRank(t: tf.Tensor, rank: number, what: string): void {
  if (t.rank !== rank) throw new RangeError(`${what}: expected a ${rank}-d tensor, got shape [${t.shape}]`);
}

function expectFloat(t: tf.Tensor, what: string): void {
  if (t.dtype !== 'float32') throw new TypeError(`${what}: expected a float32 tensor, got ${t.dtype}`);
}

function explicitPad(padH: number, padW: number): [[number, number], [number, number], [number, number], [number, number]] {
  return [[0, 0], [padH, padH], [padW, padW], [0, 0]];
}

// ---------------------------------------------------------------------------------
// Convolution (Torch's SpatialConvolution: symmetric zero padding, floor output size)

/** y = conv(x, filter) + bias; x NHWC, filter [kH, kW, inC, outC], bias [outC] or null. */
export function conv2dForward(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  strideH: number,
  strideW: number,
  padH: number,
  padW: number,
): tf.Tensor4D {
  expectRank(x, 4, 'conv2dForward input');
  expectRank(filter, 4, 'conv2dForward filter');
  if (x.shape[3] !== filter.shape[2]) {
    throw new RangeError(`conv2dForward: input has ${x.shape[3]} channels (NHWC shape [${x.shape}]) but the filter expects ${filter.shape[2]} (shape [${filter.shape}])`);
  }
  const pad = explicitPad(padH, padW);
  if (tf.getBackend() === 'wasm') {
    // A SIMD kernel reading x in place beats XNNPACK with a new filter tensor per call
    // (wasm/conv_forward.ts); null (switched off, no SIMD) falls through.
    const [, h, w] = x.shape;
    const [kh, kw] = filter.shape;
    const ho = Math.floor((h + 2 * padH - kh) / strideH) + 1;
    const wo = Math.floor((w + 2 * padW - kw) / strideW) + 1;
    if (ho > 0 && wo > 0) {
      const info = conv2dForwardWasmSimd(tf.backend(), x, filter, bias, { kh, kw, sh: strideH, sw: strideW, pt: padH, pl: padW, ho, wo });
      if (info) return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
    }
  }
  if (bias) {
    return tf.fused.conv2d({ x, filter, strides: [strideH, strideW], pad, bias }) as tf.Tensor4D;
  }
  return tf.conv2d(x, filter, [strideH, strideW], pad);
}

/** Runs a tfjs convolution-gradient kernel with Torch's symmetric padding. */
function convGradKernel(kernel: string, inputs: tf.NamedTensorMap, shapeAttr: Record<string, number[]>, strides: Pair, pads: Pair): tf.Tensor4D {
  const [sH, sW] = pair(strides, `${kernel} strides`);
  const [pH, pW] = pair(pads, `${kernel} pads`);
  return tf.engine().runKernel(kernel, inputs, {
    strides: [sH, sW],
    pad: explicitPad(pH, pW),
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    ...shapeAttr,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** dx for y = conv2d(x, filter); dy NHWC, xShape the NHWC input shape. */
export function conv2dBackwardInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: readonly [number, number, number, number] | readonly number[],
  strides: Pair,
  pads: Pair,
): tf.Tensor4D {
  return convGradKernel('Conv2DBackpropInput', { dy, filter }, { inputShape: [...xShape] }, strides, pads);
}

/** dFilter [kH, kW, inC, outC] for y = conv2d(x, filter). */
export function conv2dBackwardFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number] | readonly number[],
  strides: Pair,
  pads: Pair,
): tf.Tensor4D {
  return convGradKernel('Conv2DBackpropFilter', { x, dy }, { filterShape: [...filterShape] }, strides, pads);
}

/** The bias gradient of a convolution: dy summed over N, H, W. */
export function conv2dBackwardBias(dy: tf.Tensor4D): tf.Tensor1D {
  return tf.sum(dy, [0, 1, 2]) as tf.Tensor1D;
}

// ---------------------------------------------------------------------------------
// MPELU (arXiv:1606.00305): y = x for x > 0, alpha * (exp(beta * x) - 1) otherwise.

function channelAxisOf(x: tf.Tensor, channelAxis: number | undefined): number {
  const axis = channelAxis === undefined ? x.rank - 1 : channelAxis < 0 ? x.rank + channelAxis : channelAxis;
  if (axis < 0 || axis >= x.rank) throw new RangeError(`mpelu: channel axis ${channelAxis} out of range for shape [${x.shape}]`);
  return axis;
}

function checkParam(p: tf.Tensor, x: tf.Tensor, axis: number, name: string): void {
  expectFloat(p, `mpelu ${name}`);
  const n = p.size;
  if (p.rank !== 1 || (n !== 1 && n !== x.shape[axis])) {
    throw new RangeError(`mpelu: ${name} must have shape [1] (shared) or [${x.shape[axis]}] (one per channel of axis ${axis}), got [${p.shape}] for input [${x.shape}]`);
  }
}

/** alpha/beta reshaped to broadcast along the channel axis. */
function broadcastParam(p: tf.Tensor, x: tf.Tensor, axis: number): tf.Tensor {
  if (p.size === 1 || axis === x.rank - 1) return p;
  const shape = x.shape.map((_, i) => (i === axis ? p.size : 1));
  return tf.reshape(p, shape);
}

export function mpeluForwardComposite(x: tf.Tensor, alpha: tf.Tensor, beta: tf.Tensor, channelAxis?: number): tf.Tensor {
  const axis = channelAxisOf(x, channelAxis);
  checkParam(alpha, x, axis, 'alpha');
  checkParam(beta, x, axis, 'beta');
  return tf.tidy(() => {
    const a = broadcastParam(alpha, x, axis);
    const b = broadcastParam(beta, x, axis);
    const neg = tf.mul(a, tf.sub(tf.exp(tf.mul(b, x)), 1));
    return tf.where(tf.greater(x, 0), x, neg);
  });
}

export interface MpeluGrads {
  dx: tf.Tensor;
  /** Same shape as alpha ([C] or [1]). */
  dAlpha: tf.Tensor;
  /** Same shape as beta ([C] or [1]). */
  dBeta: tf.Tensor;
}

function reduceToParam(t: tf.Tensor, x: tf.Tensor, axis: number, paramSize: number): tf.Tensor {
  if (paramSize === 1) return tf.reshape(tf.sum(t), [1]);
  const axes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  return tf.sum(t, axes);
}

export function mpeluBackwardComposite(x: tf.Tensor, dy: tf.Tensor, alpha: tf.Tensor, beta: tf.Tensor, channelAxis?: number): MpeluGrads {
  const axis = channelAxisOf(x, channelAxis);
  checkParam(alpha, x, axis, 'alpha');
  checkParam(beta, x, axis, 'beta');
  if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new RangeError(`mpeluBackward: gradOutput shape [${dy.shape}] differs from input shape [${x.shape}]`);
  return tf.tidy(() => {
    const a = broadcastParam(alpha, x, axis);
    const b = broadcastParam(beta, x, axis);
    const pos = tf.greater(x, 0);
    const e = tf.exp(tf.mul(b, x));
    const zeros = tf.zerosLike(x);
    const dx = tf.where(pos, dy, tf.mul(dy, tf.mul(tf.mul(a, b), e)));
    const gA = tf.where(pos, zeros, tf.mul(dy, tf.sub(e, 1)));
    const gB = tf.where(pos, zeros, tf.mul(tf.mul(dy, a), tf.mul(x, e)));
    return {
      dx,
      dAlpha: reduceToParam(gA, x, axis, alpha.size),
      dBeta: reduceToParam(gB, x, axis, beta.size),
    };
  });
}

/** MPELU forward; channel axis = last (NHWC / [N, C]) unless given. alpha, beta: [C] or [1]. */
export function mpeluForward(x: tf.Tensor, alpha: tf.Tensor, beta: tf.Tensor, channelAxis?: number): tf.Tensor {
  expectFloat(x, 'mpeluForward input');
  const axis = channelAxisOf(x, channelAxis);
  if (hasFusedKernel(FUSED.mpeluForward)) {
    checkParam(alpha, x, axis, 'alpha');
    checkParam(beta, x, axis, 'beta');
    return tf.engine().runKernel(FUSED.mpeluForward, { x, alpha, beta }, { axis }) as tf.Tensor;
  }
  return mpeluForwardComposite(x, alpha, beta, axis);
}

/**
 * MPELU backward: dx = dy (x > 0) or dy*alpha*beta*exp(beta*x); dAlpha = sum over x <= 0 of
 * dy*(exp(beta*x)-1), dBeta = sum over x <= 0 of dy*alpha*x*exp(beta*x), per channel
 * (or over everything when the parameter is shared). Unscaled: the module applies `scale`.
 */
export function mpeluBackward(x: tf.Tensor, dy: tf.Tensor, alpha: tf.Tensor, beta: tf.Tensor, channelAxis?: number): MpeluGrads {
  expectFloat(x, 'mpeluBackward input');
  expectFloat(dy, 'mpeluBackward gradOutput');
  const axis = channelAxisOf(x, channelAxis);
  if (hasFusedKernel(FUSED.mpeluBackward)) {
    checkParam(alpha, x, axis, 'alpha');
    checkParam(beta, x, axis, 'beta');
    if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new RangeError(`mpeluBackward: gradOutput shape [${dy.shape}] differs from input shape [${x.shape}]`);
    const [dx, dAlpha, dBeta] = tf.engine().runKernel(FUSED.mpeluBackward, { x, dy, alpha, beta }, { axis }) as unknown as tf.Tensor[];
    return { dx: dx!, dAlpha: dAlpha!, dBeta: dBeta! };
  }
  return mpeluBackwardComposite(x, dy, alpha, beta, axis);
}

// ---------------------------------------------------------------------------------
// Batch normalization over every axis but the last (NHWC, or [N, C] for BatchNormalization).
// Torch's THNN semantics: normalise with the biased batch variance; running_var is updated
// with the unbiased one (sum / (n - 1)), which `varUnbiased` gives.

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Per-channel batch mean [C]. */
  mean: tf.Tensor1D;
  /** Per-channel 1 / sqrt(biased var + eps) [C] (Torch's save_std). */
  invstd: tf.Tensor1D;
  /** Per-channel unbiased variance [C] (for running_var). */
  varUnbiased: tf.Tensor1D;
  /** Elements per channel (N*H*W). */
  count: number;
}

function bnCheck(x: tf.Tensor, what: string): number {
  expectFloat(x, what);
  if (x.rank < 2) throw new RangeError(`${what}: expected at least a 2-d tensor (channels last), got shape [${x.shape}]`);
  return x.shape[x.rank - 1]!;
}

function bnCheckParam(p: tf.Tensor | null, c: number, name: string, what: string): void {
  if (p && (p.rank !== 1 || p.size !== c)) throw new RangeError(`${what}: ${name} must have shape [${c}], got [${p.shape}]`);
}

function reduceAxes(x: tf.Tensor): number[] {
  return x.shape.slice(0, -1).map((_, i) => i);
}

export function batchNormTrainForwardComposite(x: tf.Tensor, weight: tf.Tensor1D | null, bias: tf.Tensor1D | null, eps: number): BatchNormTrainResult {
  const c = bnCheck(x, 'batchNormTrainForward input');
  bnCheckParam(weight, c, 'weight', 'batchNormTrainForward');
  bnCheckParam(bias, c, 'bias', 'batchNormTrainForward');
  const count = x.size / c;
  return {
    ...tf.tidy(() => {
      const axes = reduceAxes(x);
      const mean = tf.mean(x, axes) as tf.Tensor1D;
      const centered = tf.sub(x, mean);
      const sumSq = tf.sum(tf.square(centered), axes);
      const invstd = tf.rsqrt(tf.add(tf.div(sumSq, count), eps)) as tf.Tensor1D;
      const varUnbiased = tf.div(sumSq, count - 1) as tf.Tensor1D;
      let scale: tf.Tensor = invstd;
      if (weight) scale = tf.mul(scale, weight);
      let y = tf.mul(centered, scale);
      if (bias) y = tf.add(y, bias);
      return { y, mean, invstd, varUnbiased };
    }),
    count,
  };
}

/** The evaluate-mode forward's argument checks (channels last). */
function bnEvalCheck(x: tf.Tensor, runningMean: tf.Tensor1D, runningVar: tf.Tensor1D, weight: tf.Tensor1D | null, bias: tf.Tensor1D | null): void {
  const c = bnCheck(x, 'batchNormEvalForward input');
  bnCheckParam(runningMean, c, 'running_mean', 'batchNormEvalForward');
  bnCheckParam(runningVar, c, 'running_var', 'batchNormEvalForward');
  bnCheckParam(weight, c, 'weight', 'batchNormEvalForward');
  bnCheckParam(bias, c, 'bias', 'batchNormEvalForward');
}

export function batchNormEvalForwardComposite(
  x: tf.Tensor,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  weight: tf.Tensor1D | null,
  bias: tf.Tensor1D | null,
  eps: number,
): tf.Tensor {
  bnEvalCheck(x, runningMean, runningVar, weight, bias);
  return tf.tidy(() => {
    let scale: tf.Tensor = tf.rsqrt(tf.add(runningVar, eps));
    if (weight) scale = tf.mul(scale, weight);
    let shift: tf.Tensor = tf.neg(tf.mul(runningMean, scale));
    if (bias) shift = tf.add(shift, bias);
    return tf.add(tf.mul(x, scale), shift);
  });
}

export interface BatchNormGrads {
  dx: tf.Tensor;
  /** sum((x - mean) * dy) * invstd per channel (unscaled; null when weight is null). */
  dWeight: tf.Tensor1D | null;
  /** sum(dy) per channel (unscaled; null when weight is null, i.e. not affine). */
  dBias: tf.Tensor1D | null;
}

export function batchNormBackwardComposite(
  x: tf.Tensor,
  dy: tf.Tensor,
  mean: tf.Tensor1D,
  invstd: tf.Tensor1D,
  weight: tf.Tensor1D | null,
  train: boolean,
): BatchNormGrads {
  const c = bnCheck(x, 'batchNormBackward input');
  bnCheckParam(mean, c, 'mean', 'batchNormBackward');
  bnCheckParam(invstd, c, 'invstd', 'batchNormBackward');
  bnCheckParam(weight, c, 'weight', 'batchNormBackward');
  if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new RangeError(`batchNormBackward: gradOutput shape [${dy.shape}] differs from input shape [${x.shape}]`);
  const n = x.size / c;
  const outs = tf.tidy(() => {
    const axes = reduceAxes(x);
    const centered = tf.sub(x, mean);
    const sumDy = tf.sum(dy, axes) as tf.Tensor1D;
    const dotp = tf.sum(tf.mul(centered, dy), axes) as tf.Tensor1D;
    const wInv: tf.Tensor = weight ? tf.mul(invstd, weight) : invstd;
    let dx: tf.Tensor;
    if (train) {
      // THNN: dx = (dy - mean(dy) - (x - mean) * dotp * invstd^2 / n) * invstd * w
      const k = tf.div(tf.mul(dotp, tf.square(invstd)), n);
      dx = tf.mul(tf.sub(tf.sub(dy, tf.div(sumDy, n)), tf.mul(centered, k)), wInv);
    } else {
      dx = tf.mul(dy, wInv);
    }
    return weight ? [dx, tf.mul(dotp, invstd), sumDy] : [dx];
  });
  return { dx: outs[0]!, dWeight: (outs[1] as tf.Tensor1D | undefined) ?? null, dBias: (outs[2] as tf.Tensor1D | undefined) ?? null };
}

/** Training-mode forward: batch statistics over N, H, W; channels last. */
export function batchNormTrainForward(x: tf.Tensor, weight: tf.Tensor1D | null, bias: tf.Tensor1D | null, eps: number): BatchNormTrainResult {
  if (hasFusedKernel(FUSED.batchNormTrain)) {
    const c = bnCheck(x, 'batchNormTrainForward input');
    bnCheckParam(weight, c, 'weight', 'batchNormTrainForward');
    bnCheckParam(bias, c, 'bias', 'batchNormTrainForward');
    const inputs: tf.NamedTensorMap = { x };
    if (weight) inputs['weight'] = weight;
    if (bias) inputs['bias'] = bias;
    const [y, mean, invstd, varUnbiased] = tf.engine().runKernel(FUSED.batchNormTrain, inputs, { eps }) as unknown as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, invstd: invstd as tf.Tensor1D, varUnbiased: varUnbiased as tf.Tensor1D, count: x.size / c };
  }
  return batchNormTrainForwardComposite(x, weight, bias, eps);
}

/** Evaluate-mode forward with the running statistics. */
export function batchNormEvalForward(
  x: tf.Tensor,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  weight: tf.Tensor1D | null,
  bias: tf.Tensor1D | null,
  eps: number,
): tf.Tensor {
  if (hasFusedKernel(FUSED.batchNormEval)) {
    bnEvalCheck(x, runningMean, runningVar, weight, bias);
    const inputs: tf.NamedTensorMap = { x, runningMean, runningVar };
    if (weight) inputs['weight'] = weight;
    if (bias) inputs['bias'] = bias;
    return tf.engine().runKernel(FUSED.batchNormEval, inputs, { eps }) as tf.Tensor;
  }
  return batchNormEvalForwardComposite(x, runningMean, runningVar, weight, bias, eps);
}

/**
 * Backward of SpatialBatchNormalization (THNN semantics). `mean`/`invstd`: the saved batch
 * statistics when `train`, else runningMean and 1/sqrt(runningVar + eps).
 */
export function batchNormBackward(
  x: tf.Tensor,
  dy: tf.Tensor,
  mean: tf.Tensor1D,
  invstd: tf.Tensor1D,
  weight: tf.Tensor1D | null,
  train: boolean,
): BatchNormGrads {
  if (hasFusedKernel(FUSED.batchNormBackward)) {
    const c = bnCheck(x, 'batchNormBackward input');
    bnCheckParam(mean, c, 'mean', 'batchNormBackward');
    bnCheckParam(invstd, c, 'invstd', 'batchNormBackward');
    bnCheckParam(weight, c, 'weight', 'batchNormBackward');
    if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new RangeError(`batchNormBackward: gradOutput shape [${dy.shape}] differs from input shape [${x.shape}]`);
    const inputs: tf.NamedTensorMap = { x, dy, mean, invstd };
    if (weight) inputs['weight'] = weight;
    const res = tf.engine().runKernel(FUSED.batchNormBackward, inputs, { train }) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(res) ? res : [res];
    return { dx: outs[0]!, dWeight: weight ? (outs[1] as tf.Tensor1D) : null, dBias: weight ? (outs[2] as tf.Tensor1D) : null };
  }
  return batchNormBackwardComposite(x, dy, mean, invstd, weight, train);
}
