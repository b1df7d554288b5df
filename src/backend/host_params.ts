// Parameters read, and their gradients accumulated, where they live: in the host arrays of
// their storages (after getParameters, stretches of the flat parameter and gradient vectors
// optim.sgd updates in place). On the wasm and cpu backends the host array and the "device"
// are the same machine memory, so mpelu's own kernels take the parameters from there:
//   - convolutions (wasm SIMD): the tap kernels pack their B straight from Torch's
//     [co, ci, kh, kw] weight (wasm/host_filter.ts) and the filter gradient is added into
//     Torch's order on the host: no filter tensor, no upload, no Transpose, no download;
//   - MPELU and batch norm (cpu and wasm fused kernels): alpha/beta, weight/bias, running and
//     saved statistics go in as host arrays; the per-channel sums (parameter gradients, batch
//     statistics) come back as host arrays (fused/register.ts runFusedOnHost);
//   - a small tfjs result the host needs (a conv's bias gradient) is read where it lies
//     (readInPlace), not through a blocking dataSync copy.
// A training step then moves no parameter between host and device after the first (which
// may download parameters that were on the device). MPELU_HOST_PARAMS=0 starts with this
// off: the modules upload their parameters as tfjs tensors and read gradients back, as before.
// The tensorflow backend (a real device) keeps the tfjs-tensor path.

import { tf } from '../torch/tfjs_core.js';
import { KillSwitch } from './wasm/kill_switch.js';
import { conv2dForwardWasmSimd } from './wasm/conv_forward.js';
import { conv2dBackpropInputWasmSimd } from './wasm/conv_input_grad.js';
import { accumulateFilterGradWasmSimd } from './wasm/conv_weight_grad.js';
import type { HostFilter } from './wasm/host_filter.js';
import { FUSED, runFusedOnHost, type FusedArg } from './fused/register.js';
import type { ConvTapGeometry } from './wasm/tap_gemm.js';

export type { HostFilter } from './wasm/host_filter.js';
export { winogradInTraining } from './wasm/winograd.js';
export { filterPacks } from './wasm/host_filter.js';

/** The switch (MPELU_HOST_PARAMS=0 starts off; set(false) at run time to compare). */
export const hostParams = new KillSwitch('MPELU_HOST_PARAMS');

/** Whether modules should hand this backend's kernels their parameters on the host (wasm, cpu). */
export function hostParamsActive(): boolean {
  if (!hostParams.enabled()) return false;
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

/**
 * A float32 tensor's values where they lie on a cpu or wasm backend (wasm: a view of the
 * heap, valid until the next allocation; cpu: the backend's own array): read it at once,
 * never write it. Other backends: a copy (dataSync).
 */
export function readInPlace(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as {
    typedArrayFromHeap?: (i: tf.TensorInfo) => tf.TypedArray;
    data?: { get(id: tf.DataId): { values?: unknown } | undefined };
  };
  const name = tf.getBackend();
  if (t.dtype === 'float32' && name === 'wasm' && backend.typedArrayFromHeap) return backend.typedArrayFromHeap(t) as Float32Array;
  if (t.dtype === 'float32' && name === 'cpu') {
    const v = backend.data?.get(t.dataId)?.values;
    if (v instanceof Float32Array) return v;
  }
  return Float32Array.from(t.dataSync());
}

/** Conv geometry of Torch's SpatialConvolution (symmetric padding) on NHWC input. */
interface ConvArgs {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padH: number;
  padW: number;
  /** May the kernel use Winograd F(2x2, 3x3) (forward and input gradient)? */
  winograd?: boolean;
}

function tapGeometry(a: ConvArgs): ConvTapGeometry & { winograd?: boolean } {
  return { kh: a.kh, kw: a.kw, sh: a.sh, sw: a.sw, pt: a.padH, pl: a.padW, winograd: a.winograd };
}

function outSize(size: number, k: number, s: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / s) + 1;
}

/** y = conv(x, W) + bias with W (and the bias) on the host; null where the wasm SIMD kernel does not run. */
export function conv2dForwardHost(x: tf.Tensor4D, filter: HostFilter, bias: Float32Array | null, a: ConvArgs, addend: tf.Tensor4D | null = null): tf.Tensor4D | null {
  if (tf.getBackend() !== 'wasm') return null;
  const [, h, w] = x.shape;
  const ho = outSize(h, a.kh, a.sh, a.padH);
  const wo = outSize(w, a.kw, a.sw, a.padW);
  if (ho < 1 || wo < 1) return null;
  const info = conv2dForwardWasmSimd(tf.backend(), x, filter, bias, { ...tapGeometry(a), ho, wo }, addend);
  return info ? (tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D) : null;
}

