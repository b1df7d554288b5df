// THNN for Lua-defined layers: Lua classes written in the MPELU paper's style
// (test/lua/thnn/layers: nn.PReLU, nn.SPELU, nn.MPELU, nn.ELU on input.THNN.*, and
// nn.SpatialConvolutionMM / nn.BatchNormalization / nn.SpatialBatchNormalization), loaded
// with dofile over the built-in classes under `mpelu run`. The Lua scripts check the
// numbers (exactly the built-ins', Torch7's fixtures, finite differences) and the errors;
// this file runs them through the real CLI and checks what TypeScript sees afterwards.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';
import * as t7 from '../src/t7/index.js';
import { PReLU } from '../src/nn/PReLU.js';
import { MPELU } from '../src/nn/MPELU.js';
import { moduleClass } from '../src/nn/registry.js';

const DIR = new URL('./lua/thnn/', import.meta.url).pathname;
const MODELS = new URL('./lua/models', import.meta.url).pathname;
const FIX = new URL('../fixtures/torch7', import.meta.url).pathname;

describe('input.THNN.* for Lua layer classes', () => {
  it('the Lua classes give the built-ins\' numbers, Torch7\'s fixtures and finite-difference gradients; load, clone and the ResNet-20 keep them', async () => {
    const r = await mpeluRun([join(DIR, 'thnn_layers.lua'), FIX, MODELS], DIR);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = r.stdout.toString().trim().split('\n').pop();
    expect(summary).toMatch(/^thnn_layers: \d+ checks passed/);
    expect(Number(summary!.match(/(\d+) checks/)![1])).toBeGreaterThan(400);
  }, 120_000);

  it('wrong arguments are Lua errors naming the file:line, the function, the argument and what was expected', async () => {
    const r = await mpeluRun([join(DIR, 'thnn_errors.lua')], DIR);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain("thnn_errors.lua:30: bad argument #1 to 'PReLU_updateOutput' (input: cdata<struct THFloatTensor *> expected, got a torch.FloatTensor: pass input:cdata())");
    expect(out).toContain('thnn_errors: 13 checks passed');
  }, 60_000);

  it('an uncaught one ends the run with exit code 1, the message at the Lua line and a traceback', async () => {
    const r = await mpeluRun(['-e', 'local x = torch.FloatTensor(2)\nx.THNN.MPELU_updateOutput(x:cdata(), x:cdata(), x:double():cdata(), x:cdata(), 2)']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("(command line):2: bad argument #3 to 'MPELU_updateOutput' (weight: cdata<struct THFloatTensor *> expected, got cdata<struct THDoubleTensor *>)");
    expect(r.stderr).toContain('stack traceback');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 60_000);

  it('replacing a built-in class stays inside that Lua run: TypeScript still loads nn.PReLU and nn.MPELU as its own classes', () => {
    expect(moduleClass('nn.PReLU')).toBe(PReLU);
    expect(moduleClass('nn.MPELU')).toBe(MPELU);
    const m = t7.load(join(FIX, 'nn', 'module_PReLU_channel.t7'));
    expect(Object.getPrototypeOf(m)).toBe(PReLU.prototype);
  });
});
