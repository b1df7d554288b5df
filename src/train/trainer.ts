// The MPELU paper's train.lua (Code-for-MPELU mpelu_nopre_resnet/train.lua, 46d137a):
//  - optimState starts as {learningRate = LR, learningRateDecay = 0, momentum, nesterov = true,
//    dampening = 0, weightDecay} (or the resumed one);
//  - every epoch: learningRate(epoch) sets the rate and, on every nn.MPELU,
//    `v.__weightLearningRate = lr_mult` where lr_mult is an undefined global: nil, so the
//    field is removed and alpha's learning-rate multiplier falls back to nnlr's default 1
//    while beta keeps the model file's 5 (weight-decay multipliers stay 10 for both). Then
//    learningRates, weightDecays = model:getOptimConfig(lr, opt.weightDecay) and
//    optimState.weightDecay = nil, so optim.sgd uses the per-parameter vectors;
//  - per batch: forward (training mode), CrossEntropyCriterion, zeroGradParameters, backward,
//    optim.sgd; top-1/top-5 of the batch; the epoch's figures are batch-size weighted means;
//  - test: evaluate() mode, scores (ten crops summed), then training() again.
// Printing goes through a TrainReporter (train.lua's lines, or a progress bar).

import { tf } from '../torch/tfjs_core.js';
import { nn, type Module } from '../nn/index.js';
import type { Criterion } from '../nn/Criterion.js';
import { getOptimConfig } from '../optim/nnlr.js';
import { LuaTable } from '../t7/lua_table.js';
import { formatG } from '../t7/number_format.js';
import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import type { Generator } from '../torch/random.js';
import type { Batch } from '../data/batch_maker.js';
import type { DataLoader } from '../data/loader.js';
import { computeScore } from './score.js';
import { learningRateAt } from './schedule.js';
import { sgdTrainStep } from './train_step.js';
import { withReleasedGradInputs } from '../nn/release.js';

/** What a Trainer needs from the options (opts.lua's names). */
export interface TrainerOptions {
  /** The base learning rate (before the schedule). */
  LR: number;
  /** SGD momentum (Nesterov, dampening 0, as train.lua). */
  momentum: number;
  /** The base weight decay (nnlr's multipliers apply). */
  weightDecay: number;
  /** The data set name: picks the learning-rate schedule. */
  dataset: string;
  /** Epochs at which the learning rate is multiplied by 0.1 (null: the paper's schedule). */
  lrSteps?: readonly number[] | null;
  /** The number of classes (top-5 needs at least 5). */
  nClasses: number;
}

/** The figures of one batch, as train.lua prints them. */
export interface BatchFigures {
  /** Training or testing. */
  phase: 'train' | 'test';
  /** The 1-based epoch. */
  epoch: number;
  /** The 1-based batch number in the epoch. */
  n: number;
  /** Batches in the epoch. */
  of: number;
  /** Seconds for this batch, waiting for it included (train.lua's Time). */
  time: number;
  /** Seconds spent waiting for the loader (train.lua's Data). */
  dataTime: number;
  /** Images in this batch. */
  images: number;
  /** The batch's loss. */
  loss: number;
  /** The batch's top-1 error, in percent. */
  top1: number;
  /** The batch's top-5 error, in percent. */
  top5: number;
  /** Running means over the epoch so far. */
  top1Mean: number;
  /** The running mean of top5 over the epoch so far. */
  top5Mean: number;
  /** The running mean of the loss over the epoch so far. */
  lossMean: number;
}

/** An epoch's figures (train.lua's summary line). */
export interface EpochFigures {
  /** Top-1 error over the epoch, in percent. */
  top1: number;
  /** Top-5 error over the epoch, in percent. */
  top5: number;
  /** The mean loss over the epoch. */
  loss: number;
  /** Images seen. */
  images: number;
  /** Wall time of the epoch, in seconds. */
  seconds: number;
}

