// Whether `mpelu train` offloads activations to host memory (src/nn/offload.ts): on the wasm
// backend, whose heap ends at 4 GiB, when a training batch's activations would take more than
// three quarters of it (the paper's ResNet-1001 at batch 64: ~8 GB; at batch 32, 4.1 GB, which
// unparked grew the heap to 4.22 of its 4.29 GB); then only what exceeds that share is parked.
// MPELU_OFFLOAD_ACTIVATIONS=1 or 0 decides instead.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import type { Module } from '../nn/index.js';
import { storagesOf } from '../nn/release.js';
import { setOffloadActivations } from '../nn/offload.js';
import { WASM_HEAP_MAX } from '../backend/wasm/out_of_memory.js';

/**
 * The share of the wasm heap a batch's activations may take: beyond it they are parked, up to
 * it they stay (the rest of the heap: gradients, parameters, work space).
 */
const HEAP_SHARE = 0.75;

/**
 * Bytes of every module's output for one image of `sample` (C, H, W) sizes: one forward in
 * evaluation mode (no running statistics change, nothing random is drawn); the model is put
 * back in training mode.
 */
export function activationBytesPerImage(model: Module, sample: readonly number[]): number {
  model.evaluate();
  try {
    model.forward(Tensor.create('Float', [1, ...sample]));
    const storages = new Set<unknown>();
    for (const m of model.listModules()) storagesOf(m.output, storages);
    let bytes = 0;
    for (const s of storages as Set<{ size(): number }>) bytes += 4 * s.size();
    return bytes;
  } finally {
    model.training();
  }
}

/** Turns offloading on (and says so) when the batch's activations would not fit; returns whether it is on. */
export function chooseActivationOffload(model: Module, batchSize: number, sample: readonly number[], print: (line: string) => void): boolean {
  const env = typeof process !== 'undefined' ? process.env['MPELU_OFFLOAD_ACTIVATIONS'] : undefined;
  const wasm = tf.getBackend() === 'wasm';
  if (env === '0' || env === '1') {
    setOffloadActivations(env === '1', wasm ? HEAP_SHARE * WASM_HEAP_MAX : 0);
    return env === '1';
  }
  if (!wasm) return false;
  let need: number;
  try {
    need = activationBytesPerImage(model, sample) * batchSize;
  } catch {
    // a model that cannot take this sample says so at its first training step, in context
    return false;
  }
  if (need <= HEAP_SHARE * WASM_HEAP_MAX) return false;
  // what fits stays on the device: only the excess goes to the host and back
  setOffloadActivations(true, HEAP_SHARE * WASM_HEAP_MAX);
  print(`=> Activations of a batch: ${(need / 2 ** 30).toFixed(1)} GiB, more than the wasm heap can hold beside the rest (4 GiB): offloading them to host memory between the passes (MPELU_OFFLOAD_ACTIVATIONS=0 turns this off)`);
  return true;
}
