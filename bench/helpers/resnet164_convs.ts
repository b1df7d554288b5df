// Shared by the convolution kernel benchmarks (conv_forward, conv_grad, conv_input_grad):
// the conv layers of the MPELU ResNet-164 (CIFAR, batch 32) with how often each runs per
// training step, the timing loop with fresh tensors per call, and the result comparison.

import * as tf from '@tensorflow/tfjs-core';

/** Repetitions per measurement (MPELU_BENCH_REPS, default 4). */
export const reps = Number(process.env.MPELU_BENCH_REPS ?? 4);

/** N, H, W, Ci, Co, k, stride, count per step (square k x k filter, 'same'-style padding (k-1)/2). */
export type ConvLayerRow = [number, number, number, number, number, number, number, number];

/** Every conv shape of ResNet-164 (18 bottlenecks per stage), the 3->16 stem last. */
export const RESNET164_CONVS: readonly ConvLayerRow[] = [
  [32, 32, 32, 16, 16, 1, 1, 1], [32, 32, 32, 64, 16, 1, 1, 17], [32, 32, 32, 16, 16, 3, 1, 18], [32, 32, 32, 16, 64, 1, 1, 18],
  [32, 32, 32, 16, 64, 1, 1, 1], [32, 32, 32, 64, 32, 1, 2, 1], [32, 32, 32, 64, 128, 1, 2, 1], [32, 16, 16, 32, 32, 3, 1, 18],
  [32, 16, 16, 32, 128, 1, 1, 18], [32, 16, 16, 128, 32, 1, 1, 17], [32, 16, 16, 128, 64, 1, 2, 1], [32, 16, 16, 128, 256, 1, 2, 1],
  [32, 8, 8, 64, 64, 3, 1, 18], [32, 8, 8, 64, 256, 1, 1, 18], [32, 8, 8, 256, 64, 1, 1, 17], [32, 32, 32, 3, 16, 3, 1, 1],
];

/** A layer's padding, output size, useful work (2*N*Ho*Wo*k*k*Ci*Co flops) and printed name. */
export function layerGeometry([N, H, W, Ci, Co, k, s]: ConvLayerRow): { p: number; Ho: number; Wo: number; flops: number; name: string } {
  const p = (k - 1) / 2;
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const Wo = Math.floor((W + 2 * p - k) / s) + 1;
  return { p, Ho, Wo, flops: 2 * N * Ho * Wo * k * k * Ci * Co, name: `${H}x${W} ${Ci}->${Co} k${k} s${s}` };
}

/**
 * Mean ms of `run` over `reps` calls after one warm-up, each on tensors from a new `make()`
 * (as in training: tfjs-wasm caches packed operands by tensor id, which one tensor would hit).
 */
export function timeFresh<A extends tf.Tensor[]>(make: () => A, run: (...args: A) => tf.Tensor): number {
  let total = 0;
  for (let r = 0; r <= reps; r++) {
    const args = make();
    const t0 = performance.now();
    const out = run(...args);
    out.dataSync();
    if (r > 0) total += performance.now() - t0; // r = 0 warms up
    tf.dispose([...args, out]);
  }
  return total / reps;
}

/** The largest |ref - got| over every `got`, relative to max |ref|. */
export function maxRelDiff(ref: ArrayLike<number>, ...got: ArrayLike<number>[]): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    for (const g of got) diff = Math.max(diff, Math.abs(ref[i]! - g[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return diff / scale;
}
