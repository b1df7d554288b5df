// A few nesterov SGD steps of a small MPELU nopre ResNet (bench/helpers/resnet_trainer.ts:
// fb.resnet.torch's recipe on one fixed random batch), for tests that compare two ways of
// running the same training.
import { resnetTrainer } from '../../bench/helpers/resnet_trainer.js';
import type { Module } from '../../src/nn/index.js';

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
