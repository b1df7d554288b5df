// mpelu: Torch7-era deep learning on Node.
//
//   import { initBackend, torch, nn, optim, init, t7, models } from 'mpelu';
//   await initBackend();            // wasm by default; MPELU_BACKEND=tensorflow|wasm|cpu
export { torch, Tensor, Storage } from './torch/index.js';
export type { TensorType } from './torch/types.js';
export { initBackend, initBackendInfo } from './backend/index.js';
/** Torch7's .t7 files: load/save (torch.load/torch.save), loadModule, serialize/deserialize, read options. */
export * as t7 from './t7/index.js';
export { LuaTable } from './t7/lua_table.js';
export { TorchObject } from './t7/torch_object.js';
export { nn, cudnn, Module } from './nn/index.js';
export type { Activity } from './nn/index.js';
export { optim } from './optim/index.js';
/** Memory of a training step: release consumed gradInputs during backward; park activations on the host. */
export { setReleaseGradInputs, releaseGradInputsEnabled } from './nn/release.js';
export { setOffloadActivations, offloadActivationsEnabled } from './nn/offload.js';
/** The host arrays parking keeps for reuse (up to 512 MB idle): how many bytes, and giving them back. */
export { pooledParkedBytes, clearParkedArrays } from './torch/parked_arrays.js';
/** nnlr's per-module learning-rate and weight-decay multipliers: learningRate, weightDecay, getOptimConfig. */
export * as nnlr from './optim/nnlr.js';
/** Weight initialisation: init.taylor (the MPELU paper's), MSRA/Xavier fillers, the paper's ResNet init. */
export * as init from './init/index.js';
/** The paper's CIFAR networks: createMpeluNopreResNet, createResNet, createPreResNet (fb.resnet.torch's builders). */
export * as models from './models/index.js';
/** CIFAR-10/100 data: openCifar, fb.resnet.torch's transforms, BatchMaker and the threaded DataLoader. */
export * as data from './data/index.js';
/** fb.resnet.torch's training loop: options, Trainer, runTraining, checkpoints and reporters (what `mpelu train` runs). */
export * as train from './train/index.js';
/** Exports a model's weights to safetensors or the whole network to ONNX (what `mpelu export` runs). */
export * as exporter from './export/index.js';
