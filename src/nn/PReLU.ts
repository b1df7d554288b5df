// nn.PReLU in both of its Torch forms, told apart by the number of arguments:
//   PReLU(nOutputPlane)         stock torch/nn: slope initialised to 0.25
//   PReLU(alpha, nOutputPlane)  the MPELU paper code's form: initial slope alpha
// (fields and kernels are the same). nOutputPlane = 0 (or none) shares one slope.
//   output = x > 0 ? x : weight * x;  gradInput = x > 0 ? gradOutput : gradOutput * weight
//   gradWeight += scale * sum_{x <= 0} gradOutput * x

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { type Activity } from './module.js';
import { registerModule } from './registry.js';
import { accumulateHost, engineOf, hostValues } from './tensor_helpers.js';
import {
  accumulateParamTF,
  channelGeometry,
  checkSameElements,
  forEachBlock,
  gradView,
  paramTF,
  setFromView,
  setHost,
  sumToChannels,
  tensorInput,
  tfView,
} from './activation.js';
import { ChannelParamModule } from './ChannelParamModule.js';

export class PReLU extends ChannelParamModule {
  /**
   * PReLU(nOutputPlane?) or, with two arguments, the MPELU code's PReLU(alpha, nOutputPlane).
   * @param args nothing or (nOutputPlane): Torch's PReLU, slope 0.25 at start; or (alpha,
   * nOutputPlane): initial slope alpha. nOutputPlane = 0 or absent: one slope shared by all channels.
   */
  constructor(...args: [] | [nOutputPlane: number | undefined] | [alpha: number, nOutputPlane: number | undefined]) {
    let alpha = 0.25;
    let nOutputPlane: number | undefined;
    if (args.length >= 2) {
      alpha = args[0] as number;
      nOutputPlane = args[1];
      if (typeof alpha !== 'number') throw new TypeError(`nn.PReLU(alpha, nOutputPlane): alpha must be a number, got ${typeof alpha}`);
    } else {
      nOutputPlane = args[0];
      if (nOutputPlane !== undefined && !Number.isInteger(nOutputPlane)) {
        throw new RangeError(
          `nn.PReLU(nOutputPlane): nOutputPlane must be an integer, got ${nOutputPlane} (for an initial slope use the two-argument form PReLU(alpha, nOutputPlane), e.g. PReLU(${nOutputPlane}, 0))`,
        );
      }
    }
    super('nn.PReLU', nOutputPlane, alpha);
  }

  /** Slope tensor view (one value when shared). */
  private slope(): Tensor {
    const n = this.nOutputPlane;
    const need = n === 0 ? 1 : n;
    const w = this.weight;
    if (w.nElement() < need) throw new RangeError(`${this.className}: weight holds ${w.nElement()} values, expected ${need}`);
    return n === 0 ? w.narrow(1, 1, 1) : w;
  }

  override updateOutput(input: Activity): Tensor {
    const where = `${this.className}:updateOutput`;
    const x = tensorInput(input, where);
    const n = this.nOutputPlane;
    const geom = n === 0 ? null : channelGeometry(x, n, where);
    const output = this.buffer('output', x);
    const slope = this.slope();
    if (engineOf(x, where) === 'host') {
      const v = hostValues(x);
      const w = hostValues(slope);
      forEachBlock(v.length, geom, (j, start, end) => {
        const wj = w[j]!;
        for (let k = start; k < end; k++) if (!(v[k]! > 0)) v[k] = wj * v[k]!;
      });
      setHost(output, x.size(), v);
      return output;
    }
    const view = tfView(x, geom !== null);
    const a = paramTF(slope);
    const y = tf.tidy(() => tf.where(tf.greater(view.x, 0), view.x, tf.mul(a, view.x)));
    tf.dispose([view.x, a]);
    setFromView(output, view, y);
    return output;
  }

  protected override scratchBuffers(): readonly string[] {
    return ['gradWeightBuf', 'gradWeightBuf2'];
  }

  protected override gradPass(where: string, x: Tensor, g: Tensor, gradInput: Tensor | null, withParams: boolean, scale: number): void {
    const gradWeight = withParams ? this.gradWeight : null;
    checkSameElements(x, g, where);
    const n = this.nOutputPlane;
    const geom = n === 0 ? null : channelGeometry(x, n, where);
    const slope = this.slope();
    const C = geom ? geom.C : 1;
    if (engineOf(x, where) === 'host') {
      const xv = hostValues(x);
      const gv = hostValues(g);
      const w = hostValues(slope);
      const dx = gradInput ? new Float64Array(xv.length) : null;
      const dW = new Float64Array(C);
      forEachBlock(xv.length, geom, (j, start, end) => {
        const wj = w[j]!;
        let sum = 0;
        for (let k = start; k < end; k++) {
          const xk = xv[k]!;
          if (xk > 0) {
            if (dx) dx[k] = gv[k]!;
          } else {
            if (dx) dx[k] = gv[k]! * wj;
            sum += gv[k]! * xk;
          }
        }
        dW[j] = dW[j]! + scale * sum;
      });
      if (gradInput && dx) setHost(gradInput, x.size(), dx);
      if (gradWeight) accumulateHost(gradWeight.narrow(1, 1, C), dW);
      return;
    }
    const view = tfView(x, geom !== null);
    const gview = gradView(g, x, geom !== null);
    const a = paramTF(slope);
    const r = tf.tidy(() => {
      const pos = tf.greater(view.x, 0);
      const dx = gradInput ? tf.where(pos, gview.x, tf.mul(gview.x, a)) : null;
      let dW: tf.Tensor | null = null;
      if (gradWeight) {
        const terms = tf.where(pos, tf.zerosLike(view.x), tf.mul(gview.x, view.x));
        dW = a.size === 1 ? tf.reshape(tf.sum(terms), [1]) : sumToChannels(terms);
      }
      return { dx, dW } as unknown as tf.TensorContainer;
    }) as unknown as { dx: tf.Tensor | null; dW: tf.Tensor | null };
    tf.dispose([view.x, gview.x, a]);
    if (gradInput && r.dx) setFromView(gradInput, view, r.dx);
    if (gradWeight && r.dW) accumulateParamTF(gradWeight.narrow(1, 1, C), r.dW, scale);
  }
}

registerModule('nn.PReLU', PReLU);
