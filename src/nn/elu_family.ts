// The ELU family's math (MPELU; SPELU is MPELU with beta = 1): forward and backward on
// Float tensors through the backend's fused kernels, on Double tensors in float64 host
// loops. The module classes (MPELU.ts, SPELU.ts) call these.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { engineOf, hostFloat32, hostValues, accumulateHost } from './tensor_helpers.js';
import { hostParamsActive, mpeluBackwardHost, mpeluForwardHost } from '../backend/host_params.js';
import { mpeluBackward, mpeluForward } from '../backend/layer_ops.js';
import { accumulateParamTF, channelGeometry, checkSameElements, forEachBlock, gradView, paramTF, setFromView, setHost, tfView, type ChannelGeometry } from './activation.js';

/** The parameters of one ELU-family layer: alpha always, beta absent for SPELU (beta = 1). */
export interface ExpParams {
  nOutputPlane: number;
  weight: Tensor;
  bias: Tensor | null;
}

/** What a backward pass should produce. */
export interface ExpBackwardWants {
  gradInput: Tensor | null;
  gradWeight: Tensor | null;
  gradBias: Tensor | null;
  scale: number;
}

function geometry(where: string, x: Tensor, p: ExpParams): ChannelGeometry | null {
  return p.nOutputPlane === 0 ? null : channelGeometry(x, p.nOutputPlane, where);
}

function checkParams(where: string, p: ExpParams): void {
  const need = p.nOutputPlane === 0 ? 1 : p.nOutputPlane;
  if (p.weight.nElement() < need) throw new RangeError(`${where}: weight holds ${p.weight.nElement()} values, expected ${need}`);
  if (p.bias && p.bias.nElement() < need) throw new RangeError(`${where}: bias holds ${p.bias.nElement()} values, expected ${need}`);
}

/** Forward of MPELU (bias = beta) or SPELU (no bias: beta = 1) into `output`. */
export function expForward(where: string, x: Tensor, p: ExpParams, output: Tensor): Tensor {
  checkParams(where, p);
  const geom = geometry(where, x, p);
  if (engineOf(x, where) === 'host') {
    const v = hostValues(x);
    const w = hostValues(p.weight);
    const b = p.bias ? hostValues(p.bias) : null;
    forEachBlock(v.length, geom, (j, start, end) => {
      const wj = w[j]!;
      if (b) {
        const bj = b[j]!;
        for (let k = start; k < end; k++) if (!(v[k]! > 0)) v[k] = wj * (Math.exp(bj * v[k]!) - 1);
      } else {
        for (let k = start; k < end; k++) if (!(v[k]! > 0)) v[k] = wj * (Math.exp(v[k]!) - 1);
      }
    });
    setHost(output, x.size(), v);
    return output;
  }
  const perChannel = geom !== null;
  const view = tfView(x, perChannel);
  if (hostParamsActive()) {
    // alpha and beta read where they live (backend/host_params.ts)
    const [alpha, beta] = hostAlphaBeta(p);
    const y = mpeluForwardHost(view.x, alpha, beta);
    if (y) {
      view.x.dispose();
      setFromView(output, view, y);
      return output;
    }
  }
  const alpha = paramTF(p.nOutputPlane === 0 ? p.weight.narrow(1, 1, 1) : p.weight);
  const beta = p.bias ? paramTF(p.nOutputPlane === 0 ? p.bias.narrow(1, 1, 1) : p.bias) : tf.onesLike(alpha);
  const y = mpeluForward(view.x, alpha, beta);
  tf.dispose([view.x, alpha, beta]);
  setFromView(output, view, y);
  return output;
}

/**
 * Backward of MPELU/SPELU: gradInput (when asked) and scale-weighted parameter gradients
 * accumulated into gradWeight/gradBias (when asked), in one pass.
 */
