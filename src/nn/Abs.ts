// nn.Abs: output = |input|; gradInput = -gradOutput where input < 0, else gradOutput (so
// at 0 the gradient passes unchanged, as THNN's Abs_updateGradInput does).

import { tf } from '../torch/tfjs_core.js';
import { ElementwiseModule } from './ElementwiseModule.js';
import { registerModule } from './registry.js';

export class Abs extends ElementwiseModule {
  protected readonly gradFromOutput = false;

  constructor() {
    super('nn.Abs');
  }

  protected hostForward(v: Float64Array): void {
    for (let k = 0; k < v.length; k++) v[k] = Math.abs(v[k]!);
  }

  protected tfForward(x: tf.Tensor): tf.Tensor {
    return tf.abs(x);
  }

  protected hostBackward(x: Float64Array, g: Float64Array): void {
    for (let k = 0; k < g.length; k++) if (x[k]! < 0) g[k] = -g[k]!;
  }

  protected tfBackward(x: tf.Tensor, g: tf.Tensor): tf.Tensor {
    return tf.where(tf.less(x, 0), tf.neg(g), g);
  }
}

registerModule('nn.Abs', Abs);
