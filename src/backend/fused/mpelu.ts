// The fused MPELU kernels: x viewed as [outer, C, inner] around the channel axis (inner = 1
// for channels last); alpha / beta have C entries or 1 (shared). The JS loops compute per
// element in float64 rounded to float32 on store, except that exp(beta*x) is rounded to
// float32 before subtracting 1, as float32 Torch and the tfjs composite do; per-channel
// sums accumulate in float64 (Torch's accreal). The SIMD path runs the passes of
// ../wasm/mpelu_batchnorm.ts (float32 per element, exp within 1 ulp, float64 sums).

import { tf } from '../../torch/tfjs_core.js';
import { fold, simdWidth, tile } from '../wasm/mpelu_batchnorm.js';
import { FUSED, layout, reduceTo, type F32, type FusedSpec, type SimdCall } from './spec.js';

export function mpeluForwardLoop(x: F32, y: F32, alpha: F32, beta: F32, outer: number, C: number, inner: number): void {
  const as = alpha.length === 1 ? 0 : 1;
  const bs = beta.length === 1 ? 0 : 1;
  let i = 0;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < C; c++, i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : alpha[c * as]! * (Math.fround(Math.exp(beta[c * bs]! * v)) - 1);
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      const a = alpha[c * as]!;
      const b = beta[c * bs]!;
      for (const end = i + inner; i < end; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : a * (Math.fround(Math.exp(b * v)) - 1);
      }
    }
  }
}

/** dx into `dx`; per-channel sums into gA, gB (float64, length C). */
export function mpeluBackwardLoop(
  x: F32, dy: F32, alpha: F32, beta: F32, dx: F32, gA: Float64Array, gB: Float64Array,
  outer: number, C: number, inner: number,
): void {
  const as = alpha.length === 1 ? 0 : 1;
  const bs = beta.length === 1 ? 0 : 1;
  let i = 0;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < C; c++, i++) {
        const v = x[i]!;
        const g = dy[i]!;
        if (v > 0) {
          dx[i] = g;
        } else {
          const a = alpha[c * as]!;
          const b = beta[c * bs]!;
          const e = Math.fround(Math.exp(b * v));
          dx[i] = g * a * b * e;
          gA[c]! += g * (e - 1);
          gB[c]! += g * a * v * e;
        }
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      const a = alpha[c * as]!;
      const b = beta[c * bs]!;
      const ab = a * b;
      let sa = 0;
      let sb = 0;
      for (const end = i + inner; i < end; i++) {
        const v = x[i]!;
        const g = dy[i]!;
        if (v > 0) {
          dx[i] = g;
        } else {
          const e = Math.fround(Math.exp(b * v));
          dx[i] = g * ab * e;
          sa += g * (e - 1);
          sb += g * v * e;
        }
      }
      gA[c]! += sa;
      gB[c]! += a * sb;
    }
  }
}

/**
 * SIMD row geometry for MPELU: channels fastest (inner = 1) with per-channel parameters,
 * or shared parameters over any layout. Returns [W, Cp] (Cp = 1 when both are shared) or null.
 */
function mpeluSimdGeometry(call: SimdCall): [number, number] | null {
  const x = call.inputs['x']!;
  const [, C, inner] = layout(x.shape, call.attrs['axis'] as number);
  const Cp = Math.max(call.inputs['alpha']!.shape[0]!, call.inputs['beta']!.shape[0]!) === 1 ? 1 : C;
  if (Cp > 1 && inner !== 1) return null;
  const W = simdWidth(tf.util.sizeFromShape(x.shape), Cp);
  return W === null ? null : [W, Cp];
}

export const mpeluForwardSpec: FusedSpec = {
  name: FUSED.mpeluForward,
  outputs: (inputs) => [inputs['x']!.shape.slice()],
  run: (ins, outs, inputs, attrs) => {
    const [outer, C, inner] = layout(inputs['x']!.shape, attrs['axis'] as number);
    mpeluForwardLoop(ins['x']!, outs[0]!, ins['alpha']!, ins['beta']!, outer, C, inner);
  },
  simd: (call) => {
    const g = mpeluSimdGeometry(call);
    if (!g) return false;
    const [W] = g;
    const { k, inputs, outs, off, view } = call;
    const x = inputs['x']!;
    const alpha = tile(view(inputs['alpha']!), W);
    const beta = tile(view(inputs['beta']!), W);
    k.mpeluForward(off(x), off(outs[0]!), tf.util.sizeFromShape(x.shape), W, alpha, beta);
    return true;
  },
};

export const mpeluBackwardSpec: FusedSpec = {
  name: FUSED.mpeluBackward,
  outputs: (inputs) => [inputs['x']!.shape.slice(), inputs['alpha']!.shape.slice(), inputs['beta']!.shape.slice()],
  run: (ins, outs, inputs, attrs) => {
    const [outer, C, inner] = layout(inputs['x']!.shape, attrs['axis'] as number);
    const gA = new Float64Array(C);
    const gB = new Float64Array(C);
    mpeluBackwardLoop(ins['x']!, ins['dy']!, ins['alpha']!, ins['beta']!, outs[0]!, gA, gB, outer, C, inner);
    reduceTo(gA, outs[1]!);
    reduceTo(gB, outs[2]!);
  },
  simd: (call) => {
    const g = mpeluSimdGeometry(call);
    if (!g) return false;
    const [W, Cp] = g;
    const { k, inputs, outs, off, view } = call;
    const x = inputs['x']!;
    const a = view(inputs['alpha']!).slice();
    const alpha = tile(a, W);
    const beta = tile(view(inputs['beta']!), W);
    const [sA, sB] = k.mpeluBackward(off(x), off(inputs['dy']!), off(outs[0]!), tf.util.sizeFromShape(x.shape), W, alpha, beta);
    const gA = fold(sA, Cp);
    const gB = fold(sB, Cp);
    for (let c = 0; c < Cp; c++) gB[c]! *= a[c % a.length]!;
    reduceTo(gA, view(outs[1]!));
    reduceTo(gB, view(outs[2]!));
    return true;
  },
};