/** Where a Trainer reports: printed lines, epoch starts and ends, every batch. */
export interface TrainReporter {
  /** A line of text (main.lua's print). */
  print(text: string): void;
  /** An epoch of `batches` batches starts. */
  epochStart(phase: 'train' | 'test', epoch: number, batches: number): void;
  /** A batch is done. */
  batch(f: BatchFigures): void;
  /** An epoch is done. */
  epochEnd(phase: 'train' | 'test', epoch: number, f: EpochFigures): void;
}

/** Training stopped by shouldStop() (SIGINT): the checkpoint of the last finished epoch stands. */
export class Interrupted extends Error {
  /** Always 'Interrupted'. */
  override name = 'Interrupted';
}

/**
 * fb.resnet.torch's train.lua: Trainer:train and Trainer:test over a DataLoader, with optim.sgd
 * (Nesterov momentum), nnlr's multipliers and the paper's learning-rate schedule.
 */
export class Trainer {
  /** optim.sgd's config and state (learningRate, momentum, nesterov, dampening, weightDecay, ...), saved as optimState_N.t7. */
  readonly optimState: LuaTable;
  /** The model's flat parameters (getParameters()). */
  readonly params: Tensor;
  /** The model's flat parameter gradients. */
  readonly gradParams: Tensor;
  private input: Tensor | null = null;
  private target: Tensor | null = null;
  /** Checked after every batch; when it returns true the epoch stops with Interrupted. */
  shouldStop: () => boolean = () => false;

  /**
   * @param model the network (N x 3 x 32 x 32 in, N x nClasses scores out).
   * @param criterion the loss (CrossEntropyCriterion in fb.resnet.torch).
   * @param opt learning rate, momentum, weight decay, schedule.
   * @param report where figures go.
   * @param optimState a loaded optimState to continue (default: a fresh one from opt).
   */
  constructor(
    readonly model: Module,
    readonly criterion: Criterion,
    readonly opt: TrainerOptions,
    readonly report: TrainReporter,
    optimState?: LuaTable,
  ) {
    if (optimState) this.optimState = optimState;
    else {
      const s = new LuaTable();
      s.set('learningRate', opt.LR);
      s.set('learningRateDecay', 0.0);
      s.set('momentum', opt.momentum);
      s.set('nesterov', true);
      s.set('dampening', 0.0);
      s.set('weightDecay', opt.weightDecay);
      this.optimState = s;
    }
    [this.params, this.gradParams] = model.getParameters();
  }

  /** train.lua's Trainer:learningRate, with its side effect on nn.MPELU (see the top of this file). */
  learningRate(epoch: number): number {
    for (const m of this.model.findModules('nn.MPELU')[0]) m.fields.delete('__weightLearningRate');
    return learningRateAt(epoch, this.opt.LR, this.opt.dataset, this.opt.lrSteps ?? null);
  }

  /** Copies a batch into the reused input/target tensors (train.lua's copyInputs). */
  private copyInputs(batch: Batch): void {
    const n = batch.size * batch.nCrops;
    if (!this.input || this.input.size(1) !== n) {
      this.input?.storage().mutableData(); // let go of the old device copy now
      this.input = Tensor.fromStorage(new Storage('Float', n * 3 * 32 * 32), 0, [n, 3, 32, 32]);
    }
    (this.input.storage().mutableData() as Float32Array).set(batch.input);
    const targets = batch.nCrops > 1 ? repeatEach(batch.target, batch.nCrops) : batch.target;
    if (!this.target || this.target.size(1) !== targets.length) this.target = Tensor.create('Long', [targets.length]);
    const t = this.target.storage().mutableData() as BigInt64Array;
    for (let i = 0; i < targets.length; i++) t[i] = BigInt(targets[i]!);
  }

