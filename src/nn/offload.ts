// Moving activations out of the backend's memory while a pass does not need them (opt-in):
// ResNet-1001 at the paper's batch 64 keeps ~8 GB of activations for its backward pass, and
// tfjs-wasm's heap ends at 4 GiB (wasm32). With offloading on, nn.Sequential parks each of its
// modules' outputs in host memory (Storage.park: the device bytes copied out as they lie,
// channels-last included) once the next module has consumed it in the forward pass, and drops
// the device copy again once the backward pass is past it (the parked copy is still current:
// no second download); a module that reads a parked activation gets it uploaded again as it
// lay (no permutation), by Storage itself. The values are the same
// either way: only where they lie changes (test/offload.test.ts trains both ways and
// compares the parameters bit for bit). The device heap then holds about one module's
// working set; the host holds the activations (the process's RSS grows by as much).
// Off by default; setOffloadActivations(true) or MPELU_OFFLOAD_ACTIVATIONS=1
// (`mpelu train` turns it on by itself on wasm when the network's activations would not fit).

import type { Activity } from './module.js';
import { storagesOf } from './release.js';
import type { Storage } from '../torch/storage.js';

let enabled = typeof process !== 'undefined' && process.env?.['MPELU_OFFLOAD_ACTIVATIONS'] === '1';

/** Bytes below which an activation stays where it is (moving it costs more than it frees). */
const MIN_BYTES = 256 * 1024;

/** Turns the offloading of consumed activations on or off. */
export function setOffloadActivations(on: boolean): void {
  enabled = on;
}

export function offloadActivationsEnabled(): boolean {
  return enabled;
}

/** Activations moved to the host (device copies dropped) since the process started. */
export const offloadCounts = { moved: 0, bytes: 0 };

/**
 * When offloading is on: moves the storages of `done` (a tensor or a table of them) to host
 * memory, except those `keep` uses (an output that views its input, an in-place result).
 */
export function offloadActivations(done: Activity | undefined, keep: readonly (Activity | undefined)[]): void {
  if (!enabled || done === undefined) return;
  const kept = new Set<unknown>();
  for (const k of keep) storagesOf(k, kept);
  for (const s of storagesOf(done, new Set()) as Set<Storage>) {
    if (kept.has(s) || !s.onDevice() || s.size() * 4 < MIN_BYTES) continue;
    s.park();
    offloadCounts.moved++;
    offloadCounts.bytes += s.size() * 4;
  }
}
