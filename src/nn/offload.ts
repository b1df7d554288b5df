// Moving activations out of the backend's memory while a pass does not need them: ResNet-1001
// at the paper's batch 64 keeps ~8 GB of activations for its backward pass, and tfjs-wasm's
// heap ends at 4 GiB (wasm32). When parking is active, nn.Sequential parks its modules'
// outputs in host memory (Storage.park: the device bytes copied out as they lie,
// channels-last included, into arrays earlier parks freed: torch/parked_arrays.ts) once the
// next module has consumed them in the forward pass, and drops the device copy again once
// the backward pass is past them (the parked copy is still current: no second download); a
// module that reads a parked activation gets it uploaded again as it lay (no permutation),
// by Storage itself. The values are the same either way: only where they lie changes
// (test/offload.test.ts trains both ways and compares every parameter and module output bit
// for bit); the host holds what is parked (the process's RSS grows by as much).
//
// By default ('auto') it is active on the wasm backend only, and only beyond a budget: a
// forward pass's activations stay on the device while the backend's tensors take less than
// 75 % of the 4 GiB heap, and just the rest is parked. A network that fits never parks (the
// check is one counter read per module); one that does not fit trains instead of running
// out of memory. MPELU_OFFLOAD_ACTIVATIONS=0 (or setOffloadActivations(false)) never parks;
// =1 (setOffloadActivations(true)) parks every consumed activation, on any backend.

import type { Activity } from './module.js';
import { storagesOf } from './release.js';
import type { Storage } from '../torch/storage.js';
import { tf, tfLoaded } from '../torch/tfjs_core.js';
import { WASM_HEAP_MAX } from '../backend/wasm/out_of_memory.js';

/** The share of the wasm heap a forward pass's activations may take on the device by default. */
export const AUTO_HEAP_SHARE = 0.75;

/** 'auto': wasm, beyond AUTO_HEAP_SHARE of its heap; a number: that many bytes, on any backend (0: park all); null: never. */
type Setting = 'auto' | number | null;

function fromEnv(): Setting {
  const v = typeof process !== 'undefined' ? process.env?.['MPELU_OFFLOAD_ACTIVATIONS'] : undefined;
  return v === '0' ? null : v === '1' ? 0 : 'auto';
}

let setting: Setting = fromEnv();

/** Bytes below which an activation stays where it is (moving it costs more than it frees). */
const MIN_BYTES = 256 * 1024;

/**
 * Parking on (every consumed activation, or with a `budget` in bytes only while the backend's
 * tensors take more than that), off, or 'auto' (the default: on wasm, beyond 75 % of its heap).
 */
export function setOffloadActivations(on: boolean | 'auto', budget = 0): void {
  setting = on === 'auto' ? 'auto' : on ? budget : null;
}

/** The budget parking works with now (0: park all), or null when it is not active on this backend. */
function activeBudget(): number | null {
  if (setting !== 'auto') return setting;
  // without tfjs loaded nothing lies on a device (and asking would load it)
  return tfLoaded() && tf.getBackend() === 'wasm' ? AUTO_HEAP_SHARE * WASM_HEAP_MAX : null;
}

/** Whether consumed activations may be parked on the active backend. */
export function offloadActivationsEnabled(): boolean {
  return activeBudget() !== null;
}

/** How parking works now, in words: 'off', 'every activation', or 'beyond N GiB of the device'. */
export function offloadDescription(): string {
  const budget = activeBudget();
  if (budget === null) return 'off';
  return budget === 0 ? 'every activation' : `beyond ${(budget / 2 ** 30).toFixed(1)} GiB of the device`;
}

/** Activations copied to the host (parked) since the process started. */
export const offloadCounts = { moved: 0 };

/**
 * In the forward pass, when parking is active and the backend's tensors exceed its budget:
 * parks the storages of `done` (a tensor or a table of them), except those `keep` uses (an
 * output that views its input, an in-place result).
 */
export function offloadActivations(done: Activity | undefined, keep: readonly (Activity | undefined)[]): void {
  const budget = activeBudget();
  if (budget === null || done === undefined) return;
  if (budget > 0 && tf.memory().numBytes <= budget) return;
  for (const s of candidates(done, keep)) {
    const free = s.hasParkedCopy();
    s.park();
    if (free) continue;
    if (offloadCounts.moved === 0) firstParkNote(budget);
    offloadCounts.moved++;
  }
}

/**
 * In a backward pass (backward, or updateGradInput and accGradParameters called on their
 * own): drops the device copies of `done`'s storages that were parked in the forward pass
 * and uploaded again since (their parked copy is current, so this copies
 * nothing), except those `keep` uses. An activation the forward pass kept on the device
 * (within the budget) stays there: copying it out now would only cost.
 */
export function dropReloadedActivations(done: Activity | undefined, keep: readonly (Activity | undefined)[]): void {
  if (offloadCounts.moved === 0 || activeBudget() === null || done === undefined) return;
  for (const s of candidates(done, keep)) if (s.hasParkedCopy()) s.park();
}

/** The storages of `done` on the device, large enough to move, that `keep` does not use. */
function candidates(done: Activity, keep: readonly (Activity | undefined)[]): Storage[] {
  const kept = new Set<unknown>();
  for (const k of keep) storagesOf(k, kept);
  return ([...storagesOf(done, new Set())] as Storage[]).filter((s) => !kept.has(s) && s.onDevice() && s.size() * 4 >= MIN_BYTES);
}

/** Says once, on stderr, that activations are being parked (the RSS grows: this is why). */
function firstParkNote(budget: number): void {
  if (typeof process === 'undefined' || !process.stderr || budget === 0) return;
  process.stderr.write(
    `mpelu: the activations outgrow ${((budget / 2 ** 30).toFixed(1))} GiB of the backend's memory: parking the rest in host memory between the passes (MPELU_OFFLOAD_ACTIVATIONS=0 turns this off)\n`,
  );
}
