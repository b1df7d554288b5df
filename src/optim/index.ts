// The `optim` namespace (torch/optim's sgd) and nnlr's per-module multipliers.

import { sgd } from './sgd.js';

export { sgd, type SgdConfig, type SgdState, type OpFunc, type OptimTable } from './sgd.js';
export { learningRate, weightDecay, optimConfig, getOptimConfig, type Accessor } from './nnlr.js';

/** Torch's optim package (the optimizer fb.resnet.torch and the MPELU code use). */
export const optim = {
  /**
   * optim.sgd(feval, x, config[, state]), torch/optim's sgd.lua: feval(x) returns [loss,
   * gradient]; x (the flat parameters from getParameters()) is updated in place and
   * [x, [loss]] returned. config fields and defaults: learningRate 1e-3, learningRateDecay
   * 0, weightDecay 0 (or a weightDecays vector), momentum 0, dampening = momentum, nesterov
   * false, learningRates (a vector of multipliers). state defaults to config and keeps
   * evalCounter and the momentum buffer dfdx; a LuaTable loaded from an optimState file works.
   */
  sgd,
};
