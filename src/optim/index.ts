// The `optim` namespace (torch/optim's sgd) and nnlr's per-module multipliers.

import { sgd } from './sgd.js';

export { sgd, type SgdConfig, type SgdState, type OpFunc, type OptimTable } from './sgd.js';
export { learningRate, weightDecay, optimConfig, getOptimConfig, type Accessor } from './nnlr.js';

/**
 * Torch's optim: `optim.sgd(feval, x, config[, state])` with feval returning [loss,
 * gradient]; config holds learningRate, learningRateDecay, weightDecay (or a weightDecays
 * vector), momentum, dampening (default: = momentum), nesterov, learningRates. x is
 * updated in place, as in Lua.
 */
export const optim = { sgd };
