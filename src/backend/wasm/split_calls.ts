// How a wasm kernel spreads its calls over threads: it asks for the heap's pool, cuts its
// work into `parts` pieces that write disjoint outputs (whole images, or tiles of a result)
// and records each piece's calls; finish() runs them all at once (part 0 on the calling
// thread). Without a pool (one thread, or a heap that is not shared) every call runs at
// once, in the order recorded, which is the order one thread would have run them anyway.

import { CallList, HeapPool, type KernelFn } from './heap_pool.js';
import { getNumThreads } from '../threads.js';

interface MemoryHolder {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

const pools = new WeakMap<object, HeapPool | null>();

/** The worker pool on this heap when it is shared and more than one thread is asked for. */
export function heapPoolFor(memory: MemoryHolder): HeapPool | null {
  if (getNumThreads() < 2 || !(memory.buffer instanceof SharedArrayBuffer)) return null;
  let pool = pools.get(memory);
  if (pool === undefined) {
    try {
      pool = new HeapPool(memory);
    } catch {
      pool = null;
    }
    pools.set(memory, pool);
  }
  return pool;
}

/** A kernel function: its id in the pool's table and the calling thread's own instance. */
export interface PoolFn {
  id: number;
  direct: KernelFn;
}

export class SplitCalls {
  readonly parts: number;
  private readonly lists: CallList[] | null;

  /** `wanted` parts at most (the thread count when a pool runs them, else 1). */
  constructor(private readonly pool: HeapPool | null, wanted: number) {
    this.parts = pool ? Math.max(1, Math.min(wanted, getNumThreads())) : 1;
    if (pool && this.parts > 1) {
      const lists: CallList[] = [];
      for (let p = 0; p < this.parts; p++) lists.push(spareLists.pop() ?? new CallList());
      this.lists = lists;
    } else {
      this.lists = null;
    }
  }

  /**
   * Function `name` of a kernel module (`bytes(sharedMemory)`, named `key`): its id in the
   * pool's table, and `direct`, the calling thread's own instance of it.
   */
  fn(key: string, bytes: (sharedMemory: boolean) => Uint8Array, name: string, direct: KernelFn): PoolFn {
    if (!this.lists || !this.pool) return { id: -1, direct };
    // looked up by the function itself: kernels ask for their functions on every call
    let byDirect = poolFns.get(this.pool);
    if (!byDirect) poolFns.set(this.pool, (byDirect = new Map()));
    let f = byDirect.get(direct);
    if (!f) byDirect.set(direct, (f = { id: this.pool.fn(key, () => bytes(true), name), direct }));
    return f;
  }

  /**
   * Records (or, without a pool, runs) fn(...args) as part `part`'s next call. Calls given the
   * same `unit` key in a row must run in order on one thread (they add into the same outputs);
   * other calls are independent, and a thread done with its part may take them over.
   */
  call(part: number, fn: PoolFn, args: readonly number[], unit?: number): void {
    if (this.lists) this.lists[part]!.add(fn.id, args, unit);
    else fn.direct(...args);
  }

  /**
   * With a pool, `detached` parts record every call into part 1 for finishDetached (worker 0
   * runs them while the caller goes on); else the part asked for.
   */
  partFor(part: number, detached: boolean): number {
    return detached && this.lists ? 1 : part;
  }

  /**
   * Hands part 1 to worker 0 and returns at once (HeapPool.runDetached): `onDone` runs once it
   * is done (at a later kernel call, or at flushDetachedJobs()). Where it cannot be detached
   * (no pool, nothing recorded for it, a part 0 recorded), finish() and then onDone().
   */
  finishDetached(onDone: () => void): void {
    const lists = this.lists;
    if (lists && this.pool && lists.length > 1 && lists[0]!.count === 0 && lists.slice(2).every((l) => l.count === 0)) {
      if (this.pool.runDetached(lists[1]!, onDone)) {
        this.recycleLists();
        pooled++;
        return;
      }
    }
    this.finish();
    onDone();
  }

  /** The lists (grown to the size kernels need) serve the next split. */
  private recycleLists(): void {
    const lists = this.lists!;
    for (const l of lists) {
      l.clear();
      if (spareLists.length < 64) spareLists.push(l);
    }
    lists.length = 0;
  }

  /** Runs the recorded parts, one per thread; returns when every part is done. */
  finish(): void {
    if (this.lists && this.lists.length > 0 && this.pool) {
      try {
        this.pool.run(this.lists);
      } finally {
        this.recycleLists();
      }
      pooled++;
    }
  }
}

let pooled = 0;

/** Call lists of finished splits, reused (a kernel call holds its lists only until finish()). */
const spareLists: CallList[] = [];

/** Each pool's PoolFn per calling-thread function. */
const poolFns = new WeakMap<HeapPool, Map<KernelFn, PoolFn>>();

/** How many kernel calls ran split over the pool (for tests and benchmarks). */
export function pooledRuns(): number {
  return pooled;
}

/** The part (0 .. parts - 1) that owns item i of `count` items cut into equal runs. */
export function partOf(i: number, count: number, parts: number): number {
  return Math.min(parts - 1, Math.floor((i * parts) / count));
}

/** [start, end) of part p when `count` items are cut into `parts` runs. */
export function partRange(p: number, count: number, parts: number): [number, number] {
  return [Math.ceil((p * count) / parts), Math.ceil(((p + 1) * count) / parts)];
}
