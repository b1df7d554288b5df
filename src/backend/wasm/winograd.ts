// Winograd F(2x2, 3x3) and F(4x4, 3x3) for the 3x3, stride-1, pad-1 convolutions of a ResNet (the
// forward and, with the filter flipped and transposed, the input gradient), as a WebAssembly
// SIMD kernel on tfjs-backend-wasm's heap. Each 2x2 block of outputs takes 16 multiplies per
// input/output channel pair instead of 36; each 4x4 block 36 instead of 144.
//
//   Y = A^T [ U (.) V ] A,  U = G g G^T (per filter, once per call),  V = B^T d B (per input tile)
//
// F(2x2): 4x4 input tiles, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], A^T = [1 1 1 0; 0 1 -1 -1] (Lavin & Gray 2015).
// F(4x4): 6x6 input tiles, the points 0, +-1, +-2 of the same paper (matrices at
// inputTransform1d, G4 and outputTransform1d). F(4x4) runs where the image's height is a
// multiple of 4 and its width of 8 (winogradTile; ResNet-164's 32, 16 and 8), F(2x2) elsewhere.
// Per slab of tile rows of one image (sized so its V and M buffers stay in L2), one call: (1) V
// for every tile and every 4 input channels, border taps reading a row of zeros; (2) for each
// tile position xi (16 or 36), the GEMM M[xi] = V[xi] U[xi] ([tiles x ci] x [ci x co]) with the
// tap kernels' 2 x 16 register tile; (3) Y = A^T M A, plus the bias, stored to y. A slab is one
// thread's whole work on its outputs: the same result for every thread count. The code is built
// per (ci, co, w, tile) with every offset a constant (V and M laid out [tile][xi][channel]; F(2x2)'s
// channel loops unrolled, F(4x4)'s run: unrolled, its 36-value transforms outgrow the
// instruction cache at 64 channels and ran 2x slower).
// Measured on ResNet-164's 3x3 layers at batch 32, 2 threads: F(2x2) against the direct kernel
// 1.3-1.6x, 0.95-1.0x and 1.1-1.4x (16, 32, 64 channels; new tensors per call); F(4x4) against
// F(2x2) (alternating, one process, medians) 16 channels 2.93 vs 3.38 ms, 32 channels 1.24 vs
// 2.04, 64 channels 1.07 vs 1.65; a ResNet-164 evaluation batch of 32 352 vs 391 ms.
//
// Accuracy: the transforms add and subtract before and after the products (the filter's in
// float64, rounded once), so sums differ from the direct convolution's in rounding only: F(2x2)
// within the direct kernels' bound (2e-6 of sum |terms|), F(4x4) within 5e-6 at worst and
// ~7e-8 on average (its coefficients reach 8 and its filter transform has sixths;
// test/winograd.test.ts). Callers ask for it (geometry.winograd): evaluation-mode forwards of
// nn.SpatialConvolution by default, training passes only with MPELU_WINOGRAD_TRAIN=1 (see
// winogradInTraining).

import type * as tf from '@tensorflow/tfjs-core';
import { assemble, Fn, T, uleb, type Code, type FuncDef } from './encoder.js';
import { emitMulAdd } from './relaxed_simd.js';
import { instantiateOnMemory, perHeap, ScratchBlock, validatesOnce, type WasmHeapBackend } from './heap.js';
import { KillSwitch, wasmSimd } from './kill_switch.js';
import { heapPoolFor, partOf, SplitCalls } from './split_calls.js';
import type { HostFilter } from './host_filter.js';

type Info = tf.TensorInfo;

/** Bytes of a slab's V and M buffers together (L2 here is 512 KB per core). */
const SLAB_BYTES = 256 * 1024;
/** Units of slabs per thread (each with its own buffers). */
const UNITS_PER_THREAD = 4;

/** A kernel is built for one channel, width and tile configuration: offsets become constants. */
export interface SlabShape {
  ci: number;
  co: number;
  w: number;
  /** Output tile side: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3). */
  m: 2 | 4;
}

const PARAMS = ['x', 'y', 'u', 'bias', 'zero', 'vb', 'mb', 'h', 'ty0', 'tyN'] as const;

/** Transformed values per tile: (m + 2)^2. */
const tileValues = (m: number): number => (m + 2) * (m + 2);

/**
 * wino_slab(x, y, u, bias, zero, vb, mb, h, ty0, tyN) for ci input and co output channels
 * over images w wide, F(m x m, 3x3): the outputs of tile rows [ty0, ty0 + tyN) of one image
 * (x and y its first input and output position, channels-last), u the n = (m + 2)^2
 * transformed filters ([xi][ci][co] floats), bias a row of co floats, zero a row of ci zero
 * floats, vb and mb the slab's buffers: V[tile][xi][ci] and M[tile][xi][co] floats. ci a
 * multiple of 4, co of 16, w of 2m; byte addresses. Every offset that depends on ci, co or w
 * is a constant of the code (F(2x2)'s loops over channels unrolled, F(4x4)'s run), so the
 * transforms are mostly loads, adds and stores.
 */
