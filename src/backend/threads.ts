// How many threads mpelu's own kernels compute with: torch.setnumthreads(n) /
// torch.getnumthreads(), MPELU_THREADS, default the number of cores. The wasm kernels split
// their work over this many threads, the calling thread and threads - 1 workers
// (heap_pool.ts), never changing the order of a sum (where one is cut, the cut depends on the
// shape alone).

import { availableParallelism } from 'node:os';

let requested: number | null = null;

/** The cores Node sees (1 where it cannot tell). */
export function coreCount(): number {
  try {
    return Math.max(1, availableParallelism());
  } catch {
    return 1;
  }
}

function fromEnv(): number | null {
  const raw = typeof process !== 'undefined' ? process.env?.['MPELU_THREADS'] : undefined;
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`MPELU_THREADS: expected a whole number >= 1, found '${raw}'`);
  }
  return n;
}

/** MPELU_THREADS or the core count, read once: every kernel call asks (reading process.env costs ~1 us). */
let fallback: number | null = null;

/** The thread count in force: setNumThreads, else MPELU_THREADS (read at first use), else the core count. */
export function getNumThreads(): number {
  return requested ?? (fallback ??= fromEnv() ?? coreCount());
}

/** Torch's torch.setnumthreads(n): the kernels use n threads from their next call on. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setnumthreads: expected a whole number >= 1, got ${String(n)}`);
  requested = n;
}

/** Forgets setNumThreads (back to MPELU_THREADS or the core count). */
export function resetNumThreads(): void {
  requested = null;
}
