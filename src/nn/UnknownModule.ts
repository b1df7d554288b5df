// A module class mpelu does not implement (nn.Tanh, nn.gModule, a user's own nn.X, ...),
// as loaded from a .t7 file. It keeps every field, so it lists, converts (type, float),
// clears and saves back like any module, and prints as Torch's default (its class name);
// running it is a clear error naming the class instead of a missing-method TypeError.

import { Module, type Activity } from './module.js';
import { registerModuleFallback } from './registry.js';

export class UnknownModule extends Module {
  private notImplemented(what: string): never {
    throw new Error(`${this.className} is not implemented by mpelu: it loads, prints and saves back unchanged, but cannot run ${what}`);
  }

  override updateOutput(_input: Activity): Activity {
    return this.notImplemented('updateOutput');
  }

  override updateGradInput(_input: Activity, _gradOutput: Activity): Activity {
    return this.notImplemented('updateGradInput');
  }

  override accGradParameters(_input: Activity, _gradOutput: Activity, _scale = 1): void {
    this.notImplemented('accGradParameters');
  }
}

registerModuleFallback(['nn.', 'cudnn.', 'cunn.', 'fbnn.'], UnknownModule);