function slabKernel(shape: SlabShape): FuncDef {
  const { ci, co, w, m } = shape;
  const f = new Fn('wino_slab', PARAMS);
  const c = f.code;
  const P = (n: (typeof PARAMS)[number]) => f.l(n);
  const l = (n: string) => f.l(n);
  const nXi = tileValues(m);
  const ciB = 4 * ci, coB = 4 * co, rowB = w * ciB, yRowB = w * coB, tpr = w / m;
  const vTile = nXi * ciB, mTile = nXi * coB;
  const [ty, tx, n, vt, mt] = ['ty', 'tx', 'n', 'vt', 'mt'].map(l);
  /** For every tile of the slab's rows (ty, tx; vt and mt its V and M rows), `body`. */
  const eachTile = (body: () => void) => {
    c.get(P('vb')).set(vt).get(P('mb')).set(mt).get(P('ty0')).set(ty).get(P('tyN')).set(n);
    c.loop(); // tile rows
    c.i32(0).set(tx);
    c.loop(); // tiles of the row
    body();
    c.get(vt).i32(vTile).op('i32.add').set(vt);
    c.get(mt).i32(mTile).op('i32.add').set(mt);
    c.get(tx).i32(1).op('i32.add').tee(tx).i32(tpr).op('i32.lt_u').brIf(0);
    c.end();
    c.get(ty).i32(1).op('i32.add').set(ty);
    f.countDown(n).end();
  };
  const k: SlabKernelParts = { f, P, eachTile, ty, tx, vt, mt, ciB, coB, rowB, yRowB };
  if (m === 2) inputTransform2(k);
  else inputTransform4(k);
  gemm(k, nXi, vTile, mTile, tpr);
  if (m === 2) outputTransform2(k);
  else outputTransform4(k);
  return f.def();
}

/** What the phase emitters share: the function, its parameters and tile walk, byte sizes. */
interface SlabKernelParts {
  f: Fn;
  P: (n: (typeof PARAMS)[number]) => number;
  eachTile: (body: () => void) => void;
  /** Tile row and column, the tile's V and M addresses (locals). */
  ty: number;
  tx: number;
  vt: number;
  mt: number;
  /** Bytes of an input / output position, of an input row, of an output row. */
  ciB: number;
  coB: number;
  rowB: number;
  yRowB: number;
}

/**
 * F(2x2): per tile, the addresses of its 4x4 input taps (the tile's top-left input at
 * (2 ty - 1, 2 tx - 1)) into `src`: a tap in the padding reads the row of zeros.
 */
function tapAddresses2(k: SlabKernelParts, src: number[][], rowsOk: number[], rowsOff: number[], colsOk: number[], colsOff: number[]): void {
  const m = 2;
  const sides = 4;
  const { f, P, ty, tx, ciB, rowB } = k;
  const c = f.code;
  const at = f.l('at');
  for (let i = 0; i < sides; i++) {
    // input row m*ty - 1 + i: inside the image (unsigned compare), and its byte offset
    c.get(ty).i32(m).op('i32.mul').i32(i - 1).op('i32.add').set(at);
    c.get(at).get(P('h')).op('i32.lt_u').set(rowsOk[i]!);
    c.get(at).i32(rowB).op('i32.mul').set(rowsOff[i]!);
  }
  for (let j = 0; j < sides; j++) {
    c.get(tx).i32(m).op('i32.mul').i32(j - 1).op('i32.add').set(at);
    c.get(at).i32(rowB / ciB).op('i32.lt_u').set(colsOk[j]!);
    c.get(at).i32(ciB).op('i32.mul').set(colsOff[j]!);
  }
  for (const [i, row] of src.entries()) {
    for (let j = 0; j < sides; j++) {
      c.get(P('x')).get(rowsOff[i]!).op('i32.add').get(colsOff[j]!).op('i32.add').get(P('zero'));
      c.get(rowsOk[i]!).get(colsOk[j]!).op('i32.and').op('select').set(row[j]!);
    }
  }
}

