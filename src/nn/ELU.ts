// nn.ELU(alpha = 1, inplace = false), as torch/nn's THNN kernel computes it:
//   output    = input <= 0 ? (exp(input) - 1) * alpha : input
//   gradInput = output <= 0 ? gradOutput * (output + alpha) : gradOutput
// The gradient is written in terms of the output (as THNN does), which is what makes the
// in-place form possible: after it the input holds the output.

import * as tf from '@tensorflow/tfjs-core';
import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './ops.js';
import { formatF } from './tostring.js';
import { assignHost, checkSameElements, gradView, hostValues, setFromView, setHost, tensorInput, tfView, writeInPlace } from './activation.js';

export class ELU extends Module {
  constructor(alpha = 1, inplace = false) {
    super('nn.ELU');
    if (typeof alpha !== 'number') throw new TypeError(`nn.ELU: alpha must be a number, got ${typeof alpha}`);
    if (typeof inplace !== 'boolean') throw new TypeError(`nn.ELU: the in-place flag must be a boolean, got ${typeof inplace}`);
    this.fields.set('alpha', alpha);
    this.fields.set('inplace', inplace);
  }

  get alpha(): number {
    return this.numberField('alpha');
  }

  set alpha(v: number) {
    this.fields.set('alpha', v);
  }

  get inplace(): boolean {
    return this.fields.get('inplace') === true;
  }

  override updateOutput(input: Activity): Activity {
    const x = tensorInput(input, 'nn.ELU:updateOutput');
    const alpha = this.alpha;
    const output = this.buffer('output', x);
    if (engineOf(x, this.className) === 'host') {
      const v = hostValues(x);
      for (let k = 0; k < v.length; k++) if (v[k]! <= 0) v[k] = (Math.exp(v[k]!) - 1) * alpha;
      if (this.inplace) {
        assignHost(x, v);
        output.set(x);
      } else {
        setHost(output, x.size(), v);
      }
      return output;
    }
    const view = tfView(x, false);
    const y = tf.tidy(() => tf.where(tf.lessEqual(view.x, 0), tf.mul(tf.sub(tf.exp(view.x), 1), alpha), view.x));
    view.x.dispose();
    if (this.inplace) {
      writeInPlace(x, view, y);
      output.set(x);
    } else {
      setFromView(output, view, y);
    }
    return output;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const x = tensorInput(input, 'nn.ELU:updateGradInput');
    const g = tensorInput(gradOutput, 'nn.ELU:updateGradInput (gradOutput)');
    checkSameElements(x, g, 'nn.ELU:updateGradInput');
    const alpha = this.alpha;
    const out = this.fields.get('output');
    const y = out instanceof Tensor ? out : undefined;
    if (!y || y.nElement() !== x.nElement()) {
      throw new Error(`nn.ELU:updateGradInput: needs the output of a forward pass on this input (output has ${y ? y.nElement() : 0} elements, input ${x.nElement()})`);
    }
    const gradInput = this.buffer('gradInput', x);
    if (engineOf(x, this.className) === 'host') {
      const yv = hostValues(y);
      const gv = hostValues(g);
      for (let k = 0; k < gv.length; k++) if (yv[k]! <= 0) gv[k] = gv[k]! * (yv[k]! + alpha);
      if (this.inplace) {
        assignHost(g, gv);
        gradInput.set(g);
      } else {
        setHost(gradInput, y.size(), gv);
      }
      return gradInput;
    }
    const yview = tfView(y, false);
    const gview = gradView(g, y, false);
    const dx = tf.tidy(() => tf.where(tf.lessEqual(yview.x, 0), tf.mul(gview.x, tf.add(yview.x, alpha)), gview.x));
    yview.x.dispose();
    gview.x.dispose();
    if (this.inplace) {
      writeInPlace(g, gview, dx);
      gradInput.set(g);
    } else {
      setFromView(gradInput, yview, dx);
    }
    return gradInput;
  }

  override __tostring__(): string {
    return `${this.className} (alpha:${formatF(this.alpha)})`;
  }
}

registerModule('nn.ELU', ELU);
