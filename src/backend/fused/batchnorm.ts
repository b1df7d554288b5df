// The fused batch-norm kernels (THNN's SpatialBatchNormalization semantics) over every axis
// but the last (channels last): x viewed as [n, C]. JS loops: per-element work in float64
// rounded to float32 on store, per-channel sums in float64 (Torch's accreal). SIMD path: the
// passes of ../wasm/mpelu_batchnorm.ts, float32 per element in THNN's float order, every
// float32 term of a per-channel sum added into float64.

import { tf } from '../../torch/tfjs_core.js';
import { fold, tile } from '../wasm/mpelu_batchnorm.js';
import { channelRows, FUSED, reduceTo, type F32, type FusedSpec, type Info, type SimdCall } from './spec.js';
import { mpeluBackwardLoop, mpeluForwardLoop } from './mpelu.js';

/**
 * Per-channel mean and sum of squared deviations in one read pass (float64, shifted by
 * each channel's first value so the difference of sums does not cancel).
 */
export function bnStatsLoop(x: F32, n: number, C: number, mean: Float64Array, ssd: Float64Array): void {
  const shift = new Float64Array(C);
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  for (let c = 0; c < C; c++) shift[c] = x[c]!;
  let i = 0;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++, i++) {
      const d = x[i]! - shift[c]!;
      s1[c]! += d;
      s2[c]! += d * d;
    }
  }
  for (let c = 0; c < C; c++) {
    const m1 = s1[c]! / n;
    mean[c] = shift[c]! + m1;
    ssd[c] = Math.max(0, s2[c]! - s1[c]! * m1);
  }
}

/** y = x * scale[c] + shift[c]. */
export function affineLoop(x: F32, y: F32, n: number, C: number, scale: Float64Array, shift: Float64Array): void {
  let i = 0;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++, i++) y[i] = x[i]! * scale[c]! + shift[c]!;
  }
}

/**
 * With inputs mpeluAlpha and mpeluBeta (C values or 1), the batch-norm kernels also apply
 * MPELU to their output y into one more output z (the nopre unit's BN -> MPELU pair): in
 * one pass on wasm, the same numbers as the two kernels one after the other.
 */
function withMpelu(inputs: Record<string, Info>): boolean {
  return inputs['mpeluAlpha'] !== undefined && inputs['mpeluBeta'] !== undefined;
}

/** z = MPELU(y) by the MPELU kernel's own loop (channels last). */
function mpeluAfterLoop(ins: Record<string, F32>, y: F32, z: F32, n: number, C: number): void {
  mpeluForwardLoop(y, z, ins['mpeluAlpha']!, ins['mpeluBeta']!, n, C, 1);
}

/** The last parameter rows of the fused SIMD pass: alpha and beta tiled to W lanes. */
function mpeluRows(view: (i: Info) => F32, inputs: Record<string, Info>, W: number): Float32Array[] {
  return [tile(view(inputs['mpeluAlpha']!), W), tile(view(inputs['mpeluBeta']!), W)];
}

