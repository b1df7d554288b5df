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
import { tf } from '../torch/tfjs_core.js';

let enabled = typeof process !== 'undefined' && process.env?.['MPELU_OFFLOAD_ACTIVATIONS'] === '1';
/** tfjs bytes the device may hold before activations are parked (0: park every one). */
let deviceBudget = 0;

/** Bytes below which an activation stays where it is (moving it costs more than it frees). */
const MIN_BYTES = 256 * 1024;

/**
 * Turns the offloading of consumed activations on or off. With a `budget` (bytes), an
 * activation is parked only while the backend's tensors take more than that (the first ones
 * of a forward pass stay on the device, the rest go), or when its parked copy is current
 * anyway (dropping the device copy then costs nothing).
 */
export function setOffloadActivations(on: boolean, budget = 0): void {
  enabled = on;
  deviceBudget = budget;
}

export function offloadActivationsEnabled(): boolean {
  return enabled;
}

/** Activations copied to the host (parked) since the process started. */
export const offloadCounts = { moved: 0, bytes: 0 };

/**
 * When offloading is on: moves the storages of `done` (a tensor or a table of them) to host
 * memory, except those `keep` uses (an output that views its input, an in-place result).
 */
export function offloadActivations(done: Activity | undefined, keep: readonly (Activity | undefined)[]): void {
  for (const s of candidates(done, keep)) {
    const free = s.hasParkedCopy();
    if (deviceBudget > 0 && !free && tf.memory().numBytes <= deviceBudget) continue;
    s.park();
    if (free) continue;
    offloadCounts.moved++;
    offloadCounts.bytes += s.size() * 4;
  }
}

/**
 * When offloading is on, in the backward pass: drops the device copies of `done`'s storages
 * that were parked in the forward pass and uploaded again since (their parked copy is
 * current, so this copies nothing), except those `keep` uses. An activation the forward pass
 * kept on the device (within the budget) stays there: copying it out now would only cost.
 */
export function dropReloadedActivations(done: Activity | undefined, keep: readonly (Activity | undefined)[]): void {
  for (const s of candidates(done, keep)) if (s.hasParkedCopy()) s.park();
}

/** The storages of `done` on the device, large enough to move, that `keep` does not use (none when offloading is off). */
function candidates(done: Activity | undefined, keep: readonly (Activity | undefined)[]): Storage[] {
  if (!enabled || done === undefined) return [];
  const kept = new Set<unknown>();
  for (const k of keep) storagesOf(k, kept);
  return ([...storagesOf(done, new Set())] as Storage[]).filter((s) => !kept.has(s) && s.onDevice() && s.size() * 4 >= MIN_BYTES);
}
