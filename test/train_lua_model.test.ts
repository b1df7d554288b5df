// -netType FILE.lua: a Torch model file run on mpelu's Lua runtime gives the model the same
// network built in TypeScript gives (same seed, same draws), and `mpelu train` trains it.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { cudnn, nn, Module, Sequential } from '../src/nn/index.js';
import { manualSeed } from '../src/torch/random.js';
import { setDefaultTensorType, type Tensor } from '../src/torch/tensor.js';
import { parseTrainOptions } from '../src/train/options.js';
import { createLuaModel } from '../src/train/lua_model.js';
import { runTraining } from '../src/train/run.js';
import { LinesReporter } from '../src/train/reporter.js';
import { tinyCifar, writeGenLayout } from './helpers/tiny_cifar.js';
import { setOffloadActivations } from '../src/nn/offload.js';
import { parkedArrayCounts, pooledParkedBytes } from '../src/torch/parked_arrays.js';

const FILE = new URL('./lua_models/tiny_cifar_net.lua', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'mpelu-lua-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

/** `mpelu train` arguments for one epoch of the model file at width `depth`, batch 8. */
function trainArgs(depth: number, gen: string, save: string): string[] {
  return ['-dataset', 'cifar10', '-netType', FILE, '-depth', String(depth), '-batchSize', '8', '-nEpochs', '1', '-manualSeed', '2', '-nThreads', '0', '-gen', gen, '-save', save];
}

function tinyNetInTypeScript(width: number): Sequential {
  setDefaultTensorType('torch.FloatTensor');
  const model = nn.Sequential()
    .add(cudnn.SpatialConvolution(3, width, 3, 3, 1, 1, 1, 1))
    .add(nn.SpatialBatchNormalization(width))
    .add(cudnn.ReLU(true))
    .add(cudnn.SpatialConvolution(width, width, 3, 3, 2, 2, 1, 1))
    .add(nn.SpatialBatchNormalization(width))
    .add(cudnn.ReLU(true))
    .add(cudnn.SpatialAveragePooling(16, 16, 1, 1))
    .add(nn.View(width).setNumInputDims(3))
    .add(nn.Linear(width, 10));
  for (const v of model.findModules('cudnn.SpatialConvolution')[0]) {
    const n = (v.fields.get('kW') as number) * (v.fields.get('kH') as number) * (v.fields.get('nOutputPlane') as number);
    (v.fields.get('weight') as Tensor).normal(0, Math.sqrt(2 / n));
    v.fields.delete('bias');
    v.fields.delete('gradBias');
  }
  for (const v of model.findModules('nn.SpatialBatchNormalization')[0]) {
    (v.fields.get('weight') as Tensor).fill(1);
    (v.fields.get('bias') as Tensor).zero();
  }
  (model.get(9).fields.get('bias') as Tensor).zero();
  return model;
}

describe('-netType FILE.lua', () => {
  it('runs the file on the Lua runtime: the same weights and structure as the network built in TypeScript', async () => {
    const printed: string[] = [];
    const opt = parseTrainOptions(['-dataset', 'cifar10', '-netType', FILE, '-depth', '6']);
    manualSeed(7);
    const fromLua = await createLuaModel(FILE, opt, (s) => printed.push(s));
    manualSeed(7);
    const fromTs = tinyNetInTypeScript(6);
    expect(fromLua).toBeInstanceOf(Module);
    expect(fromLua.__tostring__()).toBe(fromTs.__tostring__());
    expect(fromLua.getParameters()[0].values()).toEqual(fromTs.getParameters()[0].values());
    expect(fromLua.get(1).fields.has('gradInput')).toBe(false);
    expect(printed).toEqual([`=> Creating model from file: ${FILE}`]);
  });

  it('trains it with mpelu train, and a Lua error names the file and line', async () => {
    const gen = join(tmp, 'gen');
    writeGenLayout(gen, tinyCifar(16, 8));
    const lines: string[] = [];
    const args = trainArgs(4, gen, join(tmp, 'ck'));
    await runTraining(parseTrainOptions(args), new LinesReporter((s) => lines.push(s)));
    expect(lines.join('')).toContain(' | Epoch: [1][2/2]');
    expect(readFileSync(join(tmp, 'ck', 'log.jsonl'), 'utf8')).toContain('"epoch":1');

    const broken = join(tmp, 'broken.lua');
    (await import('node:fs')).writeFileSync(broken, 'return function(opt)\n  return nn.NoSuchModule(3)\nend\n');
    await expect(createLuaModel(broken, parseTrainOptions(['-dataset', 'cifar10', '-netType', broken]), () => {})).rejects.toThrow(/broken\.lua:2: .*NoSuchModule/);
  });

  it('gives back the arrays parked activations were reused in when the run ends', async () => {
    // 12 test images at batch 8: the last batch's parks cannot take the 8-image arrays the
    // first one's freed, which wait in the pool
    const gen = join(tmp, 'gen-parked');
    writeGenLayout(gen, tinyCifar(16, 12));
    // width 16 at batch 8: activations of 512 KB, large enough to park
    const args = trainArgs(16, gen, join(tmp, 'ck-parked'));
    const reused = parkedArrayCounts.reused;
    setOffloadActivations(true);
    try {
      await runTraining(parseTrainOptions(args), new LinesReporter(() => {}));
    } finally {
      setOffloadActivations('auto');
    }
    // the second batch's parks reused the arrays the first one's freed (on wasm, which reads its heap)
    if (tf.getBackend() === 'wasm') expect(parkedArrayCounts.reused).toBeGreaterThan(reused);
    expect(pooledParkedBytes()).toBe(0);
  });
});
