// nn.Sigmoid: output = 1 / (1 + e^-input); gradInput = gradOutput (1 - output) output,
// computed from the output as THNN's Sigmoid_updateGradInput does.

import { tf } from '../torch/tfjs_core.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './tensor_helpers.js';
import { checkSameElements, pointwiseBackward, pointwiseForward, tensorInput } from './activation.js';

export class Sigmoid extends Module {
  constructor() {
    super('nn.Sigmoid');
  }

  override updateOutput(input: Activity): Activity {
    const x = tensorInput(input, 'nn.Sigmoid:updateOutput');
    const output = this.buffer('output', x);
    return pointwiseForward(engineOf(x, this.className), x, output, false, (v) => {
      for (let k = 0; k < v.length; k++) v[k] = 1 / (1 + Math.exp(-v[k]!));
    }, (t) => tf.sigmoid(t));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const x = tensorInput(input, 'nn.Sigmoid:updateGradInput');
    const g = tensorInput(gradOutput, 'nn.Sigmoid:updateGradInput (gradOutput)');
    checkSameElements(x, g, 'nn.Sigmoid:updateGradInput');
    const y = tensorInput(this.output, 'nn.Sigmoid:updateGradInput (output: call forward first)');
    const gradInput = this.buffer('gradInput', x);
    return pointwiseBackward(engineOf(x, this.className), y, g, gradInput, false, (yv, gv) => {
      for (let k = 0; k < gv.length; k++) gv[k] = gv[k]! * (1 - yv[k]!) * yv[k]!;
    }, (yt, gt) => tf.mul(gt, tf.mul(tf.sub(1, yt), yt)));
  }
}

registerModule('nn.Sigmoid', Sigmoid);
