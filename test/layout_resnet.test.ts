// The MPELU nopre ResNet-20 after three SGD steps, saved without clearState() (as a
// checkpoint taken mid-training is), is what Torch7 would hold: every tensor it reaches has
// Torch's row-major strides (channels-last stays the device's private business), the first
// convolution computed no input gradient (gradInput = nil, as in the paper's model), and the
// file loaded back computes what the original computes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import * as t7 from '../src/t7/index.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { getOptimConfig } from '../src/optim/nnlr.js';
import { sgd } from '../src/optim/sgd.js';
import { expectTorchStrides, reachableTensors } from './helpers/torch_layout.js';

const dir = mkdtempSync(join(tmpdir(), 'mpelu-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await initBackend('wasm');
});

function train(model: Module, input: Tensor, target: Tensor, steps: number): void {
  const criterion = nn.CrossEntropyCriterion().float();
  const [params, gradParams] = model.getParameters();
  const [learningRates, weightDecays] = getOptimConfig(model, 0.1, 1e-4);
  const state: Record<string, unknown> = { learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, learningRates, weightDecays };
  model.training();
  for (let s = 0; s < steps; s++) {
    sgd(() => {
      const out = model.forward(input) as Tensor;
      const loss = criterion.forward(out, target);
      model.zeroGradParameters();
      model.backward(input, criterion.backward(out, target) as Tensor);
      return [loss, gradParams];
    }, params, state);
  }
}

describe('MPELU nopre ResNet-20 saved after 3 SGD steps without clearState()', () => {
  manualSeed(7);
  const input = Tensor.create('Float', [4, 3, 32, 32]).normal(0, 1);
  const target = Tensor.create('Long', [4]);
  [3, 1, 10, 5].forEach((c, i) => target.put(i + 1, c));

  it('every tensor has Torch\'s strides; the stem computed no input gradient; the loaded model computes the same', () => {
    manualSeed(1);
    const model = createMpeluNopreResNet({ depth: 20 });
    train(model, input, target, 3);
    const first = model.get(1);
    expect(first.fields.has('gradInput')).toBe(false);
    expect(model.fields.has('gradInput')).toBe(false);

    const before = reachableTensors(model);
    expect(before.length).toBeGreaterThan(200);
    for (const { path, tensor } of before) expectTorchStrides(tensor, path);

    const file = join(dir, 'resnet20_step3.t7');
    t7.save(file, model);
    const loaded = t7.load(file) as Module;
    const after = reachableTensors(loaded);
    expect(after.map((r) => r.path)).toEqual(before.map((r) => r.path));
    after.forEach(({ path, tensor }, i) => {
      const original = before[i]!.tensor;
      expect(tensor.size(), path).toEqual(original.size());
      expectTorchStrides(tensor, path);
      expect(tensor.values(), path).toEqual(original.values());
    });

    // One more training-mode forward and backward on both: the same numbers.
    const criterion = nn.CrossEntropyCriterion().float();
    const run = (m: Module): [number[], number[]] => {
      const out = m.forward(input) as Tensor;
      criterion.forward(out, target);
      m.zeroGradParameters();
      m.backward(input, criterion.backward(out, target) as Tensor);
      return [out.values(), m.getParameters()[1].values()];
    };
    const [outA, gradA] = run(model);
    const [outB, gradB] = run(loaded);
    expect(outB).toEqual(outA);
    expect(gradB).toEqual(gradA);
    loaded.evaluate();
    model.evaluate();
    expect((loaded.forward(input) as Tensor).values()).toEqual((model.forward(input) as Tensor).values());
    // The loaded model's buffers are Torch's too after it ran.
    for (const { path, tensor } of reachableTensors(loaded)) expectTorchStrides(tensor, path);
  });
});
