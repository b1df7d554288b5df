// The MPELU nopre ResNet trained the fb.resnet.torch way, as the benches run it: built from
// torch.manualSeed(seed), CrossEntropyCriterion, optim.sgd (nesterov, momentum 0.9, nnlr
// learningRates/weightDecays) on the flat parameter vector (src/train/train_step.ts), one
// fixed random batch.

import { manualSeed } from '../../src/torch/random.js';
import { Tensor } from '../../src/torch/tensor.js';
import { nn, type Module } from '../../src/nn/index.js';
import { createMpeluNopreResNet, type MpeluResNetOptions } from '../../src/models/mpelu_nopre_resnet.js';
import { sgdTrainer, sgdTrainStep } from '../../src/train/train_step.js';

export interface ResnetTrainer {
  model: Module;
  nParameters: number;
  /** The flat parameter vector optim.sgd updates. */
  params: Tensor;
  /** Largest parameter tensor, in elements. */
  largestParameter: number;
  input: Tensor;
  target: Tensor;
  /** One training step on the fixed batch; returns the loss. */
  step(): number;
}

export function resnetTrainer(depth: number, batch: number, options: { seed?: number; classes?: MpeluResNetOptions['classes'] } = {}): ResnetTrainer {
  manualSeed(options.seed ?? 1);
  const model = createMpeluNopreResNet({ depth, classes: options.classes });
  const trainer = sgdTrainer(model, nn.CrossEntropyCriterion().float());
  const input = Tensor.create('Float', [batch, 3, 32, 32]).normal(0, 1);
  const target = Tensor.create('Long', [batch]);
  for (let i = 1; i <= batch; i++) target.put(i, ((i * 7) % 10) + 1);
  const largestParameter = Math.max(...(model.parameters()?.[0] ?? []).map((p) => p.nElement()));
  return { model, nParameters: trainer.params.nElement(), params: trainer.params, largestParameter, input, target, step: () => sgdTrainStep(trainer, input, target) };
}
