// nn.SPELU(alpha = 1, nOutputPlane = 0): the paper code's learnable-alpha ELU (Code-for-MPELU,
// nn.SPELU and THNN generic/SPELU.c), i.e. MPELU with beta fixed at 1 and only `weight`:
//   output = x > 0 ? x : alpha * (exp(x) - 1);  gradInput = x > 0 ? gradOutput : gradOutput * alpha * exp(x)
//   gradWeight += scale * sum_{x <= 0} gradOutput * (exp(x) - 1)
// With beta = 1 the MPELU kernels compute exactly these expressions (1 * x and alpha * 1 are exact).

import { Tensor } from '../torch/tensor.js';
import { type Activity } from './module.js';
import { registerModule } from './registry.js';
import { tensorInput } from './activation.js';
import { ChannelParamModule } from './ChannelParamModule.js';
import { expBackward, expForward, type ExpParams } from './elu_family.js';

export class SPELU extends ChannelParamModule {
  /**
   * @param alpha the initial alpha of every channel (default 1: ELU at start).
   * @param nOutputPlane the number of channels with an alpha each; 0 or absent: one shared alpha.
   */
  constructor(alpha = 1, nOutputPlane?: number) {
    super('nn.SPELU', nOutputPlane, alpha);
  }

  private params(): ExpParams {
    return { nOutputPlane: this.nOutputPlane, weight: this.weight, bias: null };
  }

  override updateOutput(input: Activity): Tensor {
    const x = tensorInput(input, `${this.className}:updateOutput`);
    return expForward(`${this.className}:updateOutput`, x, this.params(), this.buffer('output', x));
  }

  protected override scratchBuffers(): readonly string[] {
    return ['gradWeightBuf', 'gradWeightBuf2'];
  }

  protected override gradPass(where: string, x: Tensor, g: Tensor, gradInput: Tensor | null, withParams: boolean, scale: number): void {
    const p = this.params();
    expBackward(where, x, g, p, { gradInput, gradWeight: withParams ? this.gradWeight : null, gradBias: null, scale });
  }
}

registerModule('nn.SPELU', SPELU);
