// nn.ReLU(inplace): Torch's ReLU is a Threshold(0, 0) subclass, so its fields are
// threshold, val and inplace, and it computes Threshold's kernel:
//   output = input > threshold ? input : val;  gradInput = input > threshold ? gradOutput : 0.
// The same implementation serves cudnn.ReLU (fields: inplace, mode; no threshold/val).

import type { Tensor } from '../torch/tensor.js';
import { tf } from '../torch/tfjs_core.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './tensor_helpers.js';
import { checkSameElements, pointwiseBackward, pointwiseForward, tensorInput } from './activation.js';

export class ReLU extends Module<Tensor, Tensor> {
  /**
   * @param inplace overwrite the input with the output (Torch's default false; saves memory, as fb.resnet.torch's ReLU(true)).
   * @param className Torch's class name (cudnn.ReLU passes its own).
   */
  constructor(inplace = false, className = 'nn.ReLU') {
    super(className);
    if (typeof inplace !== 'boolean') throw new TypeError(`${className}: the in-place flag must be a boolean, got ${typeof inplace}`);
    if (className.startsWith('cudnn.')) {
      this.fields.set('inplace', inplace);
    } else {
      this.fields.set('threshold', 0);
      this.fields.set('val', 0);
      this.fields.set('inplace', inplace);
    }
  }

  /** Torch's Threshold field: inputs at or below it give val (0 for ReLU). */
  get threshold(): number {
    const v = this.fields.get('threshold');
    return typeof v === 'number' ? v : 0;
  }

  /** The value given at or below the threshold (0 for ReLU). */
  get val(): number {
    const v = this.fields.get('val');
    return typeof v === 'number' ? v : 0;
  }

  /** Whether the input is overwritten with the output. */
  get inplace(): boolean {
    return this.fields.get('inplace') === true;
  }

  set inplace(v: boolean) {
    this.fields.set('inplace', v);
  }

  /** Threshold:validateParameters. */
  private validate(): void {
    if (this.inplace && this.val > this.threshold) {
      throw new RangeError(`${this.className}: in-place processing requires value (${this.val}) not exceed threshold (${this.threshold})`);
    }
  }

  override updateOutput(input: Activity): Tensor {
    const x = tensorInput(input, `${this.className}:updateOutput`);
    this.validate();
    const th = this.threshold;
    const val = this.val;
    const output = this.buffer('output', x);
    return pointwiseForward(
      engineOf(x, this.className),
      x,
      output,
      this.inplace,
      (v) => {
        for (let k = 0; k < v.length; k++) if (!(v[k]! > th)) v[k] = val;
      },
      (t) => (th === 0 && val === 0 ? tf.relu(t) : tf.where(tf.greater(t, th), t, tf.fill(t.shape, val))),
    );
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = tensorInput(input, `${this.className}:updateGradInput`);
    const g = tensorInput(gradOutput, `${this.className}:updateGradInput (gradOutput)`);
    checkSameElements(x, g, `${this.className}:updateGradInput`);
    this.validate();
    const th = this.threshold;
    const gradInput = this.buffer('gradInput', x);
    return pointwiseBackward(
      engineOf(x, this.className),
      x,
      g,
      gradInput,
      this.inplace,
      (xv, gv) => {
        for (let k = 0; k < gv.length; k++) if (!(xv[k]! > th)) gv[k] = 0;
      },
      (xt, gt) => tf.mul(gt, th === 0 ? tf.step(xt) : tf.cast(tf.greater(xt, th), 'float32')),
    );
  }
}

registerModule('nn.ReLU', ReLU);

