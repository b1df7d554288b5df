// Parameters stay where they live (src/backend/host_params.ts): on wasm a training step after
// the first uploads no convolution, batch-norm or MPELU parameter, reads nothing back but the
// loss, runs no Transpose, and computes exactly what the tfjs-tensor path
// (MPELU_HOST_PARAMS=0) computes.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackendInfo } from '../src/backend/index.js';
import { hostParams } from '../src/backend/host_params.js';
import { installTransferCounters, takeTransferCounts, type TransferCounts } from '../bench/helpers/transfer_counters.js';
import { countDiffering, trainSmallResnet } from './helpers/resnet_steps.js';

beforeAll(async () => {
  await initBackendInfo('wasm');
  installTransferCounters(Number.MAX_SAFE_INTEGER);
});
afterEach(() => hostParams.reset());

/** Counts of each of `steps` steps of the ResNet-11 at batch 4, with parameters on the host or not. */
function countedSteps(onHost: boolean, steps: number): { counts: TransferCounts[]; result: ReturnType<typeof trainSmallResnet> } {
  hostParams.set(onHost);
  const counts: TransferCounts[] = [];
  takeTransferCounts();
  const result = trainSmallResnet(steps, 11, () => counts.push(takeTransferCounts()));
  return { counts, result };
}

describe('parameters on the host (wasm)', () => {
  it('after the first step: no parameter upload but the classifier, one blocking read (the loss), no Transpose', () => {
    const { counts } = countedSteps(true, 3);
    const { counts: before } = countedSteps(false, 2);
    // the classifier (nn.Linear 256 -> 10 here: tf.matMul takes its weight twice and its bias
    // once), the batch's targets twice and the average pooling's two constants
    const linearBytes = 4 * (2 * 256 * 10 + 10);
    for (const c of counts.slice(1)) {
      expect(c.transposes).toBe(0);
      expect(c.blockingReads).toBe(1);
      expect(c.uploads).toBeLessThanOrEqual(7);
      expect(c.uploadBytes).toBeLessThan(linearBytes + 1024);
    }
    // the tfjs-tensor path uploads every convolution weight twice (forward, input gradient)
    // and transposes it three times
    expect(before[1]!.uploadBytes).toBeGreaterThan(40 * counts[2]!.uploadBytes);
    expect(before[1]!.transposes).toBeGreaterThan(20);
  });

  it('gives the same parameters and losses as the tfjs-tensor path, bit for bit', () => {
    const on = countedSteps(true, 3).result;
    const off = countedSteps(false, 3).result;
    expect(on.losses).toEqual(off.losses);
    expect(countDiffering(on.params, off.params)).toBe(0);
  });
});
