// A few nesterov SGD steps of a small MPELU nopre ResNet (bench/helpers/resnet_trainer.ts:
// fb.resnet.torch's recipe on one fixed random batch), for tests that compare two ways of
// running the same training.
import { resnetTrainer } from '../../bench/helpers/resnet_trainer.js';
import { nn, type Module } from '../../src/nn/index.js';
import { manualSeed } from '../../src/torch/random.js';
import { Tensor } from '../../src/torch/tensor.js';
import { sgdTrainer, sgdTrainStep } from '../../src/train/train_step.js';

export interface StepsResult {
  /** The flat parameters after the last step. */
  params: Float32Array;
  losses: number[];
  model: Module;
}

/** Trains an MPELU nopre ResNet of `depth` at batch 4 for `steps` steps; `afterStep(s, model)` runs after step s (0-based). */
export function trainSmallResnet(steps: number, depth = 11, afterStep: (s: number, model: Module) => void = () => undefined): StepsResult {
  const { model, params, step } = resnetTrainer(depth, 4);
  model.training();
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    losses.push(step());
    afterStep(s, model);
  }
  return { params: Float32Array.from(params.values()), losses, model };
}

/** How many elements of a and b differ (Object.is, so -0 vs 0 and NaN count as written). */
export function countDiffering(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

/**
 * Three SGD steps of the model `build` makes after torch.manualSeed(4) (fb.resnet.torch's
 * ResNets, say) on one random batch of `batch` 3x32x32 images, labels 1..batch (so at most 10
 * images for a CIFAR-10 model); the losses and the flat parameters after.
 */
export function trainBuiltModel(build: () => Module, batch: number): { losses: number[]; params: Float32Array } {
  manualSeed(4);
  const model = build();
  const trainer = sgdTrainer(model, nn.CrossEntropyCriterion().float());
  const x = Tensor.create('Float', [batch, 3, 32, 32]).normal(0, 1);
  const t = Tensor.create('Long', [batch]);
  for (let i = 1; i <= batch; i++) t.put(i, i);
  const losses = [0, 1, 2].map(() => sgdTrainStep(trainer, x, t));
  return { losses, params: Float32Array.from(trainer.params.values() as Float32Array) };
}
