// The base of the parameter-free elementwise modules whose backward is one formula of the
// input or of the output (nn.Tanh, nn.Sigmoid, nn.Abs): checks, buffers and the host / tfjs
// dispatch live here once; each class gives its two formulas in both forms.

import type { tf } from '../torch/tfjs_core.js';
import type { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { engineOf } from './tensor_helpers.js';
import { checkSameElements, pointwiseBackward, pointwiseForward, tensorInput } from './activation.js';

/** A parameter-free elementwise module (Tanh, Sigmoid, Abs): Torch's checks and buffers, on the host or on tfjs. */
export abstract class ElementwiseModule extends Module<Tensor, Tensor> {
  /** Whether the gradient is a function of the output (Tanh, Sigmoid) rather than of the input (Abs). */
  protected abstract readonly gradFromOutput: boolean;
  /** Rewrites the input's float64 values into the output's. */
  protected abstract hostForward(v: Float64Array): void;
  /** The output of a tfjs view of the input. */
  protected abstract tfForward(x: tf.Tensor): tf.Tensor;
  /** Rewrites gradOutput's float64 values into gradInput's, given the reference's (input or output). */
  protected abstract hostBackward(ref: Float64Array, g: Float64Array): void;
  /** gradInput from tfjs views of the reference (input or output) and of gradOutput. */
  protected abstract tfBackward(ref: tf.Tensor, g: tf.Tensor): tf.Tensor;

  override updateOutput(input: Activity): Tensor {
    const x = tensorInput(input, `${this.className}:updateOutput`);
    const output = this.buffer('output', x);
    return pointwiseForward(engineOf(x, this.className), x, output, false, (v) => this.hostForward(v), (t) => this.tfForward(t));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const where = `${this.className}:updateGradInput`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    checkSameElements(x, g, where);
    const ref = this.gradFromOutput ? tensorInput(this.output, `${where} (output: call forward first)`) : x;
    const gradInput = this.buffer('gradInput', x);
    return pointwiseBackward(engineOf(x, this.className), ref, g, gradInput, false, (rv, gv) => this.hostBackward(rv, gv), (r, gt) => this.tfBackward(r, gt));
  }
}
