// nn.Linear(inputSize, outputSize, bias = true): y = W x + b, for a vector or a batch (rows).

import { tf } from '../torch/tfjs_core.js';
import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { hostParamsActive, readInPlace } from '../backend/host_params.js';
import { registerModule } from './registry.js';
import {
  accumulateHost,
  accumulateTF,
  engineOf,
  expectTensor,
  hostMatmul,
  hostValues,
  setOutputHost,
  setOutputTF,
} from './tensor_helpers.js';
import { uniformFill } from '../init/index.js';

/**
 * nn.Linear(inputSize, outputSize, bias = true): y = W x + b, for a vector of inputSize values or a
 * batch N x inputSize (rows). Weights are drawn as Torch's reset() does.
 */
export class Linear extends Module<Tensor, Tensor> {
  /**
   * @param inputSize the number of input features.
   * @param outputSize the number of output features.
   * @param bias whether to learn a bias b (Torch's default true; false is Torch's noBias()).
   */
  constructor(inputSize: number, outputSize: number, bias = true) {
    super('nn.Linear');
    if (!Number.isInteger(inputSize) || !Number.isInteger(outputSize) || inputSize < 1 || outputSize < 1) {
      throw new RangeError(`nn.Linear: expected positive integer sizes (inputSize, outputSize), got (${inputSize}, ${outputSize})`);
    }
    const type = defaultTensorType();
    this.fields.set('weight', Tensor.create(type, [outputSize, inputSize]));
    this.fields.set('gradWeight', Tensor.create(type, [outputSize, inputSize]));
    if (bias) {
      this.fields.set('bias', Tensor.create(type, [outputSize]));
      this.fields.set('gradBias', Tensor.create(type, [outputSize]));
    }
    this.reset();
  }

  /** W, outputSize x inputSize. */
  get weight(): Tensor {
    const w = this.tensorField('weight');
    if (!w) throw new Error('nn.Linear: the module has no weight');
    return w;
  }
  /** The gradient of W, outputSize x inputSize (accumulated by backward). */
  get gradWeight(): Tensor {
    const w = this.tensorField('gradWeight');
    if (!w) throw new Error('nn.Linear: the module has no gradWeight');
    return w;
  }
  /** b, outputSize values; undefined after noBias(). */
  get bias(): Tensor | undefined {
    return this.tensorField('bias');
  }
  /** The gradient of b; undefined after noBias(). */
  get gradBias(): Tensor | undefined {
    return this.tensorField('gradBias');
  }

  /** Torch's reset: uniform(-stdv, stdv) on weight, then bias; stdv = 1/sqrt(inputSize), or the given stdv·sqrt(3). */
  reset(stdv?: number): this {
    const s = stdv !== undefined ? stdv * Math.sqrt(3) : 1 / Math.sqrt(this.weight.size(2));
    uniformFill(this.weight, -s, s);
    if (this.bias) uniformFill(this.bias, -s, s);
    return this;
  }

  /** Torch's noBias(): removes b and its gradient; returns this. */
  noBias(): this {
    this.fields.delete('bias');
    this.fields.delete('gradBias');
    return this;
  }

  /**
   * Torch's addBuffer: a vector of nframe ones its batch path adds the bias with. mpelu
   * adds the bias by broadcasting, but keeps the field as Torch leaves it (a saved file
   * holds it, and Torch code may read it).
   */
  private updateAddBuffer(x: Tensor, rows: number): void {
    const buf = this.buffer('addBuffer', x);
    if (buf.nElement() !== rows) buf.resize(rows).fill(1);
  }

  private checkInput(input: Activity): Tensor {
    const x = expectTensor(input, 'nn.Linear');
    const inputSize = this.weight.size(2);
    if (x.dim() !== 1 && x.dim() !== 2) throw new RangeError(`nn.Linear: input must be vector or matrix, got sizes [${x.size().join(', ')}]`);
    if (x.size(x.dim()) !== inputSize) throw new RangeError(`nn.Linear: expected input of ${inputSize} features, got sizes [${x.size().join(', ')}]`);
    if (x.elementType !== this.weight.elementType) {
      throw new TypeError(`nn.Linear: input is a ${x.className()} but the weight is a ${this.weight.className()} (convert the module with :type())`);
    }
    return x;
  }