/** (1) F(2x2): V = B^T d B for every tile, 4 channels at a time. */
function inputTransform2(k: SlabKernelParts): void {
  const { f, eachTile, vt, ciB } = k;
  const c = f.code;
  const l = (n: string) => f.l(n);
  const v = (n: string) => f.l(n, T.v128);
  const ids = [0, 1, 2, 3];
  const rowOk = ids.map((i) => l(`rowOk${i}`));
  const rowOff = ids.map((i) => l(`rowOff${i}`));
  const colOk = ids.map((j) => l(`colOk${j}`));
  const colOff = ids.map((j) => l(`colOff${j}`));
  const src = ids.map((i) => ids.map((j) => l(`src${i}${j}`)));
  const t = ids.map((i) => ids.map((j) => v(`t${i}${j}`)));
  const d = ids.map((i) => v(`d${i}`));
  eachTile(() => {
    tapAddresses2(k, src, rowOk, rowOff, colOk, colOff);
    for (let off = 0; off < ciB; off += 16) {
      for (let j = 0; j < 4; j++) {
        for (let i = 0; i < 4; i++) c.get(src[i]![j]!).v128Load(off).set(d[i]!);
        // column j of B^T d
        c.get(d[0]!).get(d[2]!).simd('f32x4.sub').set(t[0]![j]!);
        c.get(d[1]!).get(d[2]!).simd('f32x4.add').set(t[1]![j]!);
        c.get(d[2]!).get(d[1]!).simd('f32x4.sub').set(t[2]![j]!);
        c.get(d[1]!).get(d[3]!).simd('f32x4.sub').set(t[3]![j]!);
      }
      for (let i = 0; i < 4; i++) {
        // row i of (B^T d) B, stored at V[tile][4i + k]
        const r = t[i]!;
        const store = (q: number, a: number, b: number, op: 'f32x4.add' | 'f32x4.sub') => c.get(vt).get(a).get(b).simd(op).v128Store((4 * i + q) * ciB + off);
        store(0, r[0]!, r[2]!, 'f32x4.sub');
        store(1, r[1]!, r[2]!, 'f32x4.add');
        store(2, r[2]!, r[1]!, 'f32x4.sub');
        store(3, r[1]!, r[3]!, 'f32x4.sub');
      }
    }
  });
}

/**
 * F(4x4)'s 1-D input transform B^T of the six values in locals `d` (B^T = [4 0 -5 0 1 0;
 * 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1], Lavin & Gray),
 * each result stored by `store(q)` (which pushes the address, then the value is pushed and
 * stored). With p = d4 - 4 d2, q = d3 - 4 d1, r = d4 - d2, s = 2 (d3 - d1): p + q, p - q,
 * r + s, r - s (the products by 2 and 4 exact).
 */
function inputTransform1d(c: Code, d: number[], tmp: number[], store: (q: number) => void): void {
  const [p, q, r, s] = tmp as [number, number, number, number];
  const [d0, d1, d2, d3, d4, d5] = d as [number, number, number, number, number, number];
  c.get(d4).get(d2).f32x4(4).simd('f32x4.mul').simd('f32x4.sub').set(p);
  c.get(d3).get(d1).f32x4(4).simd('f32x4.mul').simd('f32x4.sub').set(q);
  c.get(d4).get(d2).simd('f32x4.sub').set(r);
  c.get(d3).get(d1).simd('f32x4.sub').f32x4(2).simd('f32x4.mul').set(s);
  store(0);
  c.get(d4).get(d2).f32x4(5).simd('f32x4.mul').simd('f32x4.sub').get(d0).f32x4(4).simd('f32x4.mul').simd('f32x4.add').simd('v128.store', 4, 0);
  store(1);
  c.get(p).get(q).simd('f32x4.add').simd('v128.store', 4, 0);
  store(2);
  c.get(p).get(q).simd('f32x4.sub').simd('v128.store', 4, 0);
  store(3);
  c.get(r).get(s).simd('f32x4.add').simd('v128.store', 4, 0);
  store(4);
  c.get(r).get(s).simd('f32x4.sub').simd('v128.store', 4, 0);
  store(5);
  c.get(d5).get(d3).f32x4(5).simd('f32x4.mul').simd('f32x4.sub').get(d1).f32x4(4).simd('f32x4.mul').simd('f32x4.add').simd('v128.store', 4, 0);
}

/**
 * (1) F(4x4): V = B^T d B for every tile, 4 channels at a time, in two passes through the
 * tile's V (L1): each input row's transform d B stored at V[6i + q], then each column of that
 * transformed by B^T in place. The channel loops run (not unrolled as F(2x2)'s: at 36 values
 * a tile, unrolled code for 64 channels outgrows the instruction cache).
 */
