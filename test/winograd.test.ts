// Winograd F(2x2, 3x3) and F(4x4, 3x3) (src/backend/wasm/winograd.ts) for the 3x3 stride-1 pad-1
// convolutions on wasm: the forward and the input gradient against a float64 reference, with
// the filter on the heap (tfjs's [kh, kw, ci, co]) and on the host (Torch's [co, ci, kh, kw]),
// with and without bias, over several slabs per image; the same bits on 1 and 2 threads; the
// shapes it declines go to the direct kernel. F(2x2) keeps the direct kernels' bound (within
// 2e-6 of the sum of |terms|); F(4x4)'s transforms (coefficients up to 8, and sixths in the
// filter's) round more: within 5e-6 of it at worst, and 2e-7 on average.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { conv2dBackwardInputHost, conv2dForwardHost } from '../src/backend/host_params.js';
import { conv2dForwardWasmSimd } from '../src/backend/wasm/conv_forward.js';
import { conv2dBackpropInputWasmSimd } from '../src/backend/wasm/conv_input_grad.js';
import { setWinogradInTraining, winograd, winogradF4, winogradTakes, winogradTile } from '../src/backend/wasm/winograd.js';
import { SpatialConvolution } from '../src/nn/SpatialConvolution.js';
import { Tensor } from '../src/torch/tensor.js';
import { resetNumThreads, setNumThreads } from '../src/backend/threads.js';
import { data } from './helpers/random_data.js';
import { convGeometry, expectNearReference, forEachConvTerm, type ConvCase } from './helpers/conv_cases.js';

const shapes = [
  { n: 2, h: 8, w: 8, ci: 16, co: 16 },
  { n: 3, h: 6, w: 12, ci: 8, co: 32 },
  { n: 1, h: 2, w: 4, ci: 4, co: 16 },
  { n: 2, h: 10, w: 12, ci: 32, co: 48 },
  { n: 1, h: 32, w: 32, ci: 16, co: 16 }, // several slabs per image
  { n: 2, h: 8, w: 8, ci: 64, co: 64 },
  { n: 1, h: 4, w: 8, ci: 4, co: 16 }, // F(4x4): one tile row, two tiles
  { n: 2, h: 12, w: 16, ci: 8, co: 32 }, // F(4x4): three tile rows
];

/** F(2x2, 3x3) everywhere, then F(4x4, 3x3) where the image allows it. */
const TILES = [false, true] as const;

/** The error bounds (worst, mean; relative to sum |terms|) for a case's tile size. */
function bounds(h: number, w: number): { worst: number; mean: number } {
  return winogradTile(h, w) === 4 ? { worst: 5e-6, mean: 2e-7 } : { worst: 2e-6, mean: 5e-8 };
}

const caseOf = (s: (typeof shapes)[number]): ConvCase => ({ ...s, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1] });

