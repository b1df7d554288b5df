// torch.setnumthreads: one thread and two give the same MPELU ResNet, bit for bit, after a
// few SGD steps (the kernels split work by images or by result tiles, never a sum), and the
// split really ran on the worker pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackendInfo } from '../src/backend/index.js';
import { getNumThreads, setNumThreads } from '../src/backend/threads.js';
import { pooledRuns } from '../src/backend/wasm/split_calls.js';
import { countDiffering, trainSmallResnet, type StepsResult } from './helpers/resnet_steps.js';

const before = getNumThreads();
beforeAll(async () => {
  const info = await initBackendInfo('wasm');
  expect(info.sharedHeap).toBe(true);
});
afterAll(() => setNumThreads(before));

/** The parameters and losses of an 11-layer MPELU ResNet after 3 steps at batch 4, on `threads` threads. */
function train(threads: number): StepsResult {
  setNumThreads(threads);
  return trainSmallResnet(3);
}

describe('thread count', () => {
  it('1 and 2 threads give identical parameters after 3 steps of a small MPELU ResNet', () => {
    const one = train(1);
    const pooledBefore = pooledRuns();
    const two = train(2);
    expect(pooledRuns()).toBeGreaterThan(pooledBefore);
    expect(two.losses).toEqual(one.losses);
    expect(countDiffering(one.params, two.params)).toBe(0);
  });
});
