// The `torch` namespace: tensor and storage constructors in Torch's style.
import { Storage } from './storage.js';
import { Tensor, defaultTensorType, getDefaultTensorType, setDefaultTensorType, type NestedNumbers } from './tensor.js';
import type { TensorType } from './types.js';
import { mathFunctions } from './functional.js';
import { randomFunctions } from './random_functions.js';
import { getNumThreads, setNumThreads } from '../backend/threads.js';
export { Generator } from './random.js';

export { Storage, Tensor };
export * from './types.js';

type TensorArgs = [] | number[] | [NestedNumbers[]] | [Storage, number?, number[]?, number[]?];

/** torch.FloatTensor(2, 3), torch.FloatTensor({{1, 2}, {3, 4}}), torch.FloatTensor(storage, offset1, sizes, strides). */
function tensorFactory(type: TensorType) {
  return (...args: TensorArgs): Tensor => {
    const first = args[0];
    if (first === undefined) return new Tensor(type);
    if (first instanceof Storage) {
      const [, offset1 = 1, sizes, strides] = args as [Storage, number?, number[]?, number[]?];
      return new Tensor(type).set(first, offset1, sizes, strides);
    }
    if (Array.isArray(first)) return Tensor.fromArray(type, first);
    return Tensor.create(type, args as number[]);
  };
}

function storageFactory(type: TensorType) {
  return (sizeOrValues: number | number[] = 0): Storage => {
    if (typeof sizeOrValues === 'number') return new Storage(type, sizeOrValues);
    const s = new Storage(type, sizeOrValues.length);
    sizeOrValues.forEach((v, i) => s.setNumber(i, v));
    return s;
  };
}

/**
 * Torch's `torch` namespace: tensor and storage constructors (`torch.FloatTensor(2, 3)`,
 * `torch.Tensor(...)` in the default type, Double unless setdefaulttensortype says
 * otherwise), Torch7's random generator (`manualSeed`, `normal`, `rand`, ... with Torch7's
 * exact draws) and the math functions. Indices and offsets are 1-based, as in Lua.
 */
export const torch = {
  /** A tensor of the default type (Double unless setdefaulttensortype says otherwise): torch.Tensor(2, 3), torch.Tensor({{1, 2}, {3, 4}}), torch.Tensor(storage, offset1, sizes, strides), torch.Tensor(). */
  Tensor: (...args: TensorArgs) => tensorFactory(defaultTensorType())(...args),
  /** torch.ByteTensor(2, 3) (zeros), torch.ByteTensor({{1, 2}, {3, 4}}) (from a table), torch.ByteTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.ByteTensor() (empty). */
  ByteTensor: tensorFactory('Byte'),
  /** torch.CharTensor(2, 3) (zeros), torch.CharTensor({{1, 2}, {3, 4}}) (from a table), torch.CharTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.CharTensor() (empty). */
  CharTensor: tensorFactory('Char'),
  /** torch.ShortTensor(2, 3) (zeros), torch.ShortTensor({{1, 2}, {3, 4}}) (from a table), torch.ShortTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.ShortTensor() (empty). */
  ShortTensor: tensorFactory('Short'),
  /** torch.IntTensor(2, 3) (zeros), torch.IntTensor({{1, 2}, {3, 4}}) (from a table), torch.IntTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.IntTensor() (empty). */
  IntTensor: tensorFactory('Int'),
  /** torch.LongTensor(2, 3) (zeros), torch.LongTensor({{1, 2}, {3, 4}}) (from a table), torch.LongTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.LongTensor() (empty). */
  LongTensor: tensorFactory('Long'),
  /** torch.FloatTensor(2, 3) (zeros), torch.FloatTensor({{1, 2}, {3, 4}}) (from a table), torch.FloatTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.FloatTensor() (empty). */
  FloatTensor: tensorFactory('Float'),
  /** torch.DoubleTensor(2, 3) (zeros), torch.DoubleTensor({{1, 2}, {3, 4}}) (from a table), torch.DoubleTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.DoubleTensor() (empty). */
  DoubleTensor: tensorFactory('Double'),
  /** torch.HalfTensor(2, 3) (zeros), torch.HalfTensor({{1, 2}, {3, 4}}) (from a table), torch.HalfTensor(storage, offset1, sizes, strides) (a view; offset 1-based), or torch.HalfTensor() (empty). */
  HalfTensor: tensorFactory('Half'),
  /** torch.ByteStorage(n) (n zeros, default 0) or torch.ByteStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  ByteStorage: storageFactory('Byte'),
  /** torch.CharStorage(n) (n zeros, default 0) or torch.CharStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  CharStorage: storageFactory('Char'),
  /** torch.ShortStorage(n) (n zeros, default 0) or torch.ShortStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  ShortStorage: storageFactory('Short'),
  /** torch.IntStorage(n) (n zeros, default 0) or torch.IntStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  IntStorage: storageFactory('Int'),
  /** torch.LongStorage(n) (n zeros, default 0) or torch.LongStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  LongStorage: storageFactory('Long'),
  /** torch.FloatStorage(n) (n zeros, default 0) or torch.FloatStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  FloatStorage: storageFactory('Float'),
  /** torch.DoubleStorage(n) (n zeros, default 0) or torch.DoubleStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  DoubleStorage: storageFactory('Double'),
  /** torch.HalfStorage(n) (n zeros, default 0) or torch.HalfStorage({values}); indices 1-based in Lua, 0-based in Storage's TS methods. */
  HalfStorage: storageFactory('Half'),
  /** torch.setdefaulttensortype('torch.FloatTensor'): the type torch.Tensor(...) and torch.zeros/rand/... make (Torch's default: Double). */
  setdefaulttensortype: setDefaultTensorType,
  /** The class name of the default tensor type ('torch.DoubleTensor' unless changed). */
  getdefaulttensortype: getDefaultTensorType,
  /** Threads mpelu's wasm kernels split their work over (default: the core count, or MPELU_THREADS). */
  setnumthreads: setNumThreads,
  /** Threads mpelu's wasm kernels use (set by setnumthreads or MPELU_THREADS; default: the core count). */
  getnumthreads: getNumThreads,
  /** True for a Tensor of any type. */
  isTensor: (x: unknown): x is Tensor => x instanceof Tensor,
  /** True for a Storage of any type. */
  isStorage: (x: unknown): x is Storage => x instanceof Storage,
  ...mathFunctions,
  ...randomFunctions,
};
