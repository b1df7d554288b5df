// What modules and criterions share for Torch's type conversions: float(), double() and
// cuda() are each one type(name) call; Module and Criterion define type() itself.

import { TorchObject } from '../t7/torch_object.js';
import type { TensorCache } from './module.js';

export abstract class TypeConvertible extends TorchObject {
  /** Converts every tensor field (recursively), keeping shared storages shared. */
  abstract type(name: string, cache?: TensorCache): this;

  float(cache?: TensorCache): this {
    return this.type('torch.FloatTensor', cache);
  }

  double(cache?: TensorCache): this {
    return this.type('torch.DoubleTensor', cache);
  }

  /** cuda(): tensors keep Float data under the torch.CudaTensor class name (as a GPU-trained file holds them). */
  cuda(cache?: TensorCache): this {
    return this.type('torch.CudaTensor', cache);
  }
}
