// nn.Concat(dimension): every child gets the same input; their outputs are concatenated
// along `dimension` (1-based). gradInput is the sum of the children's gradInputs.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { Container } from './Container.js';
import type { Activity } from './module.js';
import { registerModule } from './registry.js';
import { axisOf, commonLayout, detachFrom, engineOf, expectTensor, hostValues, setOutputHost, setOutputTF, toTFLayout } from './tensor_helpers.js';
import { sumActivities } from './ConcatTable.js';
import { branchString } from './tostring.js';

/**
 * nn.Concat(dimension): every child gets the same input; their outputs (tensors) are concatenated
 * along `dimension`; gradInput is the sum of the children's.
 */
export class Concat<In extends Activity = Tensor> extends Container<In, Tensor> {
  /** @param dimension the 1-based dimension to concatenate along (2 = channels for a batch N x C x H x W). */
  constructor(dimension: number) {
    super('nn.Concat');
    if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError(`nn.Concat: expected a 1-based dimension, got ${dimension}`);
    this.fields.set('outputSize', new Storage('Long', 0));
    this.fields.set('dimension', dimension);
  }

  /** The 1-based dimension the outputs are concatenated along. */
  get dimension(): number {
    return this.numberField('dimension');
  }

  private childOutputs(): Tensor[] {
    return this.children().map((m, i) => expectTensor(m.output, `nn.Concat: output of module ${i + 1}`));
  }

  override updateOutput(input: Activity): Tensor {
    const dim = this.dimension;
    const outs = this.children().map((m, i) =>
      expectTensor(
        this.rethrowErrors(m, i + 1, 'updateOutput', () => m.updateOutput(input)),
        `nn.Concat: output of module ${i + 1}`,
      ),
    );
    if (outs.length === 0) throw new RangeError('nn.Concat: the container has no modules');
    const first = outs[0]!;
    const sizes = first.size();
    if (dim > sizes.length) throw new RangeError(`nn.Concat: dimension ${dim} out of range for outputs of sizes [${sizes.join(', ')}]`);
    for (let i = 1; i < outs.length; i++) sizes[dim - 1]! += outs[i]!.size(dim);
    const os = new Storage('Long', sizes.length);
    sizes.forEach((s, i) => os.setNumber(i, s));
    this.fields.set('outputSize', os);
    const out = this.buffer('output', first);
    for (const o of outs) detachFrom(out, o);
    if (engineOf(first, 'nn.Concat') === 'tf') {
      const layout = commonLayout(outs);
      const y = tf.tidy(() => tf.concat(outs.map((o) => toTFLayout(o, layout)), axisOf(dim, sizes.length, layout)));
      setOutputTF(out, y, layout);
    } else {
      // Row-major: the concatenation interleaves blocks of (size along dim) x inner.
      const inner = sizes.slice(dim).reduce((a, b) => a * b, 1);
      const outer = sizes.slice(0, dim - 1).reduce((a, b) => a * b, 1);
      const total = sizes[dim - 1]!;
      const vals = new Float64Array(outer * total * inner);
      let offset = 0;
      for (const o of outs) {
        const v = hostValues(o);
        const n = o.size(dim);
        for (let a = 0; a < outer; a++) vals.set(v.subarray(a * n * inner, (a + 1) * n * inner), (a * total + offset) * inner);
        offset += n;
      }
      setOutputHost(out, sizes, vals);
    }
    return out;
  }

  /** Each child's share of gradOutput: views for Double, device slices (kept in _gradOutputSlices) for Float. */
  private gradSlices(gradOutput: Activity): Tensor[] {
    const g = expectTensor(gradOutput, 'nn.Concat gradOutput');
    const dim = this.dimension;
    const outs = this.childOutputs();
    const slices: Tensor[] = [];
    if (engineOf(g, 'nn.Concat') === 'host') {
      let offset = 1;
      for (const o of outs) {
        slices.push(g.narrow(dim, offset, o.size(dim)));
        offset += o.size(dim);
      }
      return slices;
    }
    const layout = commonLayout([g]);
    let kept = this.fields.get('_gradOutputSlices');
    if (!Array.isArray(kept)) {
      kept = [];
      this.fields.set('_gradOutputSlices', kept);
    }
    const buffers = kept as Tensor[];
    const axis = axisOf(dim, g.dim(), layout);
    const whole = toTFLayout(g, layout);
    let offset = 0;
    outs.forEach((o, i) => {
      const n = o.size(dim);
      const begin = whole.shape.map((_, a) => (a === axis ? offset : 0));
      const size = whole.shape.map((s, a) => (a === axis ? n : s));
      let t = buffers[i];
      if (!(t instanceof Tensor) || t.elementType !== 'Float') t = buffers[i] = new Tensor('Float');
      setOutputTF(t, tf.slice(whole, begin, size), layout);
      slices.push(t);
      offset += n;
    });
    whole.dispose();
    buffers.length = outs.length;
    return slices;
  }

  private backwardWith(method: 'updateGradInput' | 'backward', input: In, gradOutput: Activity, scale: number): In {
    const slices = this.gradSlices(gradOutput);
    const parts = this.children().map((m, i) =>
      this.childGradient(this.rethrowErrors(m, i + 1, method, () => (method === 'backward' ? m.backward(input, slices[i]!, scale) : m.updateGradInput(input, slices[i]!))), m, i + 1),
    );
    const sum = sumActivities(parts, this.fields.get('gradInput') as Activity | undefined, 'nn.Concat') as In;
    this.gradInput = sum;
    return sum;
  }

  override updateGradInput(input: In, gradOutput: Tensor): In {
    return this.backwardWith('updateGradInput', input, gradOutput, 1);
  }

  override backward(input: In, gradOutput: Tensor, scale = 1): In {
    return this.backwardWith('backward', input, gradOutput, scale);
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const slices = this.gradSlices(gradOutput);
    this.children().forEach((m, i) => this.rethrowErrors(m, i + 1, 'accGradParameters', () => m.accGradParameters(input, slices[i]!, scale)));
  }

  override clearState(): this {
    this.fields.delete('_gradOutputSlices');
    return super.clearState();
  }

  override __tostring__(): string {
    return branchString(this.className, this.children());
  }
}

registerModule('nn.Concat', Concat);
