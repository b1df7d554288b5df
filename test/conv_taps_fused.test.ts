// The 3x3 stride-1 pad-1 convolution's nine taps in one kernel call (src/backend/wasm/tap3x3.ts):
// the forward (filter on the host in Torch's order and on the heap in tfjs's, with and without
// bias) and the input gradient give the same bits as the per-tap kernels (MPELU_CONV_TAPS_FUSED=0)
// over images whose every edge meets the padding (1 and 2 rows or columns, odd widths, channel
// counts off the 16-wide tiles), on 1 and 2 threads; other geometries, and layers with more than
// 35 terms per tap (a B panel past 20 KB), keep the per-tap kernels.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { conv2dBackwardInputHost, conv2dForwardHost } from '../src/backend/host_params.js';
import { conv2dForwardWasmSimd } from '../src/backend/wasm/conv_forward.js';
import { conv2dBackpropInputWasmSimd } from '../src/backend/wasm/conv_input_grad.js';
import { fusedTaps3x3, fusesTaps3x3, tapOrder } from '../src/backend/wasm/tap_gemm.js';
import { TAP3X3_ORDER } from '../src/backend/wasm/tap3x3.js';
import { resetNumThreads, setNumThreads } from '../src/backend/threads.js';
import { data } from './helpers/random_data.js';

const shapes = [
  { n: 2, h: 8, w: 8, ci: 16, co: 16 },
  { n: 3, h: 5, w: 7, ci: 8, co: 32 }, // odd width: a last tile of one position
  { n: 1, h: 1, w: 1, ci: 16, co: 16 }, // only the centre tap inside
  { n: 2, h: 2, w: 3, ci: 20, co: 24 }, // columns off the tiles (C padded in scratch)
  { n: 4, h: 16, w: 16, ci: 32, co: 32 },
  { n: 2, h: 6, w: 4, ci: 64, co: 64 }, // 64 terms per tap: the per-tap kernels
  { n: 2, h: 6, w: 4, ci: 35, co: 35 }, // the largest fused
  { n: 1, h: 3, w: 9, ci: 3, co: 16 }, // the stem's 3 input channels
];