/** Torch's [co, ci, 3, 3] order of a tfjs [3, 3, ci, co] filter. */
function torchOrder(f: Float32Array, ci: number, co: number): Float32Array {
  const out = new Float32Array(f.length);
  for (let t = 0; t < 9; t++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[(o * ci + i) * 9 + t] = f[(t * ci + i) * co + o]!;
  return out;
}

const ARGS = { kh: 3, kw: 3, sh: 1, sw: 1, padH: 1, padW: 1, winograd: true };
const GEOMETRY = { kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, winograd: true };

/** The kernels with the filter (and bias) as tfjs tensors on the heap, Winograd allowed. */
function forwardOnHeap(x: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D | null, winogradOk = true): tf.Tensor4D {
  const [, h, w] = x.shape;
  const info = conv2dForwardWasmSimd(tf.backend(), x, f, b, { ...GEOMETRY, ho: h, wo: w, winograd: winogradOk })!;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}

function inputGradOnHeap(dy: tf.Tensor4D, f: tf.Tensor4D, xShape: number[]): tf.Tensor4D {
  const info = conv2dBackpropInputWasmSimd(tf.backend(), dy, f, xShape, GEOMETRY)!;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}

describe('Winograd F(2x2, 3x3) and F(4x4, 3x3) on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    winograd.reset();
    winogradF4.reset();
    setWinogradInTraining(undefined);
    resetNumThreads();
  });

  it.each(TILES)('computes the forward within its bound, filter on the heap or the host, with bias (F(4x4) allowed: %s)', (f4) => {
    winograd.set(true);
    winogradF4.set(f4);
    shapes.forEach((s, k) => {
      const c = caseOf(s);
      const g = convGeometry(c);
      const xv = data(s.n * s.h * s.w * s.ci, 10 + k);
      const fv = data(9 * s.ci * s.co, 20 + k);
      const bv = data(s.co, 30 + k);
      const ref = new Float64Array(s.n * s.h * s.w * s.co);
      const abs = new Float64Array(ref.length);
      forEachConvTerm(c, g, (xi, wi, yi) => {
        ref[yi]! += xv[xi]! * fv[wi]!;
        abs[yi]! += Math.abs(xv[xi]! * fv[wi]!);
      });
      for (let i = 0; i < ref.length; i++) {
        ref[i]! += bv[i % s.co]!;
        abs[i]! += Math.abs(bv[i % s.co]!);
      }
      const x = tf.tensor4d(xv, [s.n, s.h, s.w, s.ci]);
      const f = tf.tensor4d(fv, [3, 3, s.ci, s.co]);
      const b = tf.tensor1d(bv);
      const before = tf.memory().numTensors;
      const runs = winograd.runs();
      const onHeap = forwardOnHeap(x, f, b);
      const onHost = conv2dForwardHost(x, { values: torchOrder(fv, s.ci, s.co), co: s.co, ci: s.ci, kh: 3, kw: 3 }, bv, ARGS)!;
      expect(winograd.runs() - runs, JSON.stringify(s)).toBe(2);
      const { worst, mean } = bounds(s.h, s.w);
      expect(expectNearReference(onHeap.dataSync(), ref, abs, 'y (heap filter)', s, worst), JSON.stringify(s)).toBeLessThan(mean);
      expect(Array.from(onHost.dataSync()), JSON.stringify(s)).toEqual(Array.from(onHeap.dataSync()));
      tf.dispose([onHeap, onHost]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, f, b]);
    });
  });

  it.each(TILES)('computes the input gradient within the same bound, filter on the heap or the host (F(4x4) allowed: %s)', (f4) => {
    winograd.set(true);
    winogradF4.set(f4);
    // dx has the layer's ci channels (a multiple of 16), dy its co (a multiple of 4)
    shapes.map((s) => ({ ...s, ci: s.co, co: s.ci })).forEach((s, k) => {
      const c = caseOf(s);
      const g = convGeometry(c);
      const dyv = data(s.n * g.ho * g.wo * s.co, 40 + k);
      const fv = data(9 * s.ci * s.co, 50 + k);
      const ref = new Float64Array(s.n * s.h * s.w * s.ci);
      const abs = new Float64Array(ref.length);
      forEachConvTerm(c, g, (xi, wi, yi) => {
        ref[xi]! += dyv[yi]! * fv[wi]!;
        abs[xi]! += Math.abs(dyv[yi]! * fv[wi]!);
      });
      const dy = tf.tensor4d(dyv, [s.n, g.ho, g.wo, s.co]);
      const f = tf.tensor4d(fv, [3, 3, s.ci, s.co]);
      const runs = winograd.runs();
      const onHeap = inputGradOnHeap(dy, f, [s.n, s.h, s.w, s.ci]);
      const onHost = conv2dBackwardInputHost(dy, { values: torchOrder(fv, s.ci, s.co), co: s.co, ci: s.ci, kh: 3, kw: 3 }, [s.n, s.h, s.w, s.ci], ARGS)!;
      expect(winograd.runs() - runs, JSON.stringify(s)).toBe(2);
      const { worst, mean } = bounds(s.h, s.w);
      expect(expectNearReference(onHeap.dataSync(), ref, abs, 'dx (heap filter)', s, worst), JSON.stringify(s)).toBeLessThan(mean);
      expect(Array.from(onHost.dataSync()), JSON.stringify(s)).toEqual(Array.from(onHeap.dataSync()));
      tf.dispose([onHeap, onHost, dy, f]);
    });
  });

  it.each(TILES)('reuses a host filter\'s transform while its values are unchanged, and follows a change of any value (F(4x4): %s)', (f4) => {
    winograd.set(true);
    winogradF4.set(f4);
    const s = { n: 2, h: 8, w: 8, ci: 16, co: 16 };
    const x = tf.tensor4d(data(s.n * s.h * s.w * s.ci, 61), [s.n, s.h, s.w, s.ci]);
    const fv = data(9 * s.ci * s.co, 62);
    const filter = { values: torchOrder(fv, s.ci, s.co), co: s.co, ci: s.ci, kh: 3, kw: 3 };
    const onHeap = (values: Float32Array) => {
      const f = tf.tensor4d(values, [3, 3, s.ci, s.co]);
      const y = forwardOnHeap(x, f, null);
      const v = Array.from(y.dataSync());
      tf.dispose([f, y]);
      return v;
    };
    const run = () => {
      const y = conv2dForwardHost(x, filter, null, ARGS)!;
      const v = Array.from(y.dataSync());
      y.dispose();
      return v;
    };
    const first = run();
    expect(run()).toEqual(first); // the cached transform
    expect(first).toEqual(onHeap(fv)); // a filter on the heap is transformed every call
    // one value of the last output channel's last tap changes: the transform is made again
    filter.values[filter.values.length - 1]! += 0.5;
    fv[fv.length - 1]! += 0.5;
    const changed = run();
    expect(changed).not.toEqual(first);
    expect(changed).toEqual(onHeap(fv));
    x.dispose();
  });

  it.each(TILES)('gives the same bits on 1 and 2 threads (F(4x4): %s)', (f4) => {
    winograd.set(true);
    winogradF4.set(f4);
    const s = { n: 5, h: 16, w: 16, ci: 32, co: 32 };
    const x = tf.tensor4d(data(s.n * s.h * s.w * s.ci, 60), [s.n, s.h, s.w, s.ci]);
    const f = tf.tensor4d(data(9 * s.ci * s.co, 61), [3, 3, s.ci, s.co]);
    const results = [1, 2].map((threads) => {
      setNumThreads(threads);
      const y = forwardOnHeap(x, f, null);
      const v = y.dataSync().slice();
      y.dispose();
      return v;
    });
    resetNumThreads();
    expect(Buffer.from(results[1]!.buffer).equals(Buffer.from(results[0]!.buffer))).toBe(true);
    tf.dispose([x, f]);
  });

  it('takes only 3x3 stride-1 pad-1 layers with whole SIMD widths, and is switched off by winograd.set(false)', () => {
    winograd.set(true);
    expect(winogradTakes(3, 3, 1, 1, 1, 1, 8, 8, 8, 8, 16, 16)).toBe(true);
    expect(winogradTakes(3, 3, 2, 2, 1, 1, 8, 8, 4, 4, 16, 16)).toBe(false); // strided
    expect(winogradTakes(3, 3, 1, 1, 0, 0, 8, 8, 6, 6, 16, 16)).toBe(false); // no padding
    expect(winogradTakes(1, 1, 1, 1, 0, 0, 8, 8, 8, 8, 16, 16)).toBe(false); // 1x1
    expect(winogradTakes(3, 3, 1, 1, 1, 1, 7, 8, 7, 8, 16, 16)).toBe(false); // odd height
    expect(winogradTakes(3, 3, 1, 1, 1, 1, 8, 6, 8, 6, 16, 16)).toBe(false); // width not a multiple of 4
    expect(winogradTakes(3, 3, 1, 1, 1, 1, 8, 8, 8, 8, 3, 16)).toBe(false); // 3 input channels (the stem)
    expect(winogradTakes(3, 3, 1, 1, 1, 1, 8, 8, 8, 8, 16, 24)).toBe(false); // outputs not whole tiles
    // F(4x4) where the height is a multiple of 4 and the width of 8 (whole pairs of tiles), unless switched off
    winogradF4.set(true);
    expect([winogradTile(8, 8), winogradTile(32, 32), winogradTile(12, 16)]).toEqual([4, 4, 4]);
    expect([winogradTile(6, 12), winogradTile(8, 4), winogradTile(2, 8), winogradTile(8, 12)]).toEqual([2, 2, 2, 2]);
    winogradF4.set(false);
    expect(winogradTile(8, 8)).toBe(2);
    winogradF4.reset();
    winograd.set(false);
    expect(winogradTakes(3, 3, 1, 1, 1, 1, 8, 8, 8, 8, 16, 16)).toBe(false);
    expect(winogradTile(8, 8)).toBe(2); // off with Winograd itself
    const x = tf.tensor4d(data(2 * 8 * 8 * 16, 70), [2, 8, 8, 16]);
    const f = tf.tensor4d(data(9 * 16 * 16, 71), [3, 3, 16, 16]);
    const runs = winograd.runs();
    const y = forwardOnHeap(x, f, null);
    expect(winograd.runs()).toBe(runs);
    winograd.set(true);
    const y2 = forwardOnHeap(x, f, null, false); // the caller did not ask for it
    expect(winograd.runs()).toBe(runs);
    tf.dispose([x, f, y, y2]);
  });

  it('nn.SpatialConvolution uses it for evaluation forwards, and in training only when asked', () => {
    winograd.set(true);
    const conv = new SpatialConvolution(16, 16, 3, 3, 1, 1, 1, 1).float();
    const x = Tensor.create('Float', [2, 16, 8, 8]).uniform(-1, 1);
    const ran = (f: () => void) => {
      const before = winograd.runs();
      f();
      return winograd.runs() - before;
    };
    setWinogradInTraining(false);
    const yTrain = conv.forward(x).clone();
    expect(ran(() => conv.forward(x))).toBe(0);
    expect(ran(() => conv.backward(x, yTrain))).toBe(0);
    conv.evaluate();
    expect(ran(() => conv.forward(x))).toBe(1);
    // the same outputs within float32 rounding
    const yEval = conv.output as Tensor;
    expect(yEval.clone().add(-1, yTrain).abs().max()).toBeLessThan(1e-5);
    conv.training();
    setWinogradInTraining(true);
    expect(ran(() => conv.forward(x))).toBe(1);
    expect(ran(() => conv.updateGradInput(x, yTrain))).toBe(1);
    setWinogradInTraining(undefined);
  });
});