function inputTransform4(k: SlabKernelParts): void {
  const { f, P, eachTile, ty, tx, vt, ciB, rowB } = k;
  const c = f.code;
  const l = (n: string) => f.l(n);
  const v = (n: string) => f.l(n, T.v128);
  const ids = [0, 1, 2, 3, 4, 5];
  const colOk = ids.map((j) => l(`colOk${j}`));
  const colOff = ids.map((j) => l(`colOff${j}`));
  const src = ids.map((j) => l(`src${j}`));
  const [at, rowOk, rowAt, vp, end] = ['at', 'rowOk', 'rowAt', 'vp', 'end'].map(l);
  const d = ids.map((i) => v(`d${i}`));
  const tmp = [0, 1, 2, 3].map((i) => v(`tmp${i}`));
  eachTile(() => {
    for (let j = 0; j < 6; j++) {
      // input column 4tx - 1 + j: inside the image (unsigned compare), and its byte offset
      c.get(tx).i32(4).op('i32.mul').i32(j - 1).op('i32.add').set(at);
      c.get(at).i32(rowB / ciB).op('i32.lt_u').set(colOk[j]!);
      c.get(at).i32(ciB).op('i32.mul').set(colOff[j]!);
    }
    for (let i = 0; i < 6; i++) {
      // input row 4ty - 1 + i; a tap in the padding reads the row of zeros
      c.get(ty).i32(4).op('i32.mul').i32(i - 1).op('i32.add').set(at);
      c.get(at).get(P('h')).op('i32.lt_u').set(rowOk);
      c.get(P('x')).get(at).i32(rowB).op('i32.mul').op('i32.add').set(rowAt);
      for (let j = 0; j < 6; j++) {
        c.get(rowAt).get(colOff[j]!).op('i32.add').get(P('zero')).get(rowOk).get(colOk[j]!).op('i32.and').op('select').set(src[j]!);
      }
      c.get(vt).i32(6 * i * ciB).op('i32.add').tee(vp).i32(ciB).op('i32.add').set(end);
      c.loop(); // 4 channels at a time: row i's d B at V[6i + q]
      for (let j = 0; j < 6; j++) {
        c.get(src[j]!).v128Load(0).set(d[j]!);
        c.get(src[j]!).i32(16).op('i32.add').set(src[j]!);
      }
      inputTransform1d(c, d, tmp, (q) => c.get(vp).i32(q * ciB).op('i32.add'));
      c.get(vp).i32(16).op('i32.add').tee(vp).get(end).op('i32.lt_u').brIf(0);
      c.end();
    }
    c.get(vt).tee(vp).i32(ciB).op('i32.add').set(end);
    c.loop(); // 4 channels at a time: B^T of each column, in place
    for (let q = 0; q < 6; q++) {
      for (let i = 0; i < 6; i++) c.get(vp).v128Load((6 * i + q) * ciB).set(d[i]!);
      inputTransform1d(c, d, tmp, (i) => c.get(vp).i32((6 * i + q) * ciB).op('i32.add'));
    }
    c.get(vp).i32(16).op('i32.add').tee(vp).get(end).op('i32.lt_u').brIf(0);
    c.end();
  });
}

/** (2) M[.][xi] = V[.][xi] U[xi] for each of the nXi tile values: 2 tiles by 16 output channels per register tile. */
function gemm(k: SlabKernelParts, nXi: number, vTile: number, mTile: number, tpr: number): void {
  const { f, P, ciB, coB } = k;
  const c = f.code;
  const ci = ciB / 4;
  const l = (n: string) => f.l(n);
  const v = (n: string) => f.l(n, T.v128);
  const acc = [0, 1].map((q) => [0, 1, 2, 3].map((j) => v(`acc${q}${j}`)));
  const bv = [0, 1, 2, 3].map((j) => v(`b${j}`));
  const s = v('s');
  const [xi, aBase, bBase, cBase, a0, a, c0, pairs, bp, j] = ['xi', 'aBase', 'bBase', 'cBase', 'a0', 'a', 'c0', 'pairs', 'bp', 'j'].map(l);
  c.get(P('vb')).set(aBase).get(P('u')).set(bBase).get(P('mb')).set(cBase).i32(nXi).set(xi);
  c.loop(); // xi
  c.get(aBase).set(a0).get(cBase).set(c0).get(P('tyN')).i32(tpr / 2).op('i32.mul').set(pairs);
  c.loop(); // pairs of tiles
  for (let cOff = 0; cOff < coB; cOff += 64) {
    // one column tile of 16 output channels
    for (const rowAcc of acc) for (const x of rowAcc) c.f32x4(0).set(x);
    c.get(bBase).set(bp).get(a0).set(a).i32(ci).set(j);
    c.loop(); // terms
    for (let q = 0; q < 4; q++) c.get(bp).v128Load(cOff + 16 * q).set(bv[q]!);
    for (let q = 0; q < 2; q++) {
      c.get(a).simd('v128.load32_splat', 2, ...uleb(q * vTile)).set(s);
      for (let r = 0; r < 4; r++) emitMulAdd(c, acc[q]![r]!, s, bv[r]!).set(acc[q]![r]!);
    }
    c.get(a).i32(4).op('i32.add').set(a);
    c.get(bp).i32(coB).op('i32.add').set(bp);
    f.countDown(j).end();
    for (let q = 0; q < 2; q++) for (let r = 0; r < 4; r++) c.get(c0).get(acc[q]![r]!).v128Store(q * mTile + cOff + 16 * r);
  }
  c.get(a0).i32(2 * vTile).op('i32.add').set(a0);
  c.get(c0).i32(2 * mTile).op('i32.add').set(c0);
  f.countDown(pairs).end();
  c.get(aBase).i32(ciB).op('i32.add').set(aBase);
  c.get(bBase).i32(ci * coB).op('i32.add').set(bBase);
  c.get(cBase).i32(coB).op('i32.add').set(cBase);
  f.countDown(xi).end();
}

