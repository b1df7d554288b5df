// nn.Abs: output = |input|; gradInput = -gradOutput where input < 0, else gradOutput (so
// at 0 the gradient passes unchanged, as THNN's Abs_updateGradInput does).

import { tf } from '../torch/tfjs_core.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './tensor_helpers.js';
import { checkSameElements, pointwiseBackward, pointwiseForward, tensorInput } from './activation.js';

export class Abs extends Module {
  constructor() {
    super('nn.Abs');
  }

  override updateOutput(input: Activity): Activity {
    const x = tensorInput(input, 'nn.Abs:updateOutput');
    const output = this.buffer('output', x);
    return pointwiseForward(engineOf(x, this.className), x, output, false, (v) => {
      for (let k = 0; k < v.length; k++) v[k] = Math.abs(v[k]!);
    }, (t) => tf.abs(t));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const x = tensorInput(input, 'nn.Abs:updateGradInput');
    const g = tensorInput(gradOutput, 'nn.Abs:updateGradInput (gradOutput)');
    checkSameElements(x, g, 'nn.Abs:updateGradInput');
    const gradInput = this.buffer('gradInput', x);
    return pointwiseBackward(engineOf(x, this.className), x, g, gradInput, false, (xv, gv) => {
      for (let k = 0; k < gv.length; k++) if (xv[k]! < 0) gv[k] = -gv[k]!;
    }, (xt, gt) => tf.where(tf.less(xt, 0), tf.neg(gt), gt));
  }
}

registerModule('nn.Abs', Abs);
