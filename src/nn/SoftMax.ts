// nn.SoftMax: softmax over the class dimension, with THNN's dimension rule:
// 1-d (C), 2-d (N x C), 3-d (C x H x W: over dim 1), 4-d (N x C x H x W: over dim 2).
// On tfjs a 4-d input is computed channels-last, so its output is a channels-last activation.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { detachFrom, engineOf, expectTensor, hostValues, setOutputHost, setOutputTF } from './tensor_helpers.js';

/** THNN's frame/dim/stride split of a 1-4 d input (row-major), or an error naming the module. */
export function softmaxGeometry(x: Tensor, where: string): { nframe: number; dim: number; stride: number } {
  const s = x.size();
  switch (s.length) {
    case 1: return { nframe: 1, dim: s[0]!, stride: 1 };
    case 2: return { nframe: s[0]!, dim: s[1]!, stride: 1 };
    case 3: return { nframe: 1, dim: s[0]!, stride: s[1]! * s[2]! };
    case 4: return { nframe: s[0]!, dim: s[1]!, stride: s[2]! * s[3]! };
    default: throw new RangeError(`${where}: 1D, 2D, 3D or 4D tensor expected, got sizes [${s.join(', ')}]`);
  }
}

type Kind = 'softmax' | 'logsoftmax';

/**
 * Runs fn on tfjs values laid out with the class axis last, and stores the result in
 * `out` with the input's logical sizes (4-d results stay channels-last).
 */
function withClassAxisLast(out: Tensor, xs: readonly Tensor[], fn: (vs: tf.Tensor[]) => tf.Tensor): void {
  const x = xs[0]!;
  const d = x.dim();
  if (d === 4) {
    const y = tf.tidy(() => fn(xs.map((t) => t.toTFNHWC())));
    setOutputTF(out, y, 'NHWC');
  } else if (d === 3) {
    const y = tf.tidy(() => tf.transpose(fn(xs.map((t) => tf.transpose(t.toTF(), [1, 2, 0]))), [2, 0, 1]));
    setOutputTF(out, y);
  } else {
    const y = tf.tidy(() => fn(xs.map((t) => t.toTF())));
    setOutputTF(out, y);
  }
}

export function softmaxForward(kind: Kind, out: Tensor, x: Tensor, where: string): Tensor {
  const { nframe, dim, stride } = softmaxGeometry(x, where);
  detachFrom(out, x);
  if (engineOf(x, where) === 'tf') {
    withClassAxisLast(out, [x], ([v]) => (kind === 'softmax' ? tf.softmax(v!) : tf.logSoftmax(v!)));
    return out;
  }
  const v = hostValues(x);
  const r = new Float64Array(v.length);
  for (let t = 0; t < nframe * stride; t++) {
    const base = Math.floor(t / stride) * dim * stride + (t % stride);
    let max = -Infinity;
    for (let k = 0; k < dim; k++) max = Math.max(max, v[base + k * stride]!);
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += Math.exp(v[base + k * stride]! - max);
    if (kind === 'softmax') for (let k = 0; k < dim; k++) r[base + k * stride] = Math.exp(v[base + k * stride]! - max) / sum;
    else {
      const logsum = max + Math.log(sum);
      for (let k = 0; k < dim; k++) r[base + k * stride] = v[base + k * stride]! - logsum;
    }
  }
  setOutputHost(out, x.size(), r);
  return out;
}

/** SoftMax: gi = y (g - Σ g y); LogSoftMax: gi = g - exp(y) Σ g (sums over the class axis). */
export function softmaxBackward(kind: Kind, gi: Tensor, x: Tensor, g: Tensor, y: Tensor, where: string): Tensor {
  const { nframe, dim, stride } = softmaxGeometry(x, where);
  if (g.nElement() !== x.nElement() || y.nElement() !== x.nElement()) {
    throw new RangeError(`${where}: gradOutput [${g.size().join(', ')}] / output [${y.size().join(', ')}] do not match input [${x.size().join(', ')}]`);
  }
  detachFrom(gi, g);
  if (engineOf(x, where) === 'tf') {
    withClassAxisLast(gi, [g, y], ([gv, yv]) => {
      if (kind === 'softmax') return tf.mul(yv!, tf.sub(gv!, tf.sum(tf.mul(gv!, yv!), -1, true)));
      return tf.sub(gv!, tf.mul(tf.exp(yv!), tf.sum(gv!, -1, true)));
    });
    return gi;
  }
  const gv = hostValues(g);
  const yv = hostValues(y);
  const r = new Float64Array(gv.length);
  for (let t = 0; t < nframe * stride; t++) {
    const base = Math.floor(t / stride) * dim * stride + (t % stride);
    let sum = 0;
    for (let k = 0; k < dim; k++) {
      const i = base + k * stride;
      sum += kind === 'softmax' ? gv[i]! * yv[i]! : gv[i]!;
    }
    for (let k = 0; k < dim; k++) {
      const i = base + k * stride;
      r[i] = kind === 'softmax' ? yv[i]! * (gv[i]! - sum) : gv[i]! - Math.exp(yv[i]!) * sum;
    }
  }
  setOutputHost(gi, x.size(), r);
  return gi;
}

/**
 * nn.SoftMax(): exp(x_i) / Σ_j exp(x_j) over the class dimension: the only one of a 1-d input, the
 * second of a 2-d batch (N x classes) or of a 4-d N x C x H x W (per position), the first of a 3-d C x
 * H x W.
 */
export class SoftMax extends Module<Tensor, Tensor> {
  constructor() {
    super('nn.SoftMax');
  }

  override updateOutput(input: Activity): Tensor {
    const x = expectTensor(input, 'nn.SoftMax');
    return softmaxForward('softmax', this.buffer('output', x), x, 'nn.SoftMax');
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = expectTensor(input, 'nn.SoftMax');
    const g = expectTensor(gradOutput, 'nn.SoftMax gradOutput');
    return softmaxBackward('softmax', this.buffer('gradInput', x), x, g, expectTensor(this.output, 'nn.SoftMax output'), 'nn.SoftMax');
  }
}

registerModule('nn.SoftMax', SoftMax);
