// nn.Identity: output is the input itself (the same tensor or table), as in Torch.

import { Module, replaceBuffers, type Activity } from './module.js';
import { registerModule } from './registry.js';

export class Identity extends Module {
  constructor() {
    super('nn.Identity');
  }

  override updateOutput(input: Activity): Activity {
    this.output = input;
    return input;
  }

  override updateGradInput(_input: Activity, gradOutput: Activity): Activity {
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