  /**
   * Trains one epoch (training mode): per batch forward, loss, zeroGradParameters, backward and one
   * sgd step. Resolves to the epoch's figures.
   */
  async train(epoch: number, loader: DataLoader, mainGenerator: Generator): Promise<EpochFigures> {
    const lr = this.learningRate(epoch);
    this.optimState.set('learningRate', lr);
    const [learningRates, weightDecays] = getOptimConfig(this.model, lr, this.opt.weightDecay);
    this.optimState.set('learningRates', learningRates);
    this.optimState.delete('weightDecay');
    this.optimState.set('weightDecays', weightDecays);

    this.report.print(`=> Training epoch # ${epoch}`);
    this.report.print(`learning rate: ${luaNumber(lr)}`);
    this.model.training();
    return this.runEpoch('train', epoch, loader, mainGenerator, () => {
      let scores = new Float32Array(0);
      // consumed gradInputs released as the backward goes (less memory, and the residual
      // units' backward adds fused): checkpoints are clearState()'d, nothing else reads them
      const loss = withReleasedGradInputs(() => sgdTrainStep(this, this.input!, this.target!, (output) => {
        scores = Float32Array.from(output.values());
      }));
      return [loss, scores];
    });
  }

  /** Tests one epoch in evaluate() mode; ten-crop batches average their crops. Resolves to the epoch's figures. */
  async test(epoch: number, loader: DataLoader, mainGenerator: Generator): Promise<EpochFigures> {
    this.model.evaluate();
    const result = await this.runEpoch('test', epoch, loader, mainGenerator, () => {
      const output = this.model.forward(this.input!) as Tensor;
      const scores = Float32Array.from(output.values());
      return [this.criterion.forward(output, this.target!), scores];
    });
    this.model.training();
    return result;
  }

  /** One pass over a loader: `step` computes on this.input/this.target and returns the loss and the scores. */
  private async runEpoch(phase: 'train' | 'test', epoch: number, loader: DataLoader, mainGenerator: Generator, step: () => [number, Float32Array]): Promise<EpochFigures> {
    const size = loader.size();
    const sums = { top1: 0, top5: 0, loss: 0, n: 0 };
    this.report.epochStart(phase, epoch, size);
    const started = performance.now();
    let t0 = performance.now();
    let n = 0;
    for await (const batch of loader.run(mainGenerator)) {
      const dataTime = (performance.now() - t0) / 1000;
      n++;
      this.copyInputs(batch);
      const [loss, scores] = step();
      const [top1, top5] = computeScore(scores, this.opt.nClasses, batch.target, batch.nCrops);
      sums.top1 += top1 * batch.size;
      sums.top5 += top5 * batch.size;
      sums.loss += loss * batch.size;
      sums.n += batch.size;
      this.report.batch({
        phase, epoch, n, of: size, time: (performance.now() - t0) / 1000, dataTime, images: batch.size * batch.nCrops, loss, top1, top5,
        top1Mean: sums.top1 / sums.n, top5Mean: sums.top5 / sums.n, lossMean: sums.loss / sums.n,
      });
      t0 = performance.now();
      if (this.shouldStop()) throw new Interrupted(`stopped during ${phase === 'train' ? 'training' : 'testing'} epoch ${epoch}`);
    }
    const result = { top1: sums.top1 / sums.n, top5: sums.top5 / sums.n, loss: sums.loss / sums.n, images: sums.n, seconds: (performance.now() - started) / 1000 };
    this.report.epochEnd(phase, epoch, result);
    return result;
  }

  /** Live tfjs tensors (a step must leave as many as it found). */
  static liveTensors(): number {
    return tf.memory().numTensors;
  }
}

function repeatEach(values: Int32Array, times: number): Int32Array {
  const out = new Int32Array(values.length * times);
  for (let i = 0; i < out.length; i++) out[i] = values[Math.floor(i / times)]!;
  return out;
}

/** Lua's tostring of a number (LuaJIT: %.14g). */
export function luaNumber(x: number): string {
  return formatG(x, 14);
}

/** The criterion fb.resnet.torch trains with: a Float nn.CrossEntropyCriterion. */
export const createCriterion = (): Criterion => nn.CrossEntropyCriterion().float();
