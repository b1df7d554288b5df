// `mpelu train` itself (data loading, preprocessing in the loader thread, copies, scores,
// printing included) against the bare training step, for the MPELU nopre ResNet-164 on
// CIFAR-shaped data at batch 32 and 64. The loader should cost under 5 %: its time is what
// the trainer waited for batches (train.lua's Data), and the rest is compared with the bare
// step (src/train/train_step.ts on one fixed batch, and forward alone for evaluation).
//
// Each side runs in a process of its own (two ResNet-164s at batch 64 do not fit one wasm
// heap), alternating which side runs first. Each process first takes two untimed steps of a
// small batch (V8 tiers the JS up, wasm kernels compile: whichever side ran cold looked
// slower - the 14-33 % "trainer overhead" once reported at depth 20 was that), and the first
// batch of every pass is left out.
//
// Run: npm run bench -- train_cli    (MPELU_BENCH_DEPTH=20 for a quick look;
//      MPELU_BENCH_BATCHES=N timed training and evaluation batches per pass, default 4;
//      MPELU_BENCH_ROUNDS=N passes of each side, default 1; MPELU_BENCH_SIZES=32,64)

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
const sizes = (process.env.MPELU_BENCH_SIZES ?? '32,64').split(',').map(Number);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** images/s of one side: training, evaluation, and the share of training time spent waiting for data. */
interface Figures {
  train: number;
  evaluate: number;
  dataShare: number;
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

function bareStep(batch: number): Figures {
  const { model, input, step } = resnetTrainer(depth, batch, { classes: 'cudnn' });
  model.training();
  let seconds = 0;
  for (let s = 0; s <= nBatches; s++) {
    const t0 = performance.now();
    step();
    if (s > 0) seconds += (performance.now() - t0) / 1000;
  }
  model.evaluate();
  let evalSeconds = 0;
  for (let s = 0; s <= nBatches; s++) {
    const t0 = performance.now();
    (model.forward(input) as Tensor).values();
    if (s > 0) evalSeconds += (performance.now() - t0) / 1000;
  }
  return { train: (nBatches * batch) / seconds, evaluate: (nBatches * batch) / evalSeconds, dataShare: 0 };
}

async function trainerPass(batch: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'mpelu-bench-train-'));
  try {
    mkdirSync(join(dir, 'gen'));
    const split = (seed: number) => syntheticCifarSplit(batch * (nBatches + 1), seed);
    writeGenCache(join(dir, 'gen', 'cifar10.t7'), { train: split(1), val: split(2), source: 'bench' });
    const recorder = new Recorder();
    const opt = parseTrainOptions(
      `-dataset cifar10 -netType mpelu-preactivation-nopre -depth ${depth} -batchSize ${batch} -nEpochs 1 -manualSeed 1 -shortcutType B -nThreads 1 -gen ${join(dir, 'gen')} -save ${join(dir, 'ck')}`.split(' '),
    );
    await runTraining(opt, recorder);
    const train = rate(recorder.batches.filter((b) => b.phase === 'train'));
    const test = rate(recorder.batches.filter((b) => b.phase === 'test'));
    return { train: train.imagesPerSecond, evaluate: test.imagesPerSecond, dataShare: train.dataShare };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 'x % slower' or 'x % faster' for `value` against `reference` (both rates). */
function relative(value: number, reference: number): string {
  const d = 100 * (1 - value / reference);
  return d >= 0 ? `${d.toFixed(1)} % slower` : `${(-d).toFixed(1)} % faster`;
}

const child = process.env.MPELU_BENCH_TRAIN_CLI_CHILD; // "trainer,64" or "bare,64"
if (child) {
  const [side, batch] = [child.split(',')[0], Number(child.split(',')[1])];
  await initBackend();
  resnetTrainer(depth, 4).step(); // warm-up, untimed
  resnetTrainer(depth, 4).step();
  const f = side === 'trainer' ? await trainerPass(batch) : bareStep(batch);
  console.log(`RESULT ${JSON.stringify(f)}`);
  process.exit(0);
}

function runSide(side: 'trainer' | 'bare', batch: number): Figures {
  const p = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, MPELU_BENCH_TRAIN_CLI_CHILD: `${side},${batch}` },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const line = p.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (p.status !== 0 || !line) throw new Error(`train_cli: the ${side} pass at batch ${batch} failed (exit ${p.status}):\n${p.stderr.slice(-3000)}`);
  return JSON.parse(line.slice(7)) as Figures;
}

console.log(`MPELU nopre ResNet-${depth}, ${nBatches} timed batches per pass, ${rounds} round(s), load average ${load()}`);
for (const batch of sizes) {
  const sum = { trainer: { train: 0, evaluate: 0, dataShare: 0 }, bare: { train: 0, evaluate: 0, dataShare: 0 } };
  for (let r = 0; r < rounds; r++) {
    const order: ('trainer' | 'bare')[] = r % 2 === 0 ? ['trainer', 'bare'] : ['bare', 'trainer'];
    const got: Partial<Record<'trainer' | 'bare', Figures>> = {};
    for (const side of order) got[side] = runSide(side, batch);
    const t = got.trainer!;
    const b = got.bare!;
    console.log(
      `  batch ${batch} round ${r + 1}: mpelu train ${t.train.toFixed(2)} images/s training (data wait ${(100 * t.dataShare).toFixed(2)} %), ` +
        `${t.evaluate.toFixed(2)} evaluating; bare step ${b.train.toFixed(2)} / ${b.evaluate.toFixed(2)}; load ${load()}`,
    );
    for (const side of ['trainer', 'bare'] as const) {
      for (const k of ['train', 'evaluate', 'dataShare'] as const) sum[side][k] += got[side]![k] / rounds;
    }
  }
  const { trainer, bare } = sum;
  console.log(
    `batch ${batch}: mpelu train ${trainer.train.toFixed(2)} images/s training (waiting for the loader ${(100 * trainer.dataShare).toFixed(2)} % of the time), ` +
      `${trainer.evaluate.toFixed(2)} evaluating | bare step ${bare.train.toFixed(2)} training, ${bare.evaluate.toFixed(2)} evaluating | ` +
      `mpelu train vs bare step: ${relative(trainer.train, bare.train)} training, ${relative(trainer.evaluate, bare.evaluate)} evaluating`,
  );
}
console.log(`load average after: ${load()}`);