export const batchNormTrainSpec: FusedSpec = {
  name: FUSED.batchNormTrain,
  outputs: (inputs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    return withMpelu(inputs) ? [s.slice(), [C], [C], [C], s.slice()] : [s.slice(), [C], [C], [C]];
  },
  run: (ins, outs, inputs, attrs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    const n = tf.util.sizeFromShape(s) / C;
    const eps = attrs['eps'] as number;
    const x = ins['x']!;
    const w = ins['weight'];
    const b = ins['bias'];
    const mean = new Float64Array(C);
    const ssd = new Float64Array(C);
    bnStatsLoop(x, n, C, mean, ssd);
    const scale = new Float64Array(C);
    const shift = new Float64Array(C);
    const [, meanOut, invstdOut, varOut] = outs as [F32, F32, F32, F32];
    for (let c = 0; c < C; c++) {
      // THNN: mean and invstd are stored as floats and then used.
      const m = Math.fround(mean[c]!);
      const invstd = ssd[c] === 0 && eps === 0 ? 0 : Math.fround(1 / Math.sqrt(ssd[c]! / n + eps));
      meanOut[c] = m;
      invstdOut[c] = invstd;
      varOut[c] = ssd[c]! / (n - 1);
      const wc = w ? w[c]! : 1;
      scale[c] = invstd * wc;
      shift[c] = (b ? b[c]! : 0) - m * invstd * wc;
    }
    affineLoop(x, outs[0]!, n, C, scale, shift);
    if (withMpelu(inputs)) mpeluAfterLoop(ins, outs[0]!, outs[4]!, n, C);
  },
  simd: (call) => {
    const { k, inputs, outs, attrs, off, view } = call;
    const xi = inputs['x']!;
    const rows = channelRows(xi);
    if (rows === null) return false;
    const { total, C, W, n } = rows;
    const eps = attrs['eps'] as number;
    const xo = off(xi);
    // THNN: mean = float(sum x / n) in double; ssd = sum over float (x - mean)^2 in double.
    // Pass 1, shifted by the first row, gives a mean good to a few float32 ulps; pass 2,
    // shifted by that mean rounded to float32, sums small deviations (no cancellation).
    const x0 = view(xi).slice(0, C);
    const p1 = k.shiftedSum(xo, total, W, tile(x0, W));
    const s1 = fold(p1, C);
    const shift = x0.map((v, c) => v + s1[c]! / n);
    const [q1, q2] = k.moments(xo, total, W, tile(shift, W));
    const d1 = fold(q1, C);
    const d2 = fold(q2, C);
    const w = inputs['weight'] ? view(inputs['weight']).slice() : null;
    const b = inputs['bias'] ? view(inputs['bias']).slice() : null;
    const m = new Float32Array(C);
    const invstd = new Float32Array(C);
    const varUnbiased = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const ssd = Math.max(0, d2[c]! - (d1[c]! * d1[c]!) / n);
      m[c] = shift[c]! + d1[c]! / n;
      invstd[c] = ssd === 0 && eps === 0 ? 0 : 1 / Math.sqrt(ssd / n + eps);
      varUnbiased[c] = ssd / (n - 1);
    }
    view(outs[1]!).set(m);
    view(outs[2]!).set(invstd);
    view(outs[3]!).set(varUnbiased);
    const affineRows = [tile(m, W), tile(invstd, W), tile(w ?? [1], W), tile(b ?? [0], W)] as const;
    if (withMpelu(inputs)) k.affineMpelu(xo, off(outs[0]!), off(outs[4]!), total, W, [...affineRows, ...mpeluRows(view, inputs, W)]);
    else k.affine(xo, off(outs[0]!), total, W, ...affineRows);
    return true;
  },
};

export const batchNormEvalSpec: FusedSpec = {
  name: FUSED.batchNormEval,
  outputs: (inputs) => (withMpelu(inputs) ? [inputs['x']!.shape.slice(), inputs['x']!.shape.slice()] : [inputs['x']!.shape.slice()]),
  run: (ins, outs, inputs, attrs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    const n = tf.util.sizeFromShape(s) / C;
    const eps = attrs['eps'] as number;
    const rm = ins['runningMean']!;
    const rv = ins['runningVar']!;
    const w = ins['weight'];
    const b = ins['bias'];
    const scale = new Float64Array(C);
    const shift = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const invstd = Math.fround(1 / Math.sqrt(rv[c]! + eps));
      const wc = w ? w[c]! : 1;
      scale[c] = invstd * wc;
      shift[c] = (b ? b[c]! : 0) - rm[c]! * invstd * wc;
    }
    affineLoop(ins['x']!, outs[0]!, n, C, scale, shift);
    if (withMpelu(inputs)) mpeluAfterLoop(ins, outs[0]!, outs[1]!, n, C);
  },
  simd: (call) => {
    const { k, inputs, outs, attrs, off, view } = call;
    const xi = inputs['x']!;
    const rows = channelRows(xi);
    if (rows === null) return false;
    const { total, C, W } = rows;
    const eps = attrs['eps'] as number;
    const rm = view(inputs['runningMean']!).slice();
    const rv = view(inputs['runningVar']!);
    const invstd = new Float32Array(C);
    for (let c = 0; c < C; c++) invstd[c] = 1 / Math.sqrt(rv[c]! + eps);
    const w = inputs['weight'] ? view(inputs['weight']).slice() : [1];
    const b = inputs['bias'] ? view(inputs['bias']).slice() : [0];
    const affineRows = [tile(rm, W), tile(invstd, W), tile(w, W), tile(b, W)] as const;
    if (withMpelu(inputs)) k.affineMpelu(off(xi), off(outs[0]!), off(outs[1]!), total, W, [...affineRows, ...mpeluRows(view, inputs, W)]);
    else k.affine(off(xi), off(outs[0]!), total, W, ...affineRows);
    return true;
  },
};

