// CIFAR data as fb.resnet.torch reads and prepares it: readers for the three layouts, the
// gen/<dataset>.t7 cache, the transforms with Torch7's draws, and the threaded loader.
export * from './cifar.js';
export { openCifar, checkCifarAvailable, downloadCifar, type OpenCifarOptions } from './open.js';
export * from './transforms.js';
export { BatchMaker, type Batch, type BatchMakerOptions } from './batch_maker.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
