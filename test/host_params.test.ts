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

describe('filters packed from the host (Torch order) and from the heap (tfjs order)', () => {
  it('give the same forward and input gradient, bit for bit, for channel counts that do not fill a tile and B in panels', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { conv2dForwardHost, conv2dBackwardInputHost } = await import('../src/backend/host_params.js');
    const { conv2dForwardWasmSimd } = await import('../src/backend/wasm/conv_forward.js');
    const { conv2dBackpropInputWasmSimd } = await import('../src/backend/wasm/conv_input_grad.js');
    const { data } = await import('./helpers/random_data.js');
    for (const [ci, co, kh, kw] of [[9, 5, 3, 3], [12, 20, 1, 1], [9, 33, 2, 3], [16, 17, 3, 3], [96, 100, 1, 1], [40, 224, 3, 3]] as const) {
      const [n, h, w] = [2, 6, 7];
      const [pt, pl] = [kh === 1 ? 0 : 1, kw === 1 ? 0 : 1];
      const [ho, wo] = [h + 2 * pt - kh + 1, w + 2 * pl - kw + 1];
      const fv = data(kh * kw * ci * co, ci + co);
      // Torch's [co, ci, kh, kw] order of the same filter
      const torch = new Float32Array(fv.length);
      for (let t = 0; t < kh * kw; t++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) torch[(o * ci + i) * kh * kw + t] = fv[(t * ci + i) * co + o]!;
      const host = { values: torch, co, ci, kh, kw };
      const args = { kh, kw, sh: 1, sw: 1, padH: pt, padW: pl };
      const g = { kh, kw, sh: 1, sw: 1, pt, pl, ho, wo };
      const x = tf.tensor4d(data(n * h * w * ci, 3), [n, h, w, ci]);
      const dy = tf.tensor4d(data(n * ho * wo * co, 4), [n, ho, wo, co]);
      const f = tf.tensor4d(fv, [kh, kw, ci, co]);
      const yHost = conv2dForwardHost(x, host, null, args)!;
      const yHeap = tf.engine().makeTensorFromTensorInfo(conv2dForwardWasmSimd(tf.backend(), x, f, null, g)!);
      expect(Array.from(yHost.dataSync()), `forward ${[ci, co, kh, kw]}`).toEqual(Array.from(yHeap.dataSync()));
      const dxHost = conv2dBackwardInputHost(dy, host, [n, h, w, ci], args)!;
      const dxHeap = tf.engine().makeTensorFromTensorInfo(conv2dBackpropInputWasmSimd(tf.backend(), dy, f, [n, h, w, ci], g)!);
      expect(Array.from(dxHost.dataSync()), `input gradient ${[ci, co, kh, kw]}`).toEqual(Array.from(dxHeap.dataSync()));
      tf.dispose([x, dy, f, yHost, yHeap, dxHost, dxHeap]);
    }
  });
});
