// Releasing consumed gradInputs (src/nn/release.ts, opt-in): the same training, bit for bit,
// with far less tfjs memory alive after a backward; the model's own gradInput is kept.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackendInfo } from '../src/backend/index.js';
import { setReleaseGradInputs } from '../src/nn/release.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';
import type { Storage } from '../src/torch/storage.js';
import { countDiffering, trainBuiltModel, trainSmallResnet } from './helpers/resnet_steps.js';
import { createResNet } from '../src/models/resnet.js';
import { createPreResNet } from '../src/models/preresnet.js';

beforeAll(async () => {
  await initBackendInfo('wasm');
});
afterEach(() => setReleaseGradInputs(false));

/** Elements the model's modules hold in gradInput tensors (each storage counted once). */
function gradInputElements(model: Module): number {
  const storages = new Set<Storage>();
  for (const m of model.listModules()) if (m.gradInput instanceof Tensor && m.gradInput.hasStorage()) storages.add(m.gradInput.storage());
  return [...storages].reduce((n, s) => n + s.size(), 0);
}

/** 3 steps of the ResNet-11 at batch 4; the gradInput elements held after each step. */
function run(release: boolean): { result: ReturnType<typeof trainSmallResnet>; held: number[] } {
  setReleaseGradInputs(release);
  const held: number[] = [];
  const result = trainSmallResnet(3, 11, (_, model) => held.push(gradInputElements(model)));
  return { result, held };
}

describe('releasing consumed gradInputs', () => {
  it('trains the same, bit for bit, keeping far less alive after each step', () => {
    const kept = run(false);
    const released = run(true);
    expect(released.result.losses).toEqual(kept.result.losses);
    expect(countDiffering(released.result.params, kept.result.params)).toBe(0);
    // every inner gradInput (about as large as the activations) is gone
    // of every module's gradInput nothing stays (the model's own would: its stem conv
    // computes none, gradInput = nil); kept, they hold more than the input batch 40 times over
    for (let s = 0; s < 3; s++) {
      expect(released.held[s]).toBe(0);
      expect(kept.held[s]!).toBeGreaterThan(40 * 4 * 3 * 32 * 32);
    }
  });

  it("keeps the model's gradInput and empties the inner ones", () => {
    setReleaseGradInputs(true);
    const conv = nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1);
    const mid = nn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1);
    const model = nn.Sequential().add(conv).add(nn.MPELU(0.25, 1, 4)).add(mid).float();
    const x = Tensor.create('Float', [2, 3, 5, 5]).normal(0, 1);
    const y = model.forward(x) as Tensor;
    const g = Tensor.create('Float', y.size()).normal(0, 1);
    const gi = model.backward(x, g) as Tensor;
    expect(gi.size()).toEqual([2, 3, 5, 5]);
    const viaKept = (() => {
      setReleaseGradInputs(false);
      return (model.backward(x, g) as Tensor).values();
    })();
    expect(Array.from(gi.values())).toEqual(Array.from(viaKept));
    setReleaseGradInputs(true);
    model.backward(x, g);
    expect((model.get(3) as { gradInput: Tensor }).gradInput.nElement()).toBe(0);
    expect((model.get(2) as { gradInput: Tensor }).gradInput.nElement()).toBe(0);
    expect(g.nElement()).toBe(2 * 4 * 5 * 5);
  });

  it("trains fb.resnet.torch's ResNet and pre-activation ResNet the same (in-place ReLUs share their gradients' storage)", () => {
    // an in-place ReLU's gradInput views the storage of its gradOutput: when the release empties
    // one of them the other is left viewing an empty storage, which the next step writes anew
    const run = (release: boolean, build: () => Module) => {
      setReleaseGradInputs(release);
      return trainBuiltModel(build, 4);
    };
    for (const build of [() => createResNet({ depth: 8, shortcutType: 'A' }), () => createPreResNet({ depth: 8, shortcutType: 'C' })]) {
      const kept = run(false, build);
      const released = run(true, build);
      expect(released.losses).toEqual(kept.losses);
      expect(countDiffering(released.params, kept.params)).toBe(0);
    }
  });
});
