// nn.ClassNLLCriterion(weights?, sizeAverage = true, ignoreIndex = -100): the negative
// log-likelihood of the target classes (1-based) for a vector or a batch (rows) of
// log-probabilities: -Σ w[t_i] x[i][t_i], divided by Σ w[t_i] when sizeAverage.
// Targets of any type are truncated to integers (Torch's target:long()).

import { tf } from '../torch/tfjs_core.js';
import { Tensor, defaultTensorType } from '../torch/tensor.js';
import type { Activity } from './module.js';
import { Criterion, type Target } from './Criterion.js';
import { registerModule } from './registry.js';
import { engineOf, expectTensor, hostValues, setOutputHost, setOutputTF } from './tensor_helpers.js';

/**
 * nn.ClassNLLCriterion(weights?, sizeAverage = true, ignoreIndex = -100): the negative log-likelihood
 * -Σ w[t_i] x[i][t_i] of the target classes for a vector or a batch (N x classes) of log-
 * probabilities, divided by Σ w[t_i] when sizeAverage. Targets are 1-based class indices (a number, or
 * a tensor of N), truncated to integers as Torch's target:long().
 */
export class ClassNLLCriterion extends Criterion<Tensor> {
  /**
   * @param weights one weight per class (a 1-d tensor); all 1 when absent.
   * @param sizeAverage divide by the total weight of the batch (Torch's default true) rather than sum.
   * @param ignoreIndex a target class that contributes nothing (Torch's default -100).
   */
  constructor(weights?: Tensor | null, sizeAverage = true, ignoreIndex = -100) {
    super('nn.ClassNLLCriterion');
    this.fields.set('sizeAverage', sizeAverage);
    this.fields.set('ignoreIndex', ignoreIndex);
    if (weights) {
      if (weights.dim() !== 1) throw new RangeError(`nn.ClassNLLCriterion: weights input should be 1-D Tensor, got sizes [${weights.size().join(', ')}]`);
      this.fields.set('weights', weights);
    }
    const type = defaultTensorType();
    this.fields.set('output_tensor', Tensor.create(type, [1]));
    const tw = Tensor.create(type, [1]);
    tw.put(1, 1);
    this.fields.set('total_weight_tensor', tw);
    this.fields.set('target', Tensor.create('Long', [1]));
  }

  /** Whether the loss is averaged over the batch (divided by the total weight) rather than summed. */
  get sizeAverage(): boolean {
    return this.fields.get('sizeAverage') !== false;
  }
  set sizeAverage(v: boolean) {
    this.fields.set('sizeAverage', v);
  }

  /** The per-class weights, or undefined (all 1). */
  get weights(): Tensor | undefined {
    const w = this.fields.get('weights');
    return w instanceof Tensor ? w : undefined;
  }

  /** Target class indices (0-based), after Torch's conversion to long; also stored in the `target` field. */
  private targets(input: Tensor, target: Target): number[] {
    let idx: number[];
    if (typeof target === 'number') idx = [Math.trunc(target)];
    else {
      if (target.dim() > 1) throw new RangeError(`nn.ClassNLLCriterion: multi-target not supported (target sizes [${target.size().join(', ')}])`);
      idx = target.values().map((v) => Math.trunc(v));
    }
    const t = Tensor.create('Long', [idx.length]);
    idx.forEach((v, i) => t.put(i + 1, v));
    this.fields.set('target', t);
    const rows = input.dim() === 1 ? 1 : input.size(1);
    if (input.dim() === 2 && idx.length !== rows) throw new RangeError(`nn.ClassNLLCriterion: ${rows} inputs but ${idx.length} targets`);
    if (input.dim() === 1 && idx.length !== 1) throw new RangeError(`nn.ClassNLLCriterion: a vector input takes one target, got ${idx.length}`);
    return idx.map((v) => v - 1);
  }

  private checkInput(input: Activity): Tensor {
    const x = expectTensor(input, 'nn.ClassNLLCriterion');
    if (x.dim() < 1 || x.dim() > 2) throw new RangeError(`nn.ClassNLLCriterion: input tensor should be 1D or 2D, got sizes [${x.size().join(', ')}]`);
    const nClasses = x.size(x.dim());
    const w = this.weights;
    if (w && w.nElement() !== nClasses) {
      throw new RangeError(`nn.ClassNLLCriterion: weight tensor should be defined either for all ${nClasses} classes or no classes but got weight tensor of shape: ${w.size().join('x')}`);
    }
    return x;
  }

  /**
   * The coefficient of every input element in the loss (-w[t]/total at the targets, 0
   * elsewhere) and the total weight, as THNN computes them.
   */
  private coefficients(x: Tensor, target: Target): { coef: Float64Array; total: number; picks: number[] } {
    const nClasses = x.size(x.dim());
    const picks = this.targets(x, target);
    const ignore = (this.fields.get('ignoreIndex') as number | undefined ?? -100) - 1;
    const w = this.weights ? hostValues(this.weights) : undefined;
    const coef = new Float64Array(x.nElement());
    let total = 0;
    picks.forEach((t, i) => {
      if (t === ignore) return;
      if (t < 0 || t >= nClasses) throw new RangeError(`nn.ClassNLLCriterion: target ${t + 1} out of range 1..${nClasses} (row ${i + 1})`);
      const wt = w ? w[t]! : 1;
      total += wt;
      coef[i * nClasses + t] = -wt;
    });
    if (this.sizeAverage && total !== 0) for (let k = 0; k < coef.length; k++) coef[k] /= total;
    return { coef, total, picks };
  }

  override updateOutput(input: Activity, target: Target): number {
    const x = this.checkInput(input);
    const { coef, total } = this.coefficients(x, target);
    let loss: number;
    if (engineOf(x, 'nn.ClassNLLCriterion') === 'tf') {
      const s = tf.tidy(() => tf.sum(tf.mul(x.toTF(), tf.tensor(Float32Array.from(coef), x.size(), 'float32'))));
      loss = s.dataSync()[0]!;
      s.dispose();
    } else {
      const v = hostValues(x);
      loss = 0;
      for (let k = 0; k < v.length; k++) if (coef[k] !== 0) loss += v[k]! * coef[k]!;
    }
    const ot = this.fields.get('output_tensor');
    if (ot instanceof Tensor && ot.nElement() >= 1) ot.storage().setNumber(ot.offset(), loss);
    const tw = this.fields.get('total_weight_tensor');
    if (tw instanceof Tensor && tw.nElement() >= 1) tw.storage().setNumber(tw.offset(), total);
    this.output = ot instanceof Tensor ? ot.get(1) : loss;
    return this.output;
  }

  override updateGradInput(input: Activity, target: Target): Tensor {
    const x = this.checkInput(input);
    const gi = this.buffer('gradInput', x);
    const tw = this.fields.get('total_weight_tensor');
    const { coef, total } = this.coefficients(x, target);
    // THNN uses the total weight of the last updateOutput, and leaves zeros when it is not positive.
    const lastTotal = tw instanceof Tensor && tw.nElement() >= 1 ? tw.get(1) : total;
    if (!(lastTotal > 0)) coef.fill(0);
    if (engineOf(x, 'nn.ClassNLLCriterion') === 'tf') setOutputTF(gi, tf.tensor(Float32Array.from(coef), x.size(), 'float32'));
    else setOutputHost(gi, x.size(), coef);
    return gi;
  }
}

registerModule('nn.ClassNLLCriterion', ClassNLLCriterion);
