// nn.Criterion: the base of loss functions. forward(input, target) returns a number
// (kept in `output`); backward(input, target) returns gradInput. Like modules, all
// state lives in `fields` (a criterion loaded from a .t7 file gets only the file's fields).

import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { TypeConvertible } from './TypeConvertible.js';
import { convertFields, typedBuffer, type Activity, type TensorCache } from './module.js';
import { registerModule } from './registry.js';

/** A target: a tensor of class indices or values, or a single class index. */
export type Target = Tensor | number;

/**
 * nn.Criterion, the base of loss functions: forward(input, target) gives the loss (a
 * number, also kept in `output`); backward(input, target) gives its gradient with respect
 * to input (`gradInput`, shaped as input). `In` is the input it takes: a Tensor for
 * every criterion mpelu implements.
 */
export class Criterion<In extends Activity = Activity> extends TypeConvertible {
  /** @param className Torch's class name, written to .t7 files (subclasses pass theirs). */
  constructor(className = 'nn.Criterion') {
    super(className, 1);
    this.fields.set('gradInput', new Tensor(defaultTensorType()));
    this.fields.set('output', 0);
  }

  /** The last forward's loss (0 before the first). */
  get output(): number {
    const v = this.fields.get('output');
    return typeof v === 'number' ? v : 0;
  }
  set output(v: number) {
    this.fields.set('output', v);
  }

  /** The last backward's gradient with respect to the input. */
  get gradInput(): In {
    return this.fields.get('gradInput') as In;
  }
  set gradInput(v: In) {
    this.fields.set('gradInput', v);
  }

  /**
   * The loss for input (the model's output) and target (updateOutput).
   * @param input the model's output, e.g. N x nClasses scores.
   * @param target what the loss compares with: 1-based class indices for the class criteria, values for MSE.
   */
  forward(input: In, target: Target): number {
    return this.updateOutput(input, target);
  }

  /** The gradient of the loss with respect to input, for the same input and target as forward (updateGradInput); the criterion's own buffer. */
  backward(input: In, target: Target): In {
    return this.updateGradInput(input, target);
  }

  /** Computes the loss (forward calls this; criteria implement it). */
  updateOutput(_input: In, _target: Target): number {
    throw new Error(`${this.className}: updateOutput is not implemented by mpelu`);
  }

  /** Computes gradInput (backward calls this; criteria implement it). */
  updateGradInput(_input: In, _target: Target): In {
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
