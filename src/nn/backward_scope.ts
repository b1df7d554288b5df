// Work a backward pass leaves running in the background (a convolution's filter gradient on a
// worker thread while the calling thread goes on with the modules before it: HeapPool.
// runDetached) is finished before the outermost container's backward returns, so whoever
// reads the parameter gradients next (optim.sgd, a checkpoint, the user) finds them complete.
// Outside a container's backward (a module's own accGradParameters) nothing is left running.
// MPELU_DETACH_FILTER_GRAD=0 (or setDetachFilterGradients(false)) keeps every filter gradient
// synchronous.

import { flushDetachedJobs } from '../backend/wasm/heap_pool.js';

let depth = 0;
let enabled = typeof process === 'undefined' || process.env?.['MPELU_DETACH_FILTER_GRAD'] !== '0';

export function setDetachFilterGradients(on: boolean): void {
  enabled = on;
}

/** Whether a filter gradient may run in the background now (inside a container's backward). */
export function detachFilterGradients(): boolean {
  return enabled && depth > 0;
}

/** Runs a container's backward; the outermost one finishes the background work before returning. */
export function inBackward<T>(fn: () => T): T {
  depth++;
  let failed = true;
  try {
    const r = fn();
    failed = false;
    return r;
  } finally {
    depth--;
    if (depth === 0) {
      try {
        flushDetachedJobs();
      } catch (e) {
        // an error already on its way out is the one to report
        if (!failed) throw e;
      }
    }
  }
}
