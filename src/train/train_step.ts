// One training step the way fb.resnet.torch's train.lua takes it: optim.sgd over the flat
// parameter vector with the closure forward, criterion, zeroGradParameters, backward,
// returning [loss, gradParams]; and the optim state train.lua starts from (nesterov,
// momentum, dampening 0) with the nnlr learningRates/weightDecays vectors of the paper's
// getOptimConfig. The trainer, the benches and the tests all step through here.

import type { Criterion } from '../nn/Criterion.js';
import type { Module } from '../nn/module.js';
import { getOptimConfig } from '../optim/nnlr.js';
import { sgd, type SgdConfig, type SgdState } from '../optim/sgd.js';
import type { LuaTable } from '../t7/lua_table.js';
import type { Tensor } from '../torch/tensor.js';

export interface SgdTrainStep {
  model: Module;
  criterion: Criterion;
  /** The model's flat parameters and gradients (model.getParameters()). */
  params: Tensor;
  gradParams: Tensor;
  /** optim.sgd's config and state (a plain object, or an optimState LuaTable). */
  optimState: (SgdConfig & SgdState) | LuaTable;
}

/**
 * One optim.sgd step on (input, target); returns the loss. `onOutput` sees the model's
 * output right after the forward pass (the trainer reads its scores there, before the
 * criterion, as train.lua does).
 */
export function sgdTrainStep(s: SgdTrainStep, input: Tensor, target: Tensor, onOutput?: (output: Tensor) => void): number {
  const [, fx] = sgd(() => {
    const output = s.model.forward(input) as Tensor;
    onOutput?.(output);
    const loss = s.criterion.forward(output, target);
    s.model.zeroGradParameters();
    s.model.backward(input, s.criterion.backward(output, target) as Tensor);
    return [loss, s.gradParams];
  }, s.params, s.optimState);
  return fx[0]!;
}

/** train.lua's optimState for `model` at learning rate `lr`, with nnlr's per-parameter vectors. */
export function nnlrSgdState(model: Module, lr = 0.1, weightDecay = 1e-4, momentum = 0.9): SgdConfig & SgdState {
  const [learningRates, weightDecays] = getOptimConfig(model, lr, weightDecay);
  return { learningRate: lr, momentum, nesterov: true, dampening: 0, learningRates, weightDecays };
}

/** The step's pieces for `model` and `criterion`, starting from nnlrSgdState(model). */
export function sgdTrainer(model: Module, criterion: Criterion, optimState: SgdTrainStep['optimState'] = nnlrSgdState(model)): SgdTrainStep {
  const [params, gradParams] = model.getParameters();
  return { model, criterion, params, gradParams, optimState };
}
