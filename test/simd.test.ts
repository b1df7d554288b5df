// The WebAssembly SIMD kernels (src/backend/wasm/mpelu_batchnorm.ts, assembled by wasm/encoder.ts) that
// run MPELU and batch norm on tfjs-wasm's heap: the encoder, exp's accuracy over millions
// of float32 arguments against Math.exp, and every fused kernel on the wasm backend against
// float64 references and against the JS loops, over the layouts the SIMD path covers and
// the ones it leaves to the loops; heap growth between calls; no tensor leaks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  batchNormBackward,
  batchNormEvalForward,
  batchNormTrainForward,
  FUSED,
  hasFusedKernel,
  initBackend,
  mpeluBackward,
  mpeluForward,
} from '../src/backend/index.js';
import { wasmFusedRuns, wasmSimdActive } from '../src/backend/fused/register.js';
import { wasmSimd } from '../src/backend/wasm/kill_switch.js';
import { assemble, Code, sleb, T, uleb } from '../src/backend/wasm/encoder.js';
import type { WasmMemory } from '../src/backend/wasm/heap.js';
import { expPolynomial, fold, SimdKernels, simdModuleBytes, simdSupported, simdWidth, tile, unrolledName } from '../src/backend/wasm/mpelu_batchnorm.js';
import { data, rng, size } from './helpers/random_data.js';
import { expectClose } from './helpers/close.js';

const WA = (globalThis as unknown as {
  WebAssembly: {
    Memory: new (d: { initial: number }) => WasmMemory;
    Module: new (b: Uint8Array) => object;
    Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => unknown> };
    validate(b: Uint8Array): boolean;
  };
}).WebAssembly;

/** |got - want| <= tol * (1 + |want|) elementwise. */

// ---------------------------------------------------------------- encoder

