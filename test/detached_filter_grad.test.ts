// Convolution filter gradients finished in the background during a container's backward
// (src/nn/backward_scope.ts, HeapPool.runDetached): worker 0 sums them while the calling
// thread goes on with the modules before; the outermost backward returns only once they are
// in gradWeight. The same bits as computing each one on the spot.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo } from '../src/backend/index.js';
import { resetNumThreads, setNumThreads } from '../src/backend/threads.js';
import { setDetachFilterGradients } from '../src/nn/backward_scope.js';
import { setReleaseGradInputs } from '../src/nn/release.js';
import { HeapPool } from '../src/backend/wasm/heap_pool.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn } from '../src/nn/index.js';
import { countDiffering, trainSmallResnet } from './helpers/resnet_steps.js';

beforeAll(async () => {
  await initBackendInfo('wasm');
  // a worker to leave the filter gradients to, whatever the machine's core count
  setNumThreads(2);
});
afterAll(() => resetNumThreads());
afterEach(() => {
  setDetachFilterGradients(true);
  setReleaseGradInputs(false);
});

/** Counts the jobs left to a worker while `fn` runs. */
function countingDetached<T>(fn: () => T): { result: T; detached: number } {
  const proto = HeapPool.prototype as unknown as { runDetached: (...a: unknown[]) => boolean };
  const orig = proto.runDetached;
  let detached = 0;
  proto.runDetached = function (this: unknown, ...a: unknown[]) {
    const posted = orig.apply(this, a);
    if (posted) detached++;
    return posted;
  };
  try {
    return { result: fn(), detached };
  } finally {
    proto.runDetached = orig;
  }
}

describe('filter gradients finished in the background', () => {
  it('trains an MPELU ResNet-20 bit for bit as the synchronous filter gradients, live tensors flat', () => {
    for (const release of [true, false]) {
      setReleaseGradInputs(release);
      setDetachFilterGradients(false);
      const sync = countingDetached(() => trainSmallResnet(3, 20));
      setDetachFilterGradients(true);
      const live: number[] = [];
      const detached = countingDetached(() => trainSmallResnet(3, 20, () => live.push(tf.memory().numTensors)));
      expect(sync.detached).toBe(0);
      // every convolution of the 3 steps but those of too few images to cut (none here)
      expect(detached.detached).toBeGreaterThan(3 * 20);
      expect(detached.result.losses).toEqual(sync.result.losses);
      expect(countDiffering(detached.result.params, sync.result.params)).toBe(0);
      expect(new Set(live.slice(1)).size).toBe(1);
    }
  });

  it('has every gradient in place when the outermost backward returns, a shared gradWeight summed in call order', () => {
    // one convolution used twice: its two filter gradients add into the same gradWeight
    const conv = nn.SpatialConvolution(16, 16, 1, 1).noBias();
    const model = nn.Sequential().add(conv).add(nn.MPELU(0.25, 1, 16)).add(conv).float();
    const x = Tensor.create('Float', [8, 16, 6, 6]).normal(0, 1);
    const g = Tensor.create('Float', [8, 16, 6, 6]).normal(0, 1);
    const grads = (detach: boolean) => {
      setDetachFilterGradients(detach);
      model.zeroGradParameters();
      model.forward(x);
      const { detached } = countingDetached(() => model.backward(x, g));
      return { gw: Float32Array.from(conv.gradWeight!.values() as Float32Array), detached };
    };
    const sync = grads(false);
    const bg = grads(true);
    expect(bg.detached).toBe(2);
    expect(countDiffering(bg.gw, sync.gw)).toBe(0);
    expect(sync.gw.some((v) => v !== 0)).toBe(true);
  });

  it('computes on the spot outside a container backward (a module called on its own)', () => {
    const conv = nn.SpatialConvolution(16, 32, 3, 3, 1, 1, 1, 1).noBias().float();
    const x = Tensor.create('Float', [8, 16, 6, 6]).normal(0, 1);
    const y = conv.forward(x);
    const g = Tensor.create('Float', y.size()).normal(0, 1);
    conv.zeroGradParameters();
    const { detached } = countingDetached(() => conv.accGradParameters(x, g, 1));
    expect(detached).toBe(0);
    expect((conv.gradWeight!.values() as Float32Array).some((v) => v !== 0)).toBe(true);
  });
});
