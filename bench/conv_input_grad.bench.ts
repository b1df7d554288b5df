// Convolution input gradient (Conv2DBackpropInput) on wasm for every conv shape of the
// MPELU ResNet-164 (CIFAR, batch 32): the WebAssembly SIMD kernel (wasm/conv_input_grad.ts)
// against the composite of tfjs-wasm kernels it replaced (Reverse + Transpose of the filter,
// Reshape/PadV2 zero-upsampling of dy for strided convs, XNNPACK Conv2D). As in training,
// every call gets tensors it has not seen before (tfjs-wasm's XNNPACK Conv2D caches its
// packed filter by tensor id, which an isolated loop over one tensor would hit). ms per
// call (mean of reps), GFLOP/s of the useful work (2*N*Ho*Wo*k*k*Ci*Co), the largest
// difference between the two results relative to max |dx|, and the per-training-step total
// weighted by how often each shape occurs. MPELU_BENCH_REPS sets repetitions (default 4).

import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardInput, initBackend } from '../src/backend/index.js';
import { convInputGradSimd } from '../src/backend/wasm/conv_input_grad.js';
import { layerGeometry, maxRelDiff, reps, RESNET164_CONVS, timeFresh } from './helpers/resnet164_convs.js';

await initBackend('wasm');
console.log(`wasm Conv2DBackpropInput, fresh tensors per call, mean of ${reps}`);
console.log('shape                          count   composite ms   SIMD ms   SIMD GFLOP/s   speed-up   max rel diff');
let before = 0;
let after = 0;
for (const row of RESNET164_CONVS) {
  const [N, H, W, Ci, Co, k, s, count] = row;
  const { p, Ho, Wo, flops, name } = layerGeometry(row);
  const make = (): [tf.Tensor4D, tf.Tensor4D] => [tf.randomNormal([N, Ho, Wo, Co]), tf.randomNormal([k, k, Ci, Co])];
  const run = (dy: tf.Tensor4D, f: tf.Tensor4D) => conv2dBackwardInput(dy, f, [N, H, W, Ci], [s, s], [p, p]);
  convInputGradSimd.set(false);
  const c = timeFresh(make, run);
  convInputGradSimd.set(true);
  const v = timeFresh(make, run);
  // the two paths on the same operands
  const [dy, f] = make();
  convInputGradSimd.set(false);
  const ref = run(dy, f);
  convInputGradSimd.set(true);
  const got = run(dy, f);
  const rel = maxRelDiff(ref.dataSync(), got.dataSync());
  tf.dispose([dy, f, ref, got]);
  before += c * count;
  after += v * count;
  console.log(`${name.padEnd(30)} ${String(count).padStart(5)} ${c.toFixed(1).padStart(14)} ${v.toFixed(1).padStart(9)} ${(flops / v / 1e6).toFixed(1).padStart(14)} ${(c / v).toFixed(1).padStart(9)}x ${rel.toExponential(1).padStart(14)}`);
}
console.log(`per training step (weighted by count): composite ${before.toFixed(0)} ms, SIMD ${after.toFixed(0)} ms`);
console.log(`live tensors: ${tf.memory().numTensors}`);
