// src/backend/layer_ops.ts on cpu and wasm against float64 JS references: convolution
// (forward and both gradients), MPELU (fused and composite), batch norm (fused and
// composite, train/eval, with and without affine); the references' own gradients
// are checked by finite differences; no tfjs tensor leaks.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  batchNormBackward,
  batchNormEvalForward,
  batchNormTrainForward,
  conv2dBackwardBias,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dForward,
  FUSED,
  hasFusedKernel,
  initBackend,
  mpeluBackward,
  mpeluForward,
  setFusedKernelsEnabled,
  testBackends,
} from '../src/backend/index.js';
import { data, rng, size } from './helpers/random_data.js';
import { expectClose } from './helpers/close.js';

// ---------------------------------------------------------------- data and checks

/** |got - want| <= tol * (1 + |want|) elementwise. */

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Runs fn, disposes what it returns, and checks the tensor count is unchanged. */
function expectNoLeak(fn: () => tf.TensorContainer): void {
  const before = tf.memory().numTensors;
  tf.dispose(fn());
  expect(tf.memory().numTensors).toBe(before);
}

// ---------------------------------------------------------------- float64 references

interface ConvCase {
  n: number; h: number; w: number; ci: number; co: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
}

function outSize(c: ConvCase): [number, number] {
  return [Math.floor((c.h + 2 * c.ph - c.kh) / c.sh) + 1, Math.floor((c.w + 2 * c.pw - c.kw) / c.sw) + 1];
}

/** Calls f(xIndex, wIndex, yIndex) for every multiply-add of the convolution. */
function convTaps(c: ConvCase, f: (xi: number, wi: number, yi: number) => void): void {
  const [ho, wo] = outSize(c);
  for (let n = 0; n < c.n; n++)
    for (let oh = 0; oh < ho; oh++)
      for (let ow = 0; ow < wo; ow++)
        for (let kh = 0; kh < c.kh; kh++) {
          const ih = oh * c.sh + kh - c.ph;
          if (ih < 0 || ih >= c.h) continue;
          for (let kw = 0; kw < c.kw; kw++) {
            const iw = ow * c.sw + kw - c.pw;
            if (iw < 0 || iw >= c.w) continue;
            for (let i = 0; i < c.ci; i++)
              for (let o = 0; o < c.co; o++)
                f(((n * c.h + ih) * c.w + iw) * c.ci + i, ((kh * c.kw + kw) * c.ci + i) * c.co + o, ((n * ho + oh) * wo + ow) * c.co + o);
          }
        }
}

/** y = x (*) W + b, NHWC, float64. */
function refConv(c: ConvCase, x: Float32Array, w: Float32Array, b: Float32Array | null): Float64Array {
  const [ho, wo] = outSize(c);
  const y = new Float64Array(c.n * ho * wo * c.co);
  if (b) for (let i = 0; i < y.length; i++) y[i] = b[i % c.co]!;
  convTaps(c, (xi, wi, yi) => (y[yi]! += x[xi]! * w[wi]!));
  return y;
}

function refConvGrads(c: ConvCase, x: Float32Array, w: Float32Array, dy: Float32Array): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(c.co);
  convTaps(c, (xi, wi, yi) => {
    dx[xi]! += w[wi]! * dy[yi]!;
    dw[wi]! += x[xi]! * dy[yi]!;
  });
  for (let i = 0; i < dy.length; i++) db[i % c.co]! += dy[i]!;
  return { dx, dw, db };
}

/** MPELU over a [outer, C, inner] layout; alpha/beta length C or 1. */
function refMpelu(x: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, C: number, inner: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % C;
    const al = a.length === 1 ? a[0]! : a[c]!;
    const be = b.length === 1 ? b[0]! : b[c]!;
    y[i] = x[i]! > 0 ? x[i]! : al * (Math.exp(be * x[i]!) - 1);
  }
  return y;
}

function refMpeluBackward(x: ArrayLike<number>, dy: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, C: number, inner: number) {
  const dx = new Float64Array(x.length);
  const dA = new Float64Array(a.length);
  const dB = new Float64Array(b.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % C;
    const ai = a.length === 1 ? 0 : c;
    const bi = b.length === 1 ? 0 : c;
    const v = x[i]!;
    if (v > 0) {
      dx[i] = dy[i]!;
    } else {
      const e = Math.exp(b[bi]! * v);
      dx[i] = dy[i]! * a[ai]! * b[bi]! * e;
      dA[ai]! += dy[i]! * (e - 1);
      dB[bi]! += dy[i]! * a[ai]! * v * e;
    }
  }
  return { dx, dA, dB };
}

