// conv2dForward against a float64 reference on many geometries (odd sizes, kernel sizes 1..5
// incl. even and non-square ones, strides 1..3, pads 0 up to and beyond the kernel, channel
// counts that are not multiples of the SIMD tile, with and without bias), on cpu, on wasm with
// the WebAssembly SIMD kernel (wasm/conv_forward.ts: checked to have run on every shape),
// on wasm with it turned off (XNNPACK) and with MPELU_WASM_SIMD off; heap growth
// between calls; no tfjs tensor leaks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dForward, initBackend, testBackends } from '../src/backend/index.js';
import { convForwardSimd } from '../src/backend/wasm/conv_forward.js';
import { tapGemmSupported } from '../src/backend/wasm/tap_gemm.js';
import { wasmSimd } from '../src/backend/wasm/kill_switch.js';
import { data } from './helpers/random_data.js';
import { expectNearReference, forEachConvTerm, type ConvShape } from './helpers/conv_cases.js';

interface Case extends ConvShape { ph: number; pw: number; bias: boolean }

function outSize(c: Case): [number, number] {
  return [Math.floor((c.h + 2 * c.ph - c.kh) / c.sh) + 1, Math.floor((c.w + 2 * c.pw - c.kw) / c.sw) + 1];
}

/** y in float64 and, per element, the sum of |terms| incl. |bias| (the scale of float32 rounding). */
function reference(c: Case, x: Float32Array, wt: Float32Array, b: Float32Array | null): [Float64Array, Float64Array] {
  const [ho, wo] = outSize(c);
  const y = new Float64Array(c.n * ho * wo * c.co);
  const abs = new Float64Array(y.length);
  // every output starts as the bias, then the terms add in the walk's order
  if (b) {
    for (let yo = 0; yo < y.length; yo += c.co) {
      for (let j = 0; j < c.co; j++) {
        y[yo + j] = b[j]!;
        abs[yo + j] = Math.abs(b[j]!);
      }
    }
  }
  forEachConvTerm(c, { ho, wo, pt: c.ph, pl: c.pw }, (xi, wi, yi) => {
    const t = wt[wi]! * x[xi]!;
    y[yi]! += t;
    abs[yi]! += Math.abs(t);
  });
  return [y, abs];
}

const CASES: Case[] = [
  { n: 2, h: 5, w: 7, ci: 3, co: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, bias: true },
  { n: 3, h: 9, w: 9, ci: 6, co: 10, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, bias: false },
  { n: 2, h: 8, w: 8, ci: 16, co: 16, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, bias: true },
  { n: 2, h: 8, w: 8, ci: 16, co: 16, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, bias: false },
  { n: 2, h: 9, w: 7, ci: 5, co: 3, kh: 1, kw: 1, sh: 2, sw: 2, ph: 0, pw: 0, bias: true },
  { n: 2, h: 10, w: 10, ci: 32, co: 24, kh: 1, kw: 1, sh: 2, sw: 2, ph: 0, pw: 0, bias: false },
  { n: 1, h: 6, w: 6, ci: 9, co: 7, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2, bias: true },
  { n: 2, h: 10, w: 10, ci: 4, co: 8, kh: 3, kw: 3, sh: 2, sw: 2, ph: 0, pw: 0, bias: false },
  // 1x1 with padding: the border outputs see no input (bias only, or exact zeros)
  { n: 2, h: 4, w: 4, ci: 33, co: 17, kh: 1, kw: 1, sh: 1, sw: 1, ph: 1, pw: 1, bias: true },
  { n: 2, h: 4, w: 4, ci: 33, co: 17, kh: 1, kw: 1, sh: 1, sw: 1, ph: 1, pw: 1, bias: false },
  { n: 1, h: 7, w: 5, ci: 2, co: 3, kh: 3, kw: 2, sh: 2, sw: 3, ph: 0, pw: 1, bias: true },
  // pads beyond the kernel: no tap covers every output
  { n: 1, h: 5, w: 5, ci: 10, co: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 4, pw: 3, bias: false },
  { n: 2, h: 7, w: 8, ci: 9, co: 13, kh: 2, kw: 2, sh: 2, sw: 1, ph: 1, pw: 0, bias: true },
  { n: 2, h: 9, w: 6, ci: 1, co: 1, kh: 3, kw: 1, sh: 3, sw: 1, ph: 0, pw: 0, bias: true },
  { n: 2, h: 8, w: 11, ci: 5, co: 7, kh: 4, kw: 4, sh: 3, sw: 3, ph: 1, pw: 2, bias: false },
  { n: 2, h: 11, w: 9, ci: 7, co: 20, kh: 5, kw: 3, sh: 2, sw: 1, ph: 2, pw: 1, bias: true },
  { n: 3, h: 3, w: 3, ci: 24, co: 64, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, bias: true },
  // ResNet-like: channel counts that fill the tile (W read and y written in place), odd widths
  { n: 3, h: 12, w: 11, ci: 16, co: 32, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, bias: true },
  { n: 2, h: 13, w: 13, ci: 64, co: 32, kh: 1, kw: 1, sh: 2, sw: 2, ph: 0, pw: 0, bias: true },
  { n: 5, h: 8, w: 8, ci: 16, co: 64, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, bias: false },
  { n: 4, h: 7, w: 7, ci: 3, co: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, bias: true },
  // a tap's B over 32 KB: column tiles outermost, a packed B in 16-column panels (with the
  // bias row, and with padded columns), W read in place in rows
  { n: 2, h: 5, w: 6, ci: 96, co: 100, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, bias: true },
  { n: 2, h: 5, w: 5, ci: 40, co: 230, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, bias: false },
  { n: 2, h: 4, w: 5, ci: 48, co: 192, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, bias: true },
];

