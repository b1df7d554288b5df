// Convolution filter gradient (Conv2DBackpropFilter) on wasm for every conv shape of the
// MPELU ResNet-164 (CIFAR, batch 32): the WebAssembly SIMD kernel (wasm_conv_grad.ts)
// against the composite of tfjs-wasm kernels it replaced (BatchMatMul / StridedSlice /
// dilated Conv2D). As in training, every call gets tensors it has not seen before
// (tfjs-wasm's BatchMatMul caches XNNPACK's packed operand by tensor id, which an
// isolated loop over one tensor would hit). ms per call (mean of reps), GFLOP/s, and the
// per-training-step total weighted by how often each shape occurs.
// MPELU_BENCH_REPS sets repetitions (default 4).

import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardFilter, initBackend } from '../src/backend/index.js';
import { setConvGradSimdEnabled } from '../src/backend/wasm_conv_grad.js';

await initBackend('wasm');
const reps = Number(process.env.MPELU_BENCH_REPS ?? 4);
// N, H, W, Ci, Co, k, stride, count per step in ResNet-164 (18 bottlenecks per stage)
const shapes: [number, number, number, number, number, number, number, number][] = [
  [32, 32, 32, 16, 16, 1, 1, 1], [32, 32, 32, 64, 16, 1, 1, 17], [32, 32, 32, 16, 16, 3, 1, 18], [32, 32, 32, 16, 64, 1, 1, 18],
  [32, 32, 32, 16, 64, 1, 1, 1], [32, 32, 32, 64, 32, 1, 2, 1], [32, 32, 32, 64, 128, 1, 2, 1], [32, 16, 16, 32, 32, 3, 1, 18],
  [32, 16, 16, 32, 128, 1, 1, 18], [32, 16, 16, 128, 32, 1, 1, 17], [32, 16, 16, 128, 64, 1, 2, 1], [32, 16, 16, 128, 256, 1, 2, 1],
  [32, 8, 8, 64, 64, 3, 1, 18], [32, 8, 8, 64, 256, 1, 1, 18], [32, 8, 8, 256, 64, 1, 1, 17], [32, 32, 32, 3, 16, 3, 1, 1],
];

function time(make: () => [tf.Tensor4D, tf.Tensor4D], run: (x: tf.Tensor4D, dy: tf.Tensor4D) => tf.Tensor): number {
  let total = 0;
  for (let r = 0; r <= reps; r++) {
    const [x, dy] = make();
    const t0 = performance.now();
    const out = run(x, dy);
    out.dataSync();
    if (r > 0) total += performance.now() - t0; // r = 0 warms up
    tf.dispose([x, dy, out]);
  }
  return total / reps;
}

console.log(`wasm Conv2DBackpropFilter, fresh tensors per call, mean of ${reps}`);
console.log('shape                          count   composite ms   SIMD ms   SIMD GFLOP/s   speed-up');
let before = 0;
let after = 0;
for (const [N, H, W, Ci, Co, k, s, count] of shapes) {
  const p = (k - 1) / 2;
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const Wo = Math.floor((W + 2 * p - k) / s) + 1;
  const make = (): [tf.Tensor4D, tf.Tensor4D] => [tf.randomNormal([N, H, W, Ci]), tf.randomNormal([N, Ho, Wo, Co])];
  const run = (x: tf.Tensor4D, dy: tf.Tensor4D) => conv2dBackwardFilter(x, dy, [k, k, Ci, Co], [s, s], [p, p]);
  setConvGradSimdEnabled(false);
  const c = time(make, run);
  setConvGradSimdEnabled(true);
  const v = time(make, run);
  before += c * count;
  after += v * count;
  const flops = 2 * N * Ho * Wo * k * k * Ci * Co;
  const name = `${H}x${W} ${Ci}->${Co} k${k} s${s}`;
  console.log(`${name.padEnd(30)} ${String(count).padStart(5)} ${c.toFixed(1).padStart(14)} ${v.toFixed(1).padStart(9)} ${(flops / v / 1e6).toFixed(1).padStart(14)} ${(c / v).toFixed(1).padStart(9)}x`);
}
console.log(`per training step (weighted by count): composite ${before.toFixed(0)} ms, SIMD ${after.toFixed(0)} ms`);
console.log(`live tensors: ${tf.memory().numTensors}`);
