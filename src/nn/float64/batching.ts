// 3-d (C, H, W) and 4-d (N, C, H, W) inputs of the spatial modules: both run as a batch.

import type * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../../torch/tensor.js';
import { setOutputTF } from '../tensor_helpers.js';

/** A 4-d view of a 3-d or 4-d tensor (a 3-d one gets a leading batch of 1). */
export function asBatch4d(x: Tensor, where: string): { x4: Tensor; batched: boolean } {
  if (x.dim() === 4) return { x4: x, batched: true };
  if (x.dim() === 3) return { x4: x.unsqueeze(1), batched: false };
  throw new RangeError(`${where}: expected a 3D or 4D tensor, got sizes [${x.size().join(', ')}]`);
}

/**
 * Makes the NHWC tfjs result `y` the content of buffer `out` (ownership passes): 4-d
 * channels-last, or the 3-d (C, H, W) view of its only image when the input was 3-d.
 */
export function setOutputTFBatch(out: Tensor, y: tf.Tensor4D, batched: boolean): Tensor {
  setOutputTF(out, y, 'NHWC');
  if (!batched) out.set(out.select(1, 1));
  return out;
}
