// The Lua door: `require 'mpelu.export'` in a Torch script run by `mpelu run` exports the
// model it builds or loads (ONNX, safetensors) and imports weights back.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import type { Module } from '../src/nn/index.js';
import { decodeSafetensors, namedTensors } from '../src/export/index.js';
import { decodeModel } from '../src/export/onnx_graph.js';
import { mpeluRun } from './helpers/mpelu_run.js';

const RESNET20 = new URL('../fixtures/torch7/resnet/depth20/model_1.t7', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'mpelu-export-lua-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("require 'mpelu.export'", () => {
  it('exports ONNX and safetensors from Lua and imports the weights into another model', async () => {
    const script = join(tmp, 'export.lua');
    writeFileSync(script, `
require 'nn'
local export = require 'mpelu.export'
local model = torch.load(arg[1])
print(export.onnx(model, arg[2] .. '/m.onnx', {inputShape = {3, 32, 32}, foldBn = true, source = 'model_1.t7'}) > 0)
print(export.safetensors(model, arg[2] .. '/m.safetensors', {names = 'torch'}) > 0)
local init = torch.load(arg[3])
print(export.importWeights(init, arg[2] .. '/m.safetensors'))
torch.save(arg[2] .. '/back.t7', init)
local ok, err = pcall(export.onnx, nn.Sequential():add(nn.Tanh and nn.Tanh() or nn.Identity()), arg[2] .. '/x.onnx', {inputShape = {3}, names = 'nope'})
print(ok, err)
`);
    const init = RESNET20.replace('model_1.t7', 'model_init.t7');
    const r = await mpeluRun([script, RESNET20, tmp, init]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.toString().split('\n').map((l) => l.replace(/\t$/, '')); // th's print ends a line with a tab
    expect(lines.slice(0, 2)).toEqual(['true', 'true']);
    const want = namedTensors(t7.load(RESNET20) as Module);
    expect(lines[2]).toBe(String(want.length));
    expect(lines[3]).toMatch(/^false\t.*names should be 'torch' or 'pytorch', got nope/);
    const meta = Object.fromEntries(decodeModel(readFileSync(join(tmp, 'm.onnx'))).metadataProps.map((p) => [p.key, p.value]));
    expect([meta.source, meta.fold_bn]).toEqual(['model_1.t7', 'true']);
    expect(decodeSafetensors(readFileSync(join(tmp, 'm.safetensors')), 'm').tensors.size).toBe(want.length);
    const back = namedTensors(t7.load(join(tmp, 'back.t7')) as Module);
    expect(back.map((t) => t.tensor.values())).toEqual(want.map((t) => t.tensor.values()));
  });
});