export function expBackward(where: string, x: Tensor, g: Tensor, p: ExpParams, want: ExpBackwardWants): void {
  checkSameElements(x, g, where);
  checkParams(where, p);
  const geom = geometry(where, x, p);
  const needParams = want.gradWeight !== null || want.gradBias !== null;
  if (engineOf(x, where) === 'host') {
    const xv = hostValues(x);
    const gv = hostValues(g);
    const w = hostValues(p.weight);
    const b = p.bias ? hostValues(p.bias) : null;
    const n = xv.length;
    const dx = want.gradInput ? new Float64Array(n) : null;
    const C = geom ? geom.C : 1;
    const dW = new Float64Array(C);
    const dB = new Float64Array(C);
    forEachBlock(n, geom, (j, start, end) => {
      const wj = w[j]!;
      const bj = b ? b[j]! : 1;
      let sum = 0;
      let sumb = 0;
      for (let k = start; k < end; k++) {
        const xk = xv[k]!;
        const gk = gv[k]!;
        if (xk > 0) {
          if (dx) dx[k] = gk;
        } else {
          const e = Math.exp(bj * xk);
          if (dx) dx[k] = gk * wj * bj * e;
          if (needParams) {
            sum += gk * (e - 1);
            sumb += gk * wj * (e * xk);
          }
        }
      }
      // THNN adds scale * (the block's sum) per (sample, channel) block.
      dW[j] = dW[j]! + want.scale * sum;
      dB[j] = dB[j]! + want.scale * sumb;
    });
    if (want.gradInput && dx) setHost(want.gradInput, x.size(), dx);
    if (want.gradWeight) accumulateHost(want.gradWeight.narrow(1, 1, C), dW);
    if (want.gradBias) accumulateHost(want.gradBias.narrow(1, 1, C), dB);
    return;
  }
  const perChannel = geom !== null;
  const view = tfView(x, perChannel);
  const gview = gradView(g, x, perChannel);
  const C = geom ? geom.C : 1;
  if (hostParamsActive()) {
    // alpha and beta read, and their gradients added, where they live (backend/host_params.ts)
    const [alpha, beta] = hostAlphaBeta(p);
    const r = mpeluBackwardHost(view.x, gview.x, alpha, beta);
    if (r) {
      tf.dispose([view.x, gview.x]);
      if (want.gradInput) setFromView(want.gradInput, view, r.dx);
      else r.dx.dispose();
      if (want.gradWeight) accumulateHost(want.gradWeight.narrow(1, 1, C), r.dAlpha, want.scale);
      if (want.gradBias) accumulateHost(want.gradBias.narrow(1, 1, C), r.dBeta, want.scale);
      return;
    }
  }
  const alpha = paramTF(p.nOutputPlane === 0 ? p.weight.narrow(1, 1, 1) : p.weight);
  const beta = p.bias ? paramTF(p.nOutputPlane === 0 ? p.bias.narrow(1, 1, 1) : p.bias) : tf.onesLike(alpha);
  const r = mpeluBackward(view.x, gview.x, alpha, beta);
  tf.dispose([view.x, gview.x, alpha, beta]);
  if (want.gradInput) setFromView(want.gradInput, view, r.dx);
  else r.dx.dispose();
  if (want.gradWeight) accumulateParamTF(want.gradWeight.narrow(1, 1, C), r.dAlpha, want.scale);
  else r.dAlpha.dispose();
  if (want.gradBias) accumulateParamTF(want.gradBias.narrow(1, 1, C), r.dBeta, want.scale);
  else r.dBeta.dispose();
}

/** alpha and beta (beta = 1 for SPELU) as float32 on the host, one shared value when nOutputPlane = 0. */
export function hostAlphaBeta(p: ExpParams): [Float32Array, Float32Array] {
  const alpha = hostFloat32(p.nOutputPlane === 0 ? p.weight.narrow(1, 1, 1) : p.weight);
  const beta = p.bias ? hostFloat32(p.nOutputPlane === 0 ? p.bias.narrow(1, 1, 1) : p.bias) : new Float32Array(alpha.length).fill(1);
  return [alpha, beta];
}
