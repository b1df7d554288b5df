// nn.MSECriterion(sizeAverage = true): Σ (x - t)², divided by the element count when sizeAverage.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import type { Activity } from './module.js';
import { Criterion, type Target } from './Criterion.js';
import { registerModule } from './registry.js';
import { engineOf, expectTensor, hostValues, setOutputHost, setOutputTF } from './tensor_helpers.js';

/**
 * nn.MSECriterion(sizeAverage = true): the squared error Σ (x - t)² between input and a target tensor
 * of the same element count, divided by the element count when sizeAverage.
 */
export class MSECriterion extends Criterion<Tensor> {
  /** @param sizeAverage divide by the number of elements (Torch's default true) rather than sum. */
  constructor(sizeAverage = true) {
    super('nn.MSECriterion');
    this.fields.set('sizeAverage', sizeAverage);
  }

  /** Whether the error is averaged over the elements rather than summed. */
  get sizeAverage(): boolean {
    return this.fields.get('sizeAverage') !== false;
  }
  set sizeAverage(v: boolean) {
    this.fields.set('sizeAverage', v);
  }

  private operands(input: Activity, target: Target): [Tensor, Tensor] {
    const x = expectTensor(input, 'nn.MSECriterion');
    if (!(target instanceof Tensor)) throw new TypeError(`nn.MSECriterion: expected a target tensor, got ${String(target)}`);
    if (x.nElement() !== target.nElement()) throw new RangeError(`nn.MSECriterion: input has ${x.nElement()} elements, target ${target.nElement()}`);
    return [x, target];
  }

  /** The target on the input's engine (a target of another type is converted, as a copy). */
  private targetTF(x: Tensor, t: Tensor): tf.Tensor {
    return tf.reshape(t.toTF(), x.size());
  }

  override updateOutput(input: Activity, target: Target): number {
    const [x, t] = this.operands(input, target);
    const n = x.nElement();
    let loss: number;
    if (engineOf(x, 'nn.MSECriterion') === 'tf') {
      const s = tf.tidy(() => tf.sum(tf.square(tf.sub(x.toTF(), this.targetTF(x, t)))));
      loss = s.dataSync()[0]!;
      s.dispose();
    } else {
      const a = hostValues(x);
      const b = hostValues(t);
      loss = 0;
      for (let k = 0; k < n; k++) loss += (a[k]! - b[k]!) ** 2;
    }
    if (this.sizeAverage) loss /= n;
    let ot = this.fields.get('output_tensor');
    if (!(ot instanceof Tensor)) {
      ot = Tensor.create(x.elementType, [1]);
      this.fields.set('output_tensor', ot);
    }
    (ot as Tensor).storage().setNumber((ot as Tensor).offset(), loss);
    this.output = (ot as Tensor).get(1);
    return this.output;
  }

  override updateGradInput(input: Activity, target: Target): Tensor {
    const [x, t] = this.operands(input, target);
    const gi = this.buffer('gradInput', x);
    const norm = this.sizeAverage ? 2 / x.nElement() : 2;
    if (engineOf(x, 'nn.MSECriterion') === 'tf') {
      setOutputTF(gi, tf.tidy(() => tf.mul(tf.sub(x.toTF(), this.targetTF(x, t)), norm)));
    } else {
      const a = hostValues(x);
      const b = hostValues(t);
      const r = new Float64Array(a.length);
      for (let k = 0; k < a.length; k++) r[k] = norm * (a[k]! - b[k]!);
      setOutputHost(gi, x.size(), r);
    }
    return gi;
  }
}

registerModule('nn.MSECriterion', MSECriterion);