/** Torch's [co, ci, 3, 3] order of a tfjs [3, 3, ci, co] filter. */
function torchOrder(f: Float32Array, ci: number, co: number): Float32Array {
  const out = new Float32Array(f.length);
  for (let t = 0; t < 9; t++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[(o * ci + i) * 9 + t] = f[(t * ci + i) * co + o]!;
  return out;
}

const ARGS = { kh: 3, kw: 3, sh: 1, sw: 1, padH: 1, padW: 1 };
const GEOMETRY = { kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1 };

/** The bytes of a tensor's values, disposing it. */
function bytes(t: tf.Tensor): Buffer {
  const v = t.dataSync().slice();
  t.dispose();
  return Buffer.from(v.buffer);
}

/** Whether a layer with k terms per tap (input channels forward, output channels for the input gradient) is fused. */
const fusedFor = (k: number) => k <= 35;

/** Runs `f` with the fused kernel off, then on; returns both results and how many fused calls ran. */
function offAndOn(f: () => Buffer): { off: Buffer; on: Buffer; fusedCalls: number } {
  fusedTaps3x3.set(false);
  const before = fusedTaps3x3.runs();
  const off = f();
  expect(fusedTaps3x3.runs()).toBe(before);
  fusedTaps3x3.set(true);
  const on = f();
  return { off, on, fusedCalls: fusedTaps3x3.runs() - before };
}

describe('3x3 convolution taps in one kernel call (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    fusedTaps3x3.reset();
    resetNumThreads();
  });

  for (const threads of [1, 2]) {
    it(`gives the per-tap kernels' bits for the forward, filter on the host or the heap, with and without bias (${threads} thread(s))`, () => {
      setNumThreads(threads);
      shapes.forEach((s, k) => {
        const x = tf.tensor4d(data(s.n * s.h * s.w * s.ci, 100 + k), [s.n, s.h, s.w, s.ci]);
        const fv = data(9 * s.ci * s.co, 200 + k);
        const bv = data(s.co, 300 + k);
        const host = { values: torchOrder(fv, s.ci, s.co), co: s.co, ci: s.ci, kh: 3, kw: 3 };
        const f = tf.tensor4d(fv, [3, 3, s.ci, s.co]);
        const b = tf.tensor1d(bv);
        const before = tf.memory().numTensors;
        for (const withBias of [false, true]) {
          const onHost = offAndOn(() => bytes(conv2dForwardHost(x, host, withBias ? bv : null, ARGS)!));
          expect(onHost.fusedCalls > 0, JSON.stringify(s)).toBe(fusedFor(s.ci));
          expect(onHost.on.equals(onHost.off), `host filter ${JSON.stringify(s)} bias ${withBias}`).toBe(true);
          const onHeap = offAndOn(() => bytes(tf.engine().makeTensorFromTensorInfo(conv2dForwardWasmSimd(tf.backend(), x, f, withBias ? b : null, { ...GEOMETRY, ho: s.h, wo: s.w })!)));
          expect(onHeap.on.equals(onHeap.off), `heap filter ${JSON.stringify(s)} bias ${withBias}`).toBe(true);
          expect(onHeap.on.equals(onHost.on)).toBe(true);
        }
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([x, f, b]);
      });
      resetNumThreads();
    });

    it(`gives the per-tap kernels' bits for the input gradient, filter on the host or the heap (${threads} thread(s))`, () => {
      setNumThreads(threads);
      // dx has the layer's ci channels, dy its co
      shapes.filter((s) => s.ci >= 8).forEach((s, k) => {
        const dy = tf.tensor4d(data(s.n * s.h * s.w * s.co, 400 + k), [s.n, s.h, s.w, s.co]);
        const fv = data(9 * s.ci * s.co, 500 + k);
        const host = { values: torchOrder(fv, s.ci, s.co), co: s.co, ci: s.ci, kh: 3, kw: 3 };
        const f = tf.tensor4d(fv, [3, 3, s.ci, s.co]);
        const xShape = [s.n, s.h, s.w, s.ci];
        const onHost = offAndOn(() => bytes(conv2dBackwardInputHost(dy, host, xShape, ARGS)!));
        expect(onHost.fusedCalls > 0, JSON.stringify(s)).toBe(fusedFor(s.co));
        expect(onHost.on.equals(onHost.off), `host filter ${JSON.stringify(s)}`).toBe(true);
        const onHeap = offAndOn(() => bytes(tf.engine().makeTensorFromTensorInfo(conv2dBackpropInputWasmSimd(tf.backend(), dy, f, xShape, GEOMETRY)!)));
        expect(onHeap.on.equals(onHeap.off), `heap filter ${JSON.stringify(s)}`).toBe(true);
        expect(onHeap.on.equals(onHost.on)).toBe(true);
        tf.dispose([dy, f]);
      });
      resetNumThreads();
    });
  }

  it('gives the same bits on 1 and 2 threads over several groups of images', () => {
    fusedTaps3x3.set(true);
    const s = { n: 9, h: 32, w: 32, ci: 16, co: 16 };
    const x = tf.tensor4d(data(s.n * s.h * s.w * s.ci, 600), [s.n, s.h, s.w, s.ci]);
    const host = { values: data(9 * s.ci * s.co, 601), co: s.co, ci: s.ci, kh: 3, kw: 3 };
    const [one, two] = [1, 2].map((threads) => {
      setNumThreads(threads);
      return bytes(conv2dForwardHost(x, host, null, ARGS)!);
    });
    resetNumThreads();
    expect(two!.equals(one!)).toBe(true);
    x.dispose();
  });

  it('sums the taps in the per-tap kernels\' order (the covering centre first)', () => {
    expect([...TAP3X3_ORDER]).toEqual([...tapOrder(9, 4)]);
  });

  it('sums the taps in the per-tap kernels\' order (the covering centre first)', () => {
    expect([...TAP3X3_ORDER]).toEqual([...tapOrder(9, 4)]);
  });

  it('takes only 3x3 stride-1 pad-1 layers whose output has the input\'s size, and is switched off by set(false)', () => {
    fusedTaps3x3.set(true);
    const g = (kh: number, sh: number, pad: number) => ({ kh, kw: kh, sh, sw: sh, pt: pad, pl: pad });
    expect(fusesTaps3x3(g(3, 1, 1), 8, 8, 8, 8, 16)).toBe(true);
    expect(fusesTaps3x3(g(3, 1, 1), 8, 8, 8, 8, 35)).toBe(true);
    expect(fusesTaps3x3(g(3, 1, 1), 8, 8, 8, 8, 36)).toBe(false); // a B panel past 20 KB
    expect(fusesTaps3x3(g(3, 2, 1), 8, 8, 4, 4, 16)).toBe(false); // strided
    expect(fusesTaps3x3(g(3, 1, 0), 8, 8, 6, 6, 16)).toBe(false); // no padding
    expect(fusesTaps3x3(g(1, 1, 0), 8, 8, 8, 8, 16)).toBe(false); // 1x1
    expect(fusesTaps3x3({ kh: 3, kw: 1, sh: 1, sw: 1, pt: 1, pl: 0 }, 8, 8, 8, 8, 16)).toBe(false); // 3x1
    fusedTaps3x3.set(false);
    expect(fusesTaps3x3(g(3, 1, 1), 8, 8, 8, 8, 16)).toBe(false);
    fusedTaps3x3.reset();
  });
});
