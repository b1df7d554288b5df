// `mpelu train` against a real fb.resnet.torch run (fixtures/torch7/fbresnet: main.lua with the
// MPELU paper's train.lua and model file, MPELU nopre ResNet-11 on a tiny CIFAR-10, 2 epochs).
// The same options reproduce: the initial weights exactly, every printed loss/top-1/top-5,
// and the checkpoints within float32 tolerance; read from the binary layout instead of the gen
// cache, and stopped after epoch 1 then resumed, the run is the same bit for bit.

import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import * as t7 from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { Module } from '../src/nn/index.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { parseTrainOptions } from '../src/train/options.js';
import { runTraining } from '../src/train/run.js';
import { LinesReporter } from '../src/train/reporter.js';

const FIX = new URL('../fixtures/torch7/fbresnet/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'mpelu-fbresnet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

// run_a/command.txt's options
const COMMAND = '-dataset cifar10 -netType mpelu-preactivation-nopre -depth 11 -batchSize 16 -nEpochs 2 -manualSeed 3 -shortcutType B -nGPU 1 -nThreads 1 -optnet false -shareGradInput false'.split(' ');

async function train(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const reporter = new LinesReporter((s) => lines.push(...s.replace(/\n$/, '').split('\n')));
  await runTraining(parseTrainOptions(args), reporter);
  return lines;
}

const withoutTimes = (line: string) => line.replace(/Time \d+\.\d{3} {2}Data \d+\.\d{3}/, 'Time T  Data D');
const params = (file: string) => (t7.load(file) as Module).getParameters();
const load = (file: string) => t7.load(file);

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.values();
  const y = b.values();
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

function identical(a: Tensor, b: Tensor): boolean {
  const x = a.values();
  const y = b.values();
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

function classCensus(m: Module): Record<string, number> {
  const c: Record<string, number> = {};
  for (const x of m.listModules()) c[x.className] = (c[x.className] ?? 0) + 1;
  return c;
}

describe('mpelu train reproduces fb.resnet.torch (MPELU nopre ResNet-11, tiny CIFAR-10)', () => {
  const runA = join(tmp, 'a');

  it('torch.manualSeed(3) and the paper model file give model_init.t7 exactly', () => {
    manualSeed(3);
    const model = createMpeluNopreResNet({ depth: 11, classes: 'cudnn' });
    const ref = load(join(FIX, 'run_a/model_init.t7')) as Module;
    expect(identical(model.getParameters()[0], ref.getParameters()[0])).toBe(true);
    expect(classCensus(model)).toEqual(classCensus(ref));
    expect(model.__tostring__()).toBe(ref.__tostring__());
  });

  it('from gen/cifar10.t7: the printed lines, model_1/model_2/optimState_2', async () => {
    cpSync(join(FIX, 'data/gen'), join(runA, 'gen'), { recursive: true });
    const lines = await train([...COMMAND, '-gen', join(runA, 'gen'), '-save', join(runA, 'checkpoints')]);
    const expected = readFileSync(join(FIX, 'run_a/stdout.txt'), 'utf8').replace(/\n$/, '').split('\n');
    // every line as Torch printed it (losses to 4 decimals, top-1/top-5, best-model lines), timings aside
    expect(lines.map(withoutTimes)).toEqual(expected.map(withoutTimes));

    const ck = join(runA, 'checkpoints');
    // float32 arithmetic in another order (XNNPACK/SIMD vs OpenBLAS/THNN): after 6 steps the
    // weights agree to 3e-7 absolute, after 12 to 1e-4 (they are of order 0.1-1); gradients
    // (one batch's, so differences are not averaged out) to 1e-3
    const [w1, g1] = params(join(ck, 'model_1.t7'));
    const [r1, s1] = params(join(FIX, 'run_a/model_1.t7'));
    expect(maxAbsDiff(w1, r1)).toBeLessThan(1e-6);
    expect(maxAbsDiff(g1, s1)).toBeLessThan(1e-5);
    const [w2, g2] = params(join(ck, 'model_2.t7'));
    const [r2, s2] = params(join(FIX, 'run_a/model_2.t7'));
    expect(maxAbsDiff(w2, r2)).toBeLessThan(1e-4);
    expect(maxAbsDiff(g2, s2)).toBeLessThan(1e-3);
    expect(classCensus(load(join(ck, 'model_2.t7')) as Module)).toEqual(classCensus(load(join(FIX, 'run_a/model_2.t7')) as Module));

    const ours = load(join(ck, 'optimState_2.t7')) as LuaTable;
    const ref = load(join(FIX, 'run_a/optimState_2.t7')) as LuaTable;
    expect([...ours.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const key of ['learningRate', 'learningRateDecay', 'momentum', 'dampening', 'nesterov', 'evalCounter']) expect(ours.get(key)).toBe(ref.get(key));
    // the nnlr vectors with the paper's alpha quirk (alpha 1, beta 5) are exact
    expect(identical(ours.get('learningRates') as Tensor, ref.get('learningRates') as Tensor)).toBe(true);
    expect(identical(ours.get('weightDecays') as Tensor, ref.get('weightDecays') as Tensor)).toBe(true);
    for (const key of ['dfdx', 'deltaParameters']) expect(maxAbsDiff(ours.get(key) as Tensor, ref.get(key) as Tensor)).toBeLessThan(1e-3);
    expect(maxAbsDiff(ours.get('decayParameters') as Tensor, ref.get('decayParameters') as Tensor)).toBeLessThan(1e-8);

    const latest = load(join(ck, 'latest.t7')) as LuaTable;
    expect([latest.get('epoch'), latest.get('modelFile'), latest.get('optimFile')]).toEqual([2, 'model_2.t7', 'optimState_2.t7']);
    expect(identical(params(join(ck, 'model_best.t7'))[0], w2)).toBe(true);
  });

  it('from the binary layout, stopped after epoch 1 and resumed: the same run bit for bit', async () => {
    const dir = join(tmp, 'b');
    const common = ['-data', join(FIX, 'data'), '-gen', join(dir, 'gen'), '-save', join(dir, 'checkpoints'), '-nThreads', '0'];
    const first = await train([...COMMAND, ...common, '-nEpochs', '1']);
    expect(first).toContain(' | saving CIFAR-10 dataset to ' + join(dir, 'gen/cifar10.t7'));
    const second = await train([...COMMAND, ...common, '-resume', join(dir, 'checkpoints')]);
    expect(second[0]).toBe(`=> Loading checkpoint ${join(dir, 'checkpoints/latest.t7')}`);
    const printed = (ls: string[]) => ls.filter((l) => l.startsWith(' | Epoch') || l.startsWith(' | Test')).map(withoutTimes);
    const all = readFileSync(join(FIX, 'run_a/stdout.txt'), 'utf8').split('\n').filter((l) => l.startsWith(' | Epoch') || l.startsWith(' | Test'));
    expect([...printed(first), ...printed(second)]).toEqual(all.map(withoutTimes));
    for (const file of ['model_1.t7', 'model_2.t7']) {
      const [w, g] = params(join(dir, 'checkpoints', file));
      const [v, h] = params(join(runA, 'checkpoints', file));
      expect(identical(w, v)).toBe(true);
      expect(identical(g, h)).toBe(true);
    }
    const a = load(join(dir, 'checkpoints/optimState_2.t7')) as LuaTable;
    const b = load(join(runA, 'checkpoints/optimState_2.t7')) as LuaTable;
    for (const key of ['dfdx', 'deltaParameters', 'decayParameters']) expect(identical(a.get(key) as Tensor, b.get(key) as Tensor)).toBe(true);
  });
});
