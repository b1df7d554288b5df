// nn.Criterion: the base of loss functions. forward(input, target) returns a number
// (kept in `output`); backward(input, target) returns gradInput. Like modules, all
// state lives in `fields` (a criterion loaded from a .t7 file gets only the file's fields).

import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { TypeConvertible } from './TypeConvertible.js';
import { convertFields, typedBuffer, type Activity, type TensorCache } from './module.js';
import { registerModule } from './registry.js';

/** A target: a tensor of class indices or values, or a single class index. */
export type Target = Tensor | number;

export class Criterion extends TypeConvertible {
  constructor(className = 'nn.Criterion') {
    super(className, 1);
    this.fields.set('gradInput', new Tensor(defaultTensorType()));
    this.fields.set('output', 0);
  }

  get output(): number {
    const v = this.fields.get('output');
    return typeof v === 'number' ? v : 0;
  }
  set output(v: number) {
    this.fields.set('output', v);
  }

  get gradInput(): Activity {
    return this.fields.get('gradInput') as Activity;
  }
  set gradInput(v: Activity) {
    this.fields.set('gradInput', v);
  }

  forward(input: Activity, target: Target): number {
    return this.updateOutput(input, target);
  }

  backward(input: Activity, target: Target): Activity {
    return this.updateGradInput(input, target);
  }

  updateOutput(_input: Activity, _target: Target): number {
    throw new Error(`${this.className}: updateOutput is not implemented by mpelu`);
  }

  updateGradInput(_input: Activity, _target: Target): Activity {
    throw new Error(`${this.className}: updateGradInput is not implemented by mpelu`);
  }

  /** Converts every tensor field (recursively), keeping shared storages shared. */
  type(name: string, cache: TensorCache = new Map()): this {
    convertFields(this, name, cache);
    return this;
  }

  /** A gradient buffer field of `like`'s element type (replaced when the type differs). */
  protected buffer(name: string, like: Tensor): Tensor {
    return typedBuffer(this, name, like);
  }

  __tostring__(): string {
    return this.className;
  }

  override toString(): string {
    return this.__tostring__();
  }
}

registerModule('nn.Criterion', Criterion);
