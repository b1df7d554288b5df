// Shared by the convolution kernel suites (conv_forward, conv_grad, conv_input_grad): the
// geometry of a channels-last conv case as tfjs computes it, the walk over every product
// term of the convolution (from which each suite builds its float64 reference), and the
// check of a float32 result against such a reference.

import { expect } from 'vitest';

/** The sizes the term walk needs: batch, input, channels, filter, strides. */
export interface ConvShape { n: number; h: number; w: number; ci: number; co: number; kh: number; kw: number; sh: number; sw: number }

/** A conv case with explicit [top/bottom, left/right] padding or tfjs's 'same' / 'valid'. */
export interface ConvCase extends ConvShape { pad: [number, number] | 'same' | 'valid' }

/** Output size and top/left padding of a case. */
export interface ConvGeometry { ho: number; wo: number; pt: number; pl: number }

export function convGeometry(c: ConvCase): ConvGeometry {
  if (c.pad === 'same') {
    const ho = Math.ceil(c.h / c.sh);
    const wo = Math.ceil(c.w / c.sw);
    // tfjs/TensorFlow 'same': the smaller half of the padding at the top / left
    const padH = Math.max(0, (ho - 1) * c.sh + c.kh - c.h);
    const padW = Math.max(0, (wo - 1) * c.sw + c.kw - c.w);
    return { ho, wo, pt: Math.floor(padH / 2), pl: Math.floor(padW / 2) };
  }
  const [ph, pw] = c.pad === 'valid' ? [0, 0] : c.pad;
  return { ho: Math.floor((c.h + 2 * ph - c.kh) / c.sh) + 1, wo: Math.floor((c.w + 2 * pw - c.kw) / c.sw) + 1, pt: ph, pl: pw };
}

/**
 * Calls visit(xi, wi, yi) for every term x[xi] * W[wi] of y[yi] (x [n,h,w,ci], W [kh,kw,ci,co],
 * y [n,ho,wo,co], channels last), taps in the padding skipped. The order is fixed (image, output
 * row, column, tap row, column, ci, co), so a reference summing in it is reproducible.
 */
export function forEachConvTerm(c: ConvShape, g: ConvGeometry, visit: (xi: number, wi: number, yi: number) => void): void {
  for (let b = 0; b < c.n; b++) {
    for (let oh = 0; oh < g.ho; oh++) {
      for (let ow = 0; ow < g.wo; ow++) {
        const d = ((b * g.ho + oh) * g.wo + ow) * c.co;
        for (let a = 0; a < c.kh; a++) {
          const ih = oh * c.sh + a - g.pt;
          if (ih < 0 || ih >= c.h) continue;
          for (let e = 0; e < c.kw; e++) {
            const iw = ow * c.sw + e - g.pl;
            if (iw < 0 || iw >= c.w) continue;
            const xo = ((b * c.h + ih) * c.w + iw) * c.ci;
            for (let i = 0; i < c.ci; i++) {
              const o = ((a * c.kw + e) * c.ci + i) * c.co;
              for (let j = 0; j < c.co; j++) visit(xo + i, o + j, d + j);
            }
          }
        }
      }
    }
  }
}

/**
 * Checks `got` against a float64 reference `ref`, `abs` holding per element the sum of |terms|:
 * elements with no terms are exactly zero, the others within `bound` (default 2e-6) of
 * sum |terms| (float32 products summed in float32: a few float32 ulps). `what` names the
 * result, `c` the case. Returns the mean of |got - ref| / sum |terms| over the elements.
 */
export function expectNearReference(got: ArrayLike<number>, ref: Float64Array, abs: Float64Array, what: string, c: object, bound = 2e-6): number {
  let worst = 0;
  let sum = 0;
  for (let i = 0; i < ref.length; i++) {
    if (abs[i] === 0) expect(got[i], `${what}[${i}] of ${JSON.stringify(c)}`).toBe(0);
    else {
      const e = Math.abs(got[i]! - ref[i]!) / abs[i]!;
      worst = Math.max(worst, e);
      sum += e;
    }
  }
  expect(worst, `${what} of ${JSON.stringify(c)}`).toBeLessThan(bound);
  return sum / Math.max(1, ref.length);
}
