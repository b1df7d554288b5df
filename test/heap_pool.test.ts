// The worker pool that splits mpelu's wasm kernels over threads (src/backend/heap_pool.ts),
// the shared-heap patch of tfjs-wasm (shared_heap.ts) and the thread count setting.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { CallList, HeapPool, unitsTakenOverByCaller, unitsTakenOverByWorkers } from '../src/backend/wasm/heap_pool.js';
import { assemble, Code, T } from '../src/backend/wasm/encoder.js';
import { withSharedMemory } from '../src/backend/wasm/shared_heap.js';
import { getNumThreads, setNumThreads } from '../src/backend/threads.js';
import { SplitCalls, partOf, partRange } from '../src/backend/wasm/split_calls.js';
import { initBackendInfo } from '../src/backend/index.js';
import { ScratchBlock } from '../src/backend/wasm/heap.js';

declare const WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer } };

/** fill(dst, count, value): 4 * count ints of value from byte address dst (count v128 stores). */
function fillModule(): Uint8Array {
  const c = new Code();
  c.block().get(1).op('i32.eqz').brIf(0);
  c.loop();
  c.get(0).get(2).simd('i32x4.splat').v128Store(0);
  c.get(0).i32(16).op('i32.add').set(0);
  c.get(1).i32(1).op('i32.sub').tee(1).brIf(0);
  c.end().end();
  return assemble([{ name: 'fill', params: [T.i32, T.i32, T.i32], locals: [], body: c }], true);
}

const pools: HeapPool[] = [];
afterAll(() => pools.forEach((p) => p.stop()));

