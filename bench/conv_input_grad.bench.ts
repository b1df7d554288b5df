// Convolution input gradient (Conv2DBackpropInput) on wasm for every conv shape of the
// MPELU ResNet-164 (CIFAR, batch 32): the WebAssembly SIMD kernel (wasm_conv_input_grad.ts)
// against the composite of tfjs-wasm kernels it replaced (Reverse + Transpose of the filter,
// Reshape/PadV2 zero-upsampling of dy for strided convs, XNNPACK Conv2D). As in training,
// every call gets tensors it has not seen before (tfjs-wasm's XNNPACK Conv2D caches its
// packed filter by tensor id, which an isolated loop over one tensor would hit). ms per
// call (mean of reps), GFLOP/s of the useful work (2*N*Ho*Wo*k*k*Ci*Co), the largest
// difference between the two results relative to max |dx|, and the per-training-step total
// weighted by how often each shape occurs. MPELU_BENCH_REPS sets repetitions (default 4).

import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardInput, initBackend } from '../src/backend/index.js';
import { setConvInputGradSimdEnabled } from '../src/backend/wasm_conv_input_grad.js';

await initBackend('wasm');
const reps = Number(process.env.MPELU_BENCH_REPS ?? 4);
// N, H, W, Ci, Co, k, stride, count per step in ResNet-164 (18 bottlenecks per stage)
const shapes: [number, number, number, number, number, number, number, number][] = [
  [32, 32, 32, 16, 16, 1, 1, 1], [32, 32, 32, 64, 16, 1, 1, 17], [32, 32, 32, 16, 16, 3, 1, 18], [32, 32, 32, 16, 64, 1, 1, 18],
  [32, 32, 32, 16, 64, 1, 1, 1], [32, 32, 32, 64, 32, 1, 2, 1], [32, 32, 32, 64, 128, 1, 2, 1], [32, 16, 16, 32, 32, 3, 1, 18],
  [32, 16, 16, 32, 128, 1, 1, 18], [32, 16, 16, 128, 32, 1, 1, 17], [32, 16, 16, 128, 64, 1, 2, 1], [32, 16, 16, 128, 256, 1, 2, 1],
  [32, 8, 8, 64, 64, 3, 1, 18], [32, 8, 8, 64, 256, 1, 1, 18], [32, 8, 8, 256, 64, 1, 1, 17], [32, 32, 32, 3, 16, 3, 1, 1],
];

function time(make: () => [tf.Tensor4D, tf.Tensor4D], run: (dy: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor): number {
  let total = 0;
  for (let r = 0; r <= reps; r++) {
    const [dy, f] = make();
    const t0 = performance.now();
    const out = run(dy, f);
    out.dataSync();
    if (r > 0) total += performance.now() - t0; // r = 0 warms up
    tf.dispose([dy, f, out]);
  }
  return total / reps;
}

console.log(`wasm Conv2DBackpropInput, fresh tensors per call, mean of ${reps}`);
console.log('shape                          count   composite ms   SIMD ms   SIMD GFLOP/s   speed-up   max rel diff');
let before = 0;
let after = 0;
for (const [N, H, W, Ci, Co, k, s, count] of shapes) {
  const p = (k - 1) / 2;
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const Wo = Math.floor((W + 2 * p - k) / s) + 1;
  const make = (): [tf.Tensor4D, tf.Tensor4D] => [tf.randomNormal([N, Ho, Wo, Co]), tf.randomNormal([k, k, Ci, Co])];
  const run = (dy: tf.Tensor4D, f: tf.Tensor4D) => conv2dBackwardInput(dy, f, [N, H, W, Ci], [s, s], [p, p]);
  setConvInputGradSimdEnabled(false);
  const c = time(make, run);
  setConvInputGradSimdEnabled(true);
  const v = time(make, run);
  // the two paths on the same operands
  const [dy, f] = make();
  setConvInputGradSimdEnabled(false);
  const ref = run(dy, f);
  setConvInputGradSimdEnabled(true);
  const got = run(dy, f);
  const rv = ref.dataSync();
  const gv = got.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < rv.length; i++) {
    diff = Math.max(diff, Math.abs(rv[i]! - gv[i]!));
    scale = Math.max(scale, Math.abs(rv[i]!));
  }
  tf.dispose([dy, f, ref, got]);
  before += c * count;
  after += v * count;
  const flops = 2 * N * Ho * Wo * k * k * Ci * Co;
  const name = `${H}x${W} ${Ci}->${Co} k${k} s${s}`;
  console.log(`${name.padEnd(30)} ${String(count).padStart(5)} ${c.toFixed(1).padStart(14)} ${v.toFixed(1).padStart(9)} ${(flops / v / 1e6).toFixed(1).padStart(14)} ${(c / v).toFixed(1).padStart(9)}x ${(diff / scale).toExponential(1).padStart(14)}`);
}
console.log(`per training step (weighted by count): composite ${before.toFixed(0)} ms, SIMD ${after.toFixed(0)} ms`);
console.log(`live tensors: ${tf.memory().numTensors}`);
