// Conv2DBackpropInput against a float64 reference on many geometries (odd sizes, kernel
// sizes 1..5 incl. even ones, strides 1..3, pads up to and beyond the kernel, 'same' with
// asymmetric padding, channel counts that are not multiples of the SIMD tile), on cpu, on
// wasm with the WebAssembly SIMD kernel (wasm_conv_input_grad.ts: checked to have run) and
// on wasm with it turned off (the composite fallback); heap growth between calls; no tfjs
// tensor leaks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardInput, initBackend, testBackends } from '../src/backend/index.js';
import { convInputGradSimdRuns, convInputGradSimdSupported, convInputGradSimdTakes, setConvInputGradSimdEnabled } from '../src/backend/wasm_conv_input_grad.js';
import { setWasmSimdEnabled } from '../src/backend/fused.js';
import { data } from './helpers/random_data.js';

interface Case { n: number; h: number; w: number; ci: number; co: number; kh: number; kw: number; sh: number; sw: number; pad: [number, number] | 'same' | 'valid' }

interface Geometry { ho: number; wo: number; pt: number; pl: number }

function geometry(c: Case): Geometry {
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

/** dx in float64 and, per element, the sum of |terms| (the scale of float32 rounding). */
function reference(c: Case, g: Geometry, dy: Float32Array, wt: Float32Array): [Float64Array, Float64Array] {
  const dx = new Float64Array(c.n * c.h * c.w * c.ci);
  const abs = new Float64Array(dx.length);
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
              for (let j = 0; j < c.co; j++) {
                const t = wt[o + j]! * dy[d + j]!;
                dx[xo + i]! += t;
                abs[xo + i]! += Math.abs(t);
              }
            }
          }
        }
      }
    }
  }
  return [dx, abs];
}

