// One mpelu side of bench/train_step (its own process, so peak RSS is this configuration's):
// MPELU_BENCH_CHILD=depth,batch,steps[,warmup]. Prints each step's time, loss, live tfjs
// tensors and transfers (the first `warmup` steps untimed), then a `RESULT {json}` line for
// the parent.

import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo } from '../../src/backend/index.js';
import { Tensor } from '../../src/torch/tensor.js';
import { resnetTrainer } from './resnet_trainer.js';
import { formatCounts, stepCounts } from './kernel_counts.js';
import { formatTransferCounts, installTransferCounters, takeTransferCounts } from './transfer_counters.js';
import { filterPacks, hostParamsActive } from '../../src/backend/host_params.js';
import { releaseGradInputsEnabled, setReleaseGradInputs } from '../../src/nn/release.js';
import { offloadDescription } from '../../src/nn/offload.js';

const [depth, batch, steps, warmup = 1] = (process.env.MPELU_BENCH_CHILD ?? '164,32,3').split(',').map(Number) as [number, number, number, number?];
const info = await initBackendInfo(process.env.MPELU_BENCH_BACKEND ?? 'wasm');

// consumed gradInputs are released during backward (as PyTorch's autograd frees gradients)
// unless MPELU_RELEASE_GRADINPUT=0
setReleaseGradInputs(process.env.MPELU_RELEASE_GRADINPUT !== '0');
const t0 = performance.now();
const { model, nParameters, largestParameter: largest, input, step } = resnetTrainer(depth, batch);
const buildMs = performance.now() - t0;
installTransferCounters(largest);

console.log(`  mpelu on ${info.backend} (${info.threads} thread(s)${info.backend === 'wasm' ? `, shared heap ${info.sharedHeap ? 'yes' : 'no'}` : ''}): ` +
  `ResNet-${depth}, ${nParameters} parameters, built in ${buildMs.toFixed(0)} ms, batch ${batch}; ` +
  `parameters on the host for the kernels: ${hostParamsActive() ? 'yes' : 'no (MPELU_HOST_PARAMS=0)'}, ` +
  `consumed gradInputs released: ${releaseGradInputsEnabled() ? 'yes' : 'no (MPELU_RELEASE_GRADINPUT=0)'}, ` +
  `activations parked on the host: ${offloadDescription()}`);

model.training();
const times: number[] = [];
takeTransferCounts();
for (let s = 0; s < warmup + steps; s++) {
  const start = performance.now();
  const loss = step();
  const ms = performance.now() - start;
  // step 0 warms up kernels and allocations, the next ones V8's optimization of the JavaScript
  if (s >= warmup) times.push(ms);
  const packs = `; filters packed by the conv kernels ${filterPacks.calls} (${((filterPacks.floats * 4) / 1e6).toFixed(2)} MB)`;
  filterPacks.calls = 0;
  filterPacks.floats = 0;
  console.log(`  train step ${s}${s < warmup ? ' (untimed)' : ''}: ${ms.toFixed(0)} ms, loss ${loss.toFixed(4)}, live tfjs tensors ${tf.memory().numTensors}; ${formatTransferCounts(takeTransferCounts())}${packs}`);
}
const trainMs = times.reduce((a, b) => a + b, 0) / times.length;
// one more step under tf.profile (not timed): its kernels, transposes and peak tfjs bytes
const profile = await stepCounts(() => {
  step();
}, largest);
console.log(`  kernels of one step: ${formatCounts(profile, ['Conv2DBackpropInput', 'Conv2DBackpropFilter'])}`);
model.evaluate();
// evaluation's own code paths (Winograd, the eval batch norm) warm up as training's did
for (let s = 0; s < warmup; s++) (model.forward(input) as Tensor).get(1, 1);
const evalStart = performance.now();
for (let s = 0; s < steps; s++) (model.forward(input) as Tensor).get(1, 1);
const evalMs = (performance.now() - evalStart) / steps;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const heap = (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.byteLength;
const train = batch / (trainMs / 1000);
const evaluate = batch / (evalMs / 1000);
console.log(`  mpelu ${info.backend}: train ${train.toFixed(1)} images/s (${trainMs.toFixed(0)} ms/step), evaluate ${evaluate.toFixed(1)} images/s (${evalMs.toFixed(0)} ms/batch), ` +
  `peak RSS ${peakRssMb.toFixed(0)} MB, peak tfjs bytes of a step ${(profile.peakBytes / 1e6).toFixed(0)} MB${heap ? `, wasm heap ${(heap / 1e6).toFixed(0)} MB` : ''}`);
console.log(`RESULT ${JSON.stringify({ train, evaluate, peakRssMb })}`);
process.exit(0);
