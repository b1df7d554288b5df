// The Lua door's cost: building the MPELU nopre ResNet-1001 (10.28M parameters) from the
// Lua model file under mpelu's Lua runtime (target: under 3 s), and one training step of
// ResNet-164 (forward, CrossEntropyCriterion, backward, optim.sgd with nnlr vectors) driven
// from Lua against the same calls from TypeScript, on the same backend.
//
// Run: npm run bench -- lua   (MPELU_BENCH_BATCH=32 by default; MPELU_BENCH_STEPS=3 timed pairs)

import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/backend/index.js';
import { LuaRuntime } from '../src/lua/runtime.js';
import { setDefaultTensorType } from '../src/torch/tensor.js';
import { resnetTrainer } from './helpers/resnet_trainer.js';
import { loadavg } from 'node:os';

const BATCH = Number(process.env.MPELU_BENCH_BATCH ?? 32);
const STEPS = Number(process.env.MPELU_BENCH_STEPS ?? 3);
const modelDir = fileURLToPath(new URL('../test/lua/', import.meta.url));

const backend = await initBackend(process.env.MPELU_BENCH_BACKEND ?? 'wasm');
console.log(`backend ${String(backend)}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
setDefaultTensorType('torch.FloatTensor');

const rt = new LuaRuntime();
rt.addScriptDir(modelDir);
rt.runString(`require 'nn'; require 'cudnn'; createModel = require('models/mpelu_nopre_model'); print_ = print; print = function() end`);

// ---- build ResNet-1001 from Lua ----
{
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  rt.runString(`torch.manualSeed(1); model1001 = createModel({depth = 1001, tensorType = 'torch.FloatTensor'})`);
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  rt.runString(`print_('ResNet-1001 parameters', model1001:getParameters():nElement()); model1001 = nil; collectgarbage()`);
  rt.flush();
  console.log(`build ResNet-1001 from Lua: ${((t1 - t0) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU (target under 3 s)`);
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
const { step: tsStep } = resnetTrainer(164, BATCH);

// Lua and TypeScript steps alternate (one warm-up each first), so a change in the
// machine's load during the run weighs on both sides alike.
// Wall time and this process's CPU time (user + system, all threads) per step.
const lua = { wall: [] as number[], cpu: [] as number[] };
const ts = { wall: [] as number[], cpu: [] as number[] };
const timed = (f: () => void, into?: { wall: number[]; cpu: number[] }): void => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const c = process.cpuUsage(c0);
  into?.wall.push(performance.now() - t0);
  into?.cpu.push((c.user + c.system) / 1000);
};
timed(() => rt.runString('step()'));
timed(tsStep);
for (let i = 0; i < STEPS; i++) {
  timed(() => rt.runString('step()'), lua);
  timed(tsStep, ts);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => (ms / 1000).toFixed(2);
console.log(
  `ResNet-164 step, batch ${BATCH} (median of ${STEPS} alternating pairs): from Lua ${s(med(lua.wall))} s wall / ${s(med(lua.cpu))} s CPU, ` +
    `from TypeScript ${s(med(ts.wall))} s wall / ${s(med(ts.cpu))} s CPU; Lua/TS ${(med(lua.wall) / med(ts.wall)).toFixed(3)} wall, ${(med(lua.cpu) / med(ts.cpu)).toFixed(3)} CPU`,
);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
