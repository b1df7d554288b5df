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
  Tensor: (...args: TensorArgs) => tensorFactory(defaultTensorType())(...args),
  ByteTensor: tensorFactory('Byte'),
  CharTensor: tensorFactory('Char'),
  ShortTensor: tensorFactory('Short'),
  IntTensor: tensorFactory('Int'),
  LongTensor: tensorFactory('Long'),
  FloatTensor: tensorFactory('Float'),
  DoubleTensor: tensorFactory('Double'),
  HalfTensor: tensorFactory('Half'),
  ByteStorage: storageFactory('Byte'),
  CharStorage: storageFactory('Char'),
  ShortStorage: storageFactory('Short'),
  IntStorage: storageFactory('Int'),
  LongStorage: storageFactory('Long'),
  FloatStorage: storageFactory('Float'),
  DoubleStorage: storageFactory('Double'),
  HalfStorage: storageFactory('Half'),
  setdefaulttensortype: setDefaultTensorType,
  getdefaulttensortype: getDefaultTensorType,
  /** Threads mpelu's wasm kernels split their work over (default: the core count, or MPELU_THREADS). */
  setnumthreads: setNumThreads,
  getnumthreads: getNumThreads,
  isTensor: (x: unknown): x is Tensor => x instanceof Tensor,
  isStorage: (x: unknown): x is Storage => x instanceof Storage,
  ...mathFunctions,
  ...randomFunctions,
};
