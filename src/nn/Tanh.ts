// nn.Tanh: output = tanh(input); gradInput = gradOutput (1 - output^2), computed from the
// output as THNN's Tanh_updateGradInput does. No fields beyond output and gradInput.

import { tf } from '../torch/tfjs_core.js';
import { ElementwiseModule } from './ElementwiseModule.js';
import { registerModule } from './registry.js';

export class Tanh extends ElementwiseModule {
  protected readonly gradFromOutput = true;

  constructor() {
    super('nn.Tanh');
  }

  protected hostForward(v: Float64Array): void {
    for (let k = 0; k < v.length; k++) v[k] = Math.tanh(v[k]!);
  }

  protected tfForward(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x);
  }

  protected hostBackward(y: Float64Array, g: Float64Array): void {
    for (let k = 0; k < g.length; k++) g[k] = g[k]! * (1 - y[k]! * y[k]!);
  }

  protected tfBackward(y: tf.Tensor, g: tf.Tensor): tf.Tensor {
    return tf.mul(g, tf.sub(1, tf.square(y)));
  }
}

registerModule('nn.Tanh', Tanh);