describe('wasm encoder', () => {
  it('LEB128 as the specification encodes it', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(0)).toEqual([0]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => uleb(-1)).toThrow(/non-negative integer/);
  });

  it('assembles a function that runs (SIMD arithmetic and control flow on an imported memory)', () => {
    // out[i] = max(a[i], b[i]) * 2 for i < n (n a multiple of 4), as a loop over vectors
    const c = new Code();
    c.block().loop();
    c.get(3).op('i32.eqz').brIf(1);
    c.get(2);
    c.get(0).v128Load().get(1).v128Load().simd('f32x4.max').f32x4(2).simd('f32x4.mul').v128Store();
    for (const p of [0, 1, 2]) c.get(p).i32(16).op('i32.add').set(p);
    c.get(3).i32(4).op('i32.sub').set(3).br(0).end().end();
    const bytes = assemble([{ name: 'maxTwice', params: [T.i32, T.i32, T.i32, T.i32], locals: [], body: c }]);
    expect(WA.validate(bytes)).toBe(true);
    const memory = new WA.Memory({ initial: 1 });
    const inst = new WA.Instance(new WA.Module(bytes), { env: { memory } });
    const f = new Float32Array(memory.buffer as ArrayBuffer);
    f.set([1, -2, 3, 4, 5, 6, 7, -8], 0);
    f.set([0, 0, 9, 1, 5, -6, 8, 8], 16);
    inst.exports['maxTwice']!(0, 64, 128, 8);
    expect(Array.from(f.subarray(32, 40))).toEqual([2, 0, 18, 8, 10, 12, 16, 16]);
  });

  it('the kernel module validates, for plain and shared memories', () => {
    expect(simdSupported()).toBe(true); // Node >= 16.4 has wasm SIMD; the project needs Node 20
    expect(WA.validate(simdModuleBytes(false))).toBe(true);
    expect(WA.validate(simdModuleBytes(true))).toBe(true);
  });

  it('the unrolled kernels (four vectors per iteration, interleaved) give the bits of the one-vector ones', () => {
    // [kernel, data pointers (the last ones written), parameter rows, float64 terms (0: elementwise)]
    const kernels: [string, number, number, number][] = [
      ['exp', 2, 0, 0], ['mpelu_forward', 2, 2, 0], ['bn_affine', 2, 4, 0], ['bn_affine_mpelu', 3, 6, 0],
      ['bn_backward_dx', 3, 4, 0], ['add', 3, 0, 0], ['mpelu_backward', 3, 3, 2], ['bn_moments', 1, 1, 2],
      ['bn_shifted_sum', 1, 1, 1], ['bn_backward_sums', 2, 1, 2], ['mpelu_bn_backward', 4, 4, 4],
    ];
    const memory = new WA.Memory({ initial: 8 });
    const exports = new WA.Instance(new WA.Module(simdModuleBytes()), { env: { memory } }).exports;
    const W = 32; // a row of 128 bytes: two groups of four vectors
    const rows = 37;
    const n = W * rows;
    const heap = new Float32Array(memory.buffer as ArrayBuffer);
    const arrays = [0, 1, 2, 3].map((j) => 1024 + j * n); // float indices
    const prm = 1024 + 4 * n;
    const acc = prm + 8 * W;
    const values = data(n, 91, -6, 4);
    values.set([NaN, 0, -0, -200, 100, Infinity, -Infinity, 1e-40], 5);
    for (const [name, nData, nRows, nTerms] of kernels) {
      const run = (kname: string) => {
        arrays.forEach((a, j) => heap.set(j === 0 ? values : data(n, 92 + j, -3, 3), a));
        heap.set(data(nRows * W, 99, 0.1, 1.5), prm);
        new Float64Array(memory.buffer as ArrayBuffer, acc * 4, nTerms * W).fill(0);
        const ptrs = arrays.slice(0, nData).map((a) => a * 4);
        const sizes = [4 * n, 4 * W];
        exports[kname]!(...ptrs, prm * 4, ...(nTerms > 0 ? [acc * 4] : []), ...sizes);
        return [new Uint32Array(memory.buffer as ArrayBuffer, 4 * 1024, 4 * n).slice(), new Uint32Array(memory.buffer as ArrayBuffer, acc * 4, 2 * nTerms * W).slice()];
      };
      const [plain, plainSums] = run(name);
      const [unrolled, unrolledSums] = run(unrolledName(name));
      expect(unrolled!.every((b, i) => b === plain![i]), name).toBe(true);
      expect(unrolledSums!.every((b, i) => b === plainSums![i]), `${name} sums`).toBe(true);
      if (nTerms > 0) expect(plainSums!.some((b) => b !== 0), `${name} sums something`).toBe(true);
    }
  });

  it('row widths: channels fastest, tiled to a multiple of 4; shared parameters over any layout', () => {
    expect(simdWidth(64 * 10, 64)).toBe(64);
    expect(simdWidth(6 * 10, 6)).toBe(12);
    expect(simdWidth(6 * 11, 6)).toBeNull();
    expect(simdWidth(3 * 8, 3)).toBe(12);
    expect(simdWidth(3 * 7, 3)).toBeNull();
    expect(simdWidth(96, 1)).toBe(32);
    expect(simdWidth(6, 1)).toBeNull();
    expect(Array.from(tile([1, 2, 3], 12))).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(Array.from(fold(Float64Array.of(1, 2, 3, 4, 5, 6), 3))).toEqual([5, 7, 9]);
  });
});

// ---------------------------------------------------------------- exp