/** The byte address of the tile's top-left output, m x m outputs per tile, into local `yb`. */
function tileOutput(k: SlabKernelParts, m: number, yb: number): void {
  const { f, P, ty, tx, coB, yRowB } = k;
  f.code.get(P('y')).get(ty).i32(m * yRowB).op('i32.mul').op('i32.add').get(tx).i32(m * coB).op('i32.mul').op('i32.add').set(yb);
}

/** (3) F(2x2): Y = A^T M A + bias, a 2x2 block of outputs per tile. */
function outputTransform2(k: SlabKernelParts): void {
  const { f, P, eachTile, mt, coB, yRowB } = k;
  const c = f.code;
  const v = (n: string) => f.l(n, T.v128);
  const yb = f.l('yb');
  const m = Array.from({ length: 16 }, (_, q) => v(`m${q}`));
  const sr = [0, 1].map((i) => [0, 1, 2, 3].map((jj) => v(`s${i}${jj}`)));
  const bias = v('biasv');
  eachTile(() => {
    tileOutput(k, 2, yb);
    for (let off = 0; off < coB; off += 16) {
      for (let q = 0; q < 16; q++) c.get(mt).v128Load(q * coB + off).set(m[q]!);
      for (let jj = 0; jj < 4; jj++) {
        // column jj of A^T M: rows m0 + m1 + m2 and m1 - m2 - m3
        c.get(m[jj]!).get(m[4 + jj]!).simd('f32x4.add').get(m[8 + jj]!).simd('f32x4.add').set(sr[0]![jj]!);
        c.get(m[4 + jj]!).get(m[8 + jj]!).simd('f32x4.sub').get(m[12 + jj]!).simd('f32x4.sub').set(sr[1]![jj]!);
      }
      c.get(P('bias')).v128Load(off).set(bias);
      for (let i = 0; i < 2; i++) {
        // outputs (2ty + i, 2tx) and (2ty + i, 2tx + 1)
        const r = sr[i]!;
        c.get(yb).get(r[0]!).get(r[1]!).simd('f32x4.add').get(r[2]!).simd('f32x4.add').get(bias).simd('f32x4.add').v128Store(i * yRowB + off);
        c.get(yb).get(r[1]!).get(r[2]!).simd('f32x4.sub').get(r[3]!).simd('f32x4.sub').get(bias).simd('f32x4.add').v128Store(i * yRowB + coB + off);
      }
    }
  });
}

/**
 * F(4x4)'s 1-D output transform A^T of the six values in locals `e` (A^T = [1 1 1 1 1 0;
 * 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]): with a = e1 + e2, b = e1 - e2, p = e3 + e4,
 * q = e3 - e4: e0 + a + p, b + 2q, a + 4p, b + 8q + e5 (+ `bias` when given), each stored by
 * `store(r)` (which pushes the address).
 */
function outputTransform1d(c: Code, e: number[], tmp: number[], bias: number | null, store: (r: number) => void): void {
  const [a, b, p, q] = tmp as [number, number, number, number];
  const [e0, e1, e2, e3, e4, e5] = e as [number, number, number, number, number, number];
  c.get(e1).get(e2).simd('f32x4.add').set(a);
  c.get(e1).get(e2).simd('f32x4.sub').set(b);
  c.get(e3).get(e4).simd('f32x4.add').set(p);
  c.get(e3).get(e4).simd('f32x4.sub').set(q);
  const withBias = () => {
    if (bias !== null) c.get(bias).simd('f32x4.add');
    c.simd('v128.store', 4, 0);
  };
  store(0);
  c.get(e0).get(a).simd('f32x4.add').get(p).simd('f32x4.add');
  withBias();
  store(1);
  c.get(b).get(q).f32x4(2).simd('f32x4.mul').simd('f32x4.add');
  withBias();
  store(2);
  c.get(a).get(p).f32x4(4).simd('f32x4.mul').simd('f32x4.add');
  withBias();
  store(3);
  c.get(b).get(q).f32x4(8).simd('f32x4.mul').simd('f32x4.add').get(e5).simd('f32x4.add');
  withBias();
}

/**
 * (3) F(4x4): Y = A^T M A + bias, a 4x4 block of outputs per tile, in two passes, 4 channels
 * at a time (a loop, as the input transform's): each row of M transformed by A in place
 * (M[6i + r], r < 4), then each of those columns by A^T into y.
 */
