// 3x3 convolution, 64 -> 64 channels, batch 32, 32x32, NHWC, stride 1, pad 1: forward,
// backward input, backward filter on each available backend; ms per call and GFLOP/s
// (2 * N * H * W * Cout * 3 * 3 * Cin multiply-adds per pass).
// MPELU_BENCH_BACKENDS=wasm,cpu picks backends; MPELU_BENCH_REPS sets repetitions.

import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, conv2dBackwardFilter, conv2dBackwardInput, conv2dForward, forEachBackend, type BackendName } from '../src/backend/index.js';

const N = 32, H = 32, W = 32, C = 64, K = 3;
const FLOPS = 2 * N * H * W * C * K * K * C;

function time(fn: () => tf.Tensor, reps: number): number {
  fn().dispose(); // warm-up: kernel setup, XNNPACK operator creation, heap growth
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const out = fn();
    out.dataSync(); // wait for the result (synchronous backends finish inside fn anyway)
    best = Math.min(best, performance.now() - t0);
    out.dispose();
  }
  return best;
}

const wantedEnv = process.env.MPELU_BENCH_BACKENDS;
const available = await availableBackends();
const names = (wantedEnv ? (wantedEnv.split(',') as BackendName[]) : available).filter((b) => available.includes(b));
console.log(`conv 3x3 ${C}->${C}, x [${N},${H},${W},${C}] NHWC, stride 1, pad 1; ${(FLOPS / 1e9).toFixed(2)} GFLOP per pass; best of reps`);
console.log(`backends: ${names.join(', ')} (available: ${available.join(', ')})`);
await forEachBackend(names, (be) => {
  const reps = Number(process.env.MPELU_BENCH_REPS) || (be === 'cpu' ? 1 : 5);
  const x = tf.randomNormal([N, H, W, C]) as tf.Tensor4D;
  const f = tf.mul(tf.randomNormal([K, K, C, C]), 0.05) as tf.Tensor4D;
  const dy = tf.randomNormal([N, H, W, C]) as tf.Tensor4D;
  const rows: [string, () => tf.Tensor][] = [
    ['forward', () => conv2dForward(x, f, null, 1, 1, 1, 1)],
    ['backward input', () => conv2dBackwardInput(dy, f, x.shape, 1, 1)],
    ['backward filter', () => conv2dBackwardFilter(x, dy, f.shape, 1, 1)],
  ];
  for (const [name, fn] of rows) {
    const ms = time(fn, reps);
    console.log(`${be.padEnd(10)} ${name.padEnd(16)} ${ms.toFixed(1).padStart(9)} ms ${(FLOPS / ms / 1e6).toFixed(2).padStart(7)} GFLOP/s  (reps ${reps})`);
  }
  tf.dispose([x, f, dy]);
});
