// The MPELU nopre ResNet-20 against real Torch7 (fixtures/torch7/resnet/depth20): the
// seeded build gives Torch's exact weights; the checkpoint prints as Torch prints it; and
// the paper's two training steps, replayed from model_init.t7, give model_1.t7 and
// optimState_1.t7.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import * as t7 from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { getOptimConfig } from '../src/optim/nnlr.js';
import { sgd } from '../src/optim/sgd.js';
import { expectClose } from './helpers/close.js';

const dir = new URL('../fixtures/torch7/resnet/depth20/', import.meta.url);
const fixture = (name: string) => new URL(name, dir).pathname;
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
  losses: number[];
  nParameters: number;
  moduleCensus: Record<string, number>;
};

function loadModule(name: string): Module {
  const m = t7.load(fixture(name));
  expect(m).toBeInstanceOf(nn.Sequential);
  return m as Module;
}

function field(table: unknown, key: string): unknown {
  return (table as LuaTable).get(key);
}

beforeAll(async () => {
  await initBackend();
});

describe('MPELU nopre ResNet-20 (CIFAR-10)', () => {
  it('torch.manualSeed(1) then building gives exactly the weights of model_init.t7', () => {
    manualSeed(1);
    const model = createMpeluNopreResNet({ depth: 20 });
    const [params] = model.getParameters();
    const [ref] = loadModule('model_init.t7').getParameters();
    expect(params.nElement()).toBe(expected.nParameters);
    expect(params.className()).toBe('torch.FloatTensor');
    const a = params.values();
    const b = ref.values();
    let differing = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
    expect(differing).toBe(0);

    const census: Record<string, number> = {};
    for (const m of model.listModules()) census[m.className] = (census[m.className] ?? 0) + 1;
    expect(census).toEqual(expected.moduleCensus);
  });

  it("prints model_1.t7 exactly as Torch7's print(model)", () => {
    const text = readFileSync(new URL('../fixtures/torch7/print/depth20.txt', import.meta.url), 'utf8');
    expect(loadModule('model_1.t7').__tostring__()).toBe(text.replace(/\n$/, ''));
  });

  it("replays the paper's two SGD steps from model_init.t7 to model_1.t7 and optimState_1.t7", () => {
    const io = t7.load(fixture('io.t7')) as LuaTable;
    const input = field(io, 'input') as Tensor;
    const target = field(io, 'target') as Tensor;
    const model = loadModule('model_init.t7');
    const criterion = nn.CrossEntropyCriterion().float();

    model.evaluate();
    const before = model.forward(input) as Tensor;
    expectClose(before.values(), (field(io, 'output_evaluate_before') as Tensor).values(), 1e-4, 'output_evaluate_before', 1e-3);

    const [params, gradParams] = model.getParameters();
    // train.lua's side effect: __weightLearningRate = lr_mult (an undefined global) on every nn.MPELU.
    for (const m of model.findModules('nn.MPELU')[0]) m.fields.delete('__weightLearningRate');
    const [learningRates, weightDecays] = getOptimConfig(model, 0.1, 1e-4);
    const optimState: Record<string, unknown> = {
      learningRate: 0.1,
      learningRateDecay: 0,
      momentum: 0.9,
      nesterov: true,
      dampening: 0,
      learningRates,
      weightDecays,
    };

    model.training();
    const losses: number[] = [];
    const liveTensors: number[] = [];
    for (let step = 1; step <= 2; step++) {
      const feval = (): [number, Tensor] => {
        const out = model.forward(input) as Tensor;
        const loss = criterion.forward(out, target);
        model.zeroGradParameters();
        const gradOut = criterion.backward(out, target) as Tensor;
        model.backward(input, gradOut);
        if (step === 1) {
          const ref = field(io, 'gradParams_step1') as Tensor;
          expectClose(gradParams.values(), ref.values(), 2e-3, 'gradParams_step1', 1e-2);
        }
        return [loss, gradParams];
      };
      const [, fx] = sgd(feval, params, optimState);
      losses.push(fx[0]!);
      liveTensors.push(tf.memory().numTensors);
    }
    expect(losses[0]).toBeCloseTo(expected.losses[0]!, 5);
    expect(losses[1]).toBeCloseTo(expected.losses[1]!, 4);
    // Nothing is left behind by a step: the second ends with as many tfjs tensors as the first.
    expect(liveTensors[1]).toBe(liveTensors[0]);
    const [after] = loadModule('model_1.t7').getParameters();
    expectClose(params.values(), after.values(), 1e-3, 'parameters after two steps', 1e-2);

    const savedState = t7.load(fixture('optimState_1.t7')) as LuaTable;
    expect(field(savedState, 'evalCounter')).toBe(optimState.evalCounter);
    const dfdx = optimState.dfdx as Tensor;
    expectClose(dfdx.values(), (field(savedState, 'dfdx') as Tensor).values(), 2e-3, 'dfdx', 1e-2);
    expect(learningRates.values()).toEqual((field(savedState, 'learningRates') as Tensor).values());
    expect(weightDecays.values()).toEqual((field(savedState, 'weightDecays') as Tensor).values());
  });
});