/** dx [n, h, w, ci] for dy with W on the host; null where the wasm SIMD kernel does not run. */
export function conv2dBackwardInputHost(dy: tf.Tensor4D, filter: HostFilter, xShape: readonly number[], a: ConvArgs, addend: tf.Tensor4D | null = null): tf.Tensor4D | null {
  if (tf.getBackend() !== 'wasm') return null;
  const info = conv2dBackpropInputWasmSimd(tf.backend(), dy, filter, xShape, tapGeometry(a), addend);
  return info ? (tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D) : null;
}

/** gradWeight ([co, ci, kh, kw] on the host) += scale * dW; false where the wasm SIMD kernel does not run. */
export function conv2dAccumulateFilterGradHost(x: tf.Tensor4D, dy: tf.Tensor4D, gradWeight: Float32Array, scale: number, a: ConvArgs, detach = false): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  return accumulateFilterGradWasmSimd(tf.backend(), x, dy, tapGeometry(a), gradWeight, scale, detach);
}

// ---- MPELU and batch norm with their parameters on the host ------------------------------

type F32 = Float32Array;

function checkLength(p: F32 | null, c: number, name: string, where: string): void {
  if (p && p.length !== c) throw new RangeError(`${where}: ${name} must hold ${c} values (one per channel), got ${p.length}`);
}

function channels(x: tf.Tensor, where: string): number {
  if (x.dtype !== 'float32' || x.rank < 2) throw new TypeError(`${where}: expected a float32 tensor of rank >= 2 (channels last), got ${x.dtype} [${x.shape}]`);
  return x.shape[x.rank - 1]!;
}

/** MPELU forward, channels last, alpha/beta ([C] or [1]) on the host; null where no fused kernel runs. */
export function mpeluForwardHost(x: tf.Tensor, alpha: F32, beta: F32): tf.Tensor | null {
  if (x.dtype !== 'float32' || x.rank < 1) return null;
  const c = x.shape[x.rank - 1]!;
  for (const [p, name] of [[alpha, 'alpha'], [beta, 'beta']] as const) if (p.length !== 1) checkLength(p, c, name, 'mpeluForward');
  const r = runFusedOnHost(FUSED.mpeluForward, { x, alpha, beta }, { axis: x.rank - 1 }, []);
  return r ? (r[0] as tf.Tensor) : null;
}

/** MPELU backward: dx (a tensor) and the unscaled dAlpha/dBeta sums on the host; null where no fused kernel runs. */
export function mpeluBackwardHost(x: tf.Tensor, dy: tf.Tensor, alpha: F32, beta: F32): { dx: tf.Tensor; dAlpha: F32; dBeta: F32 } | null {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.rank < 1) return null;
  const c = x.shape[x.rank - 1]!;
  for (const [p, name] of [[alpha, 'alpha'], [beta, 'beta']] as const) if (p.length !== 1) checkLength(p, c, name, 'mpeluBackward');
  if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new RangeError(`mpeluBackward: gradOutput shape [${dy.shape}] differs from input shape [${x.shape}]`);
  const r = runFusedOnHost(FUSED.mpeluBackward, { x, dy, alpha, beta }, { axis: x.rank - 1 }, [1, 2]);
  return r ? { dx: r[0] as tf.Tensor, dAlpha: r[1] as F32, dBeta: r[2] as F32 } : null;
}

/** MPELU's alpha and beta (C values or one shared) for a batch norm whose output MPELU takes next. */
export interface MpeluAfter {
  alpha: F32;
  beta: F32;
}

function mpeluArgs(args: Record<string, FusedArg>, mpelu: MpeluAfter | undefined, c: number, op: string): void {
  if (!mpelu) return;
  for (const [p, name] of [[mpelu.alpha, 'alpha'], [mpelu.beta, 'beta']] as const) if (p.length !== 1) checkLength(p, c, `MPELU ${name}`, op);
  args['mpeluAlpha'] = mpelu.alpha;
  args['mpeluBeta'] = mpelu.beta;
}

/**
 * Batch-norm training forward: y (a tensor) and the batch statistics on the host, and with
 * `mpelu` also z = MPELU(y) from the same pass; null where no fused kernel runs.
 */
export function batchNormTrainHost(
  x: tf.Tensor, weight: F32 | null, bias: F32 | null, eps: number, mpelu?: MpeluAfter,
): { y: tf.Tensor; mean: F32; invstd: F32; varUnbiased: F32; z: tf.Tensor | null } | null {
  const c = channels(x, 'batchNormTrainForward');
  checkLength(weight, c, 'weight', 'batchNormTrainForward');
  checkLength(bias, c, 'bias', 'batchNormTrainForward');
  const args: Record<string, FusedArg> = { x };
  if (weight) args['weight'] = weight;
  if (bias) args['bias'] = bias;
  mpeluArgs(args, mpelu, c, 'batchNormTrainForward');
  const r = runFusedOnHost(FUSED.batchNormTrain, args, { eps }, [1, 2, 3]);
  return r ? { y: r[0] as tf.Tensor, mean: r[1] as F32, invstd: r[2] as F32, varUnbiased: r[3] as F32, z: mpelu ? (r[4] as tf.Tensor) : null } : null;
}

