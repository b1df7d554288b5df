// fb.resnet.torch's main.lua for `mpelu train`: seed, checkpoint, model, data loaders,
// the epoch loop with test and checkpoints, and the same printed lines. On top of it:
// options that mean nothing here are reported once, -resume continues the generators
// where the interrupted run left them (mpeluState_N.t7), a JSON-lines log of every epoch
// goes to <save>/log.jsonl, and Ctrl-C stops after the current batch (files on disk
// are always complete: every write is atomic).

import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/index.js';
import { Container, nn, type Module } from '../nn/index.js';
import { createMpeluNopreResNet } from '../models/mpelu_nopre_resnet.js';
import { createResNet } from '../models/resnet.js';
import { createPreResNet } from '../models/preresnet.js';
import { defaultGenerator } from '../torch/random.js';
import { Tensor } from '../torch/tensor.js';
import { clearParkedArrays } from '../torch/parked_arrays.js';
import { CIFAR_CLASSES } from '../data/cifar.js';
import { DataLoader } from '../data/loader.js';
import { checkCifarAvailable, openCifar } from '../data/open.js';
import { createLuaModel } from './lua_model.js';
import { loadModel, readLatest, readResumeState, saveCheckpoint, type ResumeState } from './checkpoints.js';
import { OptionError, type TrainOptions } from './options.js';
import { cFixed, createReporter } from './reporter.js';
import { createCriterion, Interrupted, luaNumber, Trainer, type EpochFigures, type TrainReporter } from './trainer.js';

/** How a training run ended. */
export interface RunResult {
  /** The best top-1 error, in percent. */
  bestTop1: number;
  /** The best top-5 error, in percent. */
  bestTop5: number;
  /** The last epoch trained (0 with -testOnly). */
  lastEpoch: number;
  /** Whether SIGINT stopped it (the last finished epoch's checkpoint stands). */
  interrupted: boolean;
}

/** One line of <save>/log.jsonl. */
export interface EpochLogEntry {
  /** The epoch. */
  epoch: number;
  /** Its learning rate. */
  learningRate: number;
  /** Its training figures. */
  train: EpochFigures;
  /** Its test figures. */
  test: EpochFigures;
  /** Whether it is the best so far (saved as model_best.t7). */
  best: boolean;
  /** When it ended (ISO 8601). */
  time: string;
}

/** %6.3f (inf as C prints it, when no epoch ran). */
const fixed6 = (x: number) => (Number.isFinite(x) ? cFixed(x, 3) : x > 0 ? 'inf' : '-inf').padStart(6);

