// The Lua door's cost: building the MPELU nopre ResNet-1001 (10.28M parameters) from the
// Lua model file under mpelu's Lua runtime (target: under 3 s), and one training step of
// ResNet-164 (forward, CrossEntropyCriterion, backward, optim.sgd with nnlr vectors) driven
// from Lua against the same calls from TypeScript, on the same backend.
//
// Run: npm run bench -- lua   (MPELU_BENCH_BATCH=32 by default; MPELU_BENCH_STEPS=2)

import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/backend/index.js';
import { LuaRuntime } from '../src/lua/runtime.js';
import { setDefaultTensorType } from '../src/torch/tensor.js';
import { resnetTrainer } from './helpers/resnet_trainer.js';
import { loadavg } from 'node:os';

const BATCH = Number(process.env.MPELU_BENCH_BATCH ?? 32);
const STEPS = Number(process.env.MPELU_BENCH_STEPS ?? 2);
const modelDir = fileURLToPath(new URL('../test/lua/', import.meta.url));

const backend = await initBackend(process.env.MPELU_BENCH_BACKEND ?? 'wasm');
console.log(`backend ${String(backend)}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
setDefaultTensorType('torch.FloatTensor');

const rt = new LuaRuntime();
rt.addScriptDir(modelDir);
rt.runString(`require 'nn'; require 'cudnn'; createModel = require('models/mpelu_nopre_model'); print_ = print; print = function() end`);

// ---- build ResNet-1001 from Lua ----
{
  const t0 = performance.now();
  rt.runString(`torch.manualSeed(1); model1001 = createModel({depth = 1001, tensorType = 'torch.FloatTensor'})`);
  const t1 = performance.now();
  rt.runString(`print_('ResNet-1001 parameters', model1001:getParameters():nElement()); model1001 = nil; collectgarbage()`);
  rt.flush();
  console.log(`build ResNet-1001 from Lua: ${((t1 - t0) / 1000).toFixed(2)} s (target under 3 s)`);
}

// ---- one training step of ResNet-164, from Lua and from TypeScript ----
rt.runString(`
  torch.manualSeed(1)
  model = createModel({depth = 164, tensorType = 'torch.FloatTensor'})
  criterion = nn.CrossEntropyCriterion():float()
  params, gradParams = model:getParameters()
  local lrs, wds = model:getOptimConfig(0.1, 1e-4)
  optimState = {learningRate = 0.1, momentum = 0.9, nesterov = true, dampening = 0, learningRates = lrs, weightDecays = wds}
  input = torch.FloatTensor(${BATCH}, 3, 32, 32):normal(0, 1)
  target = torch.LongTensor(${BATCH}):fill(1)
  function step()
    local loss
    optim.sgd(function()
      local out = model:forward(input)
      loss = criterion:forward(out, target)
      model:zeroGradParameters()
      model:backward(input, criterion:backward(out, target))
      return loss, gradParams
    end, params, optimState)
    return loss
  end
  require 'optim'
`);
const luaTimes: number[] = [];
for (let i = 0; i <= STEPS; i++) {
  const t0 = performance.now();
  rt.runString('step()');
  if (i > 0) luaTimes.push(performance.now() - t0); // the first step warms up
}

const { step } = resnetTrainer(164, BATCH);
const tsTimes: number[] = [];
for (let i = 0; i <= STEPS; i++) {
  const t0 = performance.now();
  step();
  if (i > 0) tsTimes.push(performance.now() - t0);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`ResNet-164 step, batch ${BATCH}: from Lua ${(med(luaTimes) / 1000).toFixed(2)} s, from TypeScript ${(med(tsTimes) / 1000).toFixed(2)} s (median of ${STEPS}; Lua/TS ${(med(luaTimes) / med(tsTimes)).toFixed(3)})`);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