function check(c: Case, seed: number): void {
  const [ho, wo] = outSize(c);
  const xv = data(c.n * c.h * c.w * c.ci, seed);
  const wv = data(c.kh * c.kw * c.ci * c.co, seed + 1);
  const bv = c.bias ? data(c.co, seed + 2) : null;
  const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
  const f = tf.tensor4d(wv, [c.kh, c.kw, c.ci, c.co]);
  const b = bv ? tf.tensor1d(bv) : null;
  const before = tf.memory().numTensors;
  const y = conv2dForward(x, f, b, c.sh, c.sw, c.ph, c.pw);
  expect(tf.memory().numTensors - before).toBe(1);
  expect(y.shape).toEqual([c.n, ho, wo, c.co]);
  const [ref, abs] = reference(c, xv, wv, bv);
  // outputs that see neither input nor bias are exactly zero
  expectNearReference(y.dataSync(), ref, abs, 'y', c);
  tf.dispose([x, f, y]);
  if (b) b.dispose();
}

describe.each(testBackends())('conv2dForward on %s', (backend) => {
  const modes = backend === 'wasm' ? (['simd', 'xnnpack', 'no-wasm-simd'] as const) : (['tfjs'] as const);
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(() => {
    convForwardSimd.set(true);
    wasmSimd.set(true);
  });

  for (const mode of modes) {
    it(`${mode}: float64 reference on ${CASES.length} geometries`, () => {
      if (mode === 'simd' && !tapGemmSupported()) return;
      convForwardSimd.set(mode !== 'xnnpack');
      wasmSimd.set(mode !== 'no-wasm-simd');
      const runs = convForwardSimd.runs();
      const tensors = tf.memory().numTensors;
      CASES.forEach((c, i) => check(c, 500 + 3 * i));
      expect(tf.memory().numTensors).toBe(tensors);
      // the SIMD kernel ran on every case it takes on wasm, and only in the SIMD mode
      // the kernel takes every layer
      expect(convForwardSimd.runs() - runs).toBe(mode === 'simd' && backend === 'wasm' ? CASES.length : 0);
      convForwardSimd.set(true);
      wasmSimd.set(true);
    });
  }

  if (backend === 'wasm') {
    it('simd: keeps working after the heap grows', () => {
      if (!tapGemmSupported()) return;
      convForwardSimd.set(true);
      const c = CASES[1]!;
      check(c, 7);
      const big = tf.zeros([64 * 1024 * 1024]); // 256 MB: the wasm memory grows
      check(c, 9);
      // a scratch block larger than any before (many taps, odd channels: padded y) after the growth
      check({ n: 2, h: 30, w: 30, ci: 70, co: 90, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2, bias: true }, 11);
      big.dispose();
    });
  }
});
