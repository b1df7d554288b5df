// One object model: a layer written in Lua (torch.class deriving nn.Module) trains inside
// nn.Sequential, passes a finite-difference check, clones, converts and survives
// torch.save/torch.load in Lua and t7.load in TypeScript; fields set from Lua are what the
// .t7 writer sees; a method added from Lua to nn.Module reaches every class.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';
import * as t7 from '../src/t7/index.js';
import { Module } from '../src/nn/module.js';
import { Tensor } from '../src/torch/tensor.js';

const LUA = new URL('./lua/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lua-module-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Lua classes deriving the TypeScript nn classes', () => {
  it('a Lua layer trains in a Sequential, clones, converts, saves and loads', async () => {
    const file = join(tmp, 'diag.t7');
    const r = await mpeluRun(['lua_module_train.lua', file], LUA);
    expect(r.stderr).toBe('');
    const lines = r.stdout.toString().split('\n');
    expect(lines.slice(2, 4)).toEqual(['  (1): nn.Linear(3 -> 4)', '  (2): nn.LuaDiag(4)']);
    expect(lines.slice(7)).toEqual([
      'parameters\t29\t',
      'weight is a view of params\ttrue\t',
      'loss decreased\ttrue\t',
      'finite differences agree\ttrue\t',
      'clone is a LuaDiag\tnn.LuaDiag\ttrue\ttrue\t',
      'float copy\ttorch.FloatTensor\ttorch.FloatTensor\t',
      'float forward\t16\t',
      'reloaded\tnn.LuaDiag\ttrue\t',
      '',
    ]);
    // TypeScript reads the same file: the Lua layer's class name and its fields
    const net = t7.load(file) as Module;
    const diag = net.children()[1]!;
    expect(diag.className).toBe('nn.LuaDiag');
    expect((diag.fields.get('weight') as Tensor).size()).toEqual([4]);
  });

  it('fields set from Lua are the TS object\'s fields; Lua methods on nn.Module reach every class', async () => {
    const file = join(tmp, 'fields.t7');
    const code = [
      "require 'nn'",
      'local lin = nn.Linear(2, 3)',
      'lin.__weightLearningRate = 5',
      'lin.bias = nil',
      "function nn.Module:describe() return 'I am ' .. torch.type(self) end",
      "local Sub = torch.class('nn.SubLinear', 'nn.Linear')",
      'print(lin:describe(), nn.SubLinear(2, 2):describe(), nn.Sequential():describe())',
      'print(lin.weight:size(1), lin.kW, #nn.Sequential():add(lin).modules)',
      `torch.save('${file}', lin)`,
    ].join('\n');
    const r = await mpeluRun(['-e', code]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('I am nn.Linear\tI am nn.SubLinear\tI am nn.Sequential\t\n3\tnil\t1\t\n');
    const lin = t7.load(file) as Module;
    expect(lin.fields.get('__weightLearningRate')).toBe(5);
    expect(lin.fields.has('bias')).toBe(false);
  });
});
