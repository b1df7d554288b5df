// Conv2DBackpropFilter against a float64 reference on many geometries (odd sizes, kernel
// sizes 1..5 incl. even ones, strides 1..3, pads up to and beyond the kernel, 'same' with
// asymmetric padding, channel counts that are not multiples of the SIMD tile), on cpu, on
// wasm with the WebAssembly SIMD kernel (wasm/conv_weight_grad.ts: checked to have run) and on
// wasm with it turned off (the composite fallback); the float64 block accumulation over
// many positions; heap growth between calls; no tfjs tensor leaks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardFilter, initBackend, testBackends } from '../src/backend/index.js';
import { data } from './helpers/random_data.js';
import { convGeometry, expectNearReference, forEachConvTerm, type ConvCase, type ConvGeometry } from './helpers/conv_cases.js';
import { BLOCK, convWeightGradSimd, convWeightGradSimdSupported, setWeightGradPacking } from '../src/backend/wasm/conv_weight_grad.js';
import { resetNumThreads, setNumThreads } from '../src/backend/threads.js';

/** dW in float64 and, per element, the sum of |terms| (the scale of float32 rounding). */
function reference(c: ConvCase, g: ConvGeometry, x: Float32Array, dy: Float32Array): [Float64Array, Float64Array] {
  const dw = new Float64Array(c.kh * c.kw * c.ci * c.co);
  const abs = new Float64Array(dw.length);
  forEachConvTerm(c, g, (xi, wi, yi) => {
    const t = x[xi]! * dy[yi]!;
    dw[wi]! += t;
    abs[wi]! += Math.abs(t);
  });
  return [dw, abs];
}