describe('heap pool', () => {
  it('runs each part on its own thread over the same shared memory', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 16, shared: true });
    const pool = new HeapPool(memory);
    pools.push(pool);
    const fill = pool.fn('fill', fillModule, 'fill');
    const parts = [new CallList(), new CallList(), new CallList()];
    // part p fills ints [p*1000, (p+1)*1000) with p + 7, in 10 calls of 100
    for (let p = 0; p < 3; p++) for (let k = 0; k < 10; k++) parts[p]!.add(fill, [4 * (p * 1000 + k * 100), 25, p + 7]);
    pool.run(parts);
    expect(pool.workerCount).toBe(2);
    const ints = new Int32Array(memory.buffer, 0, 3000);
    for (let p = 0; p < 3; p++) expect(ints.subarray(p * 1000, (p + 1) * 1000).every((v) => v === p + 7)).toBe(true);
    // parts longer than a round (8192 records) run in several rounds
    const long = [new CallList(), new CallList()];
    for (let k = 0; k < 9000; k++) long[1]!.add(fill, [16 * (1000 + k), 1, k]);
    pool.run(long);
    const got = new Int32Array(memory.buffer, 16 * 1000, 4 * 9000);
    expect(got.every((v, i) => v === i >> 2)).toBe(true);
  });

  it('lets a thread done with its part take over another\'s last units, each unit whole and in order', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 16, shared: true });
    const pool = new HeapPool(memory);
    pools.push(pool);
    // scale(dst, k, add): dst[0] = dst[0] * k + add, after a busy loop (a slow call)
    const c = new Code();
    c.i32(200000).set(3);
    c.loop().get(3).i32(1).op('i32.sub').tee(3).brIf(0).end();
    c.get(0).get(0).i32Load(0).get(1).op('i32.mul').get(2).op('i32.add').i32Store(0);
    const scale = pool.fn('scale', () => assemble([{ name: 'scale', params: [T.i32, T.i32, T.i32], locals: [T.i32], body: c }], true), 'scale');
    const ints = new Int32Array(memory.buffer, 0, 200);
    // the worker's part has 200 units of two calls each: x*3, then +1; the caller has 100
    // calls of its own first (the worker starts meanwhile, so its part is not taken back whole)
    const parts = [new CallList(), new CallList()];
    for (let k = 0; k < 100; k++) parts[0]!.add(scale, [4 * 300, 1, 0]);
    for (let u = 0; u < 200; u++) {
      parts[1]!.add(scale, [4 * u, 3, 0], u);
      parts[1]!.add(scale, [4 * u, 1, 1], u);
    }
    expect(parts[1]!.unitCount).toBe(200);
    // a first run starts the worker thread; give it time to come up (else its part is taken back whole)
    const warm = new CallList();
    warm.add(scale, [4 * 301, 1, 0]);
    pool.run([new CallList(), warm]);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    // Runs `lists` until `counter` moves (on a busy machine the worker may not be scheduled in
    // time, and its part is then taken back whole: a few attempts); every unit ran once, its
    // two calls in order on one thread: 1 * 3 + 1.
    const takenOver = (lists: CallList[], counter: () => number) => {
      let taken = 0;
      for (let attempt = 0; attempt < 5 && taken === 0; attempt++) {
        ints.fill(1);
        const before = counter();
        pool.run(lists);
        taken = counter() - before;
        expect(Array.from(ints).every((v) => v === 4)).toBe(true);
      }
      return taken;
    };
    expect(takenOver(parts, unitsTakenOverByCaller)).toBeGreaterThan(0);

    // the other way: the caller's part is the long one, a worker done with its own takes units
    const mine = [new CallList(), new CallList()];
    for (let u = 0; u < 200; u++) {
      mine[0]!.add(scale, [4 * u, 3, 0], u);
      mine[0]!.add(scale, [4 * u, 1, 1], u);
    }
    mine[1]!.add(scale, [4 * 301, 1, 0]);
    expect(takenOver(mine, unitsTakenOverByWorkers)).toBeGreaterThan(0);
  });

  it('turns a trap inside a worker into an Error in the caller, and refuses further calls', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const pool = new HeapPool(memory);
    pools.push(pool);
    const fill = pool.fn('fill', fillModule, 'fill');
    const parts = [new CallList(), new CallList()];
    parts[0]!.add(fill, [0, 4, 1]);
    parts[1]!.add(fill, [65536 - 32, 4, 1]); // runs past the one 64 KiB page
    // the worker runs it, or the caller takes it back when the worker has not started yet
    expect(() => pool.run(parts)).toThrow(/a kernel failed in (worker 0|part 1 \(taken back by the calling thread\)): .*out of bounds/);
    expect(() => pool.run([new CallList()])).toThrow(/heap pool/);
  });

  it('runs detached jobs on worker 0 while the caller goes on, their callbacks in order', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 16, shared: true });
    const pool = new HeapPool(memory);
    pools.push(pool);
    const fill = pool.fn('fill', fillModule, 'fill');
    const ints = new Int32Array(memory.buffer, 0, 20000);
    const order: number[] = [];
    // 20 jobs (more than are kept outstanding), each filling its own 1000 ints in 10 units
    for (let j = 0; j < 20; j++) {
      const list = new CallList();
      for (let k = 0; k < 10; k++) list.add(fill, [4 * (j * 1000 + k * 100), 25, j + 1], k);
      expect(pool.runDetached(list, () => order.push(j))).toBe(true);
      // a synchronous run meanwhile: its worker-0 part runs here (or is shared) while the job runs
      const parts = [new CallList(), new CallList()];
      parts[0]!.add(fill, [4 * 30000 + 16 * j, 1, j]);
      parts[1]!.add(fill, [4 * 31000 + 16 * j, 1, j]);
      pool.run(parts);
      const after = new Int32Array(memory.buffer, 4 * 30000, 2000);
      expect([after[4 * j], after[1000 + 4 * j]]).toEqual([j, j]);
    }
    pool.flushDetached();
    expect(order).toEqual(Array.from({ length: 20 }, (_, j) => j));
    for (let j = 0; j < 20; j++) expect(ints.subarray(j * 1000, (j + 1) * 1000).every((v) => v === j + 1)).toBe(true);
    pool.flushDetached(); // nothing left: a no-op
    expect(order.length).toBe(20);
  });

  it('runs every unit once in a random mix of detached jobs and runs (units taken over both ways)', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 16, shared: true });
    const pool = new HeapPool(memory);
    pools.push(pool);
    // inc(addr, spin): a busy loop of `spin` turns, then mem[addr] += 1
    const c = new Code();
    c.loop().get(1).i32(1).op('i32.sub').tee(1).brIf(0).end();
    c.get(0).get(0).i32Load(0).i32(1).op('i32.add').i32Store(0);
    const inc = pool.fn('inc', () => assemble([{ name: 'inc', params: [T.i32, T.i32], locals: [], body: c }], true), 'inc');
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const ints = new Int32Array(memory.buffer, 0, 16000);
    ints.fill(0);
    let next = 0; // every unit adds into an int of its own: a unit run twice or never shows
    const expected: number[] = [];
    const order: number[] = [];
    let jobs = 0;
    for (let it = 0; it < 600; it++) {
      if (rnd() < 0.4) {
        const list = new CallList();
        for (let u = 0, n = 1 + Math.floor(rnd() * 5); u < n; u++, next++) {
          list.add(inc, [4 * next, Math.floor(rnd() * 20000)], u);
          list.add(inc, [4 * next, 10], u);
          expected.push(2);
        }
        const id = jobs++;
        pool.runDetached(list, () => order.push(id));
      } else {
        const parts = [new CallList(), new CallList()];
        for (const part of parts) {
          for (let u = 0, n = Math.floor(rnd() * 6); u < n; u++, next++) {
            part.add(inc, [4 * next, Math.floor(rnd() * 20000)], u);
            expected.push(1);
          }
        }
        pool.run(parts);
      }
      if (rnd() < 0.05) pool.flushDetached();
    }
    pool.flushDetached();
    expect(next).toBeLessThan(16000);
    expect(order).toEqual(Array.from({ length: jobs }, (_, i) => i));
    // detached units add twice (two calls), the others once
    expect(Array.from(ints.subarray(0, next))).toEqual(expected);
  });

  it('reports a trap in a detached job when it is finished, and refuses further calls', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const pool = new HeapPool(memory);
    pools.push(pool);
    const fill = pool.fn('fill', fillModule, 'fill');
    const list = new CallList();
    list.add(fill, [65536 - 32, 4, 1]); // runs past the one 64 KiB page
    let done = false;
    pool.runDetached(list, () => (done = true));
    expect(() => pool.flushDetached()).toThrow(/a kernel failed in (worker 0|part 1 \(taken back by the calling thread\)): .*out of bounds/);
    expect(done).toBe(false);
    expect(() => pool.run([new CallList()])).toThrow(/heap pool/);
  });

  it('refuses a call with more arguments than a record holds', () => {
    const list = new CallList();
    list.add(0, new Array(16).fill(1));
    expect(() => list.add(0, new Array(17).fill(1))).toThrow(/at most 16 arguments, got 17/);
    expect(list.count).toBe(1);
  });

  it('refuses a memory that is not shared', () => {
    expect(() => new HeapPool({ buffer: new ArrayBuffer(8) })).toThrow(/not a shared WebAssembly.Memory/);
  });

  it('cuts items into parts consistently', () => {
    for (const count of [1, 2, 3, 5, 32, 33]) {
      for (const parts of [1, 2, 3, 4]) {
        for (let p = 0; p < parts; p++) {
          const [a, b] = partRange(p, count, parts);
          for (let i = a; i < b; i++) expect(partOf(i, count, parts)).toBe(p);
        }
        expect(partRange(parts - 1, count, parts)[1]).toBe(count);
      }
    }
  });

  it('runs calls directly, in order, without a pool', () => {
    const seen: number[] = [];
    const split = new SplitCalls(null, 4);
    expect(split.parts).toBe(1);
    split.call(0, { id: -1, direct: (v) => seen.push(v!) }, [1]);
    split.call(0, { id: -1, direct: (v) => seen.push(v!) }, [2]);
    split.finish();
    expect(seen).toEqual([1, 2]);
  });
});

