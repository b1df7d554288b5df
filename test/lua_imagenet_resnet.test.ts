// fb.resnet.torch-style ImageNet ResNets built from a Lua model file
// (test/lua/models/imagenet_resnet.lua, written for these tests): depth 18 post- and
// pre-activation have the parameter counts fb.resnet.torch's own models/resnet.lua and
// preresnet.lua give under `mpelu run` (11,689,512 and 11,687,720; run locally, not
// committed) and take a forward pass to 1000 scores.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';

const dir = fileURLToPath(new URL('./lua/', import.meta.url));

describe('ImageNet ResNets from a Lua model file in fb.resnet.torch style', () => {
  for (const [preact, count] of [[false, 11689512], [true, 11687720]] as const) {
    it(`depth 18${preact ? ', pre-activation' : ''}: ${count} parameters, 1000 scores`, async () => {
      const r = await mpeluRun(['-e', `
        require 'nn'; require 'cudnn'
        torch.setdefaulttensortype('torch.FloatTensor')
        local m = require('models/imagenet_resnet')({depth = 18, preact = ${preact}})
        print(m:getParameters():nElement(), #m.modules, torch.type(m:get(4)))
        m:evaluate()
        print(m:forward(torch.FloatTensor(1, 3, 224, 224):normal()):size(2))
      `], dir);
      expect(r.stderr).toBe('');
      expect(r.stdout.toString()).toBe(`${count}\t${preact ? 17 : 15}\tnn.SpatialMaxPooling\t\n1000\t\n`);
    }, 60_000);
  }
});