function outputTransform4(k: SlabKernelParts): void {
  const { f, P, eachTile, mt, coB, yRowB } = k;
  const c = f.code;
  const l = (n: string) => f.l(n);
  const v = (n: string) => f.l(n, T.v128);
  const [yb, mp, bp, end] = ['yb', 'mp', 'bp', 'end'].map(l);
  const e = [0, 1, 2, 3, 4, 5].map((i) => v(`e${i}`));
  const tmp = [0, 1, 2, 3].map((i) => v(`otmp${i}`));
  const bias = v('biasv');
  eachTile(() => {
    tileOutput(k, 4, yb);
    c.get(mt).tee(mp).i32(coB).op('i32.add').set(end);
    c.get(P('bias')).set(bp);
    c.loop(); // 4 channels at a time
    for (let i = 0; i < 6; i++) {
      for (let q = 0; q < 6; q++) c.get(mp).v128Load((6 * i + q) * coB).set(e[q]!);
      outputTransform1d(c, e, tmp, null, (r) => c.get(mp).i32((6 * i + r) * coB).op('i32.add'));
    }
    c.get(bp).v128Load(0).set(bias);
    for (let r = 0; r < 4; r++) {
      // output column 4tx + r: rows 4ty .. 4ty + 3
      for (let i = 0; i < 6; i++) c.get(mp).v128Load((6 * i + r) * coB).set(e[i]!);
      outputTransform1d(c, e, tmp, bias, (row) => c.get(yb).i32(row * yRowB + r * coB).op('i32.add'));
    }
    c.get(yb).i32(16).op('i32.add').set(yb);
    c.get(bp).i32(16).op('i32.add').set(bp);
    c.get(mp).i32(16).op('i32.add').tee(mp).get(end).op('i32.lt_u').brIf(0);
    c.end();
  });
}

/** The module for one shape (specialized code: one module per channel and width configuration). */
export function winogradModuleBytes(shape: SlabShape, sharedMemory = false): Uint8Array {
  return assemble([slabKernel(shape)], sharedMemory);
}

const moduleValidates = validatesOnce(() => winogradModuleBytes({ ci: 4, co: 16, w: 8, m: 4 }));

/** The Winograd kernel's switch (MPELU_WINOGRAD=0 starts off; MPELU_WASM_SIMD=0 turns it off too). */
export const winograd = new KillSwitch('MPELU_WINOGRAD', wasmSimd);

/**
 * Whether training passes (a forward in training mode, the input gradient) may use it too:
 * MPELU_WINOGRAD_TRAIN=1. Off by default: its sums round differently from the direct
 * convolution's (within the same bound of sum |terms|), and over SGD steps that moved the
 * Torch7 fb.resnet.torch replay's printed losses in the 4th decimal, where the direct kernels
 * reproduce all of them (test/train_fbresnet.test.ts). Evaluation-mode forwards use it.
 */
export function winogradInTraining(): boolean {
  return trainingOverride ?? (trainingFromEnv ??= typeof process !== 'undefined' && process.env?.['MPELU_WINOGRAD_TRAIN'] === '1');
}

let trainingOverride: boolean | undefined;
/** MPELU_WINOGRAD_TRAIN, read once (process.env reads are slow, and this is asked per conv call). */
let trainingFromEnv: boolean | undefined;

/** Sets winogradInTraining() (undefined: back to MPELU_WINOGRAD_TRAIN). */
export function setWinogradInTraining(on: boolean | undefined): void {
  trainingOverride = on;
}

type SlabFn = (...args: number[]) => void;

const heapSlabs = perHeap((heap) => {
  const slabs = new Map<string, SlabFn>();
  return {
    memory: heap.memory,
    scratch: new ScratchBlock(heap, 'Winograd 3x3 convolution (wasm SIMD)', 65536),
    /** This heap's instance of the kernel for `shape` (compiled on first use). */
    slab(shape: SlabShape, key: string): SlabFn {
      let fn = slabs.get(key);
      if (!fn) slabs.set(key, (fn = instantiateOnMemory((shared) => winogradModuleBytes(shape, shared), heap.memory)['wino_slab'] as SlabFn));
      return fn;
    },
  };
});

/**
 * F(4x4, 3x3) where the image allows it (MPELU_WINOGRAD_F4=0 keeps F(2x2) everywhere, to
 * compare): 2.25 multiplies per output and channel pair instead of 4.
 */
export const winogradF4 = new KillSwitch('MPELU_WINOGRAD_F4', winograd);

/** The output tile side for an h x w image: 4 where h is a multiple of 4 and w of 8, else 2. */
export function winogradTile(h: number, w: number): 2 | 4 {
  return h % 4 === 0 && w % 8 === 0 && winogradF4.enabled() ? 4 : 2;
}

/** Whether a conv of this geometry (cin -> cout channels over h x w images) runs as Winograd F(2x2, 3x3) or F(4x4, 3x3). */
export function winogradTakes(kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, h: number, w: number, ho: number, wo: number, cin: number, cout: number): boolean {
  return kh === 3 && kw === 3 && sh === 1 && sw === 1 && pt === 1 && pl === 1 && ho === h && wo === w &&
    h % 2 === 0 && w % 4 === 0 && h > 0 && cin % 4 === 0 && cout % 16 === 0 && cin > 0 && cout > 0 &&
    winograd.enabled() && moduleValidates();
}

