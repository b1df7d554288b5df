// What one fb.resnet.torch loader thread does for a job (dataloader.lua's addjob
// closure): for each index of the job, in order, dataset:get(idx) then preprocess, copied
// into a float batch (sz x nCrops x 3 x 32 x 32), targets as 1-based labels. Each thread has
// its own generator (dataloader.lua seeds it manualSeed + thread index when manualSeed ~= 0),
// so the random crops and flips depend only on the jobs that thread ran before.

import { Generator } from '../torch/random.js';
import { IMAGE_BYTES, type CifarName } from './cifar.js';
import { CIFAR_MEANSTD, preprocessCifar, type Split } from './transforms.js';

/** One batch as fb.resnet.torch's dataloader gives it, before it becomes tensors. */
export interface Batch {
  /** sz * nCrops images of 3 x 32 x 32, row-major. */
  input: Float32Array;
  /** 1-based labels, one per image (not per crop). */
  target: Int32Array;
  /** The number of images (not counting crops). */
  size: number;
  /** Crops per image: 10 for ten-crop validation, else 1. */
  nCrops: number;
}

/** What a BatchMaker needs to draw as one dataloader thread of fb.resnet.torch. */
export interface BatchMakerOptions {
  /** 'cifar10' or 'cifar100' (their mean and std). */
  dataset: CifarName;
  /** 'train' (random crop and flip) or 'val' (no augmentation). */
  split: Split;
  /** 10 for ten-crop validation, else 1. */
  nCrops: number;
  /** dataloader.lua's manualSeed; 0 leaves the thread generator seeded from entropy. */
  manualSeed: number;
  /** 1-based thread index (the seed is manualSeed + index). */
  threadIndex: number;
}

/**
 * Makes batches as one fb.resnet.torch dataloader thread: normalises, pads 4 and crops 32 x 32 at
 * random, flips half, drawing from its own generator in Torch's order.
 */
export class BatchMaker {
  /** This thread's generator (seeded manualSeed + threadIndex, as dataloader.lua). */
  readonly generator: Generator;

  /**
   * @param data the split's images, N x 3 x 32 x 32 bytes.
   * @param labels the 1-based labels, one byte per image.
   * @param options data set, split, crops, seed and thread index.
   */
  constructor(
    private readonly data: Uint8Array,
    private readonly labels: Uint8Array,
    private readonly options: BatchMakerOptions,
  ) {
    this.generator = options.manualSeed !== 0 ? new Generator(options.manualSeed + options.threadIndex) : new Generator();
  }

  /** The batch for 1-based dataset indices, in order. */
  make(indices: ArrayLike<number>): Batch {
    const { dataset, split, nCrops } = this.options;
    const sz = indices.length;
    const input = new Float32Array(sz * nCrops * IMAGE_BYTES);
    const target = new Int32Array(sz);
    for (let i = 0; i < sz; i++) {
      const idx = indices[i]! - 1;
      const bytes = this.data.subarray(idx * IMAGE_BYTES, (idx + 1) * IMAGE_BYTES);
      const crops = preprocessCifar(bytes, split, CIFAR_MEANSTD[dataset], this.generator, nCrops > 1);
      crops.forEach((img, k) => input.set(img.data, (i * nCrops + k) * IMAGE_BYTES));
      target[i] = this.labels[idx]!;
    }
    return { input, target, size: sz, nCrops };
  }
}