describe('SIMD exp', () => {
  const memory = new WA.Memory({ initial: 16 * 20 + 1 }); // 20 MiB + scratch
  let top = 65536;
  const k = new SimdKernels({
    memory,
    malloc: (n) => {
      const p = top;
      top += (n + 15) & ~15;
      return p;
    },
    free: () => {},
  });
  k.reserve(SimdKernels.scratchFor(64));
  const N = 1 << 20;
  const src = top;
  const dst = src + 4 * N;
  const bits = new Uint32Array(1);
  const fbits = new Float32Array(bits.buffer);
  const ordered = (x: number) => {
    fbits[0] = x;
    return bits[0]! >= 0x80000000 ? 0x80000000 - bits[0]! : bits[0]!;
  };
  /** Distance in float32 ulps (counting representable values between). */
  const ulps = (a: number, b: number) => Math.abs(ordered(a) - ordered(b));

  it('the polynomial interpolates e^r on [-ln2/2, ln2/2] to 3e-9 and is close to the Taylor series', () => {
    const c = expPolynomial();
    expect(c).toHaveLength(7);
    let fact = 1;
    for (let i = 0; i < c.length; i++) {
      if (i > 0) fact *= i;
      expect(Math.abs(c[i]! * fact - 1)).toBeLessThan(0.01);
    }
    let worst = 0;
    for (let j = 0; j <= 10000; j++) {
      const r = (Math.LN2 / 2) * (2 * j / 10000 - 1);
      const p = c.reduceRight((acc, ci) => acc * r + ci, 0);
      worst = Math.max(worst, Math.abs(p - Math.exp(r)) / Math.exp(r));
    }
    expect(worst).toBeLessThan(3e-9);
  });

  // Measured: at most 1 ulp from the correctly rounded float32 e^x over each range, about
  // 11% of the arguments 1 ulp off (the rest exact).
  const ranges: [string, number, number][] = [
    ['MPELU range [-87.34, 0] (normal results)', -87.34, 0],
    ['[-20, 0]', -20, 0],
    ['reduced range [-0.35, 0.35]', -0.35, 0.35],
    ['whole float32 range [-104, 88.72] incl. subnormal results', -104, 88.72],
  ];
  for (const [name, lo, hi] of ranges) {
    it(`within 1 ulp of Math.fround(Math.exp(x)) over 2M arguments in ${name}`, () => {
      let worst = 0;
      let at = NaN;
      for (let rep = 0; rep < 2; rep++) {
        const r = rng(1000 + rep + lo);
        const s = new Float32Array(memory.buffer as ArrayBuffer, src, N);
        for (let i = 0; i < N; i++) s[i] = lo + (hi - lo) * r();
        k.exp(src, dst, N);
        const s2 = new Float32Array(memory.buffer as ArrayBuffer, src, N);
        const d = new Float32Array(memory.buffer as ArrayBuffer, dst, N);
        for (let i = 0; i < N; i++) {
          const u = ulps(d[i]!, Math.fround(Math.exp(s2[i]!)));
          if (u > worst) {
            worst = u;
            at = s2[i]!;
          }
        }
      }
      expect(worst, `worst at x = ${at}`).toBeLessThanOrEqual(1);
    });
  }

  it('special arguments: NaN, infinities, overflow, underflow, subnormal results, signed zero', () => {
    const xs = [NaN, Infinity, -Infinity, 88.72, 88.73, 89, 1000, -87.33, -88, -100, -103, -104, -1000, 0, -0, 1, -1, 0.5, -0.5, 10];
    while (xs.length % 4) xs.push(0);
    new Float32Array(memory.buffer as ArrayBuffer, src, xs.length).set(xs);
    k.exp(src, dst, xs.length);
    const d = new Float32Array(memory.buffer as ArrayBuffer, dst, xs.length);
    for (let i = 0; i < xs.length; i++) {
      const want = Math.fround(Math.exp(Math.fround(xs[i]!)));
      if (Number.isNaN(want)) expect(d[i]).toBeNaN();
      else expect(ulps(d[i]!, want), `exp(${xs[i]}) = ${d[i]}, want ${want}`).toBeLessThanOrEqual(1);
    }
  });
});

// ---------------------------------------------------------------- kernels on the wasm backend

function refMpelu(x: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, C: number, inner: number) {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dA = new Float64Array(a.length);
  const dB = new Float64Array(b.length);
  return {
    y,
    run(dy: ArrayLike<number>) {
      for (let i = 0; i < x.length; i++) {
        const c = Math.floor(i / inner) % C;
        const ai = a.length === 1 ? 0 : c;
        const bi = b.length === 1 ? 0 : c;
        const v = x[i]!;
        const e = Math.exp(b[bi]! * v);
        y[i] = v > 0 ? v : a[ai]! * (e - 1);
        if (v > 0) dx[i] = dy[i]!;
        else {
          dx[i] = dy[i]! * a[ai]! * b[bi]! * e;
          dA[ai]! += dy[i]! * (e - 1);
          dB[bi]! += dy[i]! * a[ai]! * v * e;
        }
      }
      return { y, dx, dA, dB };
    },
  };
}

function expectNoLeak(fn: () => tf.TensorContainer): void {
  const before = tf.memory().numTensors;
  tf.dispose(fn());
  expect(tf.memory().numTensors).toBe(before);
}