/** F(4x4)'s G (6 x 3): U = G g G^T, computed in float64 and rounded once, to float32, when stored. */
const G4: readonly (readonly [number, number, number])[] = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];

/**
 * U[xi][i][o] = (G g G^T)[xi] for every 3x3 filter g (input channel i, output channel o) of
 * `f`, in float64, rounded once; written to u ((m + 2)^2 * cin * cout floats). The taps of g
 * lie at src[base(i, o) + a * rowStep + e * colStep] (a, e = 0..2).
 */
function transformFilter(u: Float32Array, m: 2 | 4, cin: number, cout: number, f: FilterLayout): void {
  const { src, iStep, oStep, rowStep: rs, colStep: cs, start } = f;
  const plane = cin * cout;
  const g = new Float64Array(9);
  const r = new Float64Array(18);
  for (let i = 0; i < cin; i++) {
    // output channels innermost: the rows of u are each written in order
    for (let o = 0, b = start + i * iStep, k = i * cout; o < cout; o++, b += oStep, k++) {
      for (let a = 0; a < 3; a++) for (let e = 0; e < 3; e++) g[3 * a + e] = src[b + a * rs + e * cs]!;
      if (m === 2) {
        // r = G g (rows 1 and 2 halved sums), then U = r G^T, row by row
        row2(u, k, plane, 0, g[0]!, g[1]!, g[2]!);
        row2(u, k, plane, 4, (g[0]! + g[3]! + g[6]!) / 2, (g[1]! + g[4]! + g[7]!) / 2, (g[2]! + g[5]! + g[8]!) / 2);
        row2(u, k, plane, 8, (g[0]! - g[3]! + g[6]!) / 2, (g[1]! - g[4]! + g[7]!) / 2, (g[2]! - g[5]! + g[8]!) / 2);
        row2(u, k, plane, 12, g[6]!, g[7]!, g[8]!);
        continue;
      }
      // r = G g (6 x 3), then U[6p + q] = sum over e of r[p][e] G[q][e]
      for (let p = 0; p < 6; p++) {
        const gp = G4[p]!;
        for (let e = 0; e < 3; e++) r[3 * p + e] = gp[0] * g[e]! + gp[1] * g[3 + e]! + gp[2] * g[6 + e]!;
      }
      for (let p = 0; p < 6; p++) {
        for (let q = 0; q < 6; q++) {
          const gq = G4[q]!;
          u[(6 * p + q) * plane + k] = r[3 * p]! * gq[0] + r[3 * p + 1]! * gq[1] + r[3 * p + 2]! * gq[2];
        }
      }
    }
  }
}

/** A host filter's transform and the filter values it was made from. */
interface TransformedFilter {
  source: Buffer;
  u: Float32Array;
}

/** Transforms of host filters by the memory their values lie in, then by where and how read. */
const transformed = new WeakMap<ArrayBufferLike, Map<string, TransformedFilter>>();

/**
 * transformFilter, reusing the last transform of a host filter (one not on the heap) while
 * its values are unchanged (compared byte for byte): evaluation runs the same filters batch
 * after batch, and the JavaScript transform cost ~12 ms per ResNet-164 batch of 32.
 */
function transformFilterCached(u: Float32Array, m: 2 | 4, cin: number, cout: number, f: FilterLayout, heap: ArrayBufferLike): void {
  const src = f.src;
  if (src.buffer === heap) {
    transformFilter(u, m, cin, cout, f);
    return;
  }
  const now = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const key = `${m} ${src.byteOffset} ${src.length} ${f.start} ${f.iStep} ${f.oStep} ${f.rowStep} ${f.colStep} ${cin} ${cout}`;
  let byPlace = transformed.get(src.buffer);
  if (!byPlace) transformed.set(src.buffer, (byPlace = new Map()));
  const hit = byPlace.get(key);
  if (hit && hit.source.equals(now)) {
    u.set(hit.u);
    return;
  }
  transformFilter(u, m, cin, cout, f);
  byPlace.set(key, { source: Buffer.from(now), u: u.slice() });
}

/** F(2x2): u[xi0 .. xi0 + 3] at element k: (r G^T) for the row (r0, r1, r2) of G g. */
function row2(u: Float32Array, k: number, plane: number, xi0: number, r0: number, r1: number, r2: number): void {
  u[xi0 * plane + k] = r0;
  u[(xi0 + 1) * plane + k] = (r0 + r1 + r2) / 2;
  u[(xi0 + 2) * plane + k] = (r0 - r1 + r2) / 2;
  u[(xi0 + 3) * plane + k] = r2;
}

