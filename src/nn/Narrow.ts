// nn.Narrow(dimension, offset, length = 1): a copy of input:narrow(dimension, offset,
// length). A negative dimension counts from the last; a negative length leaves that many
// - 1 slices out at the end (length -1 is "to the end"); a negative offset counts from the
// end. gradInput is zero outside the window and gradOutput inside it.

import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { expectTensor } from './tensor_helpers.js';

/** nn.Narrow: a copy of a window of the input along one dimension. */
export class Narrow extends Module {
  /**
   * @param dimension the 1-based dimension (negative: counted from the last)
   * @param offset the 1-based first index of the window (negative: counted from the end)
   * @param length how many slices (default 1; negative: up to that many - 1 before the end)
   */
  constructor(dimension: number, offset: number, length = 1) {
    super('nn.Narrow');
    for (const [name, v] of [['dimension', dimension], ['offset', offset], ['length', length]] as const) {
      if (!Number.isInteger(v)) throw new TypeError(`nn.Narrow: ${name} must be an integer, got ${v}`);
    }
    this.fields.set('dimension', dimension);
    this.fields.set('index', offset);
    this.fields.set('length', length);
  }

  /** The window [dim, index, length] on this input, Torch's negative forms resolved. */
  private window(x: Tensor): [number, number, number] {
    const d = this.fields.get('dimension') as number;
    const dim = d < 0 ? x.dim() + d + 1 : d;
    if (dim < 1 || dim > x.dim()) throw new RangeError(`nn.Narrow: dimension ${d} is out of range for a ${x.dim()}-d input`);
    const n = x.size(dim);
    let index = this.fields.get('index') as number;
    if (index < 0) index = n + index + 1;
    let length = this.fields.get('length') as number;
    if (length < 0) length = n - index + length + 2;
    if (index < 1 || length < 0 || index - 1 + length > n) {
      throw new RangeError(`nn.Narrow: cannot take ${length} slices from index ${index} of dimension ${dim} (size ${n})`);
    }
    return [dim, index, length];
  }

  override updateOutput(input: Activity): Activity {
    const x = expectTensor(input, 'nn.Narrow:updateOutput');
    const part = x.narrow(...this.window(x));
    const out = this.buffer('output', x);
    out.resize(...part.size()).copy(part);
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const x = expectTensor(input, 'nn.Narrow:updateGradInput');
    const g = expectTensor(gradOutput, 'nn.Narrow:updateGradInput (gradOutput)');
    const gi = this.buffer('gradInput', x);
    gi.resize(...x.size()).zero();
    gi.narrow(...this.window(x)).copy(g);
    return gi;
  }
}

registerModule('nn.Narrow', Narrow);