describe('fused kernels on wasm: SIMD against float64 and against the JS loops', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    wasmSimd.set(true);
  });
  afterAll(() => wasmSimd.set(true));

  it('is active, and batch norm eval/backward are fused on wasm only as SIMD', () => {
    expect(wasmSimdActive()).toBe(true);
    for (const k of Object.values(FUSED)) expect(hasFusedKernel(k), k).toBe(true);
    wasmSimd.set(false);
    expect(hasFusedKernel(FUSED.mpeluForward)).toBe(true);
    expect(hasFusedKernel(FUSED.batchNormTrain)).toBe(true);
    expect(hasFusedKernel(FUSED.batchNormEval)).toBe(false);
    expect(hasFusedKernel(FUSED.batchNormBackward)).toBe(false);
    wasmSimd.set(true);
  });

  // [name, shape, channel axis, shared, runs as SIMD]
  const mpeluCases: [string, number[], number, boolean, boolean][] = [
    ['NHWC, 16 channels, 2x9x9 (rows not a multiple of anything)', [2, 9, 9, 16], 3, false, true],
    ['NHWC, 64 channels', [4, 8, 8, 64], 3, false, true],
    ['NHWC, 6 channels (tiled to 12 lanes)', [2, 5, 4, 6], 3, false, true],
    ['NHWC, 3 channels (tiled to 12 lanes)', [4, 4, 2, 3], 3, false, true],
    ['NHWC, 3 channels, rows not tileable (JS loop)', [1, 5, 3, 3], 3, false, false],
    ['NHWC shared', [2, 5, 5, 8], 3, true, true],
    ['[N, C, L] channel axis 1 (JS loop)', [3, 8, 5], 1, false, false],
    ['[N, C, L] channel axis 1, shared', [3, 8, 6], 1, true, true],
    ['shared, 7 elements (JS loop)', [7], 0, true, false],
  ];
  for (const [name, shape, axis, shared, simd] of mpeluCases) {
    it(`MPELU ${name}`, () => {
      const C = shape[axis]!;
      const inner = size(shape.slice(axis + 1));
      const n = size(shape);
      const xv = data(n, 21, -4, 2, true);
      const dyv = data(n, 22);
      const av = shared ? Float32Array.of(0.3) : data(C, 23, 0.1, 2);
      const bv = shared ? Float32Array.of(1.7) : data(C, 24, 0.1, 3);
      const x = tf.tensor(xv, shape);
      const dy = tf.tensor(dyv, shape);
      const alpha = tf.tensor1d(av);
      const beta = tf.tensor1d(bv);
      const ref = refMpelu(xv, av, bv, C, inner).run(dyv);
      const outs: Record<string, Float32Array[]> = {};
      for (const useSimd of [true, false]) {
        wasmSimd.set(useSimd);
        const before = wasmFusedRuns();
        const y = mpeluForward(x, alpha, beta, axis);
        const g = mpeluBackward(x, dy, alpha, beta, axis);
        const after = wasmFusedRuns();
        expect(after.simd - before.simd, 'SIMD runs').toBe(useSimd && simd ? 2 : 0);
        expect(after.loop - before.loop, 'loop runs').toBe(useSimd && simd ? 0 : 2);
        outs[String(useSimd)] = [y, g.dx, g.dAlpha, g.dBeta].map((t) => t.dataSync() as Float32Array);
        tf.dispose([y, g.dx, g.dAlpha, g.dBeta]);
      }
      for (const [label, [y, dx, dA, dB]] of Object.entries(outs)) {
        expectClose(y!, ref.y, 2e-6, `${label}: y`, 1);
        expectClose(dx!, ref.dx, 2e-6, `${label}: dx`, 1);
        expectClose(dA!, ref.dA, 1e-5, `${label}: dAlpha`, 1);
        expectClose(dB!, ref.dB, 1e-5, `${label}: dBeta`, 1);
      }
      wasmSimd.set(true);
      expectNoLeak(() => [mpeluForward(x, alpha, beta, axis), ...Object.values(mpeluBackward(x, dy, alpha, beta, axis))]);
      tf.dispose([x, dy, alpha, beta]);
    });
  }

  it('MPELU edge values: NaN, exact zeros, exp overflow under a negative beta (masked where x > 0)', () => {
    const xv = Float32Array.of(NaN, 0, -0, 1e-30, -1e-30, -3, 2, -200, 5, -1, 0.5, -0.5);
    const av = Float32Array.of(0.25, 0.5, 1, 2);
    const bv = Float32Array.of(1, -50, 1, -2);
    const x = tf.tensor2d(xv, [3, 4]);
    const dy = tf.onesLike(x);
    const alpha = tf.tensor1d(av);
    const beta = tf.tensor1d(bv);
    const got: Float32Array[][] = [];
    for (const useSimd of [true, false]) {
      wasmSimd.set(useSimd);
      const y = mpeluForward(x, alpha, beta);
      const g = mpeluBackward(x, dy, alpha, beta);
      got.push([y, g.dx].map((t) => t.dataSync() as Float32Array));
      tf.dispose([y, g.dx, g.dAlpha, g.dBeta]);
    }
    wasmSimd.set(true);
    const [simd, loop] = got as [Float32Array[], Float32Array[]];
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < xv.length; i++) {
        const a = simd[j]![i]!;
        const b = loop[j]![i]!;
        if (Number.isNaN(b) || !Number.isFinite(b)) expect(a, `${j} ${i}`).toBe(b);
        else expect(Math.abs(a - b), `${j ? 'dx' : 'y'}[${i}] (x = ${xv[i]}): ${a} vs ${b}`).toBeLessThanOrEqual(2e-7 * (1 + Math.abs(b)));
      }
    }
    tf.dispose([x, dy, alpha, beta]);
  });

  const bnShapes: [number[], boolean][] = [
    [[4, 8, 8, 16], true],
    [[2, 6, 6, 32], true],
    [[3, 4, 5, 6], true],
    [[8, 3], true],
    [[7, 3], false], // 21 elements: not rows of a multiple of 4, so the JS loops
  ];
  for (const [shape, simd] of bnShapes) {
    for (const affine of [true, false]) {
      it(`batch norm [${shape}] ${affine ? 'affine' : 'no affine'}: train, eval, backward`, () => {
        const C = shape[shape.length - 1]!;
        const n = size(shape) / C;
        const xv = data(size(shape), 41, 1, 3);
        const dyv = data(size(shape), 42);
        const wv = affine ? data(C, 43, 0.5, 1.5) : null;
        const bv = affine ? data(C, 44) : null;
        const x = tf.tensor(xv, shape);
        const dy = tf.tensor(dyv, shape);
        const w = wv ? tf.tensor1d(wv) : null;
        const b = bv ? tf.tensor1d(bv) : null;
        const eps = 1e-5;
        const before = wasmFusedRuns();
        const r = batchNormTrainForward(x, w, b, eps);
        const mean = r.mean.dataSync();
        const invstd = r.invstd.dataSync();
        // statistics in float64 as THNN's accreal: mean and invstd are those values rounded
        const m64 = new Float64Array(C);
        const ssd = new Float64Array(C);
        for (let i = 0; i < xv.length; i++) m64[i % C]! += xv[i]! / n;
        for (let i = 0; i < xv.length; i++) ssd[i % C]! += (xv[i]! - m64[i % C]!) ** 2;
        for (let c = 0; c < C; c++) {
          expect(Math.abs(mean[c]! - m64[c]!), `mean[${c}]`).toBeLessThanOrEqual(Math.abs(m64[c]!) * 2 ** -24);
          expect(Math.abs(invstd[c]! * Math.sqrt(ssd[c]! / n + eps) - 1), `invstd[${c}]`).toBeLessThan(2e-7);
        }
        expectClose(r.varUnbiased.dataSync(), Array.from(ssd, (s) => s / (n - 1)), 1e-6, 'unbiased var', 1);
        // y in THNN's float order: ((x - mean) * invstd) * w + b, each step rounded
        const y = r.y.dataSync();
        let mismatched = 0;
        for (let i = 0; i < xv.length; i++) {
          const c = i % C;
          const want = Math.fround(Math.fround(Math.fround(Math.fround(xv[i]! - mean[c]!) * invstd[c]!) * (wv ? wv[c]! : 1)) + (bv ? bv[c]! : 0));
          if (y[i] !== want) mismatched++;
        }
        // the JS loop computes in float64 and rounds once: within an ulp or two, not bit-equal
        if (simd) expect(mismatched, 'elements differing from the float order').toBe(0);
        const ev = batchNormEvalForward(x, r.mean, r.varUnbiased, w, b, eps);
        const rv = r.varUnbiased.dataSync();
        expectClose(ev.dataSync(), Array.from(xv, (v, i) => ((v - mean[i % C]!) / Math.sqrt(rv[i % C]! + eps)) * (wv ? wv[i % C]! : 1) + (bv ? bv[i % C]! : 0)), 1e-5, 'eval y', 1);
        for (const train of [true, false]) {
          const g = batchNormBackward(x, dy, r.mean, r.invstd, w, train);
          const sum = new Float64Array(C);
          const dotp = new Float64Array(C);
          for (let i = 0; i < xv.length; i++) {
            sum[i % C]! += dyv[i]!;
            dotp[i % C]! += (xv[i]! - mean[i % C]!) * dyv[i]!;
          }
          const want = Array.from(xv, (v, i) => {
            const c = i % C;
            const wi = invstd[c]! * (wv ? wv[c]! : 1);
            return train ? (dyv[i]! - sum[c]! / n - ((v - mean[c]!) * dotp[c]! * invstd[c]! * invstd[c]!) / n) * wi : dyv[i]! * wi;
          });
          expectClose(g.dx.dataSync(), want, 1e-5, `dx (train=${train})`, 1);
          if (affine) {
            expectClose(g.dWeight!.dataSync(), Array.from(dotp, (d, c) => d * invstd[c]!), 1e-5, 'dWeight', 1);
            expectClose(g.dBias!.dataSync(), sum, 1e-5, 'dBias', 1);
          } else {
            expect(g.dWeight).toBeNull();
          }
          tf.dispose([g.dx, g.dWeight, g.dBias].filter((t): t is tf.Tensor => t !== null));
        }
        const after = wasmFusedRuns();
        expect(after.simd - before.simd, 'SIMD runs').toBe(simd ? 4 : 0);
        expectNoLeak(() => {
          const t = batchNormTrainForward(x, w, b, eps);
          const g = batchNormBackward(x, dy, t.mean, t.invstd, w, true);
          return [t.y, t.mean, t.invstd, t.varUnbiased, g.dx, ...(g.dWeight ? [g.dWeight, g.dBias!] : [])];
        });
        tf.dispose([x, dy, r.y, r.mean, r.invstd, r.varUnbiased, ev, ...(w ? [w, b!] : [])]);
      });
    }
  }

  it('batch-norm statistics of data far from zero (1000 + u): float64-exact mean, invstd to 2e-7', () => {
    const shape = [8, 16, 16, 16];
    const C = 16;
    const n = size(shape) / C;
    const xv = data(size(shape), 61, -1, 1).map((u) => 1000 + u);
    const x = tf.tensor(xv, shape);
    const r = batchNormTrainForward(x, null, null, 1e-5);
    const m64 = new Float64Array(C);
    const ssd = new Float64Array(C);
    for (let i = 0; i < xv.length; i++) m64[i % C]! += xv[i]!;
    for (let c = 0; c < C; c++) m64[c]! /= n;
    for (let i = 0; i < xv.length; i++) ssd[i % C]! += (xv[i]! - m64[i % C]!) ** 2;
    expect(Array.from(r.mean.dataSync())).toEqual(Array.from(m64, Math.fround));
    const invstd = r.invstd.dataSync();
    for (let c = 0; c < C; c++) expect(Math.abs(invstd[c]! * Math.sqrt(ssd[c]! / n + 1e-5) - 1)).toBeLessThan(2e-7);
    tf.dispose([x, r.y, r.mean, r.invstd, r.varUnbiased]);
  });

  it('keeps working when the heap grows between calls and when a wider row needs more scratch', () => {
    const alpha16 = tf.fill([16], 0.4);
    const beta16 = tf.fill([16], 1.3);
    const xv = data(4 * 16 * 16, 71, -3, 3);
    const x = tf.tensor(xv, [4, 4, 4, 16]);
    const want = refMpelu(xv, [0.4], [1.3], 1, 1).run(new Float32Array(xv.length)).y;
    const y1 = mpeluForward(x, alpha16, beta16);
    // ~64 MB of tensors: the wasm memory grows, and earlier heap views detach
    const big = tf.zeros([16 * 1024 * 1024]);
    const y2 = mpeluForward(x, alpha16, beta16);
    // 256 channels: the scratch block is reallocated on the grown heap
    const wide = tf.tensor(data(2 * 256, 72, -1, 1), [2, 256]);
    const a256 = tf.fill([256], 0.4);
    const b256 = tf.fill([256], 1.3);
    const y3 = mpeluForward(wide, a256, b256);
    const y4 = mpeluForward(x, alpha16, beta16);
    expectClose(y1.dataSync(), want, 2e-6, 'before growth', 1);
    expectClose(y2.dataSync(), want, 2e-6, 'after growth', 1);
    expectClose(y4.dataSync(), want, 2e-6, 'after the scratch moved', 1);
    expectClose(y3.dataSync(), refMpelu(wide.dataSync(), [0.4], [1.3], 1, 1).run(new Float32Array(512)).y, 2e-6, '256 channels', 1);
    tf.dispose([alpha16, beta16, x, y1, big, y2, wide, a256, b256, y3, y4]);
  });
});
