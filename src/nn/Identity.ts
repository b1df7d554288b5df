// nn.Identity: output is the input itself (the same tensor or table), as in Torch.

import type { Tensor } from '../torch/tensor.js';
import { Module, replaceBuffers, type Activity } from './module.js';
import { registerModule } from './registry.js';

/**
 * nn.Identity(): output = input (the same tensor or table, not a copy); gradInput = gradOutput. T is
 * what it passes: a Tensor by default.
 */
export class Identity<T extends Activity = Tensor> extends Module<T, T> {
  constructor() {
    super('nn.Identity');
  }

  override updateOutput(input: T): T {
    this.output = input;
    return input;
  }

  override updateGradInput(_input: T, gradOutput: T): T {
    this.gradInput = gradOutput;
    return gradOutput;
  }

  override clearState(): this {
    // The buffers alias other modules' tensors: replace them rather than empty them.
    replaceBuffers(this, ['output', 'gradInput']);
    return this;
  }
}

registerModule('nn.Identity', Identity);
