// Conv2DBackpropInput against a float64 reference on many geometries (odd sizes, kernel
// sizes 1..5 incl. even ones, strides 1..3, pads up to and beyond the kernel, 'same' with
// asymmetric padding, channel counts that are not multiples of the SIMD tile), on cpu, on
// wasm with the WebAssembly SIMD kernel (wasm/conv_input_grad.ts: checked to have run) and
// on wasm with it turned off (the composite fallback); heap growth between calls; no tfjs
// tensor leaks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardInput, initBackend, testBackends } from '../src/backend/index.js';
import { convInputGradSimd, convInputGradSimdTakes } from '../src/backend/wasm/conv_input_grad.js';
import { tapGemmSupported } from '../src/backend/wasm/tap_gemm.js';
import { wasmSimd } from '../src/backend/wasm/kill_switch.js';
import { data } from './helpers/random_data.js';
import { convGeometry, expectNearReference, forEachConvTerm, type ConvCase, type ConvGeometry } from './helpers/conv_cases.js';

/** dx in float64 and, per element, the sum of |terms| (the scale of float32 rounding). */
function reference(c: ConvCase, g: ConvGeometry, dy: Float32Array, wt: Float32Array): [Float64Array, Float64Array] {
  const dx = new Float64Array(c.n * c.h * c.w * c.ci);
  const abs = new Float64Array(dx.length);
  forEachConvTerm(c, g, (xi, wi, yi) => {
    const t = wt[wi]! * dy[yi]!;
    dx[xi]! += t;
    abs[xi]! += Math.abs(t);
  });
  return [dx, abs];
}

function inputGrad(c: ConvCase, dy: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D {
  if (typeof c.pad !== 'string') return conv2dBackwardInput(dy, f, [c.n, c.h, c.w, c.ci], [c.sh, c.sw], c.pad);
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, {
    strides: [c.sh, c.sw], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [c.n, c.h, c.w, c.ci],
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

const CASES: ConvCase[] = [
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
  // a tap's B over 32 KB: column tiles outermost, B packed in 16-column panels
  { n: 2, h: 5, w: 6, ci: 100, co: 96, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0] },
  { n: 2, h: 5, w: 5, ci: 240, co: 40, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] },
];

function check(c: ConvCase, seed: number): void {
  const g = convGeometry(c);
  const dyv = data(c.n * g.ho * g.wo * c.co, seed);
  const wv = data(c.kh * c.kw * c.ci * c.co, seed + 1);
  const dy = tf.tensor4d(dyv, [c.n, g.ho, g.wo, c.co]);
  const f = tf.tensor4d(wv, [c.kh, c.kw, c.ci, c.co]);
  const before = tf.memory().numTensors;
  const dx = inputGrad(c, dy, f);
  expect(tf.memory().numTensors - before).toBe(1);
  expect(dx.shape).toEqual([c.n, c.h, c.w, c.ci]);
  const [ref, abs] = reference(c, g, dyv, wv);
  // positions no tap reaches are exactly zero
  expectNearReference(dx.dataSync(), ref, abs, 'dx', c);
  tf.dispose([dy, f, dx]);
}

describe.each(testBackends())('Conv2DBackpropInput on %s', (backend) => {
  const modes = backend === 'wasm' ? (['simd', 'composite', 'no-wasm-simd'] as const) : (['composite'] as const);
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(() => {
    convInputGradSimd.set(true);
    wasmSimd.set(true);
  });

  for (const mode of modes) {
    it(`${mode}: float64 reference on ${CASES.length} geometries`, () => {
      if (mode === 'simd' && !tapGemmSupported()) return;
      convInputGradSimd.set(mode !== 'composite');
      wasmSimd.set(mode !== 'no-wasm-simd');
      const runs = convInputGradSimd.runs();
      const tensors = tf.memory().numTensors;
      CASES.forEach((c, i) => check(c, 300 + 2 * i));
      expect(tf.memory().numTensors).toBe(tensors);
      // the SIMD kernel took every case it takes on wasm (most), and nothing else does
      const taken = CASES.filter((c) => convInputGradSimdTakes(c.ci, c.sh, c.sw)).length;
      expect(taken).toBeGreaterThan(CASES.length / 2);
      expect(convInputGradSimd.runs() - runs).toBe(mode === 'simd' && backend === 'wasm' ? taken : 0);
      convInputGradSimd.set(true);
      wasmSimd.set(true);
    });
  }

  if (backend === 'wasm') {
    it('simd: keeps working after the heap grows', () => {
      if (!tapGemmSupported()) return;
      convInputGradSimd.set(true);
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