/** Where the 3x3 filter of (input channel i, output channel o) lies in a flat array. */
export interface FilterLayout {
  src: Float32Array;
  start: number;
  iStep: number;
  oStep: number;
  rowStep: number;
  colStep: number;
}

/** The forward's filter: a host filter in Torch's [co, ci, kh, kw] order, or tfjs's [kh, kw, ci, co]. */
export function forwardLayout(filter: HostFilter | Float32Array, ci: number, co: number): FilterLayout {
  if (filter instanceof Float32Array) return { src: filter, start: 0, iStep: co, oStep: 1, rowStep: 3 * ci * co, colStep: ci * co };
  return { src: filter.values, start: 0, iStep: 9, oStep: 9 * ci, rowStep: 3, colStep: 1 };
}

/**
 * The input gradient's filter: dx = conv(dy, F) with F[a][e] = W[2 - a][2 - e] transposed
 * (its input channels are the layer's outputs co, its outputs the layer's inputs ci).
 */
export function inputGradLayout(filter: HostFilter | Float32Array, ci: number, co: number): FilterLayout {
  const f = forwardLayout(filter, ci, co);
  return { src: f.src, start: f.start + 2 * f.rowStep + 2 * f.colStep, iStep: f.oStep, oStep: f.iStep, rowStep: -f.rowStep, colStep: -f.colStep };
}

/**
 * out [n, h, w, cout] = the 3x3 pad-1 correlation of x [n, h, w, cin] with the filter
 * `layout()` holds (+ `bias()`), written into `out` on the wasm heap; false when it cannot
 * run here (`release` is called if the scratch cannot be allocated, before the error).
 */
export function winogradConv3x3(
  backend: tf.KernelBackend, x: Info, out: Info, cin: number, cout: number,
  layout: () => FilterLayout, bias: () => Float32Array | null, release: () => void,
): boolean {
  const k = heapSlabs(backend);
  if (!k) return false;
  const be = backend as WasmHeapBackend;
  const [n, h, w] = x.shape as [number, number, number, number];
  const m = winogradTile(h, w);
  const nXi = tileValues(m);
  const tpr = w / m;
  const tileRows = h / m;
  // tile rows per slab: V and M (nXi values per tile and channel) within SLAB_BYTES
  const rowsPerSlab = Math.max(1, Math.min(tileRows, Math.floor(SLAB_BYTES / (4 * nXi * (cin + cout) * tpr))));
  const slabsPerImage = Math.ceil(tileRows / rowsPerSlab);
  const slabs = n * slabsPerImage;
  const split = new SplitCalls(heapPoolFor(k.memory), slabs);
  // slabs go in units of consecutive slabs, each unit with its own V and M buffers (a unit
  // may be taken over by a thread done with its own part, while another unit of the same
  // part runs)
  const units = Math.min(slabs, UNITS_PER_THREAD * split.parts);
  const uFloats = nXi * cin * cout;
  const vBytes = nXi * 4 * rowsPerSlab * tpr * cin;
  const bufFloats = nXi * rowsPerSlab * tpr * (cin + cout);
  const base = k.scratch.reserveOrRelease(4 * (uFloats + cout + cin + units * bufFloats) + 64, release);
  // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
  const heap = k.memory.buffer;
  // the filter and bias are read only now (a view taken before the malloc could be detached)
  transformFilterCached(new Float32Array(heap, base, uFloats), m, cin, cout, layout(), heap);
  const biasAt = base + 4 * uFloats;
  const zeroAt = biasAt + 4 * cout;
  const biasRow = new Float32Array(heap, biasAt, cout + cin);
  biasRow.fill(0);
  const b = bias();
  if (b) biasRow.set(b);
  const buffers = zeroAt + 4 * cin;
  const xOff = be.getMemoryOffset(x.dataId);
  const yOff = be.getMemoryOffset(out.dataId);
  const shape = { ci: cin, co: cout, w, m };
  const key = `winograd_${cin}_${cout}_${w}_${m}`;
  const fn = split.fn(key, (shared) => winogradModuleBytes(shape, shared), 'wino_slab', k.slab(shape, key));
  const args = [0, 0, base, biasAt, zeroAt, 0, 0, h, 0, 0];
  for (let s = 0; s < slabs; s++) {
    const img = Math.floor(s / slabsPerImage);
    const ty0 = (s - img * slabsPerImage) * rowsPerSlab;
    const unit = partOf(s, slabs, units);
    const part = partOf(unit, units, split.parts);
    const vb = buffers + 4 * unit * bufFloats;
    args[0] = xOff + 4 * img * h * w * cin;
    args[1] = yOff + 4 * img * h * w * cout;
    args[5] = vb;
    args[6] = vb + vBytes;
    args[8] = ty0;
    args[9] = Math.min(rowsPerSlab, tileRows - ty0);
    split.call(part, fn, args, unit);
  }
  split.finish();
  winograd.ran();
  return true;
}
