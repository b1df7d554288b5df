// fb.resnet.torch's CIFAR ResNet built from a Lua model file in its style
// (test/lua/models/cifar_resnet_model.lua, own code) under `mpelu run`, after
// torch.manualSeed as main.lua seeds, against `mpelu train`'s built-in model
// (src/models/resnet.ts) after the same seed: the same parameters bit for bit, the same
// module classes and the same print, for shortcut types A, B and C on CIFAR-10 and -100.
// (Checked locally also against fb.resnet.torch's own models/resnet.lua, which the project
// never commits.)

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mpeluRun } from './helpers/mpelu_run.js';
import * as t7 from '../src/t7/index.js';
import { manualSeed } from '../src/torch/random.js';
import { createResNet } from '../src/models/resnet.js';
import type { Tensor } from '../src/torch/tensor.js';

const models = fileURLToPath(new URL('./lua/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mpelu-cifar-resnet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a fb.resnet.torch-style CIFAR ResNet model file under mpelu run', () => {
  it('gives the built-in resnet after the same seed: weights bit for bit, classes, print (A, B, C; CIFAR-10, -100)', async () => {
    const script = `
      package.path = '${models}?.lua;' .. package.path
      torch.setdefaulttensortype('torch.FloatTensor')
      local createModel = require 'models/cifar_resnet_model'
      for _, sc in ipairs{'A', 'B', 'C'} do
        for _, ds in ipairs{'cifar10', 'cifar100'} do
          torch.manualSeed(5)
          local model = createModel({depth = 20, shortcutType = sc, dataset = ds, tensorType = 'torch.CudaTensor'})
          local classes = {}
          for _, m in ipairs(model:listModules()) do classes[#classes + 1] = torch.typename(m) end
          torch.save('${tmp}/' .. sc .. '_' .. ds .. '.t7', {params = model:getParameters(), classes = table.concat(classes, ','), printed = tostring(model)})
        end
      end`;
    const r = await mpeluRun(['-e', script]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const shortcutType of ['A', 'B', 'C'] as const) {
      for (const dataset of ['cifar10', 'cifar100'] as const) {
        const lua = t7.load(join(tmp, `${shortcutType}_${dataset}.t7`)) as { get(k: string): unknown };
        manualSeed(5);
        const model = createResNet({ depth: 20, shortcutType, dataset });
        const [params] = model.getParameters();
        const luaParams = (lua.get('params') as Tensor).values();
        const tsParams = params.values();
        expect(tsParams.length).toBe(luaParams.length);
        if (shortcutType === 'B' && dataset === 'cifar10') expect(tsParams.length).toBe(272474);
        let differing = 0;
        for (let i = 0; i < tsParams.length; i++) if (!Object.is(tsParams[i], luaParams[i])) differing++;
        expect(differing).toBe(0);
        expect(model.listModules().map((m) => m.className).join(',')).toBe(lua.get('classes'));
        expect(model.toString()).toBe(lua.get('printed'));
      }
    }
  });
});
