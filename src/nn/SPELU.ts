// nn.SPELU(alpha = 1, nOutputPlane = 0): the paper code's learnable-alpha ELU (Code-for-MPELU,
// nn.SPELU and THNN generic/SPELU.c), i.e. MPELU with beta fixed at 1 and only `weight`:
//   output = x > 0 ? x : alpha * (exp(x) - 1);  gradInput = x > 0 ? gradOutput : gradOutput * alpha * exp(x)
//   gradWeight += scale * sum_{x <= 0} gradOutput * (exp(x) - 1)
// With beta = 1 the MPELU kernels compute exactly these expressions (1 * x and alpha * 1 are exact).

import { Tensor } from '../torch/tensor.js';
import { Module, clearFields, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { tensorInput } from './activation.js';
import { ensureBuffers, expBackward, expForward, filledParam, paramSize, type ExpParams } from './MPELU.js';

export class SPELU extends Module {
  constructor(alpha = 1, nOutputPlane?: number) {
    super('nn.SPELU');
    const n = paramSize(nOutputPlane, 'nn.SPELU');
    this.fields.set('nOutputPlane', nOutputPlane ?? 0);
    this.fields.set('weight', filledParam(n, alpha));
    this.fields.set('gradWeight', filledParam(n, 0));
  }

  get nOutputPlane(): number {
    return this.numberField('nOutputPlane');
  }

  get weight(): Tensor {
    const t = this.tensorField('weight');
    if (!t) throw new Error(`${this.className}: field 'weight' should be a tensor`);
    return t;
  }

  get gradWeight(): Tensor {
    const t = this.tensorField('gradWeight');
    if (!t) throw new Error(`${this.className}: field 'gradWeight' should be a tensor`);
    return t;
  }

  private params(): ExpParams {
    return { nOutputPlane: this.nOutputPlane, weight: this.weight, bias: null };
  }

  override updateOutput(input: Activity): Activity {
    const x = tensorInput(input, `${this.className}:updateOutput`);
    return expForward(`${this.className}:updateOutput`, x, this.params(), this.buffer('output', x));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const where = `${this.className}:updateGradInput`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    const gradInput = this.buffer('gradInput', x);
    expBackward(where, x, g, this.params(), { gradInput, gradWeight: null, gradBias: null, scale: 1 });
    return gradInput;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const where = `${this.className}:accGradParameters`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    ensureBuffers(this, ['gradWeightBuf', 'gradWeightBuf2'], x);
    expBackward(where, x, g, this.params(), { gradInput: null, gradWeight: this.gradWeight, gradBias: null, scale });
  }

  /** updateGradInput + accGradParameters in one pass. */
  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const where = `${this.className}:backward`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    const gradInput = this.buffer('gradInput', x);
    ensureBuffers(this, ['gradWeightBuf', 'gradWeightBuf2'], x);
    expBackward(where, x, g, this.params(), { gradInput, gradWeight: this.gradWeight, gradBias: null, scale });
    return gradInput;
  }

  override clearState(): this {
    clearFields(this, ['gradWeightBuf', 'gradWeightBuf2']);
    return super.clearState();
  }
}

registerModule('nn.SPELU', SPELU);