function inputGrad(c: Case, dy: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D {
  if (typeof c.pad !== 'string') return conv2dBackwardInput(dy, f, [c.n, c.h, c.w, c.ci], [c.sh, c.sw], c.pad);
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, {
    strides: [c.sh, c.sw], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [c.n, c.h, c.w, c.ci],
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

const CASES: Case[] = [
  { n: 2, h: 5, w: 7, ci: 3, co: 5, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
  { n: 3, h: 9, w: 9, ci: 6, co: 10, kh: 3, kw: 3, sh: 2, sw: 2, pad: [1, 1] },
  { n: 2, h: 8, w: 8, ci: 16, co: 16, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0] },
  { n: 2, h: 9, w: 7, ci: 5, co: 3, kh: 1, kw: 1, sh: 2, sw: 2, pad: [0, 0] },
  { n: 2, h: 10, w: 10, ci: 32, co: 24, kh: 1, kw: 1, sh: 2, sw: 2, pad: [0, 0] },
  { n: 1, h: 6, w: 6, ci: 9, co: 7, kh: 5, kw: 5, sh: 1, sw: 1, pad: [2, 2] },
  { n: 2, h: 10, w: 10, ci: 4, co: 8, kh: 3, kw: 3, sh: 2, sw: 2, pad: [0, 0] },
  { n: 2, h: 4, w: 4, ci: 33, co: 17, kh: 1, kw: 1, sh: 1, sw: 1, pad: [1, 1] },
  { n: 1, h: 7, w: 5, ci: 2, co: 3, kh: 3, kw: 2, sh: 2, sw: 3, pad: [0, 1] },
  { n: 1, h: 5, w: 5, ci: 10, co: 4, kh: 3, kw: 3, sh: 1, sw: 1, pad: [4, 3] },
  { n: 2, h: 7, w: 8, ci: 9, co: 13, kh: 2, kw: 2, sh: 2, sw: 1, pad: 'same' },
  { n: 2, h: 6, w: 9, ci: 11, co: 6, kh: 3, kw: 3, sh: 2, sw: 2, pad: 'same' },
  { n: 2, h: 9, w: 6, ci: 1, co: 1, kh: 3, kw: 1, sh: 3, sw: 1, pad: 'valid' },
  { n: 2, h: 8, w: 11, ci: 5, co: 7, kh: 4, kw: 4, sh: 3, sw: 3, pad: [1, 2] },
  { n: 3, h: 3, w: 3, ci: 24, co: 64, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
  // ResNet-like: channel counts that fill the tile (dx written in place), odd widths
  { n: 3, h: 12, w: 11, ci: 32, co: 16, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
  { n: 2, h: 13, w: 13, ci: 64, co: 32, kh: 1, kw: 1, sh: 2, sw: 2, pad: [0, 0] },
  { n: 5, h: 8, w: 8, ci: 16, co: 64, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0] },
];

function check(c: Case, seed: number): void {
  const g = geometry(c);
  const dyv = data(c.n * g.ho * g.wo * c.co, seed);
  const wv = data(c.kh * c.kw * c.ci * c.co, seed + 1);
  const dy = tf.tensor4d(dyv, [c.n, g.ho, g.wo, c.co]);
  const f = tf.tensor4d(wv, [c.kh, c.kw, c.ci, c.co]);
  const before = tf.memory().numTensors;
  const dx = inputGrad(c, dy, f);
  expect(tf.memory().numTensors - before).toBe(1);
  expect(dx.shape).toEqual([c.n, c.h, c.w, c.ci]);
  const [ref, abs] = reference(c, g, dyv, wv);
  const got = dx.dataSync();
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    // positions no tap reaches are exactly zero
    if (abs[i] === 0) expect(got[i], `dx[${i}] of ${JSON.stringify(c)}`).toBe(0);
    else worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / abs[i]!);
  }
  // float32 products summed in float32: error within a few float32 ulps of sum |terms|
  expect(worst, `dx of ${JSON.stringify(c)}`).toBeLessThan(2e-6);
  tf.dispose([dy, f, dx]);
}

describe.each(testBackends())('Conv2DBackpropInput on %s', (backend) => {
  const modes = backend === 'wasm' ? (['simd', 'composite', 'no-wasm-simd'] as const) : (['composite'] as const);
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(() => {
    setConvInputGradSimdEnabled(true);
    setWasmSimdEnabled(true);
  });

  for (const mode of modes) {
    it(`${mode}: float64 reference on ${CASES.length} geometries`, () => {
      if (mode === 'simd' && !convInputGradSimdSupported()) return;
      setConvInputGradSimdEnabled(mode !== 'composite');
      setWasmSimdEnabled(mode !== 'no-wasm-simd');
      const runs = convInputGradSimdRuns();
      const tensors = tf.memory().numTensors;
      CASES.forEach((c, i) => check(c, 300 + 2 * i));
      expect(tf.memory().numTensors).toBe(tensors);
      // the SIMD kernel took every case it takes on wasm (most), and nothing else does
      const taken = CASES.filter((c) => convInputGradSimdTakes(c.ci, c.sh, c.sw)).length;
      expect(taken).toBeGreaterThan(CASES.length / 2);
      expect(convInputGradSimdRuns() - runs).toBe(mode === 'simd' && backend === 'wasm' ? taken : 0);
      setConvInputGradSimdEnabled(true);
      setWasmSimdEnabled(true);
    });
  }

  if (backend === 'wasm') {
    it('simd: keeps working after the heap grows', () => {
      if (!convInputGradSimdSupported()) return;
      setConvInputGradSimdEnabled(true);
      const c = CASES[1]!;
      check(c, 7);
      const big = tf.zeros([64 * 1024 * 1024]); // 256 MB: the wasm memory grows
      check(c, 9);
      // a scratch block larger than any before (many taps, odd channels: padded dx) after the growth
      check({ n: 2, h: 30, w: 30, ci: 70, co: 90, kh: 5, kw: 5, sh: 1, sw: 1, pad: [2, 2] }, 11);
      big.dispose();
    });
  }
});
