// `mpelu train` itself (data loading, preprocessing in the loader thread, copies, scores,
// printing included) against the bare training step, for the MPELU nopre ResNet-164 on
// CIFAR-shaped data at batch 32 and 64. The loader should cost under 5 %: its time is what
// the trainer waited for batches (train.lua's Data), and the rest is compared with the bare
// step (forward, criterion, zeroGradParameters, backward, optim.sgd on one fixed batch).
// The first batch of each pass is left out (warm-up).
//
// Run: npm run bench -- train_cli    (MPELU_BENCH_DEPTH=20 for a quick look;
//      MPELU_BENCH_BATCHES=N training batches per measurement, default 4)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { writeGenCache, type CifarSplit } from '../src/data/cifar.js';
import { nn } from '../src/nn/index.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { getOptimConfig } from '../src/optim/nnlr.js';
import { sgd } from '../src/optim/sgd.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { parseTrainOptions } from '../src/train/options.js';
import { runTraining } from '../src/train/run.js';
import type { BatchFigures, TrainReporter } from '../src/train/trainer.js';

const depth = Number(process.env.MPELU_BENCH_DEPTH ?? 164);
const nBatches = Number(process.env.MPELU_BENCH_BATCHES ?? 4);

function split(n: number, seed: number): CifarSplit {
  const data = new Uint8Array(n * 3072);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  const labels = new Uint8Array(n).map((_, i) => (i % 10) + 1);
  return { data, labels, size: n };
}

class Recorder implements TrainReporter {
  readonly batches: BatchFigures[] = [];
  print(): void {}
  epochStart(): void {}
  epochEnd(): void {}
  batch(f: BatchFigures): void {
    this.batches.push(f);
  }
}

function rate(bs: BatchFigures[]): { imagesPerSecond: number; dataShare: number } {
  const timed = bs.slice(1);
  const seconds = timed.reduce((a, b) => a + b.time, 0);
  const data = timed.reduce((a, b) => a + b.dataTime, 0);
  const images = timed.reduce((a, b) => a + b.images, 0);
  return { imagesPerSecond: images / seconds, dataShare: data / seconds };
}

function bareStep(batch: number, steps: number): { train: number; evaluate: number } {
  manualSeed(1);
  const model = createMpeluNopreResNet({ depth, classes: 'cudnn' });
  const [params, gradParams] = model.getParameters();
  const [learningRates, weightDecays] = getOptimConfig(model, 0.1, 1e-4);
  const criterion = nn.CrossEntropyCriterion().float();
  const state: Record<string, unknown> = { learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, learningRates, weightDecays };
  const input = Tensor.create('Float', [batch, 3, 32, 32]).normal(0, 1);
  const target = Tensor.create('Long', [batch]);
  for (let i = 1; i <= batch; i++) target.put(i, (i % 10) + 1);
  model.training();
  let seconds = 0;
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    sgd(() => {
      const out = model.forward(input) as Tensor;
      const loss = criterion.forward(out, target);
      model.zeroGradParameters();
      model.backward(input, criterion.backward(out, target));
      return [loss, gradParams];
    }, params, state);
    if (s > 0) seconds += (performance.now() - t0) / 1000;
  }
  model.evaluate();
  let evalSeconds = 0;
  for (let s = 0; s <= 2; s++) {
    const t0 = performance.now();
    (model.forward(input) as Tensor).values();
    if (s > 0) evalSeconds += (performance.now() - t0) / 1000;
  }
  return { train: (steps * batch) / seconds, evaluate: (2 * batch) / evalSeconds };
}

await initBackend();
console.log(`MPELU nopre ResNet-${depth}, ${nBatches} training batches per pass, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const batch of [32, 64]) {
  const dir = mkdtempSync(join(tmpdir(), 'mpelu-bench-train-'));
  try {
    writeGenCache(join(dir, 'gen', 'cifar10.t7'), { train: split(batch * (nBatches + 1), 1), val: split(batch * 3, 2), source: 'bench' });
    const recorder = new Recorder();
    const opt = parseTrainOptions(
      `-dataset cifar10 -netType mpelu-preactivation-nopre -depth ${depth} -batchSize ${batch} -nEpochs 1 -manualSeed 1 -shortcutType B -nThreads 1 -gen ${join(dir, 'gen')} -save ${join(dir, 'ck')}`.split(' '),
    );
    await runTraining(opt, recorder);
    const train = rate(recorder.batches.filter((b) => b.phase === 'train'));
    const test = rate(recorder.batches.filter((b) => b.phase === 'test'));
    const bare = bareStep(batch, nBatches);
    const overhead = 1 - train.imagesPerSecond / bare.train;
    console.log(
      `batch ${batch}: mpelu train ${train.imagesPerSecond.toFixed(1)} images/s training (waiting for data ${(100 * train.dataShare).toFixed(2)} % of the time), ` +
        `${test.imagesPerSecond.toFixed(1)} evaluating | bare step ${bare.train.toFixed(1)} training, ${bare.evaluate.toFixed(1)} evaluating | ` +
        `trainer vs bare step: ${(100 * overhead).toFixed(1)} % slower`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
