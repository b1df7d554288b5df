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

/** The root of Tensor's class chain: the tensor's state and what the core provides (see the file's head). */
export abstract class TensorBase {
  /** The element type: 'Byte', 'Char', 'Short', 'Int', 'Long', 'Float', 'Double' or 'Half'. */
  readonly elementType: TensorType;
  protected storage_: Storage | null;
  /** 0-based offset into the storage. */
  protected offset_: number;
  protected sizes_: number[];
  protected strides_: number[];

  /**
   * @param type element type
   * @param storage the storage viewed (null: none yet)
   * @param offset 0-based offset of the first element
   * @param sizes size of each dimension
   * @param strides step in the storage per dimension
   */
  protected constructor(type: TensorType, storage: Storage | null, offset: number, sizes: number[], strides: number[]) {
    this.elementType = type;
    this.storage_ = storage;
    this.offset_ = offset;
    this.sizes_ = sizes;
    this.strides_ = strides;
  }

  /** Torch's class name ('torch.FloatTensor', ...). */
  abstract className(): string;
  /** The storage viewed (an empty one is made for a tensor without one, as in Torch). */
  abstract storage(): Storage;
  /** The number of elements. */
  abstract nElement(): number;
  /** True when the elements lie in row-major order without gaps. */
  abstract isContiguous(): boolean;
  /** True when both tensors have the same sizes. */
  abstract isSameSizeAs(other: Tensor): boolean;
  /** The elements in logical row-major order, as numbers. */
  abstract values(): number[];
  /** The elements of a Long tensor in logical order, exact. */
  abstract bigValues(): bigint[];
  /** Copies src's elements (same count, any shape and type) into this tensor. */
  abstract copy(src: Tensor): this;
  /** A contiguous copy. */
  abstract clone(): Tensor;
  /** Torch's resize (contiguous strides, storage grown, never shrunk). */
  abstract resize(...sizes: number[]): this;
  /** resize to other's sizes. */
  abstract resizeAs(other: Tensor): this;
  /** A view of `size` slices of 1-based dim d from 1-based `index`. */
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
