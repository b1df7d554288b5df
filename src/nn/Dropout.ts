// nn.Dropout(p = 0.5, v1 = false, inplace = false, stochasticInference = false)
//
// Torch's semantics: in training (or with stochastic inference) noise:bernoulli(1 - p)
// draws one number per element from Torch's generator in logical order; version 2 (the
// default) scales the kept units by 1/(1 - p) during training and is the identity in
// evaluate mode; version 1 scales by (1 - p) in evaluate mode instead. The noise tensor
// lives on the host (that is where the generator is); Float inputs are multiplied on tfjs.

import { tf } from '../torch/tfjs_core.js';
import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { defaultGenerator, fillWith } from '../torch/random.js';
import { assignHost, assignTFLayout, commonLayout, engineOf, expectTensor, hostValues, setOutputHost, toTFLayout } from './tensor_helpers.js';

/**
 * nn.Dropout(p = 0.5, v1 = false, inplace = false, stochasticInference = false): in training() mode
 * each element is zeroed with probability p (drawn from Torch's generator) and the rest scaled by 1/(1
 * - p); in evaluate() mode the identity. v1 scales by (1 - p) at evaluation instead.
 */
export class Dropout extends Module<Tensor, Tensor> {
  /**
   * @param p the probability of zeroing an element, 0 <= p < 1 (default 0.5).
   * @param v1 Torch's old version 1: no scaling in training, x (1 - p) at evaluation (default false).
   * @param inplace overwrite the input (default false).
   * @param stochasticInference drop at evaluation too (default false).
   */
  constructor(p = 0.5, v1 = false, inplace?: boolean, stochasticInference = false) {
    super('nn.Dropout');
    const f = this.fields;
    f.set('p', p);
    f.set('train', true);
    f.set('inplace', inplace);
    f.set('stochastic_inference', stochasticInference);
    f.set('v2', !v1);
    if (p >= 1 || p < 0) throw new RangeError(`<Dropout> illegal percentage, must be 0 <= p < 1, got ${p}`);
    f.set('noise', new Tensor(defaultTensorType()));
  }

  /** The drop probability. */
  get p(): number { return this.numberField('p'); }
  /** Torch's version 2 (scale in training); false for v1. */
  get v2(): boolean { return this.fields.get('v2') === true; }
  /** Whether the input is overwritten. */
  get inplace(): boolean { return this.fields.get('inplace') === true; }
  /** Whether elements are dropped in evaluate() mode too. */
  get stochastic_inference(): boolean { return this.fields.get('stochastic_inference') === true; }
  /** The last mask drawn (0 or the scale per element). */
  get noise(): Tensor | undefined { return this.tensorField('noise'); }

  /** Sets the drop probability p. */
  setp(p: number): void {
    this.fields.set('p', p);
  }

  override updateOutput(input: Activity): Tensor {
    const where = `${this.className}:updateOutput`;
    const x = expectTensor(input, where);
    const p = this.p;
    let factor: Tensor | number = 1;
    if (p > 0) {
      if (this.train || this.stochastic_inference) factor = this.drawNoise(x);
      else if (!this.v2) factor = 1 - p;
    }
    return this.scaled(x, factor, 'output', where);
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const where = `${this.className}:updateGradInput`;
    expectTensor(input, where);
    const dy = expectTensor(gradOutput, where);
    const p = this.p;
    let factor: Tensor | number = 1;
    if (this.train) {
      if (p > 0) {
        const noise = this.noise;
        if (!noise || noise.nElement() !== dy.nElement()) throw new Error(`${where}: no noise of ${dy.nElement()} elements from updateOutput; call forward first`);
        factor = noise;
      }
    } else if (!this.v2 && p > 0) {
      factor = 1 - p;
    }
    return this.scaled(dy, factor, 'gradInput', where);
  }

  override clearState(): this {
    const noise = this.noise;
    if (noise) noise.set();
    return super.clearState();
  }

  override __tostring__(): string {
    return `${this.className}(${this.p.toFixed(6)})`;
  }

  // ---- internals ------------------------------------------------------------------

  /** noise:resizeAs(input):bernoulli(1 - p), then noise:div(1 - p) for version 2. */
  private drawNoise(x: Tensor): Tensor {
    const noise = this.buffer('noise', x);
    noise.resize(...x.size());
    // THTensor_(bernoulli): one THRandom_bernoulli(1 - p) per element, in logical order.
    const gen = defaultGenerator();
    const keepP = 1 - this.p;
    fillWith({ data: noise.storage().mutableData(), order: null, offset: noise.offset(), n: noise.nElement() }, () => gen.bernoulli(keepP));
    if (this.v2) {
      const keep = 1 - this.p;
      const d = noise.storage().mutableData() as Float64Array;
      // Torch divides by (real)(1 - p); a Float array rounds the divisor and the quotient.
      const divisor = x.elementType === 'Float' ? Math.fround(keep) : keep;
      const o = noise.offset();
      for (let i = 0, n = noise.nElement(); i < n; i++) d[o + i] = d[o + i]! / divisor;
    }
    return noise;
  }

  /**
   * buffer = src * factor (a noise tensor or a number). In place (Torch's inplace flag:
   * the buffer becomes a view of src and src is overwritten) or into the module's buffer.
   */
  private scaled(src: Tensor, factor: Tensor | number, bufferName: 'output' | 'gradInput', where: string): Tensor {
    const inplace = this.inplace;
    const out = this.buffer(bufferName, src);
    if (engineOf(src, where) === 'tf') {
      const layout = commonLayout([src]);
      const y = tf.tidy(() => {
        const s = toTFLayout(src, layout);
        if (typeof factor === 'number') return factor === 1 ? tf.clone(s) : tf.mul(s, factor);
        const f = layout === 'NHWC' ? factor.toTFNHWC() : tf.reshape(factor.toTF(), s.shape);
        return tf.mul(s, f);
      });
      if (inplace) {
        if (typeof factor === 'number' && factor === 1) y.dispose();
        else assignTFLayout(src, y, layout);
        out.set(src);
      } else {
        out.setTF(y, layout);
      }
    } else {
      const v = hostValues(src);
      if (typeof factor === 'number') {
        if (factor !== 1) for (let i = 0; i < v.length; i++) v[i] *= factor;
      } else {
        const f = hostValues(factor);
        for (let i = 0; i < v.length; i++) v[i] *= f[i]!;
      }
      if (inplace) {
        assignHost(src, v);
        out.set(src);
      } else {
        setOutputHost(out, src.size(), v);
      }
    }
    return out;
  }
}

registerModule('nn.Dropout', Dropout);