interface BnRef { y: Float64Array; mean: Float64Array; invstd: Float64Array; varUnbiased: Float64Array }

/** Training-mode batch norm over [n, C] (channels last), float64. */
function refBnTrain(x: ArrayLike<number>, C: number, w: ArrayLike<number> | null, b: ArrayLike<number> | null, eps: number): BnRef {
  const n = x.length / C;
  const mean = new Float64Array(C);
  const ssd = new Float64Array(C);
  for (let i = 0; i < x.length; i++) mean[i % C]! += x[i]! / n;
  for (let i = 0; i < x.length; i++) ssd[i % C]! += (x[i]! - mean[i % C]!) ** 2;
  const invstd = ssd.map((s) => 1 / Math.sqrt(s / n + eps));
  const varUnbiased = ssd.map((s) => s / (n - 1));
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    y[i] = (x[i]! - mean[c]!) * invstd[c]! * (w ? w[c]! : 1) + (b ? b[c]! : 0);
  }
  return { y, mean, invstd, varUnbiased };
}

function refBnEval(x: ArrayLike<number>, C: number, rm: ArrayLike<number>, rv: ArrayLike<number>, w: ArrayLike<number> | null, b: ArrayLike<number> | null, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    y[i] = ((x[i]! - rm[c]!) / Math.sqrt(rv[c]! + eps)) * (w ? w[c]! : 1) + (b ? b[c]! : 0);
  }
  return y;
}

/** THNN BatchNormalization_backward in float64. */
function refBnBackward(x: ArrayLike<number>, dy: ArrayLike<number>, C: number, mean: ArrayLike<number>, invstd: ArrayLike<number>, w: ArrayLike<number> | null, train: boolean) {
  const n = x.length / C;
  const sum = new Float64Array(C);
  const dotp = new Float64Array(C);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    sum[c]! += dy[i]!;
    dotp[c]! += (x[i]! - mean[c]!) * dy[i]!;
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    const wi = invstd[c]! * (w ? w[c]! : 1);
    dx[i] = train ? (dy[i]! - sum[c]! / n - ((x[i]! - mean[c]!) * dotp[c]! * invstd[c]! * invstd[c]!) / n) * wi : dy[i]! * wi;
  }
  return { dx, dW: dotp.map((d, c) => d * invstd[c]!), dB: sum };
}

// ---------------------------------------------------------------- reference self-checks

describe('float64 references agree with finite differences', () => {
  const h = 1e-6;
  it('MPELU: dx, dAlpha, dBeta', () => {
    const C = 3;
    const x = Array.from(data(24, 1, -2, 2));
    const dy = Array.from(data(24, 2));
    const a = [0.3, 1.2, 2.0];
    const b = [0.5, 1.0, 1.7];
    const loss = (xs: number[], as: number[], bs: number[]) => dot(refMpelu(xs, as, bs, C, 1), dy);
    const g = refMpeluBackward(x, dy, a, b, C, 1);
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i]!) < 1e-3) continue; // the kink
      const xp = x.slice(); xp[i]! += h;
      const xm = x.slice(); xm[i]! -= h;
      expect(g.dx[i]).toBeCloseTo((loss(xp, a, b) - loss(xm, a, b)) / (2 * h), 5);
    }
    for (let c = 0; c < C; c++) {
      const ap = a.slice(); ap[c]! += h;
      const am = a.slice(); am[c]! -= h;
      expect(g.dA[c]).toBeCloseTo((loss(x, ap, b) - loss(x, am, b)) / (2 * h), 5);
      const bp = b.slice(); bp[c]! += h;
      const bm = b.slice(); bm[c]! -= h;
      expect(g.dB[c]).toBeCloseTo((loss(x, a, bp) - loss(x, a, bm)) / (2 * h), 5);
    }
  });

  it('batch norm (train): dx, dWeight, dBias', () => {
    const C = 2;
    const x = Array.from(data(20, 3));
    const dy = Array.from(data(20, 4));
    const w = [0.7, -1.3];
    const b = [0.2, 0.4];
    const eps = 1e-5;
    const loss = (xs: number[], ws: number[], bs: number[]) => dot(refBnTrain(xs, C, ws, bs, eps).y, dy);
    const st = refBnTrain(x, C, w, b, eps);
    const g = refBnBackward(x, dy, C, st.mean, st.invstd, w, true);
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice(); xp[i]! += h;
      const xm = x.slice(); xm[i]! -= h;
      expect(g.dx[i]).toBeCloseTo((loss(xp, w, b) - loss(xm, w, b)) / (2 * h), 5);
    }
    for (let c = 0; c < C; c++) {
      const wp = w.slice(); wp[c]! += h;
      const wm = w.slice(); wm[c]! -= h;
      expect(g.dW[c]).toBeCloseTo((loss(x, wp, b) - loss(x, wm, b)) / (2 * h), 5);
      const bp = b.slice(); bp[c]! += h;
      const bm = b.slice(); bm[c]! -= h;
      expect(g.dB[c]).toBeCloseTo((loss(x, w, bp) - loss(x, w, bm)) / (2 * h), 5);
    }
  });

  it('convolution: dx, dW, db', () => {
    const c: ConvCase = { n: 1, h: 4, w: 5, ci: 2, co: 2, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 1 };
    const x = data(c.n * c.h * c.w * c.ci, 5);
    const w = data(c.kh * c.kw * c.ci * c.co, 6);
    const b = data(c.co, 7);
    const [ho, wo] = outSize(c);
    const dy = data(c.n * ho * wo * c.co, 8);
    const g = refConvGrads(c, x, w, dy);
    // the convolution is linear in x and in W: the directional derivative is exact
    const u = data(x.length, 9);
    const v = data(w.length, 10);
    expect(dot(refConv(c, u, w, null), dy)).toBeCloseTo(dot(g.dx, u), 9);
    expect(dot(refConv(c, x, v, null), dy)).toBeCloseTo(dot(g.dw, v), 9);
    const y0 = refConv(c, x, w, null);
    const yb = refConv(c, x, w, b);
    expect(dot(yb, dy) - dot(y0, dy)).toBeCloseTo(dot(g.db, b), 9);
  });
});