const dsName = (d: string) => (d === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100');

/** models/init.lua's creation branch for the built-in models (and the Lua model file case). */
export function createModel(opt: TrainOptions, print: (s: string) => void): Module {
  print(`=> Creating model from file: models/${opt.netType}.lua`);
  const dataset = opt.dataset;
  switch (opt.netType) {
    case 'resnet':
    case 'preresnet': {
      const make = opt.netType === 'resnet' ? createResNet : createPreResNet;
      if (!Number.isInteger(opt.depth) || opt.depth < 8 || (opt.depth - 2) % 6 !== 0) {
        throw new OptionError(`-depth: ${opt.depth} is not allowed for -netType ${opt.netType} on CIFAR (allowed: 6n+2, e.g. 20 | 32 | 44 | 56 | 110 | 1202)`);
      }
      print(` | ResNet-${opt.depth} ${dsName(dataset)}`);
      return make({ depth: opt.depth, dataset, shortcutType: opt.shortcutType });
    }
    case 'mpelu-preactivation-nopre':
      if (!Number.isInteger(opt.depth) || opt.depth < 11 || (opt.depth - 2) % 9 !== 0) {
        throw new OptionError(`-depth: ${opt.depth} is not allowed for -netType mpelu-preactivation-nopre (allowed: 9n+2, e.g. 164 | 1001 in the paper)`);
      }
      print(` | ResNet-${opt.depth} ${dsName(dataset)}`);
      return createMpeluNopreResNet({ depth: opt.depth, dataset, classes: 'cudnn' });
    default:
      throw new OptionError(`-netType ${opt.netType}: not a built-in model (a FILE.lua model goes through createLuaModel)`);
  }
}

/** models/init.lua's -resetClassifier: a fresh nClasses-way nn.Linear (bias zeroed) in place of the last module. */
function resetClassifier(model: Module, nClasses: number, print: (s: string) => void): void {
  print(` => Replacing classifier with ${nClasses}-way classifier`);
  const modules = model.children();
  const orig = modules[modules.length - 1];
  if (!orig || orig.className !== 'nn.Linear') throw new OptionError('-resetClassifier: expected last layer to be fully connected (nn.Linear)');
  const w = orig.fields.get('weight') as Tensor;
  const linear = nn.Linear(w.size(2), nClasses).float();
  (linear.fields.get('bias') as Tensor).zero();
  if (!(model instanceof Container)) throw new OptionError('-resetClassifier: the model is not a container');
  model.remove(model.size());
  model.add(linear);
}

function checkModelClasses(model: Module, nClasses: number, where: string): void {
  const modules = model.children();
  const last = modules[modules.length - 1];
  const w = last?.fields.get('weight');
  if (last?.className === 'nn.Linear' && w instanceof Tensor && w.size(1) !== nClasses) {
    throw new OptionError(`${where}: the model's classifier has ${w.size(1)} outputs but the data set has ${nClasses} classes (use -resetClassifier true -nClasses ${nClasses})`);
  }
}

/**
 * What `mpelu train` runs: fb.resnet.torch's main.lua with the given options (load or build the model,
 * open the data, train and test every epoch, save checkpoints, resume). Resolves to the best errors.
 */
export async function runTraining(opt: TrainOptions, reporter: TrainReporter = createReporter(opt.progress)): Promise<RunResult> {
  const print = (s: string) => reporter.print(s);
  for (const note of opt.notes) process.stderr.write(`mpelu train: ${note}\n`);

  if (!existsSync(opt.save)) {
    try {
      mkdirSync(opt.save, { recursive: true });
    } catch {
      throw new OptionError(`error: unable to create checkpoint directory: ${opt.save}`);
    }
  } else if (!statSync(opt.save).isDirectory()) throw new OptionError(`error: unable to create checkpoint directory: ${opt.save} (a file is in the way)`);

  const dataOptions = { dataset: opt.dataset, data: opt.data, gen: opt.gen, download: opt.download, log: print };
  checkCifarAvailable(dataOptions);
  await initBackend();
  const mainGenerator = defaultGenerator();
  mainGenerator.manualSeed(opt.manualSeed);

  // checkpoints.latest
  let checkpoint = null as ReturnType<typeof readLatest>;
  if (opt.resume !== 'none') {
    checkpoint = readLatest(opt.resume);
    if (checkpoint) print(`=> Loading checkpoint ${join(opt.resume, 'latest.t7')}`);
  }

  // models.setup
  let model: Module;
  if (checkpoint) {
    const file = join(opt.resume, checkpoint.latest.modelFile);
    print(`=> Resuming model from ${file}`);
    model = loadModel(file).float();
  } else if (opt.retrain !== 'none') {
    if (!existsSync(opt.retrain)) throw new OptionError(`-retrain: File not found: ${opt.retrain}`);
    print(`Loading model from file: ${opt.retrain}`);
    model = loadModel(opt.retrain).float();
  } else if (opt.netType.endsWith('.lua')) {
    model = await createLuaModel(opt.netType, opt, print);
  } else {
    model = createModel(opt, print);
  }
  model.fields.delete('__memoryOptimized');
  if (opt.resetClassifier && !checkpoint) resetClassifier(model, opt.nClasses, print);
  const nClasses = CIFAR_CLASSES[opt.dataset];
  checkModelClasses(model, nClasses, opt.resume !== 'none' ? `-resume ${opt.resume}` : opt.retrain !== 'none' ? `-retrain ${opt.retrain}` : '-netType');
  const criterion = createCriterion();

  // DataLoader.create
  const data = await openCifar(dataOptions);
  const trainLoader = new DataLoader(data.train, { dataset: opt.dataset, split: 'train', batchSize: opt.batchSize, nThreads: opt.nThreads, manualSeed: opt.manualSeed });
  const valLoader = new DataLoader(data.val, { dataset: opt.dataset, split: 'val', batchSize: opt.batchSize, nThreads: opt.nThreads, manualSeed: opt.manualSeed, tenCrop: opt.tenCrop });

  const trainer = new Trainer(model, criterion, { LR: opt.LR, momentum: opt.momentum, weightDecay: opt.weightDecay, dataset: opt.dataset, lrSteps: opt.lrSteps, nClasses }, reporter, checkpoint?.optimState);

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nmpelu train: Ctrl-C: stopping after this batch (checkpoint files are always complete; Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  trainer.shouldStop = () => stop;

  let bestTop1 = Infinity;
  let bestTop5 = Infinity;
  let lastEpoch = 0;
  try {
    if (opt.testOnly) {
      const r = await trainer.test(0, valLoader, mainGenerator);
      print(` * Results top1: ${fixed6(r.top1)}  top5: ${fixed6(r.top5)}`);
      return { bestTop1: r.top1, bestTop5: r.top5, lastEpoch: 0, interrupted: false };
    }

    const startEpoch = checkpoint ? checkpoint.latest.epoch + 1 : opt.epochNumber;
    if (checkpoint) {
      const saved = readResumeState(opt.resume, checkpoint.latest.epoch);
      if (saved) {
        mainGenerator.setState(saved.mainGenerator);
        await trainLoader.setStates(saved.loaderGenerators);
        bestTop1 = saved.bestTop1;
        bestTop5 = saved.bestTop5;
      } else {
        process.stderr.write(
          `mpelu train: ${opt.resume} has no ${join(opt.resume, `mpeluState_${checkpoint.latest.epoch}.t7`)} (not written by mpelu): the generators start from -manualSeed as in fb.resnet.torch, so the data order differs from an uninterrupted run\n`,
        );
      }
    }

    for (let epoch = startEpoch; epoch <= opt.nEpochs; epoch++) {
      const train = await trainer.train(epoch, trainLoader, mainGenerator);
      const test = await trainer.test(epoch, valLoader, mainGenerator);
      let bestModel = false;
      if (test.top1 < bestTop1) {
        bestModel = true;
        bestTop1 = test.top1;
        bestTop5 = test.top5;
        print(` * Best model \t${luaNumber(test.top1)}\t${luaNumber(test.top5)}`);
      }
      const resume: ResumeState = { mainGenerator: mainGenerator.getState(), loaderGenerators: await trainLoader.getStates(), bestTop1, bestTop5 };
      saveCheckpoint(opt.save, epoch, model, trainer.optimState, bestModel, resume);
      const entry: EpochLogEntry = { epoch, learningRate: trainer.optimState.get('learningRate') as number, train, test, best: bestModel, time: new Date().toISOString() };
      appendFileSync(join(opt.save, 'log.jsonl'), `${JSON.stringify(entry)}\n`);
      lastEpoch = epoch;
      if (stop) throw new Interrupted(`stopped after epoch ${epoch}`);
    }
    print(` * Finished top1: ${fixed6(bestTop1)}  top5: ${fixed6(bestTop5)}`);
    return { bestTop1, bestTop5, lastEpoch, interrupted: false };
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    process.stderr.write(
      `mpelu train: ${e.message}; ${lastEpoch > 0 ? `epoch ${lastEpoch}'s checkpoint is in ${opt.save}: continue with -resume ${opt.save}` : 'no checkpoint was written'}\n`,
    );
    return { bestTop1, bestTop5, lastEpoch, interrupted: true };
  } finally {
    process.off('SIGINT', onSigint);
    await trainLoader.close();
    await valLoader.close();
    // the arrays parked activations were reused in (up to 512 MB) go to the collector with the run
    clearParkedArrays();
  }
}
