// nn.LogSoftMax: log of the softmax over the class dimension (same dimension rule as nn.SoftMax).

import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { expectTensor } from './tensor_helpers.js';
import { softmaxBackward, softmaxForward } from './SoftMax.js';

/** nn.LogSoftMax(): log of SoftMax, over the same dimension; what ClassNLLCriterion expects. */
export class LogSoftMax extends Module<Tensor, Tensor> {
  constructor() {
    super('nn.LogSoftMax');
  }

  override updateOutput(input: Activity): Tensor {
    const x = expectTensor(input, 'nn.LogSoftMax');
    return softmaxForward('logsoftmax', this.buffer('output', x), x, 'nn.LogSoftMax');
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = expectTensor(input, 'nn.LogSoftMax');
    const g = expectTensor(gradOutput, 'nn.LogSoftMax gradOutput');
    return softmaxBackward('logsoftmax', this.buffer('gradInput', x), x, g, expectTensor(this.output, 'nn.LogSoftMax output'), 'nn.LogSoftMax');
  }
}

registerModule('nn.LogSoftMax', LogSoftMax);
