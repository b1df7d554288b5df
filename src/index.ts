// mpelu: Torch7-era deep learning on Node.
//
//   import { initBackend, torch, nn, optim, init, t7, models } from 'mpelu';
//   await initBackend();            // wasm by default; MPELU_BACKEND=tensorflow|wasm|cpu
export { torch, Tensor, Storage } from './torch/index.js';
export type { TensorType } from './torch/types.js';
export { initBackend, initBackendInfo } from './backend/index.js';
export * as t7 from './t7/index.js';
export { nn, cudnn, Module } from './nn/index.js';
export type { Activity } from './nn/index.js';
export { optim } from './optim/index.js';
export * as nnlr from './optim/nnlr.js';
export * as init from './init/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as train from './train/index.js';
