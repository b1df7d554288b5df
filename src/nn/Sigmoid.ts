// nn.Sigmoid: output = 1 / (1 + e^-input); gradInput = gradOutput (1 - output) output,
// computed from the output as THNN's Sigmoid_updateGradInput does.

import { tf } from '../torch/tfjs_core.js';
import { ElementwiseModule } from './ElementwiseModule.js';
import { registerModule } from './registry.js';

export class Sigmoid extends ElementwiseModule {
  protected readonly gradFromOutput = true;

  constructor() {
    super('nn.Sigmoid');
  }

  protected hostForward(v: Float64Array): void {
    for (let k = 0; k < v.length; k++) v[k] = 1 / (1 + Math.exp(-v[k]!));
  }

  protected tfForward(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x);
  }

  protected hostBackward(y: Float64Array, g: Float64Array): void {
    for (let k = 0; k < g.length; k++) g[k] = g[k]! * (1 - y[k]!) * y[k]!;
  }

  protected tfBackward(y: tf.Tensor, g: tf.Tensor): tf.Tensor {
    return tf.mul(g, tf.mul(tf.sub(1, y), y));
  }
}

registerModule('nn.Sigmoid', Sigmoid);
