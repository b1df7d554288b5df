// nn.CAddTable(inplace = false): the element-wise sum of a table of tensors.
// In place, the sum is written into input[1] and the output views it, as in Torch.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import {
  asArray,
  assignHost,
  assignTFLayout,
  commonLayout,
  detachFrom,
  engineOf,
  expectTensor,
  hostValues,
  setOutputHost,
  setOutputTF,
  sizesEqual,
  sumTF,
  toTFLayout,
} from './tensor_helpers.js';

/**
 * nn.CAddTable(inplace = false): the element-wise sum of a table (array) of same-sized tensors;
 * gradInput is gradOutput for every entry. The end of fb.resnet.torch's residual block.
 */
export class CAddTable extends Module<Tensor[], Tensor> {
  /** @param inplace write the sum into the first input tensor instead of a buffer of its own (Torch's default false). */
  constructor(inplace = false) {
    super('nn.CAddTable');
    if (inplace) this.fields.set('inplace', true);
    this.fields.set('gradInput', []);
  }

  /** Whether the sum is written into the first input. */
  get inplace(): boolean {
    return this.fields.get('inplace') === true;
  }

  private inputs(input: Activity): Tensor[] {
    const xs = asArray<unknown>(input, 'nn.CAddTable input').map((x, i) => expectTensor(x, `nn.CAddTable input[${i + 1}]`));
    if (xs.length === 0) throw new RangeError('nn.CAddTable: expected a table of at least one tensor, got an empty table');
    const first = xs[0]!;
    xs.forEach((x, i) => {
      if (x.nElement() !== first.nElement() || x.elementType !== first.elementType) {
        throw new RangeError(`nn.CAddTable: input[${i + 1}] is ${x.className()} [${x.size().join(', ')}], input[1] is ${first.className()} [${first.size().join(', ')}]`);
      }
    });
    return xs;
  }

  override updateOutput(input: Activity): Tensor {
    const xs = this.inputs(input);
    const first = xs[0]!;
    const out = this.buffer('output', first);
    if (engineOf(first, 'nn.CAddTable') === 'tf') {
      const layout = commonLayout(xs);
      const sum = tf.tidy(() => sumTF(xs.map((x) => toTFLayout(x, layout))));
      if (this.inplace) {
        assignTFLayout(first, sum, layout);
        out.set(first);
      } else {
        detachFrom(out, first);
        setOutputTF(out, layout === 'NHWC' ? sum : tf.tidy(() => tf.reshape(sum, first.size())), layout);
        if (layout !== 'NHWC') sum.dispose();
      }
    } else {
      const acc = hostValues(first);
      for (let i = 1; i < xs.length; i++) {
        const v = hostValues(xs[i]!);
        for (let k = 0; k < acc.length; k++) acc[k] += v[k]!;
      }
      if (this.inplace) {
        assignHost(first, acc);
        out.set(first);
      } else {
        detachFrom(out, first);
        setOutputHost(out, first.size(), acc);
      }
    }
    return out;
  }

  /**
   * The output when the sum is already in input[1] (nn.ConcatTable's residual fusion had the
   * convolution write it): views it, as the in-place add leaves it.
   */
  adoptSum(first: Tensor): Tensor {
    const out = this.buffer('output', first);
    out.set(first);
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor[] {
    const xs = this.inputs(input);
    const g = expectTensor(gradOutput, 'nn.CAddTable gradOutput');
    let gi = this.fields.get('gradInput');
    if (!Array.isArray(gi)) {
      gi = gi === undefined ? [] : asArray<Tensor>(gi, 'nn.CAddTable gradInput');
      this.fields.set('gradInput', gi);
    }
    const grads = gi as Tensor[];
    xs.forEach((x, i) => {
      let t = grads[i];
      if (!(t instanceof Tensor) || t.elementType !== g.elementType) {
        t = new Tensor(g.elementType);
        grads[i] = t;
      }
      if (this.inplace) {
        t.set(g);
      } else {
        detachFrom(t, g);
        if (!sizesEqual(x.size(), g.size()) && x.nElement() !== g.nElement()) {
          throw new RangeError(`nn.CAddTable: gradOutput has ${g.nElement()} elements, input[${i + 1}] ${x.nElement()}`);
        }
        if (engineOf(g, 'nn.CAddTable') === 'tf') {
          const layout = commonLayout([g]);
          const v = tf.tidy(() => (layout === 'NHWC' ? g.toTFNHWC() : tf.reshape(g.toTF(), x.size())));
          setOutputTF(t, v, layout);
        } else {
          setOutputHost(t, x.size(), hostValues(g));
        }
      }
    });
    grads.length = xs.length;
    return grads;
  }
}

registerModule('nn.CAddTable', CAddTable);
