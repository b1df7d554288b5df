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

import { Tensor } from '../torch/tensor.js';
import type { Activity } from './module.js';
import { registerModule } from './registry.js';
import { formatF } from './tostring.js';
import { tensorInput } from './activation.js';
import { ChannelParamModule, ensureBuffers, filledParam } from './ChannelParamModule.js';
import { accumulateHost } from './tensor_helpers.js';
import { expBackward, expForward, hostAlphaBeta, type ExpParams } from './elu_family.js';
import type { MpeluAfter } from '../backend/host_params.js';
import type { tf } from '../torch/tfjs_core.js';

export class MPELU extends ChannelParamModule {
  /**
   * @param alpha the initial alpha (weight) of every channel: the negative saturation (default 1; 0 starts as ReLU).
   * @param beta the initial beta (bias) of every channel: the scale inside the exponential (default 1; alpha = beta = 1 starts as ELU).
   * @param nOutputPlane the number of channels with an alpha and a beta each (the paper uses one per channel); 0 or absent: one pair shared by all channels.
   */
  constructor(alpha = 1, beta = 1, nOutputPlane?: number) {
    super('nn.MPELU', nOutputPlane, alpha);
    const n = this.weight.nElement();
    this.fields.set('bias', filledParam(n, beta));
    this.fields.set('gradBias', filledParam(n, 0));
  }

  /** beta, the learned scale inside the exponential: nOutputPlane values, or 1 when shared. */
  get bias(): Tensor {
    return this.param('bias');
  }

  /** The gradient of beta (accumulated by backward). */
  get gradBias(): Tensor {
    return this.param('gradBias');
  }

  private params(): ExpParams {
    return { nOutputPlane: this.nOutputPlane, weight: this.weight, bias: this.bias };
  }

  override updateOutput(input: Activity): Tensor {
    const x = tensorInput(input, `${this.className}:updateOutput`);
    return expForward(`${this.className}:updateOutput`, x, this.params(), this.buffer('output', x));
  }

  /**
   * For a batch norm that computes this module's output in its own pass (the nopre unit's
   * BN -> MPELU pair, SpatialBatchNormalization.updateOutputFused): alpha and beta on the
   * host, or null when this module cannot be fused with an input of `channels` channels
   * (another channel count, a Double module, an updateOutput replaced on the instance).
   * @param channels the channels of the batch norm's output.
   */
  fusedForwardParams(channels: number): MpeluAfter | null {
    if (Object.prototype.hasOwnProperty.call(this, 'updateOutput') || this.weight.elementType !== 'Float') return null;
    const n = this.nOutputPlane;
    if (n !== 0 && n !== channels) return null;
    const p = this.params();
    if (p.weight.nElement() < (n || 1) || (p.bias && p.bias.nElement() < (n || 1))) return null;
    const [alpha, beta] = hostAlphaBeta(p);
    return { alpha, beta };
  }

  /**
   * Takes z, MPELU of `input` computed by the fused pass (channels last, as the batch norm
   * stores its own output), as this module's output.
   * @param input the batch norm's output (this module's input).
   * @param z MPELU(input) in channels-last order; ownership passes.
   */
  takeFusedOutput(input: Tensor, z: tf.Tensor): Tensor {
    const out = this.buffer('output', input);
    out.setTF(z, 'NHWC');
    return out;
  }

  /**
   * Takes the results of a fused backward pass (SpatialBatchNormalization.backwardFused):
   * `d`, this module's gradInput for `input` (channels last), and the unscaled per-channel
   * sums of alpha's and beta's gradients, added with `scale` as backward would add them.
   * @param input this module's input (the batch norm's output).
   * @param d the gradient with respect to input, channels last; ownership passes.
   * @param dAlpha the unscaled gradient of alpha, one value per channel.
   * @param dBeta the unscaled gradient of beta, one value per channel.
   * @param scale the factor backward applies to the parameter gradients.
   */
  takeFusedBackward(input: Tensor, d: tf.Tensor, dAlpha: Float32Array, dBeta: Float32Array, scale: number): Tensor {
    const gradInput = this.buffer('gradInput', input);
    ensureBuffers(this, this.scratchBuffers(), input);
    gradInput.setTF(d, 'NHWC');
    const C = dAlpha.length;
    accumulateHost(this.gradWeight.narrow(1, 1, C), dAlpha, scale);
    accumulateHost(this.gradBias.narrow(1, 1, C), dBeta, scale);
    return gradInput;
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
