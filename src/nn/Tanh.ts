// nn.Tanh: output = tanh(input); gradInput = gradOutput (1 - output^2), computed from the
// output as THNN's Tanh_updateGradInput does. No fields beyond output and gradInput.

import { tf } from '../torch/tfjs_core.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './tensor_helpers.js';
import { checkSameElements, pointwiseBackward, pointwiseForward, tensorInput } from './activation.js';

export class Tanh extends Module {
  constructor() {
    super('nn.Tanh');
  }

  override updateOutput(input: Activity): Activity {
    const x = tensorInput(input, 'nn.Tanh:updateOutput');
    const output = this.buffer('output', x);
    return pointwiseForward(engineOf(x, this.className), x, output, false, (v) => {
      for (let k = 0; k < v.length; k++) v[k] = Math.tanh(v[k]!);
    }, (t) => tf.tanh(t));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const x = tensorInput(input, 'nn.Tanh:updateGradInput');
    const g = tensorInput(gradOutput, 'nn.Tanh:updateGradInput (gradOutput)');
    checkSameElements(x, g, 'nn.Tanh:updateGradInput');
    const y = tensorInput(this.output, 'nn.Tanh:updateGradInput (output: call forward first)');
    const gradInput = this.buffer('gradInput', x);
    return pointwiseBackward(engineOf(x, this.className), y, g, gradInput, false, (yv, gv) => {
      for (let k = 0; k < gv.length; k++) gv[k] = gv[k]! * (1 - yv[k]! * yv[k]!);
    }, (yt, gt) => tf.mul(gt, tf.sub(1, tf.square(yt))));
  }
}

registerModule('nn.Tanh', Tanh);
