// tfjs-wasm's Add of two equal float32 shapes runs as mpelu's SIMD add cut over the threads
// (src/backend/fused/register.ts): the same bits as float32 addition, the same for every
// thread count; broadcasts, small tensors and other dtypes still go to tfjs's own kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo, patchTfjsKernels } from '../src/backend/index.js';
import { getNumThreads, setNumThreads } from '../src/backend/threads.js';
import { pooledRuns } from '../src/backend/wasm/split_calls.js';

const before = getNumThreads();
beforeAll(async () => {
  await initBackendInfo('wasm');
  patchTfjsKernels();
});
afterAll(() => setNumThreads(before));

function randomValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s / 2 ** 32) - 0.5) * 2 ** ((s % 40) - 20);
  }
  return out;
}

describe('the split Add on wasm', () => {
  const shape = [8, 32, 32, 16]; // 512 KB: large enough to be cut in two
  const n = 8 * 32 * 32 * 16;
  const a = randomValues(n, 1);
  const b = randomValues(n, 2);

  it('adds equal float32 shapes exactly as float32 addition, on 1 and 2 threads', () => {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const pooled = pooledRuns();
      const y = tf.tidy(() => tf.add(tf.tensor(a, shape), tf.tensor(b, shape)).dataSync() as Float32Array);
      if (threads === 2) expect(pooledRuns()).toBeGreaterThan(pooled);
      let wrong = 0;
      for (let i = 0; i < n; i++) if (!Object.is(y[i], Math.fround(a[i]! + b[i]!))) wrong++;
      expect(wrong).toBe(0);
    }
  });

  it('leaves broadcasts, small tensors and int32 to tfjs', () => {
    setNumThreads(2);
    const bias = randomValues(16, 3);
    const y = tf.tidy(() => tf.add(tf.tensor(a, shape), tf.tensor(bias, [16])).dataSync() as Float32Array);
    for (const i of [0, 1, 15, 16, 1000, n - 1]) expect(y[i]).toBe(Math.fround(a[i]! + bias[i % 16]!));
    const small = tf.tidy(() => Array.from(tf.add(tf.tensor([1.5, 2]), tf.tensor([0.25, -3])).dataSync()));
    expect(small).toEqual([1.75, -1]);
    const ints = tf.tidy(() => Array.from(tf.add(tf.tensor(new Int32Array(n).fill(3), shape, 'int32'), tf.tensor(new Int32Array(n).fill(4), shape, 'int32')).dataSync()));
    expect(ints.every((v) => v === 7)).toBe(true);
  });
});
