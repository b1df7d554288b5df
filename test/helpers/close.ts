// The suite's one closeness check for numeric results.

import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Tensor } from '../../src/torch/tensor.js';

type Values = Tensor | tf.Tensor | ArrayLike<number>;

function valuesOf(x: Values): ArrayLike<number> {
  if (x instanceof Tensor) return x.values();
  if (x instanceof tf.Tensor) return x.dataSync() as ArrayLike<number>;
  return x;
}

/**
 * Element-wise |got - want| <= rtol * (|want| + floor) for every element, `floor` being
 * 'scale' (the default: the largest |want| of the result, so the bound is relative to each
 * value and to the result's scale; a pure relative bound means nothing near zero; an
 * all-zero `want` must then be matched exactly) or a number (1: relative for large values,
 * absolute for small ones). Torch tensors must also have the same sizes. The failure
 * names the worst element.
 */
export function expectClose(got: unknown, want: Values, rtol: number, what: string, floor: 'scale' | number = 'scale'): void {
  if (want instanceof Tensor) {
    expect(got, `${what} is a tensor`).toBeInstanceOf(Tensor);
    expect((got as Tensor).size(), `${what} sizes`).toEqual(want.size());
  }
  const g = valuesOf(got as Values);
  const w = valuesOf(want);
  expect(g.length, `${what} element count`).toBe(w.length);
  let f = 0;
  if (floor === 'scale') {
    for (let i = 0; i < w.length; i++) f = Math.max(f, Math.abs(w[i]!));
  } else {
    f = floor;
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const bound = rtol * (Math.abs(w[i]!) + f);
    const diff = Math.abs(g[i]! - w[i]!);
    const ratio = bound > 0 ? diff / bound : diff === 0 ? 0 : Infinity;
    if (!(ratio <= worst)) {
      worst = ratio;
      at = i;
    }
  }
  expect(worst, `${what}: worst element ${at + 1}: got ${g[at]}, want ${w[at]} (rtol ${rtol})`).toBeLessThanOrEqual(1);
}