/**
 * THNN BatchNormalization_backward: with dotp = sum((x - mean) * dy), sum = sum(dy),
 * train: dx = (dy - sum/n - (x - mean) * dotp * invstd^2 / n) * invstd * w
 * eval:  dx = dy * invstd * w;  dWeight = dotp * invstd, dBias = sum (unscaled).
 */
export function bnBackwardLoop(
  x: F32, dy: F32, mean: F32, invstd: F32, weight: F32 | undefined, train: boolean,
  n: number, C: number, dx: F32, dotp: Float64Array, sum: Float64Array,
): void {
  let i = 0;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++, i++) {
      const g = dy[i]!;
      sum[c]! += g;
      dotp[c]! += (x[i]! - mean[c]!) * g;
    }
  }
  const a = new Float64Array(C);
  const k = new Float64Array(C);
  const d = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const is = invstd[c]!;
    const wi = is * (weight ? weight[c]! : 1);
    if (train) {
      // dx = dy*wi - (x - mean)*k*wi - (sum/n)*wi = dy*a + x*kk + d
      const kc = Math.fround((dotp[c]! * is * is) / n);
      a[c] = wi;
      k[c] = -kc * wi;
      d[c] = (mean[c]! * kc - sum[c]! / n) * wi;
    } else {
      a[c] = wi;
      k[c] = 0;
      d[c] = 0;
    }
  }
  i = 0;
  if (train) {
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < C; c++, i++) dx[i] = dy[i]! * a[c]! + x[i]! * k[c]! + d[c]!;
    }
  } else {
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < C; c++, i++) dx[i] = dy[i]! * a[c]!;
    }
  }
}

export const batchNormBackwardSpec: FusedSpec = {
  name: FUSED.batchNormBackward,
  outputs: (inputs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    return inputs['weight'] ? [s.slice(), [C], [C]] : [s.slice()];
  },
  run: (ins, outs, inputs, attrs) => bnBackwardRun(ins, ins['dy']!, outs[0]!, outs.slice(1), inputs['x']!.shape, attrs['train'] as boolean),
  simd: (call) => {
    const { k, inputs, outs, attrs, off, view } = call;
    const xi = inputs['x']!;
    const rows = channelRows(xi);
    if (rows === null) return false;
    const { total, C, W } = rows;
    const train = attrs['train'] as boolean;
    const mean = view(inputs['mean']!).slice();
    let sums: [Float64Array, Float64Array] = [new Float64Array(C), new Float64Array(C)];
    if (train || inputs['weight'] !== undefined) {
      const [ps, pd] = k.backwardSums(off(xi), off(inputs['dy']!), total, W, tile(mean, W));
      sums = [fold(ps, C), fold(pd, C)];
    }
    bnBackwardFromSums(call, off(inputs['dy']!), outs[0]!, outs.slice(1), sums[0], sums[1]);
    return true;
  },
};

/** The JS-loop batch-norm backward of x (ins.x) and dy into dx, and with a weight dWeight / dBias into paramOuts. */
function bnBackwardRun(ins: Record<string, F32>, dy: F32, dx: F32, paramOuts: readonly F32[], shape: readonly number[], train: boolean): void {
  const C = shape[shape.length - 1]!;
  const n = tf.util.sizeFromShape(shape as number[]) / C;
  const dotp = new Float64Array(C);
  const sum = new Float64Array(C);
  const invstd = ins['invstd']!;
  bnBackwardLoop(ins['x']!, dy, ins['mean']!, invstd, ins['weight'], train, n, C, dx, dotp, sum);
  if (ins['weight']) {
    for (let c = 0; c < C; c++) {
      paramOuts[0]![c] = dotp[c]! * invstd[c]!;
      paramOuts[1]![c] = sum[c]!;
    }
  }
}

/**
 * The rest of the batch-norm backward once the sums are known (sum of dy and of (x - mean) * dy
 * per channel): dx at dxInfo from x (inputs.x) and dy at byte offset dyo, and with a weight
 * dWeight / dBias into paramOuts.
 */
