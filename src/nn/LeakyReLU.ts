// nn.LeakyReLU(negval = 1/100, inplace = false), as torch/nn defines it:
//   output = input > 0 ? input : input * negval;  gradInput = input > 0 ? gradOutput : gradOutput * negval.
// Constructor quirks kept from Torch: a boolean first argument means "default negval" (and,
// as in Torch, does NOT set inplace: only the second argument does); a negative negval
// turns inplace off.

import * as tf from '@tensorflow/tfjs-core';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { engineOf } from './ops.js';
import { formatG } from './tostring.js';
import { assignHost, checkSameElements, gradView, hostValues, setFromView, setHost, tensorInput, tfView, writeInPlace } from './activation.js';

export class LeakyReLU extends Module {
  constructor(negval: number | boolean = 1 / 100, inplace = false) {
    super('nn.LeakyReLU');
    const nv = typeof negval === 'boolean' ? 1 / 100 : negval;
    if (typeof nv !== 'number') throw new TypeError(`nn.LeakyReLU: negval must be a number, got ${typeof nv}`);
    this.fields.set('negval', nv);
    this.fields.set('inplace', nv < 0 ? false : inplace);
  }

  get negval(): number {
    return this.numberField('negval');
  }

  get inplace(): boolean {
    return this.fields.get('inplace') === true;
  }

  override updateOutput(input: Activity): Activity {
    const x = tensorInput(input, 'nn.LeakyReLU:updateOutput');
    const negval = this.negval;
    const output = this.buffer('output', x);
    if (engineOf(x, this.className) === 'host') {
      const v = hostValues(x);
      for (let k = 0; k < v.length; k++) if (!(v[k]! > 0)) v[k] = v[k]! * negval;
      if (this.inplace) {
        assignHost(x, v);
        output.set(x);
      } else {
        setHost(output, x.size(), v);
      }
      return output;
    }
    const view = tfView(x, false);
    const y = tf.tidy(() => tf.where(tf.greater(view.x, 0), view.x, tf.mul(view.x, negval)));
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
    const x = tensorInput(input, 'nn.LeakyReLU:updateGradInput');
    const g = tensorInput(gradOutput, 'nn.LeakyReLU:updateGradInput (gradOutput)');
    checkSameElements(x, g, 'nn.LeakyReLU:updateGradInput');
    const negval = this.negval;
    const gradInput = this.buffer('gradInput', x);
    if (engineOf(x, this.className) === 'host') {
      const xv = hostValues(x);
      const gv = hostValues(g);
      for (let k = 0; k < gv.length; k++) if (!(xv[k]! > 0)) gv[k] = gv[k]! * negval;
      if (this.inplace) {
        assignHost(g, gv);
        gradInput.set(g);
      } else {
        setHost(gradInput, x.size(), gv);
      }
      return gradInput;
    }
    const view = tfView(x, false);
    const gview = gradView(g, x, false);
    const dx = tf.tidy(() => tf.where(tf.greater(view.x, 0), gview.x, tf.mul(gview.x, negval)));
    view.x.dispose();
    gview.x.dispose();
    if (this.inplace) {
      writeInPlace(g, gview, dx);
      gradInput.set(g);
    } else {
      setFromView(gradInput, view, dx);
    }
    return gradInput;
  }

  override __tostring__(): string {
    return `${this.className}(${formatG(this.negval)})`;
  }
}

registerModule('nn.LeakyReLU', LeakyReLU);
