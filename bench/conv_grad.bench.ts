// Convolution filter gradient (Conv2DBackpropFilter) on wasm for every conv shape of the
// MPELU ResNet-164 (CIFAR, batch 32): the WebAssembly SIMD kernel (wasm/conv_weight_grad.ts)
// against the composite of tfjs-wasm kernels it replaced (BatchMatMul / StridedSlice /
// dilated Conv2D). As in training, every call gets tensors it has not seen before
// (tfjs-wasm's BatchMatMul caches XNNPACK's packed operand by tensor id, which an
// isolated loop over one tensor would hit). ms per call (mean of reps), GFLOP/s, and the
// per-training-step total weighted by how often each shape occurs.
// MPELU_BENCH_REPS sets repetitions (default 4).

import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardFilter, initBackend } from '../src/backend/index.js';
import { convWeightGradSimd } from '../src/backend/wasm/conv_weight_grad.js';
import { layerGeometry, reps, RESNET164_CONVS, timeFresh } from './helpers/resnet164_convs.js';

await initBackend('wasm');
console.log(`wasm Conv2DBackpropFilter, fresh tensors per call, mean of ${reps}`);
console.log('shape                          count   composite ms   SIMD ms   SIMD GFLOP/s   speed-up');
let before = 0;
let after = 0;
for (const row of RESNET164_CONVS) {
  const [N, H, W, Ci, Co, k, s, count] = row;
  const { p, Ho, Wo, flops, name } = layerGeometry(row);
  const make = (): [tf.Tensor4D, tf.Tensor4D] => [tf.randomNormal([N, H, W, Ci]), tf.randomNormal([N, Ho, Wo, Co])];
  const run = (x: tf.Tensor4D, dy: tf.Tensor4D) => conv2dBackwardFilter(x, dy, [k, k, Ci, Co], [s, s], [p, p]);
  convWeightGradSimd.set(false);
  const c = timeFresh(make, run);
  convWeightGradSimd.set(true);
  const v = timeFresh(make, run);
  before += c * count;
  after += v * count;
  console.log(`${name.padEnd(30)} ${String(count).padStart(5)} ${c.toFixed(1).padStart(14)} ${v.toFixed(1).padStart(9)} ${(flops / v / 1e6).toFixed(1).padStart(14)} ${(c / v).toFixed(1).padStart(9)}x`);
}
console.log(`per training step (weighted by count): composite ${before.toFixed(0)} ms, SIMD ${after.toFixed(0)} ms`);
console.log(`live tensors: ${tf.memory().numTensors}`);
