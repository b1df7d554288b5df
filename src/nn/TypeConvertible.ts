// What modules and criterions share for Torch's type conversions: float(), double() and
// cuda() are each one type(name) call; Module and Criterion define type() itself.

import { TorchObject } from '../t7/torch_object.js';
import type { TensorCache } from './module.js';

/** What modules and criterions share for Torch's type conversions: float(), double() and cuda(). */
export abstract class TypeConvertible extends TorchObject {
  /** Converts every tensor field (recursively), keeping shared storages shared. */
  abstract type(name: string, cache?: TensorCache): this;

  /**
   * Converts every tensor field to torch.FloatTensor (float32, computed on tfjs) and returns this;
   * tensors that shared a storage still share one.
   * @param cache conversions already made (pass one map to several calls to keep tensors shared across modules).
   */
  float(cache?: TensorCache): this {
    return this.type('torch.FloatTensor', cache);
  }

  /**
   * Converts every tensor field to torch.DoubleTensor (float64, computed on the host; the default type
   * of modules built by hand) and returns this.
   * @param cache conversions already made (see float()).
   */
  double(cache?: TensorCache): this {
    return this.type('torch.DoubleTensor', cache);
  }

  /** cuda(): tensors keep Float data under the torch.CudaTensor class name (as a GPU-trained file holds them). */
  cuda(cache?: TensorCache): this {
    return this.type('torch.CudaTensor', cache);
  }
}
