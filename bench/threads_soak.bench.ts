// 200 training steps of a small MPELU nopre ResNet with mpelu's kernels on every thread:
// the live tfjs tensor count and the RSS must stay flat (no leaked tensors, no growing
// worker state). Prints both every 20 steps, and the thread count and load.
//
// Run: npm run bench -- threads_soak   (MPELU_THREADS=n, MPELU_BENCH_DEPTH=11, MPELU_BENCH_BATCH=8,
//      MPELU_BENCH_STEPS=200)

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo } from '../src/backend/index.js';
import { resnetTrainer } from './helpers/resnet_trainer.js';
import { pooledRuns } from '../src/backend/wasm/split_calls.js';

const depth = Number(process.env.MPELU_BENCH_DEPTH ?? 11);
const batch = Number(process.env.MPELU_BENCH_BATCH ?? 8);
const steps = Number(process.env.MPELU_BENCH_STEPS ?? 200);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const info = await initBackendInfo('wasm');
console.log(`wasm, ${info.threads} thread(s), shared heap ${info.sharedHeap ? 'yes' : 'no'}; ResNet-${depth}, batch ${batch}, ${steps} steps; load ${load()}`);
const { model, step } = resnetTrainer(depth, batch);
model.training();
const pooled0 = pooledRuns();
const t0 = performance.now();
for (let s = 1; s <= steps; s++) {
  const loss = step();
  if (s === 1 || s % 20 === 0) {
    console.log(`  step ${String(s).padStart(3)}: loss ${loss.toFixed(4)}, live tfjs tensors ${tf.memory().numTensors}, ` +
      `tfjs bytes ${(tf.memory().numBytes / 1e6).toFixed(1)} MB, RSS ${(process.memoryUsage.rss() / 1e6).toFixed(0)} MB`);
  }
}
console.log(`  ${((performance.now() - t0) / steps).toFixed(0)} ms/step, ${pooledRuns() - pooled0} kernel calls split over the pool; load ${load()}`);
process.exit(0);
