// nn.MulConstant(constant_scalar, inplace = false): output = input * c.
// In place, the input itself is scaled (and restored in updateGradInput), as in Torch.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import {
  assignHost,
  assignTFLayout,
  commonLayout,
  detachFrom,
  engineOf,
  expectTensor,
  hostValues,
  setOutputHost,
  setOutputTF,
  toTFLayout,
} from './tensor_helpers.js';

/** x * c (or x / c), written into `out` (a fresh result) or into x itself (in place). */
function scaleInto(out: Tensor | null, x: Tensor, c: number, where: string, divide = false): void {
  if (engineOf(x, where) === 'tf') {
    const layout = commonLayout([x]);
    const y = tf.tidy(() => {
      const v = divide ? tf.div(toTFLayout(x, layout), c) : tf.mul(toTFLayout(x, layout), c);
      return layout === 'NHWC' ? v : tf.reshape(v, x.size());
    });
    if (out) setOutputTF(out, y, layout);
    else assignTFLayout(x, y, layout);
  } else {
    const v = hostValues(x);
    for (let k = 0; k < v.length; k++) v[k] = divide ? v[k]! / c : v[k]! * c;
    if (out) setOutputHost(out, x.size(), v);
    else assignHost(x, v);
  }
}

/** nn.MulConstant(constant_scalar, inplace = false): output = constant_scalar x input. */
export class MulConstant extends Module<Tensor, Tensor> {
  /**
   * @param constant_scalar the factor.
   * @param inplace multiply the input itself (and divide it back in backward), as Torch's default false does not.
   */
  constructor(constant_scalar: number, inplace = false) {
    super('nn.MulConstant');
    if (typeof constant_scalar !== 'number') throw new TypeError(`nn.MulConstant: input is not scalar! (got ${String(constant_scalar)})`);
    if (typeof inplace !== 'boolean') throw new TypeError('nn.MulConstant: in-place flag must be boolean');
    this.fields.set('constant_scalar', constant_scalar);
    this.fields.set('inplace', inplace);
  }

  /** The factor (Torch's constant_scalar field). */
  get constant(): number {
    return this.numberField('constant_scalar');
  }

  /** Whether the input itself is multiplied. */
  get inplace(): boolean {
    return this.fields.get('inplace') === true;
  }

  override updateOutput(input: Activity): Tensor {
    const x = expectTensor(input, 'nn.MulConstant');
    const out = this.buffer('output', x);
    if (this.inplace) {
      scaleInto(null, x, this.constant, 'nn.MulConstant');
      out.set(x);
    } else {
      detachFrom(out, x);
      scaleInto(out, x, this.constant, 'nn.MulConstant');
    }
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = expectTensor(input, 'nn.MulConstant');
    const g = expectTensor(gradOutput, 'nn.MulConstant gradOutput');
    const gi = this.buffer('gradInput', g);
    if (this.inplace) {
      scaleInto(null, g, this.constant, 'nn.MulConstant');
      gi.set(g);
      // Restore the input scaled in updateOutput.
      scaleInto(null, x, this.constant, 'nn.MulConstant', true);
    } else {
      detachFrom(gi, g);
      scaleInto(gi, g, this.constant, 'nn.MulConstant');
    }
    return gi;
  }
}

registerModule('nn.MulConstant', MulConstant);
