// nn.JoinTable(dimension, nInputDims): the tensors of the input table concatenated along
// `dimension`; with nInputDims given, an input with one more dimension is a batch and
// the join happens one dimension further (as Torch's JoinTable). A negative dimension
// counts from the last. gradInput[i] is the matching slice of gradOutput.

import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { asArray, expectTensor } from './tensor_helpers.js';

/** nn.JoinTable: the tensors of a table concatenated along one dimension. */
export class JoinTable extends Module {
  /**
   * @param dimension the 1-based dimension to join along (negative: counted from the last)
   * @param nInputDims the dimensions of one sample: an input with one more is a batch, joined one dimension further
   */
  constructor(dimension: number, nInputDims?: number) {
    super('nn.JoinTable');
    if (!Number.isInteger(dimension)) throw new TypeError(`nn.JoinTable: dimension must be an integer, got ${dimension}`);
    this.fields.set('dimension', dimension);
    if (nInputDims !== undefined) this.fields.set('nInputDims', nInputDims);
    this.fields.set('gradInput', []);
  }

  private inputs(input: Activity, where: string): Tensor[] {
    const xs = asArray<unknown>(input, where).map((x, i) => expectTensor(x, `${where}: input[${i + 1}]`));
    if (xs.length === 0) throw new RangeError(`${where}: expected a table of at least one tensor, got an empty table`);
    return xs;
  }

  /** The 1-based dimension joined, for inputs like `first`. */
  private joinDim(first: Tensor): number {
    let d = this.fields.get('dimension') as number;
    const nInputDims = this.fields.get('nInputDims');
    if (d < 0) d = first.dim() + d + 1;
    else if (typeof nInputDims === 'number' && first.dim() === nInputDims + 1) d += 1;
    if (d < 1 || d > first.dim()) throw new RangeError(`nn.JoinTable: dimension ${this.fields.get('dimension')} is out of range for a ${first.dim()}-d input`);
    return d;
  }

  override updateOutput(input: Activity): Activity {
    const xs = this.inputs(input, 'nn.JoinTable:updateOutput');
    const dim = this.joinDim(xs[0]!);
    const sizes = xs[0]!.size();
    sizes[dim - 1] = 0;
    xs.forEach((x, i) => {
      const s = x.size();
      if (s.length !== sizes.length || s.some((n, k) => k !== dim - 1 && n !== sizes[k])) {
        throw new RangeError(`nn.JoinTable: input[${i + 1}] is [${s.join(', ')}], which does not join input[1] [${xs[0]!.size().join(', ')}] along dimension ${dim}`);
      }
      sizes[dim - 1]! += s[dim - 1]!;
    });
    const out = this.buffer('output', xs[0]!);
    out.resize(...sizes);
    let offset = 1;
    for (const x of xs) {
      out.narrow(dim, offset, x.size(dim)).copy(x);
      offset += x.size(dim);
    }
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const xs = this.inputs(input, 'nn.JoinTable:updateGradInput');
    const g = expectTensor(gradOutput, 'nn.JoinTable:updateGradInput (gradOutput)');
    const dim = this.joinDim(xs[0]!);
    const previous = Array.isArray(this.gradInput) ? (this.gradInput as Tensor[]) : [];
    let offset = 1;
    const grads = xs.map((x, i) => {
      const gi = previous[i] instanceof Tensor && previous[i]!.elementType === x.elementType ? previous[i]! : Tensor.create(x.elementType, []);
      gi.resize(...x.size()).copy(g.narrow(dim, offset, x.size(dim)));
      offset += x.size(dim);
      return gi;
    });
    this.gradInput = grads;
    return grads;
  }
}

registerModule('nn.JoinTable', JoinTable);