export function bnBackwardFromSums(call: SimdCall, dyo: number, dxInfo: Info, paramOuts: readonly Info[], sum: Float64Array, dotp: Float64Array): void {
  const { k, inputs, attrs, off, view } = call;
  const xi = inputs['x']!;
  const { total, C, W, n } = channelRows(xi)!;
  const train = attrs['train'] as boolean;
  const mean = view(inputs['mean']!).slice();
  const invstd = view(inputs['invstd']!).slice();
  const w = inputs['weight'] !== undefined ? view(inputs['weight']!).slice() : null;
  const xo = off(xi);
  const wi = invstd.map((s: number, c: number) => s * (w ? w[c]! : 1));
  if (train) {
    // dx = (dy - sum/n - (x - mean) * kc) * wi = (dy * wi + d) + (x - mean) * (-kc * wi)
    const kk = new Float32Array(C);
    const d = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const kc = Math.fround((dotp[c]! * invstd[c]! * invstd[c]!) / n);
      kk[c] = -kc * wi[c]!;
      d[c] = (-sum[c]! / n) * wi[c]!;
    }
    k.backwardDx(xo, dyo, off(dxInfo), total, W, tile(mean, W), tile(wi, W), tile(kk, W), tile(d, W));
  } else {
    k.affine(dyo, off(dxInfo), total, W, new Float32Array(W), tile(invstd, W), tile(w ?? [1], W), new Float32Array(W));
  }
  if (w) {
    const dW = view(paramOuts[0]!);
    for (let c = 0; c < C; c++) dW[c] = dotp[c]! * invstd[c]!;
    view(paramOuts[1]!).set(sum);
  }
}

/**
 * MPELU's backward and the backward of the batch norm before it, in one pass over the
 * per-channel sums (the nopre unit's pair, per-channel MPELU): inputs x (the batch norm's
 * input), y (its output, MPELU's input), g (MPELU's gradOutput), alpha, beta, mean, invstd,
 * weight (optional); attrs train. Outputs: d (MPELU's gradInput), dx (the batch norm's), the
 * unscaled dAlpha / dBeta sums [C], and with a weight dWeight / dBias [C]: the numbers of
 * the MPELU and batch-norm backward kernels one after the other.
 */
export const mpeluBatchNormBackwardSpec: FusedSpec = {
  name: FUSED.mpeluBatchNormBackward,
  outputs: (inputs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    return inputs['weight'] ? [s.slice(), s.slice(), [C], [C], [C], [C]] : [s.slice(), s.slice(), [C], [C]];
  },
  run: (ins, outs, inputs, attrs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    const n = tf.util.sizeFromShape(s) / C;
    const gA = new Float64Array(C);
    const gB = new Float64Array(C);
    mpeluBackwardLoop(ins['y']!, ins['g']!, ins['alpha']!, ins['beta']!, outs[0]!, gA, gB, n, C, 1);
    reduceTo(gA, outs[2]!);
    reduceTo(gB, outs[3]!);
    bnBackwardRun(ins, outs[0]!, outs[1]!, outs.slice(4), s, attrs['train'] as boolean);
  },
  simd: (call) => {
    const { k, inputs, outs, off, view } = call;
    const xi = inputs['x']!;
    const rows = channelRows(xi);
    if (rows === null || view(inputs['alpha']!).length !== rows.C || view(inputs['beta']!).length !== rows.C) return false;
    const { total, C, W } = rows;
    const a = view(inputs['alpha']!).slice();
    const mean = view(inputs['mean']!).slice();
    const [sA, sB, ps, pd] = k.mpeluBnBackward(off(inputs['y']!), off(inputs['g']!), off(xi), off(outs[0]!), total, W, tile(a, W), tile(view(inputs['beta']!), W), tile(mean, W));
    const gA = fold(sA!, C);
    const gB = fold(sB!, C);
    for (let c = 0; c < C; c++) gB[c]! *= a[c]!;
    reduceTo(gA, view(outs[2]!));
    reduceTo(gB, view(outs[3]!));
    bnBackwardFromSums(call, off(outs[0]!), outs[1]!, outs.slice(4), fold(ps!, C), fold(pd!, C));
    return true;
  },
};
