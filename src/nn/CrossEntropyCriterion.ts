// nn.CrossEntropyCriterion(weights?, sizeAverage?): LogSoftMax followed by ClassNLLCriterion,
// on the squeezed input (a 1 x C batch is a vector), as Torch composes them.

import { Tensor } from '../torch/tensor.js';
import type { Activity } from './module.js';
import { Criterion, type Target } from './Criterion.js';
import { ClassNLLCriterion } from './ClassNLLCriterion.js';
import { LogSoftMax } from './LogSoftMax.js';
import { registerModule } from './registry.js';
import { expectTensor } from './tensor_helpers.js';
import { viewOrCopy } from './View.js';

export class CrossEntropyCriterion extends Criterion<Tensor> {
  /**
   * @param weights one weight per class (a 1-d tensor); all 1 when absent.
   * @param sizeAverage average over the batch (Torch's default true) rather than sum.
   */
  constructor(weights?: Tensor | null, sizeAverage?: boolean) {
    super('nn.CrossEntropyCriterion');
    const nll = new ClassNLLCriterion(weights, sizeAverage);
    this.fields.set('lsm', new LogSoftMax());
    this.fields.set('nll', nll);
    this.fields.set('sizeAverage', nll.sizeAverage);
    this.fields.set('oldSizeAverage', nll.sizeAverage);
  }

  /** The LogSoftMax applied first. */
  get lsm(): LogSoftMax {
    return this.fields.get('lsm') as LogSoftMax;
  }
  /** The ClassNLLCriterion applied to the LogSoftMax output. */
  get nll(): ClassNLLCriterion {
    return this.fields.get('nll') as ClassNLLCriterion;
  }

  /** Whether the loss is averaged over the batch rather than summed (passed on to nll). */
  get sizeAverage(): boolean {
    return this.fields.get('sizeAverage') !== false;
  }
  set sizeAverage(v: boolean) {
    this.fields.set('sizeAverage', v);
  }

  /** Only a changed sizeAverage is passed on, so setting nll.sizeAverage directly keeps working (Torch's rule). */
  private syncSizeAverage(): void {
    if (this.fields.get('sizeAverage') !== this.fields.get('oldSizeAverage')) this.nll.sizeAverage = this.sizeAverage;
  }

  override updateOutput(input: Activity, target: Target): number {
    const x = expectTensor(input, 'nn.CrossEntropyCriterion').squeeze();
    const t = typeof target === 'number' ? target : target.squeeze();
    this.syncSizeAverage();
    this.lsm.updateOutput(x);
    this.output = this.nll.updateOutput(this.lsm.output, t);
    this.fields.set('oldSizeAverage', this.fields.get('sizeAverage'));
    return this.output;
  }

  override updateGradInput(input: Activity, target: Target): Tensor {
    const full = expectTensor(input, 'nn.CrossEntropyCriterion');
    const x = full.squeeze();
    const t = typeof target === 'number' ? target : target.squeeze();
    this.syncSizeAverage();
    this.nll.updateGradInput(this.lsm.output, t);
    const g = this.lsm.updateGradInput(x, this.nll.gradInput);
    const gi = this.buffer('gradInput', full);
    viewOrCopy(gi, g, full.size(), 'nn.CrossEntropyCriterion');
    this.fields.set('oldSizeAverage', this.fields.get('sizeAverage'));
    return gi;
  }
}

registerModule('nn.CrossEntropyCriterion', CrossEntropyCriterion);
