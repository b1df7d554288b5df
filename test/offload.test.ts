// Offloading consumed activations to host memory (src/nn/offload.ts, opt-in): the same
// training bit for bit, with the activations of the forward pass off the backend's heap.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo } from '../src/backend/index.js';
import { offloadCounts, setOffloadActivations } from '../src/nn/offload.js';
import { Tensor } from '../src/torch/tensor.js';
import type { Module } from '../src/nn/index.js';
import { countDiffering, trainSmallResnet } from './helpers/resnet_steps.js';
import { resnetTrainer } from '../bench/helpers/resnet_trainer.js';

beforeAll(async () => {
  await initBackendInfo('wasm');
});
afterEach(() => setOffloadActivations(false));

/** Every module's output values, in listModules order (a table's tensors one after another). */
function outputs(model: Module): Float32Array[] {
  const out: Float32Array[] = [];
  for (const m of model.listModules()) {
    const o = m.output;
    for (const t of o instanceof Tensor ? [o] : Array.isArray(o) ? (o as Tensor[]) : []) out.push(Float32Array.from(t.contiguous().storage().data() as Float32Array));
  }
  return out;
}

describe('offloading consumed activations', () => {
  it('trains the same, bit for bit, moving activations to the host and back', () => {
    const kept = trainSmallResnet(3, 11);
    const moved0 = offloadCounts.moved;
    setOffloadActivations(true);
    const offloaded = trainSmallResnet(3, 11);
    expect(offloadCounts.moved - moved0).toBeGreaterThan(3 * 20);
    expect(offloaded.losses).toEqual(kept.losses);
    expect(countDiffering(offloaded.params, kept.params)).toBe(0);
    // every module's output still reads the values it computed
    const a = outputs(kept.model);
    const b = outputs(offloaded.model);
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) expect(countDiffering(b[i]!, a[i]!)).toBe(0);
  });

  it("keeps the forward's activations off the heap", () => {
    const bytesAfterForward = (on: boolean): number => {
      setOffloadActivations(on);
      const { model, input } = resnetTrainer(20, 8);
      model.training();
      const before = tf.memory().numBytes;
      model.forward(input);
      const grown = tf.memory().numBytes - before;
      setOffloadActivations(false);
      return grown;
    };
    const kept = bytesAfterForward(false);
    const offloaded = bytesAfterForward(true);
    // ResNet-20 at batch 8: ~60 activations of 0.5-2 MB; offloaded, a few stay (the last
    // module's output, those under 256 KB)
    expect(kept).toBeGreaterThan(20e6);
    expect(offloaded).toBeLessThan(kept / 5);
  });
});
