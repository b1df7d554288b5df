// The MPELU nopre ResNet built from a Lua model file (test/lua/models, written the way
// fb.resnet.torch model files and the paper's file are) under `mpelu run`: Torch7's
// parameter counts, its seeded weights (model_init.t7) bit for bit, Torch7's print of
// the checkpoint, nnlr vectors aligned with getParameters, and the same forward/backward
// as the model built in TypeScript.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';
import * as t7 from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { Tensor } from '../src/torch/tensor.js';
import { manualSeed } from '../src/torch/random.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { torch } from '../src/torch/index.js';

const LUA = new URL('./lua/', import.meta.url).pathname;
const FIX = new URL('../fixtures/torch7', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lua-resnet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the MPELU nopre ResNet from a Lua model file', () => {
  it('depth 20: model_init.t7 weights after manualSeed(1), Torch7 print, nnlr, forward/backward = TypeScript', async () => {
    const saved = join(tmp, 'fb.t7');
    const r = await mpeluRun(['resnet_from_lua.lua', '20', FIX, saved], LUA);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      ' | ResNet-20 CIFAR-10\t',
      'parameters\t219642\ttorch.FloatTensor\t',
      'gradInput of the stem\tnil\t',
      'nnlr aligned\ttrue\ttrue\t5\t0.0010000000474975\t',
      'saved\t',
      'weights equal model_init.t7\ttrue\t',
    ]);
    const printed = lines.slice(6, -1).join('\n');
    expect(printed + '\n').toBe(readFileSync(join(FIX, 'print/depth20.txt'), 'latin1'));

    // the same model, input and gradOutput in TypeScript
    manualSeed(1);
    const model = createMpeluNopreResNet({ depth: 20 });
    const [, gradParams] = model.getParameters();
    manualSeed(7);
    const input = torch.FloatTensor(2, 3, 32, 32).normal(0, 1);
    const gradOutput = torch.FloatTensor(2, 10).normal(0, 1);
    model.training();
    const output = model.forward(input) as Tensor;
    model.zeroGradParameters();
    model.backward(input, gradOutput);
    const fromLua = t7.load(saved) as LuaTable;
    expect((fromLua.get('output') as Tensor).values()).toEqual(output.values());
    expect((fromLua.get('gradParams') as Tensor).values()).toEqual(gradParams.values());
  });

  it('depth 164 has the paper\'s 1,696,250 parameters', async () => {
    const r = await mpeluRun(['resnet_from_lua.lua', '164'], LUA);
    expect(r.code).toBe(0);
    expect(r.stdout.toString().split('\n')[1]).toBe('parameters\t1696250\ttorch.FloatTensor\t');
  });

  // The paper's deepest model: 2.1 s to build from Lua on an idle machine (bench/lua), longer under load.
  it('depth 1001 has the paper\'s 10,279,034 parameters, nnlr vectors aligned', async () => {
    const r = await mpeluRun(['resnet_from_lua.lua', '1001'], LUA);
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines[1]).toBe('parameters\t10279034\ttorch.FloatTensor\t');
    expect(lines[3]).toMatch(/^nnlr aligned\ttrue\ttrue\t/);
  }, 120_000);
});
