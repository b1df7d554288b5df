// nn.LeakyReLU(negval = 1/100, inplace = false), as torch/nn defines it:
//   output = input > 0 ? input : input * negval;  gradInput = input > 0 ? gradOutput : gradOutput * negval.
// Constructor quirks kept from Torch: a boolean first argument means "default negval" (and,
// as in Torch, does NOT set inplace: only the second argument does); a negative negval
// turns inplace off.

import type { Tensor } from '../torch/tensor.js';
import { tf } from '../torch/tfjs_core.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './tensor_helpers.js';
import { formatG } from './tostring.js';
import { checkSameElements, pointwiseBackward, pointwiseForward, tensorInput } from './activation.js';

/** nn.LeakyReLU(negval = 1/100, inplace = false): x for x > 0, negval x otherwise (a fixed slope, unlike PReLU). */
export class LeakyReLU extends Module<Tensor, Tensor> {
  /**
   * @param negval the slope for x <= 0 (Torch's default 0.01; a boolean here is taken as the inplace flag, as Torch's LeakyReLU(true)).
   * @param inplace overwrite the input with the output (default false; ignored for a negative slope, as Torch).
   */
  constructor(negval: number | boolean = 1 / 100, inplace = false) {
    super('nn.LeakyReLU');
    const nv = typeof negval === 'boolean' ? 1 / 100 : negval;
    if (typeof nv !== 'number') throw new TypeError(`nn.LeakyReLU: negval must be a number, got ${typeof nv}`);
    this.fields.set('negval', nv);
    this.fields.set('inplace', nv < 0 ? false : inplace);
  }

  /** The slope for x <= 0. */
  get negval(): number {
    return this.numberField('negval');
  }

  /** Whether the input is overwritten with the output. */
  get inplace(): boolean {
    return this.fields.get('inplace') === true;
  }

  override updateOutput(input: Activity): Tensor {
    const x = tensorInput(input, 'nn.LeakyReLU:updateOutput');
    const negval = this.negval;
    const output = this.buffer('output', x);
    return pointwiseForward(
      engineOf(x, this.className),
      x,
      output,
      this.inplace,
      (v) => {
        for (let k = 0; k < v.length; k++) if (!(v[k]! > 0)) v[k] = v[k]! * negval;
      },
      (t) => tf.where(tf.greater(t, 0), t, tf.mul(t, negval)),
    );
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = tensorInput(input, 'nn.LeakyReLU:updateGradInput');
    const g = tensorInput(gradOutput, 'nn.LeakyReLU:updateGradInput (gradOutput)');
    checkSameElements(x, g, 'nn.LeakyReLU:updateGradInput');
    const negval = this.negval;
    const gradInput = this.buffer('gradInput', x);
    return pointwiseBackward(
      engineOf(x, this.className),
      x,
      g,
      gradInput,
      this.inplace,
      (xv, gv) => {
        for (let k = 0; k < gv.length; k++) if (!(xv[k]! > 0)) gv[k] = gv[k]! * negval;
      },
      (xt, gt) => tf.where(tf.greater(xt, 0), gt, tf.mul(gt, negval)),
    );
  }

  override __tostring__(): string {
    return `${this.className}(${formatG(this.negval)})`;
  }
}

registerModule('nn.LeakyReLU', LeakyReLU);
