// Offloading consumed activations to host memory (src/nn/offload.ts, opt-in): the same
// training bit for bit, with the activations of the forward pass off the backend's heap.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo } from '../src/backend/index.js';
import { AUTO_HEAP_SHARE, offloadActivationsEnabled, offloadCounts, offloadDescription, setOffloadActivations } from '../src/nn/offload.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';
import { countDiffering, trainBuiltModel, trainSmallResnet } from './helpers/resnet_steps.js';
import { resnetTrainer } from '../bench/helpers/resnet_trainer.js';
import { createResNet } from '../src/models/resnet.js';
import { createPreResNet } from '../src/models/preresnet.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { DataParallelTable } from '../src/nn/DataParallelTable.js';
import { setReleaseGradInputs } from '../src/nn/release.js';

beforeAll(async () => {
  await initBackendInfo('wasm');
});
afterEach(() => setOffloadActivations('auto'));

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
    expect(offloadCounts.moved - moved0).toBeGreaterThan(3 * 10);
    expect(offloaded.losses).toEqual(kept.losses);
    expect(countDiffering(offloaded.params, kept.params)).toBe(0);
    // every module's output still reads the values it computed
    const a = outputs(kept.model);
    const b = outputs(offloaded.model);
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) expect(countDiffering(b[i]!, a[i]!)).toBe(0);
  });

  it('with a device budget parks only beyond it, the same bit for bit', () => {
    const kept = trainSmallResnet(2, 20);
    setOffloadActivations(true, tf.memory().numBytes + 6e6);
    const budgeted = trainSmallResnet(2, 20);
    expect(budgeted.losses).toEqual(kept.losses);
    expect(countDiffering(budgeted.params, kept.params)).toBe(0);
    // a forward pass: ResNet-20 at batch 8 has ~26 MB of activations; with 6 MB more allowed on
    // the device the first ones stay there
    const parkedInForward = (budget: () => number): number => {
      const { model, input } = resnetTrainer(20, 8);
      model.training();
      setOffloadActivations(true, budget());
      const before = offloadCounts.moved;
      model.forward(input);
      return offloadCounts.moved - before;
    };
    const all = parkedInForward(() => 0);
    const some = parkedInForward(() => tf.memory().numBytes + 6e6);
    expect(some).toBeGreaterThan(0);
    expect(some).toBeLessThan(all);
  });

  it("trains fb.resnet.torch's ResNet and pre-activation ResNet the same (in-place ReLUs write into their input's storage)", () => {
    const run = (offload: boolean, build: () => Module) => {
      setOffloadActivations(offload);
      setReleaseGradInputs(true);
      try {
        return trainBuiltModel(build, 8);
      } finally {
        setReleaseGradInputs(false);
      }
    };
    for (const build of [() => createResNet({ depth: 8, shortcutType: 'A' }), () => createPreResNet({ depth: 8, shortcutType: 'C' })]) {
      const moved0 = offloadCounts.moved;
      const kept = run(false, build);
      const offloaded = run(true, build);
      expect(offloadCounts.moved).toBeGreaterThan(moved0);
      expect(offloaded.losses).toEqual(kept.losses);
      expect(countDiffering(offloaded.params, kept.params)).toBe(0);
    }
  });

  it('parks inside nn.DataParallelTable replicas (-nGPU 2 under mpelu run), the same bit for bit', () => {
    const build = () => {
      const dpt = new DataParallelTable(1, true).add(createMpeluNopreResNet({ depth: 11 }), [1, 2]);
      dpt.fields.delete('gradInput'); // fb.resnet.torch: dpt.gradInput = nil
      return dpt;
    };
    const kept = trainBuiltModel(build, 10);
    const moved0 = offloadCounts.moved;
    setOffloadActivations(true);
    const offloaded = trainBuiltModel(build, 10);
    expect(offloadCounts.moved).toBeGreaterThan(moved0);
    expect(offloaded.losses).toEqual(kept.losses);
    expect(countDiffering(offloaded.params, kept.params)).toBe(0);
  });

  it('parks reloaded activations again in updateGradInput and accGradParameters called on their own, with the gradients of backward', () => {
    const run = (separate: boolean): { grads: Float32Array[]; grown: number } => {
      setOffloadActivations(true);
      const { model, input, target } = resnetTrainer(20, 8);
      model.training();
      model.zeroGradParameters();
      const crit = nn.CrossEntropyCriterion().float();
      const out = model.forward(input) as Tensor;
      crit.forward(out, target);
      const g = crit.backward(out, target) as Tensor;
      const before = tf.memory().numBytes;
      let grown = 0;
      if (separate) {
        model.updateGradInput(input, g);
        grown = tf.memory().numBytes - before;
        model.accGradParameters(input, g, 1);
      } else {
        model.backward(input, g);
      }
      grown = Math.max(grown, tf.memory().numBytes - before);
      const grads = model.parameters()![1].map((t) => Float32Array.from(t.contiguous().storage().data() as Float32Array));
      return { grads, grown };
    };
    const together = run(false);
    const separate = run(true);
    expect(separate.grads.length).toBe(together.grads.length);
    for (let i = 0; i < together.grads.length; i++) expect(countDiffering(separate.grads[i]!, together.grads[i]!)).toBe(0);
    // what stays on the device is the gradInputs (kept: no release outside backward), not the
    // ~26 MB of activations uploaded again on the way back
    expect(separate.grown).toBeLessThan(together.grown + 2e6);
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

  it('by default parks on wasm only, and only beyond 75 % of its 4 GiB heap', async () => {
    setOffloadActivations('auto');
    expect(offloadActivationsEnabled()).toBe(true);
    expect(offloadDescription()).toBe(`beyond ${((AUTO_HEAP_SHARE * 4294901760) / 2 ** 30).toFixed(1)} GiB of the device`);
    // a network far below the budget parks nothing
    const before = offloadCounts.moved;
    trainSmallResnet(2, 20);
    expect(offloadCounts.moved).toBe(before);
    await tf.setBackend('cpu');
    try {
      expect(offloadActivationsEnabled()).toBe(false);
      expect(offloadDescription()).toBe('off');
    } finally {
      await tf.setBackend('wasm');
    }
    setOffloadActivations(true);
    expect(offloadDescription()).toBe('every activation');
    setOffloadActivations(false);
    expect(offloadActivationsEnabled()).toBe(false);
  });
});
