// One training step of the MPELU nopre ResNet-164 (CIFAR-10, 1.70M parameters) at batch 32,
// the fb.resnet.torch way: forward, CrossEntropyCriterion, zeroGradParameters, backward,
// optim.sgd (nesterov, momentum 0.9, nnlr learningRates/weightDecays vectors) on the flat
// parameter vector. Prints images/s for training and for evaluation (forward only), the
// live tfjs tensor count after each step (it must not grow), and the kernels of one extra
// (untimed, profiled) step: convolution gradients (the stem's input gradient is skipped:
// its gradInput is nil, as in the paper's model) and Transpose kernels on activations (none:
// activations stay channels-last on the device from layer to layer).
//
// Reference on this kind of machine (DESIGN.md): PyTorch 1.13 on CPU, 2 threads, trains this
// network at about 24 images/s and evaluates at about 93 images/s.
//
// Run: npx tsx bench/train_step.bench.ts [backend ...]   (default: wasm cpu)
//      MPELU_BENCH_DEPTH=20 for a quick look at a smaller network.

import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../src/backend/index.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn } from '../src/nn/index.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { getOptimConfig } from '../src/optim/nnlr.js';
import { sgd } from '../src/optim/sgd.js';
import { formatCounts, stepCounts } from './helpers/kernel_counts.js';

const BATCH = 32;
const depth = Number(process.env.MPELU_BENCH_DEPTH ?? 164);
// The pure-JS cpu backend takes about a minute a step: one timed step there unless asked.
const stepsFor = (backend: string) => Number(process.env.MPELU_BENCH_STEPS ?? (backend === 'cpu' ? 1 : 3));
const backends = (process.argv.slice(2).length ? process.argv.slice(2) : (process.env.MPELU_BENCH_BACKENDS ?? 'wasm,cpu').split(',')) as BackendName[];

for (const backend of backends) {
  try {
    await initBackend(backend);
  } catch (e) {
    console.log(`${backend}: not available (${(e as Error).message})`);
    continue;
  }
  const steps = stepsFor(backend);
  manualSeed(1);
  const t0 = performance.now();
  const model = createMpeluNopreResNet({ depth });
  const [params, gradParams] = model.getParameters();
  const [learningRates, weightDecays] = getOptimConfig(model, 0.1, 1e-4);
  const buildMs = performance.now() - t0;
  const criterion = nn.CrossEntropyCriterion().float();
  const optimState: Record<string, unknown> = {
    learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, learningRates, weightDecays,
  };
  const input = Tensor.create('Float', [BATCH, 3, 32, 32]).normal(0, 1);
  const target = Tensor.create('Long', [BATCH]);
  for (let i = 1; i <= BATCH; i++) target.put(i, ((i * 7) % 10) + 1);

  console.log(`${backend}: ResNet-${depth}, ${params.nElement()} parameters, built in ${buildMs.toFixed(0)} ms, batch ${BATCH}`);
  model.training();
  const times: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const start = performance.now();
    const [, fx] = sgd(() => {
      const out = model.forward(input) as Tensor;
      const loss = criterion.forward(out, target);
      model.zeroGradParameters();
      model.backward(input, criterion.backward(out, target) as Tensor);
      return [loss, gradParams];
    }, params, optimState);
    const ms = performance.now() - start;
    if (s > 0) times.push(ms); // step 0 warms up kernels and allocations
    console.log(`  train step ${s}: ${ms.toFixed(0)} ms, loss ${fx[0]!.toFixed(4)}, live tfjs tensors ${tf.memory().numTensors}`);
  }
  const trainMs = times.reduce((a, b) => a + b, 0) / times.length;
  const largestParameter = Math.max(...(model.parameters()?.[0] ?? []).map((p) => p.nElement()));
  const counts = await stepCounts(() => {
    const out = model.forward(input) as Tensor;
    criterion.forward(out, target);
    model.zeroGradParameters();
    model.backward(input, criterion.backward(out, target) as Tensor);
  }, largestParameter);
  console.log(`  kernels of one step: ${formatCounts(counts, ['Conv2DBackpropInput', 'Conv2DBackpropFilter'])}`);
  model.evaluate();
  model.forward(input);
  const evalStart = performance.now();
  for (let s = 0; s < steps; s++) (model.forward(input) as Tensor).get(1, 1);
  const evalMs = (performance.now() - evalStart) / steps;
  console.log(`  ${backend}: train ${(BATCH / (trainMs / 1000)).toFixed(1)} images/s (${trainMs.toFixed(0)} ms/step), ` +
    `evaluate ${(BATCH / (evalMs / 1000)).toFixed(1)} images/s (${evalMs.toFixed(0)} ms/batch)`);
}
