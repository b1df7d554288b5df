// The `optim` namespace (torch/optim's sgd) and nnlr's per-module multipliers.

import { sgd } from './sgd.js';

export { sgd, type SgdConfig, type SgdState, type OpFunc, type OptimTable } from './sgd.js';
export { learningRate, weightDecay, optimConfig, getOptimConfig, type Accessor } from './nnlr.js';

export const optim = { sgd };