  override updateOutput(input: Activity): Tensor {
    const x = this.checkInput(input);
    const out = this.buffer('output', x);
    const nOut = this.weight.size(1);
    const nIn = this.weight.size(2);
    const rows = x.dim() === 1 ? 1 : x.size(1);
    const outSizes = x.dim() === 1 ? [nOut] : [rows, nOut];
    if (x.dim() === 2) this.updateAddBuffer(x, rows);
    if (engineOf(x, 'nn.Linear') === 'tf') {
      const y = tf.tidy(() => {
        const x2 = tf.reshape(x.toTF(), [rows, nIn]);
        let r = tf.matMul(x2, this.weight.toTF(), false, true);
        if (this.bias) r = tf.add(r, this.bias.toTF());
        return tf.reshape(r, outSizes);
      });
      setOutputTF(out, y);
    } else {
      const r = hostMatmul(hostValues(x), hostValues(this.weight), rows, nIn, nOut, false, true);
      if (this.bias) {
        const b = hostValues(this.bias);
        for (let i = 0; i < rows; i++) for (let j = 0; j < nOut; j++) r[i * nOut + j] += b[j]!;
      }
      setOutputHost(out, outSizes, r);
    }
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor | undefined {
    // Torch's `if self.gradInput then`: with gradInput = nil the input gradient is not computed.
    if (this.gradInput === undefined) return undefined;
    const x = this.checkInput(input);
    const g = expectTensor(gradOutput, 'nn.Linear (gradOutput)');
    const gi = this.buffer('gradInput', x);
    const nOut = this.weight.size(1);
    const nIn = this.weight.size(2);
    const rows = x.dim() === 1 ? 1 : x.size(1);
    if (g.nElement() !== rows * nOut) throw new RangeError(`nn.Linear: gradOutput has sizes [${g.size().join(', ')}], expected ${rows}x${nOut}`);
    if (engineOf(x, 'nn.Linear') === 'tf') {
      const r = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(g.toTF(), [rows, nOut]), this.weight.toTF()), x.size()));
      setOutputTF(gi, r);
    } else {
      setOutputHost(gi, x.size(), hostMatmul(hostValues(g), hostValues(this.weight), rows, nOut, nIn));
    }
    return gi;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const x = this.checkInput(input);
    const g = expectTensor(gradOutput, 'nn.Linear (gradOutput)');
    const nOut = this.weight.size(1);
    const nIn = this.weight.size(2);
    const rows = x.dim() === 1 ? 1 : x.size(1);
    if (engineOf(x, 'nn.Linear') === 'tf') {
      const g2 = tf.tidy(() => tf.reshape(g.toTF(), [rows, nOut]));
      const dW = tf.tidy(() => tf.matMul(g2, tf.reshape(x.toTF(), [rows, nIn]), true, false));
      const dB = this.gradBias && this.bias ? tf.sum(g2, 0) : null;
      g2.dispose();
      if (hostParamsActive()) {
        // added where the gradients live, the results read in place (backend/host_params.ts)
        accumulateHost(this.gradWeight, readInPlace(dW), scale);
        dW.dispose();
        if (dB && this.gradBias) accumulateHost(this.gradBias, readInPlace(dB), scale);
        dB?.dispose();
      } else {
        accumulateTF(this.gradWeight, dW, scale);
        if (dB && this.gradBias) accumulateTF(this.gradBias, dB, scale);
      }
    } else {
      const gv = hostValues(g);
      accumulateHost(this.gradWeight, hostMatmul(gv, hostValues(x), nOut, rows, nIn, true, false), scale);
      if (this.gradBias && this.bias) {
        const db = new Float64Array(nOut);
        for (let i = 0; i < rows; i++) for (let j = 0; j < nOut; j++) db[j] += gv[i * nOut + j]!;
        accumulateHost(this.gradBias, db, scale);
      }
    }
  }

  override clearState(): this {
    const b = this.tensorField('addBuffer');
    if (b) b.set();
    return super.clearState();
  }

  override __tostring__(): string {
    return `${this.className}(${this.weight.size(2)} -> ${this.weight.size(1)})${this.bias ? '' : ' without bias'}`;
  }
}

registerModule('nn.Linear', Linear);
