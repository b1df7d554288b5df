// nn.ELU(alpha = 1, inplace = false), as torch/nn's THNN kernel computes it:
//   output    = input <= 0 ? (exp(input) - 1) * alpha : input
//   gradInput = output <= 0 ? gradOutput * (output + alpha) : gradOutput
// The gradient is written in terms of the output (as THNN does), which is what makes the
// in-place form possible: after it the input holds the output.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './tensor_helpers.js';
import { formatF } from './tostring.js';
import { checkSameElements, pointwiseBackward, pointwiseForward, tensorInput } from './activation.js';

export class ELU extends Module<Tensor, Tensor> {
  /**
   * @param alpha the negative saturation value: outputs tend to -alpha as x → -∞ (Torch's default 1).
   * @param inplace overwrite the input with the output (default false).
   */
  constructor(alpha = 1, inplace = false) {
    super('nn.ELU');
    if (typeof alpha !== 'number') throw new TypeError(`nn.ELU: alpha must be a number, got ${typeof alpha}`);
    if (typeof inplace !== 'boolean') throw new TypeError(`nn.ELU: the in-place flag must be a boolean, got ${typeof inplace}`);
    this.fields.set('alpha', alpha);
    this.fields.set('inplace', inplace);
  }

  /** The negative saturation value alpha. */
  get alpha(): number {
    return this.numberField('alpha');
  }

  set alpha(v: number) {
    this.fields.set('alpha', v);
  }

  /** Whether the input is overwritten with the output. */
  get inplace(): boolean {
    return this.fields.get('inplace') === true;
  }

  override updateOutput(input: Activity): Tensor {
    const x = tensorInput(input, 'nn.ELU:updateOutput');
    const alpha = this.alpha;
    const output = this.buffer('output', x);
    return pointwiseForward(
      engineOf(x, this.className),
      x,
      output,
      this.inplace,
      (v) => {
        for (let k = 0; k < v.length; k++) if (v[k]! <= 0) v[k] = (Math.exp(v[k]!) - 1) * alpha;
      },
      (t) => tf.where(tf.lessEqual(t, 0), tf.mul(tf.sub(tf.exp(t), 1), alpha), t),
    );
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = tensorInput(input, 'nn.ELU:updateGradInput');
    const g = tensorInput(gradOutput, 'nn.ELU:updateGradInput (gradOutput)');
    checkSameElements(x, g, 'nn.ELU:updateGradInput');
    const alpha = this.alpha;
    const out = this.fields.get('output');
    const y = out instanceof Tensor ? out : undefined;
    if (!y || y.nElement() !== x.nElement()) {
      throw new Error(`nn.ELU:updateGradInput: needs the output of a forward pass on this input (output has ${y ? y.nElement() : 0} elements, input ${x.nElement()})`);
    }
    const gradInput = this.buffer('gradInput', x);
    // In terms of the output y, as THNN computes it (the engine still follows the input).
    return pointwiseBackward(
      engineOf(x, this.className),
      y,
      g,
      gradInput,
      this.inplace,
      (yv, gv) => {
        for (let k = 0; k < gv.length; k++) if (yv[k]! <= 0) gv[k] = gv[k]! * (yv[k]! + alpha);
      },
      (yt, gt) => tf.where(tf.lessEqual(yt, 0), tf.mul(gt, tf.add(yt, alpha)), gt),
    );
  }

  override __tostring__(): string {
    return `${this.className} (alpha:${formatF(this.alpha)})`;
  }
}

registerModule('nn.ELU', ELU);
