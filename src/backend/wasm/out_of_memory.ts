// tfjs-wasm stops with a bare "Aborted()" when its allocator cannot grow the heap any more.
// WebAssembly (wasm32) addresses at most 4 GiB, and a deep network at a large batch (the
// paper's ResNet-1001 at batch 64 needs ~8 GB of activations) reaches that. This turns the
// abort into an error that says what happened and what to do.

import { tf, tfLoaded } from '../../torch/tfjs_core.js';

/** tfjs-wasm's largest heap (its emscripten getHeapMax: 4 GiB less 64 KiB). */
export const WASM_HEAP_MAX = 4294901760;

/** How close to the limit the heap must be for an abort to count as running out of memory (a failed request may be large). */
const NEAR_LIMIT = 2 ** 30;

/** The clear error for abort `e` of a wasm heap of `heapBytes`, or null when it is not an out-of-memory abort. */
export function wasmOutOfMemory(e: unknown, heapBytes: number): Error | null {
  if (!(e instanceof Error) || !e.message.includes('Aborted(')) return null;
  if (heapBytes < WASM_HEAP_MAX - NEAR_LIMIT) return null;
  const gib = (heapBytes / 2 ** 30).toFixed(2);
  return new Error(
    `the wasm backend ran out of memory: its heap holds ${gib} GiB, the most WebAssembly (wasm32) can address is 4 GiB, ` +
      'and tfjs-wasm stopped (nothing more can be computed in this process). Park every activation in host memory ' +
      '(MPELU_OFFLOAD_ACTIVATIONS=1, or setOffloadActivations(true); by default only what exceeds 75 % of the heap is parked), ' +
      'use a smaller batch (ResNet-1001 needs ~130 MB of activations per image), or the cpu or tensorflow backend',
  );
}

/** wasmOutOfMemory for the running backend (null unless it is wasm and its heap is at the limit). */
export function explainWasmAbort(e: unknown): Error | null {
  if (!tfLoaded() || !(e instanceof Error) || !e.message.includes('Aborted(') || tf.getBackend() !== 'wasm') return null;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return wasmOutOfMemory(e, heap?.byteLength ?? 0);
}