/**
 * Batch-norm evaluate forward with the running statistics on the host: y, and with `mpelu`
 * also z = MPELU(y) from the same pass; null where no fused kernel runs.
 */
export function batchNormEvalHost(
  x: tf.Tensor, runningMean: F32, runningVar: F32, weight: F32 | null, bias: F32 | null, eps: number, mpelu?: MpeluAfter,
): { y: tf.Tensor; z: tf.Tensor | null } | null {
  const c = channels(x, 'batchNormEvalForward');
  checkLength(runningMean, c, 'running_mean', 'batchNormEvalForward');
  checkLength(runningVar, c, 'running_var', 'batchNormEvalForward');
  checkLength(weight, c, 'weight', 'batchNormEvalForward');
  checkLength(bias, c, 'bias', 'batchNormEvalForward');
  const args: Record<string, FusedArg> = { x, runningMean, runningVar };
  if (weight) args['weight'] = weight;
  if (bias) args['bias'] = bias;
  mpeluArgs(args, mpelu, c, 'batchNormEvalForward');
  const r = runFusedOnHost(FUSED.batchNormEval, args, { eps }, []);
  return r ? { y: r[0] as tf.Tensor, z: mpelu ? (r[1] as tf.Tensor) : null } : null;
}

/** Batch-norm backward: dx (a tensor) and, with a weight, the unscaled dWeight/dBias on the host; null where no fused kernel runs. */
export function batchNormBackwardHost(
  x: tf.Tensor, dy: tf.Tensor, mean: F32, invstd: F32, weight: F32 | null, train: boolean,
): { dx: tf.Tensor; dWeight: F32 | null; dBias: F32 | null } | null {
  const c = channels(x, 'batchNormBackward');
  checkLength(mean, c, 'mean', 'batchNormBackward');
  checkLength(invstd, c, 'invstd', 'batchNormBackward');
  checkLength(weight, c, 'weight', 'batchNormBackward');
  if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new RangeError(`batchNormBackward: gradOutput shape [${dy.shape}] differs from input shape [${x.shape}]`);
  const args: Record<string, FusedArg> = { x, dy, mean, invstd };
  if (weight) args['weight'] = weight;
  const r = runFusedOnHost(FUSED.batchNormBackward, args, { train }, weight ? [1, 2] : []);
  if (!r) return null;
  return { dx: r[0] as tf.Tensor, dWeight: weight ? (r[1] as F32) : null, dBias: weight ? (r[2] as F32) : null };
}

/**
 * MPELU's backward (per-channel alpha/beta, its input y = the batch norm's output, its
 * gradient g) and the batch-norm backward before it (input x), in one pass: MPELU's
 * gradInput d and the batch norm's dx (tensors), the unscaled dAlpha / dBeta and, with a
 * weight, dWeight / dBias on the host; null where no fused kernel runs.
 */
export function mpeluBatchNormBackwardHost(
  x: tf.Tensor, y: tf.Tensor, g: tf.Tensor, mpelu: MpeluAfter, mean: F32, invstd: F32, weight: F32 | null, train: boolean,
): { d: tf.Tensor; dx: tf.Tensor; dAlpha: F32; dBeta: F32; dWeight: F32 | null; dBias: F32 | null } | null {
  const c = channels(x, 'mpeluBatchNormBackward');
  checkLength(mpelu.alpha, c, 'MPELU alpha', 'mpeluBatchNormBackward');
  checkLength(mpelu.beta, c, 'MPELU beta', 'mpeluBatchNormBackward');
  checkLength(mean, c, 'mean', 'mpeluBatchNormBackward');
  checkLength(invstd, c, 'invstd', 'mpeluBatchNormBackward');
  checkLength(weight, c, 'weight', 'mpeluBatchNormBackward');
  if (!tf.util.arraysEqual(x.shape, y.shape) || !tf.util.arraysEqual(x.shape, g.shape)) {
    throw new RangeError(`mpeluBatchNormBackward: shapes differ: input [${x.shape}], output [${y.shape}], gradOutput [${g.shape}]`);
  }
  const args: Record<string, FusedArg> = { x, y, g, alpha: mpelu.alpha, beta: mpelu.beta, mean, invstd };
  if (weight) args['weight'] = weight;
  const r = runFusedOnHost(FUSED.mpeluBatchNormBackward, args, { train }, weight ? [2, 3, 4, 5] : [2, 3]);
  if (!r) return null;
  return {
    d: r[0] as tf.Tensor, dx: r[1] as tf.Tensor, dAlpha: r[2] as F32, dBeta: r[3] as F32,
    dWeight: weight ? (r[4] as F32) : null, dBias: weight ? (r[5] as F32) : null,
  };
}
