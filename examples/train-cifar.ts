// Training an MPELU ResNet on CIFAR-10 by hand, the way the MPELU paper's train.lua does,
// with mpelu's torch-style API and its importable data and checkpoint pieces.
//
//   npx tsx examples/train-cifar.ts DATA_DIR [EPOCHS] [DEPTH]
//
// DATA_DIR holds cifar-10-batches-bin/ (the official binary release) or cifar-10-batches-t7/;
// the checkpoints go to ./example-checkpoints and load in Torch7 (torch.load) as
// fb.resnet.torch's do. `mpelu train` does all of this (and more) from the command line.
//
// In your own project, import from 'mpelu' instead of '../src/index.js'.

import { data, initBackend, models, nn, nnlr, optim, torch, train, Tensor } from '../src/index.js';
import { mkdirSync } from 'node:fs';

const [dataDir, epochsArg = '2', depthArg = '20'] = process.argv.slice(2);
if (!dataDir) {
  process.stderr.write('usage: npx tsx examples/train-cifar.ts DATA_DIR [EPOCHS] [DEPTH]\n');
  process.exit(2);
}
const nEpochs = Number(epochsArg);
const depth = Number(depthArg);
const batchSize = 64;
const save = 'example-checkpoints';
mkdirSync(save, { recursive: true });

await initBackend();

// 1. The data: the binary release read into bytes + 1-based labels; gen/cifar10.t7 is written
//    beside it, as fb.resnet.torch's datasets/cifar10-gen.lua does.
const cifar = await data.openCifar({ dataset: 'cifar10', data: dataDir, gen: `${dataDir}/gen` });

// 2. The model, seeded as `th main.lua -manualSeed 1` seeds it: Torch7's draws, in its order.
torch.manualSeed(1);
const model = models.createMpeluNopreResNet({ depth, classes: 'cudnn' });
const criterion = nn.CrossEntropyCriterion().float();
const [params, gradParams] = model.getParameters();

// 3. The loaders: one worker thread each, its own generator seeded manualSeed + 1; crops and
//    flips as datasets/transforms.lua draws them; the next batch is prepared during this one.
const trainLoader = new data.DataLoader(cifar.train, { dataset: 'cifar10', split: 'train', batchSize, nThreads: 1, manualSeed: 1 });
const valLoader = new data.DataLoader(cifar.val, { dataset: 'cifar10', split: 'val', batchSize, nThreads: 1, manualSeed: 1 });

// 4. optim.sgd's state as the paper's train.lua sets it up.
const optimState = new (await import('../src/t7/index.js')).LuaTable();
optimState.set('learningRate', 0.1).set('learningRateDecay', 0).set('momentum', 0.9).set('nesterov', true).set('dampening', 0);

const { defaultGenerator } = await import('../src/torch/random.js');
let bestTop1 = Infinity;
for (let epoch = 1; epoch <= nEpochs; epoch++) {
  // the paper's quirk: alpha's lr multiplier is reset to nnlr's default (1) every epoch
  for (const m of model.findModules('nn.MPELU')[0]) m.fields.delete('__weightLearningRate');
  const lr = train.learningRateAt(epoch, 0.1, 'cifar10');
  const [learningRates, weightDecays] = nnlr.getOptimConfig(model, lr, 1e-4);
  optimState.set('learningRate', lr).set('learningRates', learningRates).set('weightDecays', weightDecays);

  model.training();
  let step = 0;
  for await (const batch of trainLoader.run(defaultGenerator())) {
    const input = Tensor.fromStorage(new torch.FloatStorage(batch.input), 0, [batch.size, 3, 32, 32]);
    const target = torch.LongTensor(batch.size);
    batch.target.forEach((label, i) => target.put(i + 1, label));
    const [, [loss]] = optim.sgd(() => {
      const output = model.forward(input) as Tensor;
      const l = criterion.forward(output, target);
      model.zeroGradParameters();
      model.backward(input, criterion.backward(output, target));
      return [l, gradParams];
    }, params, optimState);
    if (++step % 50 === 0) process.stdout.write(`epoch ${epoch} step ${step}/${trainLoader.size()} loss ${loss!.toFixed(4)}\n`);
  }

  model.evaluate();
  let wrong = 0;
  for await (const batch of valLoader.run(defaultGenerator())) {
    const input = Tensor.fromStorage(new torch.FloatStorage(batch.input), 0, [batch.size, 3, 32, 32]);
    const scores = (model.forward(input) as Tensor).values();
    const [top1] = train.computeScore(scores, 10, batch.target);
    wrong += (top1 / 100) * batch.size;
  }
  const top1 = (100 * wrong) / cifar.val.size;
  process.stdout.write(`epoch ${epoch}: validation top-1 error ${top1.toFixed(3)}%\n`);

  // 5. fb.resnet.torch's checkpoint files (model_N.t7, optimState_N.t7, latest.t7, model_best.t7)
  train.saveCheckpoint(save, epoch, model, optimState, top1 < bestTop1);
  bestTop1 = Math.min(bestTop1, top1);
}
await trainLoader.close();
await valLoader.close();