describe('shared heap', () => {
  it('marks a defined memory with a maximum as shared and leaves other modules alone', () => {
    // magic, version, memory section: 1 memory, flags 1, min 2, max 10
    const mod = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 4, 1, 1, 2, 10]);
    const out = withSharedMemory(mod)!;
    expect([...out.subarray(8)]).toEqual([5, 4, 1, 3, 2, 10]);
    expect(mod[11]).toBe(1); // input untouched
    expect(withSharedMemory(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 2]))).toBeNull(); // no maximum
    expect(withSharedMemory(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('gives tfjs-wasm a shared heap that its kernels still compute on', async () => {
    const info = await initBackendInfo('wasm');
    expect(info.sharedHeap).toBe(true);
    const be = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    expect(be.wasm.HEAPU8.buffer).toBeInstanceOf(SharedArrayBuffer);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
    expect([...y.dataSync()]).toEqual([19, 22, 43, 50]);
    y.dispose();
  });
});

describe('thread count', () => {
  it('follows setnumthreads and refuses nonsense', () => {
    const before = getNumThreads();
    expect(before).toBeGreaterThanOrEqual(1);
    setNumThreads(3);
    expect(getNumThreads()).toBe(3);
    expect(() => setNumThreads(0)).toThrow(/whole number >= 1, got 0/);
    expect(() => setNumThreads(1.5)).toThrow(/whole number/);
    setNumThreads(before);
  });
});

describe('scratch blocks', () => {
  it('hands out offsets past 2 GiB as unsigned numbers (a 4 GiB heap)', () => {
    // the allocator of a heap grown past 2 GiB returns addresses >= 2^31
    const heap = { memory: { buffer: new ArrayBuffer(8) }, malloc: () => 2 ** 31 + 5, free: () => undefined };
    const block = new ScratchBlock(heap as never, 'test', 64);
    const base = block.reserve(100);
    expect(base).toBe(2 ** 31 + 16);
    expect(base % 16).toBe(0);
  });
});