// ---------------------------------------------------------------- the ops on each backend

const CONV_CASES: ConvCase[] = [
  { n: 2, h: 7, w: 6, ci: 3, co: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 },
  { n: 2, h: 8, w: 8, ci: 3, co: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
  { n: 1, h: 9, w: 7, ci: 2, co: 3, kh: 3, kw: 2, sh: 2, sw: 3, ph: 0, pw: 1 },
  { n: 2, h: 8, w: 8, ci: 4, co: 6, kh: 1, kw: 1, sh: 2, sw: 2, ph: 0, pw: 0 },
  { n: 2, h: 5, w: 5, ci: 4, co: 6, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0 },
  { n: 1, h: 6, w: 6, ci: 2, co: 2, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2 },
  { n: 1, h: 7, w: 7, ci: 2, co: 2, kh: 3, kw: 3, sh: 2, sw: 2, ph: 2, pw: 0 },
  { n: 3, h: 4, w: 4, ci: 1, co: 1, kh: 1, kw: 1, sh: 1, sw: 1, ph: 1, pw: 1 },
  { n: 2, h: 8, w: 8, ci: 16, co: 8, kh: 7, kw: 7, sh: 2, sw: 2, ph: 3, pw: 3 },
];

describe.each(testBackends())('ops on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
    expect(tf.getBackend()).toBe(backend);
  });

  describe('convolution (Torch SpatialConvolution geometry)', () => {
    for (const c of CONV_CASES) {
      const label = `${c.kh}x${c.kw} stride ${c.sh},${c.sw} pad ${c.ph},${c.pw}, x [${c.n},${c.h},${c.w},${c.ci}] -> ${c.co}`;
      it(label, () => {
        const [ho, wo] = outSize(c);
        const xv = data(c.n * c.h * c.w * c.ci, 11);
        const wv = data(c.kh * c.kw * c.ci * c.co, 12, -0.5, 0.5);
        const bv = data(c.co, 13);
        const dyv = data(c.n * ho * wo * c.co, 14);
        const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
        const w = tf.tensor4d(wv, [c.kh, c.kw, c.ci, c.co]);
        const b = tf.tensor1d(bv);
        const dy = tf.tensor4d(dyv, [c.n, ho, wo, c.co]);
        const ref = refConvGrads(c, xv, wv, dyv);
        const before = tf.memory().numTensors;
        const y = conv2dForward(x, w, b, c.sh, c.sw, c.ph, c.pw);
        const y0 = conv2dForward(x, w, null, c.sh, c.sw, c.ph, c.pw);
        const dx = conv2dBackwardInput(dy, w, x.shape, [c.sh, c.sw], [c.ph, c.pw]);
        const dw = conv2dBackwardFilter(x, dy, w.shape, [c.sh, c.sw], [c.ph, c.pw]);
        const db = conv2dBackwardBias(dy);
        expect(tf.memory().numTensors - before).toBe(5);
        expect(y.shape).toEqual([c.n, ho, wo, c.co]);
        expect(dx.shape).toEqual(x.shape);
        expect(dw.shape).toEqual(w.shape);
        expectClose(y, refConv(c, xv, wv, bv), 1e-5, 'forward with bias', 1);
        expectClose(y0, refConv(c, xv, wv, null), 1e-5, 'forward without bias', 1);
        expectClose(dx, ref.dx, 1e-5, 'backward input', 1);
        expectClose(dw, ref.dw, 1e-5, 'backward filter', 1);
        expectClose(db, ref.db, 1e-5, 'backward bias', 1);
        // gradient consistency: <conv(x, W), dy> = <dx, x> = <dW, W>
        const ydy = dot(y0.dataSync(), dyv);
        expect(dot(dx.dataSync(), xv)).toBeCloseTo(ydy, 3);
        expect(dot(dw.dataSync(), wv)).toBeCloseTo(ydy, 3);
        tf.dispose([x, w, b, dy, y, y0, dx, dw, db]);
      });
    }

    it('rejects mismatched channels with a clear message', () => {
      const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
      const w = tf.zeros([3, 3, 2, 4]) as tf.Tensor4D;
      expect(() => conv2dForward(x, w, null, 1, 1, 1, 1)).toThrow(/3 channels.*expects 2/);
      tf.dispose([x, w]);
    });
  });

  describe.each([
    ['fused', true],
    ['composite', false],
  ] as const)('MPELU (%s)', (_label, fused) => {
    beforeAll(() => setFusedKernelsEnabled(fused));
    afterAllRestore();

    it('uses the kernel it claims to', () => {
      // fused MPELU is registered for both cpu and wasm
      expect(hasFusedKernel(FUSED.mpeluForward)).toBe(fused);
      expect(hasFusedKernel(FUSED.mpeluBackward)).toBe(fused);
    });

    const cases: [string, number[], number, 'channel' | 'shared'][] = [
      ['NHWC per channel', [2, 3, 4, 5], 3, 'channel'],
      ['NHWC shared', [2, 3, 4, 5], 3, 'shared'],
      ['[N, C] per channel', [6, 7], 1, 'channel'],
      ['[N, C, L] channel axis 1', [3, 4, 5], 1, 'channel'],
      ['[N, C, L] channel axis 1, shared', [3, 4, 5], 1, 'shared'],
    ];
    for (const [name, shape, axis, mode] of cases) {
      it(`${name}: forward and backward against float64`, () => {
        const C = shape[axis]!;
        const inner = size(shape.slice(axis + 1));
        const xv = data(size(shape), 21, -3, 2, true);
        const dyv = data(size(shape), 22);
        const av = mode === 'shared' ? Float32Array.of(0.75) : data(C, 23, 0.1, 2);
        const bv = mode === 'shared' ? Float32Array.of(1.5) : data(C, 24, 0.1, 2);
        const x = tf.tensor(xv, shape);
        const dy = tf.tensor(dyv, shape);
        const alpha = tf.tensor1d(av);
        const beta = tf.tensor1d(bv);
        const y = mpeluForward(x, alpha, beta, axis);
        const g = mpeluBackward(x, dy, alpha, beta, axis);
        const ref = refMpeluBackward(xv, dyv, av, bv, C, inner);
        expectClose(y, refMpelu(xv, av, bv, C, inner), 2e-6, 'forward', 1);
        expectClose(g.dx, ref.dx, 2e-6, 'dx', 1);
        expect(g.dAlpha.shape).toEqual([av.length]);
        expect(g.dBeta.shape).toEqual([bv.length]);
        expectClose(g.dAlpha, ref.dA, 1e-5, 'dAlpha', 1);
        expectClose(g.dBeta, ref.dB, 1e-5, 'dBeta', 1);
        expectNoLeak(() => [mpeluForward(x, alpha, beta, axis), ...Object.values(mpeluBackward(x, dy, alpha, beta, axis))]);
        tf.dispose([x, dy, alpha, beta, y, g.dx, g.dAlpha, g.dBeta]);
      });
    }

    it('special cases: alpha = 0 is ReLU, alpha = beta = 1 is ELU', () => {
      const x = tf.tensor1d(data(64, 31, -4, 4, true));
      const x2 = tf.reshape(x, [16, 4]);
      const relu = mpeluForward(x2, tf.zeros([1]), tf.ones([1]));
      const elu = mpeluForward(x2, tf.ones([4]), tf.ones([4]));
      expectClose(relu, tf.relu(x2).dataSync(), 0, 'relu', 1);
      expectClose(elu, tf.elu(x2).dataSync(), 2e-6, 'elu', 1);
      tf.dispose([x, x2, relu, elu]);
    });

    it('rejects a parameter of the wrong size', () => {
      const x = tf.zeros([2, 3]);
      const a = tf.ones([2]);
      expect(() => mpeluForward(x, a, a)).toThrow(/alpha must have shape \[1\].*\[3\]/);
      tf.dispose([x, a]);
    });
  });

  describe.each([
    ['fused where registered', true],
    ['composite', false],
  ] as const)('batch norm (%s)', (_label, fused) => {
    beforeAll(() => setFusedKernelsEnabled(fused));
    afterAllRestore();
    const eps = 1e-5;

    for (const affine of [true, false]) {
      it(`train forward and backward, ${affine ? 'affine' : 'no affine'}, NHWC`, () => {
        const shape = [3, 4, 5, 6];
        const C = 6;
        const xv = data(size(shape), 41, 1, 3); // offset from zero: a mean to remove
        const dyv = data(size(shape), 42);
        const wv = affine ? data(C, 43, 0.5, 1.5) : null;
        const bv = affine ? data(C, 44) : null;
        const x = tf.tensor(xv, shape);
        const dy = tf.tensor(dyv, shape);
        const w = wv ? tf.tensor1d(wv) : null;
        const b = bv ? tf.tensor1d(bv) : null;
        const r = batchNormTrainForward(x, w, b, eps);
        const ref = refBnTrain(xv, C, wv, bv, eps);
        expect(r.count).toBe(size(shape) / C);
        expectClose(r.y, ref.y, 1e-5, 'y', 1);
        expectClose(r.mean, ref.mean, 1e-6, 'mean', 1);
        expectClose(r.invstd, ref.invstd, 1e-5, 'invstd', 1);
        expectClose(r.varUnbiased, ref.varUnbiased, 1e-5, 'unbiased var', 1);
        for (const train of [true, false]) {
          const g = batchNormBackward(x, dy, r.mean, r.invstd, w, train);
          const rg = refBnBackward(xv, dyv, C, r.mean.dataSync(), r.invstd.dataSync(), wv, train);
          expectClose(g.dx, rg.dx, 1e-5, `dx (train=${train})`, 1);
          if (affine) {
            expectClose(g.dWeight!, rg.dW, 1e-5, 'dWeight', 1);
            expectClose(g.dBias!, rg.dB, 1e-5, 'dBias', 1);
          } else {
            expect(g.dWeight).toBeNull();
            expect(g.dBias).toBeNull();
          }
          tf.dispose([g.dx, g.dWeight, g.dBias].filter((t): t is tf.Tensor => t !== null));
        }
        expectNoLeak(() => {
          const t = batchNormTrainForward(x, w, b, eps);
          const g = batchNormBackward(x, dy, t.mean, t.invstd, w, true);
          return [t.y, t.mean, t.invstd, t.varUnbiased, g.dx, ...(g.dWeight ? [g.dWeight, g.dBias!] : [])];
        });
        tf.dispose([x, dy, r.y, r.mean, r.invstd, r.varUnbiased, ...(w ? [w, b!] : [])]);
      });

      it(`eval forward, ${affine ? 'affine' : 'no affine'}, [N, C]`, () => {
        const C = 5;
        const xv = data(40, 51);
        const rm = data(C, 52);
        const rv = data(C, 53, 0.2, 2);
        const wv = affine ? data(C, 54) : null;
        const bv = affine ? data(C, 55) : null;
        const x = tf.tensor2d(xv, [8, C]);
        const m = tf.tensor1d(rm);
        const v = tf.tensor1d(rv);
        const w = wv ? tf.tensor1d(wv) : null;
        const b = bv ? tf.tensor1d(bv) : null;
        const y = batchNormEvalForward(x, m, v, w, b, eps);
        expectClose(y, refBnEval(xv, C, rm, rv, wv, bv, eps), 1e-5, 'eval y', 1);
        expectNoLeak(() => batchNormEvalForward(x, m, v, w, b, eps));
        tf.dispose([x, m, v, y, ...(w ? [w, b!] : [])]);
      });
    }

    it('rejects a weight of the wrong size', () => {
      const x = tf.zeros([2, 3]);
      const w = tf.ones([2]) as tf.Tensor1D;
      expect(() => batchNormTrainForward(x, w, null, eps)).toThrow(/weight must have shape \[3\]/);
      tf.dispose([x, w]);
    });
  });
});

function afterAllRestore(): void {
  // each describe toggles fusion; leave it on for whoever runs next
  beforeAll(() => () => setFusedKernelsEnabled(true));
}
