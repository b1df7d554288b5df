// nn.MPELU(alpha = 1, beta = 1, nOutputPlane = 0): the Multiple Parametric Exponential
// Linear Unit of arXiv:1606.00305, as the paper's Torch code (Code-for-MPELU, nn.MPELU and
// THNN generic/MPELU.c) defines it. weight holds alpha, bias holds beta; one of each per
// channel when nOutputPlane > 0 (channel = dim 2 of batched input, dim 1 of 1-d input),
// one shared pair when it is 0.
//   output            = x > 0 ? x : alpha * (exp(beta * x) - 1)
//   gradInput         = x > 0 ? gradOutput : gradOutput * alpha * beta * exp(beta * x)
//   gradWeight (alpha) += scale * sum_{x <= 0} gradOutput * (exp(beta * x) - 1)
//   gradBias   (beta)  += scale * sum_{x <= 0} gradOutput * alpha * x * exp(beta * x)
// Float tensors run the backend's MPELU kernels (one pass forward; one pass backward for
// gradInput and both parameter gradients); Double tensors run float64 host loops.

import * as tf from '@tensorflow/tfjs-core';
import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Module, clearFields, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf, hostValues, accumulateHost } from './ops.js';
import { formatF } from './tostring.js';
import { mpeluBackward, mpeluForward } from '../backend/layer_ops.js';
import {
  accumulateParamTF,
  channelGeometry,
  checkSameElements,
  forEachBlock,
  gradView,
  paramTF,
  setFromView,
  setHost,
  tensorInput,
  tfView,
  type ChannelGeometry,
} from './activation.js';

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
  const alpha = paramTF(p.nOutputPlane === 0 ? p.weight.narrow(1, 1, 1) : p.weight);
  const beta = p.bias ? paramTF(p.nOutputPlane === 0 ? p.bias.narrow(1, 1, 1) : p.bias) : tf.onesLike(alpha);
  const r = mpeluBackward(view.x, gview.x, alpha, beta);
  tf.dispose([view.x, gview.x, alpha, beta]);
  if (want.gradInput) setFromView(want.gradInput, view, r.dx);
  else r.dx.dispose();
  const C = geom ? geom.C : 1;
  if (want.gradWeight) accumulateParamTF(want.gradWeight.narrow(1, 1, C), r.dAlpha, want.scale);
  else r.dAlpha.dispose();
  if (want.gradBias) accumulateParamTF(want.gradBias.narrow(1, 1, C), r.dBeta, want.scale);
  else r.dBeta.dispose();
}

/** Torch's `torch.Tensor(nOutputPlane or 1)`; an explicit 0 also gets one (shared) value. */
export function paramSize(nOutputPlane: number | undefined, where: string): number {
  if (nOutputPlane === undefined) return 1;
  if (!Number.isInteger(nOutputPlane) || nOutputPlane < 0) {
    throw new RangeError(`${where}: nOutputPlane must be a non-negative integer (0 = one shared parameter), got ${nOutputPlane}`);
  }
  return nOutputPlane === 0 ? 1 : nOutputPlane;
}

/** A new parameter tensor of the default type filled with v. */
export function filledParam(n: number, v: number): Tensor {
  const t = Tensor.create(defaultTensorType(), [n]);
  t.storage().fill(v);
  return t;
}

/** Buffers Torch's accGradParameters creates (input.new()), kept so saved files match Torch's. */
export function ensureBuffers(m: Module, names: readonly string[], like: Tensor): void {
  for (const n of names) if (!(m.fields.get(n) instanceof Tensor)) m.fields.set(n, new Tensor(like.elementType));
}

/**
 * What PReLU, SPELU and MPELU share: nOutputPlane (0 = one shared parameter), weight and
 * gradWeight of nOutputPlane (or 1) values, and the backward protocol, where gradInput and
 * the parameter gradients come from one pass (so backward costs one pass, not two).
 */
export abstract class ChannelParamModule extends Module {
  constructor(className: string, nOutputPlane: number | undefined, weightInit: number) {
    super(className);
    const n = paramSize(nOutputPlane, className);
    this.fields.set('nOutputPlane', nOutputPlane ?? 0);
    this.fields.set('weight', filledParam(n, weightInit));
    this.fields.set('gradWeight', filledParam(n, 0));
  }

  get nOutputPlane(): number {
    return this.numberField('nOutputPlane');
  }

  get weight(): Tensor {
    return this.param('weight');
  }

  get gradWeight(): Tensor {
    return this.param('gradWeight');
  }

  protected param(name: string): Tensor {
    const t = this.tensorField(name);
    if (!t) throw new Error(`${this.className}: field '${name}' should be a tensor`);
    return t;
  }

  /** The scratch buffers Torch's accGradParameters creates (see ensureBuffers). */
  protected abstract scratchBuffers(): readonly string[];

  /** gradInput (when given) and, with withParams, scale * the parameter gradients, in one pass. */
  protected abstract gradPass(where: string, x: Tensor, g: Tensor, gradInput: Tensor | null, withParams: boolean, scale: number): void;

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const where = `${this.className}:updateGradInput`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    const gradInput = this.buffer('gradInput', x);
    this.gradPass(where, x, g, gradInput, false, 1);
    return gradInput;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const where = `${this.className}:accGradParameters`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    ensureBuffers(this, this.scratchBuffers(), x);
    this.gradPass(where, x, g, null, true, scale);
  }

  /** updateGradInput + accGradParameters in one pass. */
  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const where = `${this.className}:backward`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    const gradInput = this.buffer('gradInput', x);
    ensureBuffers(this, this.scratchBuffers(), x);
    this.gradPass(where, x, g, gradInput, true, scale);
    return gradInput;
  }

  override clearState(): this {
    clearFields(this, this.scratchBuffers());
    return super.clearState();
  }
}

export class MPELU extends ChannelParamModule {
  constructor(alpha = 1, beta = 1, nOutputPlane?: number) {
    super('nn.MPELU', nOutputPlane, alpha);
    const n = this.weight.nElement();
    this.fields.set('bias', filledParam(n, beta));
    this.fields.set('gradBias', filledParam(n, 0));
  }

  get bias(): Tensor {
    return this.param('bias');
  }

  get gradBias(): Tensor {
    return this.param('gradBias');
  }

  private params(): ExpParams {
    return { nOutputPlane: this.nOutputPlane, weight: this.weight, bias: this.bias };
  }

  override updateOutput(input: Activity): Activity {
    const x = tensorInput(input, `${this.className}:updateOutput`);
    return expForward(`${this.className}:updateOutput`, x, this.params(), this.buffer('output', x));
  }

  protected override scratchBuffers(): readonly string[] {
    return ['gradWeightBuf', 'gradWeightBuf2', 'gradBiasBuf', 'gradBiasBuf2'];
  }

  /** One pass of the fused kernel for gradInput and both parameter gradients. */
  protected override gradPass(where: string, x: Tensor, g: Tensor, gradInput: Tensor | null, withParams: boolean, scale: number): void {
    const p = this.params();
    const gradWeight = withParams ? this.gradWeight : null;
    const gradBias = withParams ? this.gradBias : null;
    expBackward(where, x, g, p, { gradInput, gradWeight, gradBias, scale });
  }

  /** The paper code's format: '%s(alpha=%f, beta=%f, channels=%d)' with the first alpha and beta. */
  override __tostring__(): string {
    return `${this.className}(alpha=${formatF(this.weight.get(1))}, beta=${formatF(this.bias.get(1))}, channels=${Math.trunc(this.nOutputPlane)})`;
  }
}

registerModule('nn.MPELU', MPELU);
