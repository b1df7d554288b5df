// nn.Module: the base of every module, with Torch's protocol.
//
// A module is a TorchObject: all of its state lives in `fields`, in the order Torch
// would have it, so a module loaded from a .t7 file keeps every field it carried
// (known or not) and saves back the same. TS accessors give typed access on top.

import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { TorchObject } from '../t7/torch_object.js';
import { tensorClassName } from '../torch/types.js';

/** What flows between modules: a tensor, or a table (JS array) of them. */
export type Activity = Tensor | Activity[];

export class Module extends TorchObject {
  constructor(className: string) {
    super(className, 1);
    this.fields.set('gradInput', new Tensor(defaultTensorType()));
    this.fields.set('output', new Tensor(defaultTensorType()));
    this.fields.set('_type', tensorClassName(defaultTensorType()));
  }

  // ---- field accessors -------------------------------------------------------

  get output(): Activity {
    return this.fields.get('output') as Activity;
  }
  set output(v: Activity) {
    this.fields.set('output', v);
  }

  get gradInput(): Activity {
    return this.fields.get('gradInput') as Activity;
  }
  set gradInput(v: Activity) {
    this.fields.set('gradInput', v);
  }

  /** Torch's `train` flag (absent until training()/evaluate() is called: treated as true). */
  get train(): boolean {
    return this.fields.get('train') !== false;
  }
  set train(v: boolean) {
    this.fields.set('train', v);
  }

  /** A tensor field, or undefined when the module has none (e.g. a conv with bias = nil). */
  protected tensorField(name: string): Tensor | undefined {
    const v = this.fields.get(name);
    return v instanceof Tensor ? v : undefined;
  }

  // ---- the protocol ----------------------------------------------------------

  forward(input: Activity): Activity {
    return this.updateOutput(input);
  }

  backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    this.updateGradInput(input, gradOutput);
    this.accGradParameters(input, gradOutput, scale);
    return this.gradInput;
  }

  updateOutput(_input: Activity): Activity {
    throw new Error(`${this.className}: updateOutput is not implemented by mpelu`);
  }

  updateGradInput(_input: Activity, _gradOutput: Activity): Activity {
    throw new Error(`${this.className}: updateGradInput is not implemented by mpelu`);
  }

  accGradParameters(_input: Activity, _gradOutput: Activity, _scale = 1): void {}

  /** [weights, gradWeights] in Torch's order, or null for a module without parameters. */
  parameters(): [Tensor[], Tensor[]] | null {
    const w = this.tensorField('weight');
    const b = this.tensorField('bias');
    const gw = this.tensorField('gradWeight');
    const gb = this.tensorField('gradBias');
    const params: Tensor[] = [];
    const grads: Tensor[] = [];
    if (w && gw) {
      params.push(w);
      grads.push(gw);
    }
    if (b && gb) {
      params.push(b);
      grads.push(gb);
    }
    return params.length ? [params, grads] : null;
  }

  training(): this {
    this.train = true;
    return this;
  }

  evaluate(): this {
    this.train = false;
    return this;
  }

  /** Calls fn on this module and, for containers, every module inside, depth first. */
  apply(fn: (m: Module) => void): void {
    fn(this);
  }

  /** Every module, this one first (containers list their children recursively). */
  listModules(): Module[] {
    const out: Module[] = [];
    this.apply((m) => out.push(m));
    return out;
  }
}
