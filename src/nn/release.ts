// Releasing gradInputs the backward pass has consumed (opt-in): in model:backward, once a
// module's gradInput has been handed to the module before it (nn.Sequential) or summed
// (nn.ConcatTable), nothing in the pass reads it again, so its memory can go at once instead
// of staying until the next backward. The peak of a training step then holds the forward's
// activations and a few gradients instead of every module's gradInput as well (Torch keeps
// them all; fb.resnet.torch's -shareGradInput makes modules of a type share one buffer, so
// their values are overwritten instead). After such a backward the inner modules' gradInputs
// are empty tensors; the model's own gradInput (its first module's) is kept.
// Off by default (Torch's semantics); setReleaseGradInputs(true) or MPELU_RELEASE_GRADINPUT=1.

import { Tensor } from '../torch/tensor.js';
import type { Activity } from './module.js';

let enabled = typeof process !== 'undefined' && process.env?.MPELU_RELEASE_GRADINPUT === '1';

/** Turns the release of consumed gradInputs on or off. */
export function setReleaseGradInputs(on: boolean): void {
  enabled = on;
}

/** Whether model:backward releases consumed gradInputs now. */
export function releaseGradInputsEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` with the release on (a training step whose gradInputs nobody reads: mpelu train),
 * unless MPELU_RELEASE_GRADINPUT=0 asks for Torch's semantics; restores the setting after.
 */
export function withReleasedGradInputs<T>(fn: () => T): T {
  const previous = enabled;
  if (typeof process === 'undefined' || process.env?.['MPELU_RELEASE_GRADINPUT'] !== '0') enabled = true;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** The storages an activity (a tensor or a table of them) uses. */
export function storagesOf(a: Activity | undefined, into: Set<unknown>): Set<unknown> {
  if (a instanceof Tensor) {
    if (a.hasStorage()) into.add(a.storage());
  } else if (Array.isArray(a)) {
    for (const x of a) storagesOf(x as Activity, into);
  }
  return into;
}

/**
 * When release is on: empties the consumed gradient `g` (a tensor; tables are left alone) unless
 * its storage is one of those `keep` uses (a gradient handed on unchanged, an input, an output).
 */
export function releaseConsumed(g: Activity | undefined, keep: readonly (Activity | undefined)[]): void {
  if (!enabled || !(g instanceof Tensor) || !g.hasStorage()) return;
  const kept = new Set<unknown>();
  for (const k of keep) storagesOf(k, kept);
  const s = g.storage();
  if (kept.has(s)) return;
  s.release();
  g.set();
}
