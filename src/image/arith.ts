// The arithmetic of torch/image's C kernels (generic/image.c), per tensor type.
//
// The kernels are written once for every real type; intermediates are `temp_t` (the
// real type for Float/Double, float for the integer types), some locals are declared
// `float` whatever the type, and some literals are doubles. To give Torch's numbers to
// the last bit each rounding the C compiler makes is made here: f() rounds to float32
// (float op float, done in double and rounded once, is exactly the float32 operation),
// T() rounds to temp_t, store() is FromIntermediate followed by the conversion to real.

import type { TensorType } from '../torch/types.js';

export const f = Math.fround;

const identity = (x: number) => x;

export interface Arith {
  /** Rounds to temp_t. */
  T: (x: number) => number;
  /** FromIntermediate(temp_t) then the conversion to the tensor's real type. */
  store: (x: number) => number;
}

/** Byte: FromIntermediate adds 0.5 (in float) and clamps to 0..255; the cast to unsigned char truncates. */
function storeByte(x: number): number {
  const y = f(x + 0.5);
  if (y <= 0) return 0;
  if (y >= 255) return 255;
  return Math.trunc(y);
}

export function arithFor(type: TensorType): Arith {
  switch (type) {
    case 'Double':
      return { T: identity, store: identity };
    case 'Float':
      return { T: f, store: f };
    case 'Byte':
      return { T: f, store: storeByte };
    case 'Char':
    case 'Short':
    case 'Int':
    case 'Long':
      return { T: f, store: Math.trunc };
    default:
      throw new TypeError(`image: no kernels for torch.${type}Tensor (Byte, Char, Short, Int, Long, Float and Double have them)`);
  }
}

/** C's round(): halves away from zero (Math.round sends -2.5 to -2). */
export function cRound(x: number): number {
  const r = Math.trunc(x);
  return Math.abs(x - r) >= 0.5 ? r + Math.sign(x) : r;
}
