// The root of Tensor's class chain. `Tensor` (tensor.ts) is one class built as a chain,
// one file per kind of method, so that no file is a 2,000-line room:
//
//   TensorBase (here) <- TensorElementwise (tensor_elementwise.ts: the element loops)
//     <- TensorPointwise (tensor_pointwise.ts) <- TensorIndex (tensor_index.ts)
//     <- TensorReduce (tensor_reduce.ts) <- TensorBlas (tensor_blas.ts)
//     <- TensorRandom (tensor_random.ts) <- TensorTF (tensor_tf.ts)
//     <- Tensor (tensor.ts: the core, i.e. constructors, shape, views, elements, copy)
//
// The methods' files import `Tensor` as a type only, so there is no import cycle:
// what they need from the core is declared here (abstract), and a new tensor is made
// through `newTensor`, which the core implements with `Tensor.create`. The state (type,
// storage, offset, sizes, strides) is declared here so every layer may read it.

import type { Storage } from './storage.js';
import type { TensorType } from './types.js';
import type { Tensor } from './tensor.js';

export abstract class TensorBase {
  readonly elementType: TensorType;
  protected storage_: Storage | null;
  /** 0-based offset into the storage. */
  protected offset_: number;
  protected sizes_: number[];
  protected strides_: number[];

  protected constructor(type: TensorType, storage: Storage | null, offset: number, sizes: number[], strides: number[]) {
    this.elementType = type;
    this.storage_ = storage;
    this.offset_ = offset;
    this.sizes_ = sizes;
    this.strides_ = strides;
  }

  abstract className(): string;
  abstract storage(): Storage;
  abstract nElement(): number;
  abstract isContiguous(): boolean;
  abstract isSameSizeAs(other: Tensor): boolean;
  abstract values(): number[];
  abstract bigValues(): bigint[];
  abstract copy(src: Tensor): this;
  abstract clone(): Tensor;
  abstract resize(...sizes: number[]): this;
  abstract resizeAs(other: Tensor): this;
  abstract narrow(d: number, index: number, size: number): Tensor;
  /** A new tensor of the given type and sizes, contents zero (Tensor.create). */
  protected abstract newTensor(type: TensorType, sizes: readonly number[]): Tensor;

  /** This tensor, typed as the final class (every TensorBase is a Tensor). */
  protected asTensor(): Tensor {
    return this as unknown as Tensor;
  }

  /** Converts a 1-based dim to 0-based, with a clear error. */
  protected checkDim(d: number, op: string): number {
    if (!Number.isInteger(d) || d < 1 || d > this.sizes_.length) {
      throw new RangeError(`${op}: dimension ${d} out of range for a ${this.sizes_.length}-d tensor (dims count from 1)`);
    }
    return d - 1;
  }

  protected checkSameType(other: Tensor, op: string): void {
    if (other.elementType !== this.elementType) {
      throw new TypeError(`${op}: expected a ${this.className()}, got a ${other.className()}`);
    }
  }
}

/** True for a Tensor (every Tensor, and nothing else, derives from TensorBase). */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof TensorBase;
}