function filterGrad(c: ConvCase, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const pad = typeof c.pad === 'string' ? c.pad : [[0, 0], [c.pad[0], c.pad[0]], [c.pad[1], c.pad[1]], [0, 0]];
  if (typeof c.pad !== 'string') return conv2dBackwardFilter(x, dy, [c.kh, c.kw, c.ci, c.co], [c.sh, c.sw], c.pad);
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: [c.sh, c.sw], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [c.kh, c.kw, c.ci, c.co],
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

const CASES: ConvCase[] = [
  { n: 2, h: 5, w: 7, ci: 3, co: 5, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
  { n: 3, h: 9, w: 9, ci: 6, co: 10, kh: 3, kw: 3, sh: 2, sw: 2, pad: [1, 1] },
  { n: 2, h: 8, w: 8, ci: 16, co: 16, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0] },
  { n: 2, h: 9, w: 7, ci: 5, co: 3, kh: 1, kw: 1, sh: 2, sw: 2, pad: [0, 0] },
  { n: 1, h: 6, w: 6, ci: 7, co: 9, kh: 5, kw: 5, sh: 1, sw: 1, pad: [2, 2] },
  { n: 2, h: 10, w: 10, ci: 4, co: 8, kh: 3, kw: 3, sh: 2, sw: 2, pad: [0, 0] },
  { n: 2, h: 4, w: 4, ci: 33, co: 17, kh: 1, kw: 1, sh: 1, sw: 1, pad: [1, 1] },
  { n: 1, h: 7, w: 5, ci: 2, co: 3, kh: 3, kw: 2, sh: 2, sw: 3, pad: [0, 1] },
  { n: 1, h: 5, w: 5, ci: 3, co: 4, kh: 3, kw: 3, sh: 1, sw: 1, pad: [4, 3] },
  { n: 2, h: 7, w: 8, ci: 9, co: 13, kh: 2, kw: 2, sh: 2, sw: 1, pad: 'same' },
  { n: 2, h: 6, w: 9, ci: 11, co: 6, kh: 3, kw: 3, sh: 2, sw: 2, pad: 'same' },
  { n: 2, h: 9, w: 6, ci: 1, co: 1, kh: 3, kw: 1, sh: 3, sw: 1, pad: 'valid' },
  { n: 3, h: 3, w: 3, ci: 64, co: 24, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
  // ResNet-like: one image holds more than BLOCK positions (row chunks), and stride-2 1x1
  { n: 2, h: 20, w: 18, ci: 16, co: 12, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
  { n: 2, h: 24, w: 24, ci: 12, co: 32, kh: 1, kw: 1, sh: 2, sw: 2, pad: [0, 0] },
];

function check(c: ConvCase, seed: number): void {
  const g = convGeometry(c);
  const xv = data(c.n * c.h * c.w * c.ci, seed);
  const dyv = data(c.n * g.ho * g.wo * c.co, seed + 1);
  const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
  const dy = tf.tensor4d(dyv, [c.n, g.ho, g.wo, c.co]);
  const before = tf.memory().numTensors;
  const dw = filterGrad(c, x, dy);
  expect(tf.memory().numTensors - before).toBe(1);
  expect(dw.shape).toEqual([c.kh, c.kw, c.ci, c.co]);
  const [ref, abs] = reference(c, g, xv, dyv);
  const got = dw.dataSync();
  // float32 products summed in float32: error within a few float32 ulps of sum |terms|
  expectNearReference(got, ref, abs, 'dW', c);
  tf.dispose([x, dy, dw]);
}

describe.each(testBackends())('Conv2DBackpropFilter on %s', (backend) => {
  const modes = backend === 'wasm' ? (['simd', 'composite'] as const) : (['composite'] as const);
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(() => convWeightGradSimd.set(true));

  for (const mode of modes) {
    it(`${mode}: float64 reference on ${CASES.length} geometries`, () => {
      if (mode === 'simd' && !convWeightGradSimdSupported()) return;
      convWeightGradSimd.set(mode === 'simd');
      const runs = convWeightGradSimd.runs();
      const tensors = tf.memory().numTensors;
      CASES.forEach((c, i) => check(c, 100 + 2 * i));
      expect(tf.memory().numTensors).toBe(tensors);
      // the SIMD kernel took every case on wasm, and nothing else does
      expect(convWeightGradSimd.runs() - runs).toBe(mode === 'simd' && backend === 'wasm' ? CASES.length : 0);
      convWeightGradSimd.set(true);
    });
  }

  if (backend === 'wasm') {
    it('simd: sums many positions in float64 blocks (a plain float32 sum drifts)', () => {
      if (!convWeightGradSimdSupported()) return;
      convWeightGradSimd.set(true);
      // 1x1, 65536 positions of 0.1f * 0.3f each: a running float32 sum is off by ~1e-4
      const n = 16, h = 64, w = 64, ci = 5, co = 6;
      const x = tf.fill([n, h, w, ci], 0.1) as tf.Tensor4D;
      const dy = tf.fill([n, h, w, co], 0.3) as tf.Tensor4D;
      const dw = conv2dBackwardFilter(x, dy, [1, 1, ci, co], [1, 1], [0, 0]);
      const term = Math.fround(Math.fround(0.1) * Math.fround(0.3)); // each float32 product
      const exact = term * n * h * w;
      let naive = 0;
      for (let i = 0; i < n * h * w; i++) naive = Math.fround(naive + term);
      expect(Math.abs(naive - exact) / exact).toBeGreaterThan(1e-4); // the drift exists
      // float32 within a block of BLOCK terms: at most ~BLOCK/2 half-ulps of drift
      for (const v of dw.dataSync()) expect(Math.abs(v - exact) / exact).toBeLessThan((BLOCK / 2) * 2 ** -24);
      expect(n * h * w).toBeGreaterThan(100 * BLOCK);
      tf.dispose([x, dy, dw]);
    });

    it('simd: the packed GEMM gives the in-place GEMM\'s bits, on 1 and 2 threads', () => {
      if (!convWeightGradSimdSupported()) return;
      convWeightGradSimd.set(true);
      const shapes: ConvCase[] = [
        ...CASES,
        // the ResNet shapes the rule packs (1x1 with many channels, 3x3 64 -> 64), odd counts
        { n: 3, h: 8, w: 8, ci: 64, co: 256, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0] },
        { n: 2, h: 20, w: 20, ci: 64, co: 16, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0] },
        { n: 5, h: 8, w: 8, ci: 64, co: 64, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
        { n: 2, h: 9, w: 11, ci: 37, co: 45, kh: 3, kw: 3, sh: 2, sw: 2, pad: [1, 1] },
      ];
      try {
        shapes.forEach((c, i) => {
          const g = convGeometry(c);
          const x = tf.tensor4d(data(c.n * c.h * c.w * c.ci, 40 + i), [c.n, c.h, c.w, c.ci]);
          const dy = tf.tensor4d(data(c.n * g.ho * g.wo * c.co, 80 + i), [c.n, g.ho, g.wo, c.co]);
          const results: Float32Array[] = [];
          for (const threads of [1, 2]) {
            setNumThreads(threads);
            for (const mode of ['never', 'always'] as const) {
              setWeightGradPacking(mode);
              const dw = filterGrad(c, x, dy);
              results.push(dw.dataSync() as Float32Array);
              dw.dispose();
            }
          }
          for (const r of results.slice(1)) expect(Buffer.from(r.buffer).equals(Buffer.from(results[0]!.buffer)), JSON.stringify(c)).toBe(true);
          tf.dispose([x, dy]);
        });
      } finally {
        setWeightGradPacking('auto');
        resetNumThreads();
      }
    });

    it('simd: keeps working after the heap grows', () => {
      if (!convWeightGradSimdSupported()) return;
      convWeightGradSimd.set(true);
      const c = CASES[1]!;
      check(c, 7);
      const big = tf.zeros([64 * 1024 * 1024]); // 256 MB: the wasm memory grows
      check(c, 9);
      // a scratch block larger than any before (many taps, many channels) after the growth
      check({ n: 1, h: 7, w: 7, ci: 70, co: 90, kh: 5, kw: 5, sh: 1, sw: 1, pad: [2, 2] }, 11);
      big.dispose();
    });
  }
});
