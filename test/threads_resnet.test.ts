// torch.setnumthreads: one thread, two and three give the same MPELU ResNet, bit for bit,
// after a few SGD steps (the kernels split work by images or rows; where a sum is cut - the
// filter gradient's runs of images, the MPELU / batch-norm sums' runs of rows - the cut is
// fixed by the shape and the runs are added in order), and the split really ran on the pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackendInfo } from '../src/backend/index.js';
import { getNumThreads, setNumThreads } from '../src/backend/threads.js';
import { pooledRuns } from '../src/backend/wasm/split_calls.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn } from '../src/nn/index.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { sgdTrainer, sgdTrainStep } from '../src/train/train_step.js';

const before = getNumThreads();
beforeAll(async () => {
  const info = await initBackendInfo('wasm');
  expect(info.sharedHeap).toBe(true);
});
afterAll(() => setNumThreads(before));

/** The parameters and losses of an 11-layer MPELU ResNet after 3 steps at batch 4, on `threads` threads. */
function train(threads: number): { params: Float32Array; losses: number[] } {
  setNumThreads(threads);
  manualSeed(7);
  const model = createMpeluNopreResNet({ depth: 11 });
  const trainer = sgdTrainer(model, nn.CrossEntropyCriterion().float());
  const input = Tensor.create('Float', [4, 3, 32, 32]).normal(0, 1);
  const target = Tensor.create('Long', [4]);
  for (let i = 1; i <= 4; i++) target.put(i, i + 2);
  model.training();
  const losses: number[] = [];
  for (let s = 0; s < 3; s++) losses.push(sgdTrainStep(trainer, input, target));
  return { params: Float32Array.from(trainer.params.values()), losses };
}

describe('thread count', () => {
  it('1, 2 and 3 threads give identical parameters after 3 steps of a small MPELU ResNet', () => {
    const one = train(1);
    const pooledBefore = pooledRuns();
    const two = train(2);
    expect(pooledRuns()).toBeGreaterThan(pooledBefore);
    expect(two.losses).toEqual(one.losses);
    let differing = 0;
    for (let i = 0; i < one.params.length; i++) if (!Object.is(one.params[i], two.params[i])) differing++;
    expect(differing).toBe(0);
    const three = train(3);
    expect(three.losses).toEqual(one.losses);
    expect(three.params.every((v, i) => Object.is(v, one.params[i]))).toBe(true);
  });
});
