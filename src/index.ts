// mpelu: Torch7-era deep learning on Node.
export { torch, Tensor, Storage } from './torch/index.js';
export type { TensorType } from './torch/types.js';
export { initBackend } from './backend/index.js';
export * as t7 from './t7/index.js';
