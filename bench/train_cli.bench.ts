// `mpelu train` itself (data loading, preprocessing in the loader thread, copies, scores,
// printing included) against the bare training step, for the MPELU nopre ResNet-164 on
// CIFAR-shaped data at batch 32 and 64. The loader should cost under 5 %: its time is what
// the trainer waited for batches (train.lua's Data), and the rest is compared with the bare
// step (forward, criterion, zeroGradParameters, backward, optim.sgd on one fixed batch).
// The first batch of each pass is left out, and the process warms up with two untimed
// steps before anything is timed.
//
// Run: npm run bench -- train_cli    (MPELU_BENCH_DEPTH=20 for a quick look;
//      MPELU_BENCH_BATCHES=N training batches per measurement, default 4;
//      MPELU_BENCH_ROUNDS=N passes of each side, alternating which runs first, default 1)

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { writeGenCache } from '../src/data/cifar.js';
import { Tensor } from '../src/torch/tensor.js';
import { parseTrainOptions } from '../src/train/options.js';
import { runTraining } from '../src/train/run.js';
import type { BatchFigures, TrainReporter } from '../src/train/trainer.js';
import { resnetTrainer } from './helpers/resnet_trainer.js';
import { syntheticCifarSplit } from './helpers/synthetic_cifar.js';

const depth = Number(process.env.MPELU_BENCH_DEPTH ?? 164);
const nBatches = Number(process.env.MPELU_BENCH_BATCHES ?? 4);
const rounds = Number(process.env.MPELU_BENCH_ROUNDS ?? 1);

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
  const { model, input, step } = resnetTrainer(depth, batch, { classes: 'cudnn' });
  model.training();
  let seconds = 0;
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    step();
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

async function trainerPass(batch: number): Promise<{ train: ReturnType<typeof rate>; test: ReturnType<typeof rate> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mpelu-bench-train-'));
  try {
    mkdirSync(join(dir, 'gen'));
    writeGenCache(join(dir, 'gen', 'cifar10.t7'), { train: syntheticCifarSplit(batch * (nBatches + 1), 1), val: syntheticCifarSplit(batch * 3, 2), source: 'bench' });
    const recorder = new Recorder();
    const opt = parseTrainOptions(
      `-dataset cifar10 -netType mpelu-preactivation-nopre -depth ${depth} -batchSize ${batch} -nEpochs 1 -manualSeed 1 -shortcutType B -nThreads 1 -gen ${join(dir, 'gen')} -save ${join(dir, 'ck')}`.split(' '),
    );
    await runTraining(opt, recorder);
    return { train: rate(recorder.batches.filter((b) => b.phase === 'train')), test: rate(recorder.batches.filter((b) => b.phase === 'test')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 'x % slower' or 'x % faster' for `value` against `reference` (both rates). */
const relative = (value: number, reference: number) => {
  const d = 100 * (1 - value / reference);
  return d >= 0 ? `${d.toFixed(1)} % slower` : `${(-d).toFixed(1)} % faster`;
};
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
await initBackend();
console.log(`MPELU nopre ResNet-${depth}, ${nBatches} training batches per pass, ${rounds} round(s), load average ${load()}`);
// The process's first steps run cold (V8 tiers the JS up, wasm kernels compile): a few
// untimed steps first, or whichever of the two passes runs first looks slower (the 14-33 %
// "trainer overhead" once reported at depth 20 was this).
bareStep(32, 2);
for (const batch of [32, 64]) {
  const trainer = { train: 0, data: 0, test: 0 };
  const bare = { train: 0, evaluate: 0 };
  for (let r = 0; r < rounds; r++) {
    // alternate the order, so a drift of the machine's load hits both sides
    const bareFirst = r % 2 === 1;
    const b0 = bareFirst ? bareStep(batch, nBatches) : null;
    const t = await trainerPass(batch);
    const b = b0 ?? bareStep(batch, nBatches);
    console.log(
      `  batch ${batch} round ${r + 1}: mpelu train ${t.train.imagesPerSecond.toFixed(1)} images/s training (data wait ${(100 * t.train.dataShare).toFixed(2)} %), ` +
        `${t.test.imagesPerSecond.toFixed(1)} evaluating; bare step ${b.train.toFixed(1)} / ${b.evaluate.toFixed(1)}; load ${load()}`,
    );
    trainer.train += t.train.imagesPerSecond / rounds;
    trainer.data += t.train.dataShare / rounds;
    trainer.test += t.test.imagesPerSecond / rounds;
    bare.train += b.train / rounds;
    bare.evaluate += b.evaluate / rounds;
  }
  console.log(
    `batch ${batch}: mpelu train ${trainer.train.toFixed(1)} images/s training (waiting for the loader ${(100 * trainer.data).toFixed(2)} % of the time), ` +
      `${trainer.test.toFixed(1)} evaluating | bare step ${bare.train.toFixed(1)} training, ${bare.evaluate.toFixed(1)} evaluating | ` +
      `mpelu train vs bare step: ${relative(trainer.train, bare.train)} training, ${relative(trainer.test, bare.evaluate)} evaluating`,
  );
}
console.log(`load average after: ${load()}`);
