// Winograd F(2x2, 3x3) for the 3x3, stride-1, pad-1 convolutions of a ResNet (the forward and,
// with the filter flipped and transposed, the input gradient), as a WebAssembly SIMD kernel on
// tfjs-backend-wasm's heap. Each 2x2 block of outputs takes 16 multiplies per input/output
// channel pair instead of 36: the 3x3 layers' products drop 2.25x, for a few adds per value.
//
//   Y = A^T [ U (.) V ] A,  U = G g G^T (per filter, once per call),  V = B^T d B (per 4x4 input tile)
//
// with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
// and A^T = [1 1 1 0; 0 1 -1 -1] (Lavin & Gray 2015). Per slab of tile rows of one image (sized
// so its V and M buffers stay in L2), one call: (1) V for every tile and every 4 input channels,
// border taps reading a row of zeros; (2) for each of the 16 tile positions xi, the GEMM
// M[xi] = V[xi] U[xi] ([tiles x ci] x [ci x co]) with the tap kernels' 2 x 16 register tile;
// (3) Y = A^T M A, plus the bias, stored to y. A slab is one thread's whole work on its outputs:
// the same result for every thread count.
//
// Accuracy: the transforms add and subtract before and after the products (the filter's in
// float64, rounded once), so sums differ from the direct convolution's in rounding only;
// test/winograd.test.ts bounds the error against float64 by the same rule as the direct kernels.
// Callers ask for it (geometry.winograd): evaluation-mode forwards of nn.SpatialConvolution
// by default, training passes only with MPELU_WINOGRAD_TRAIN=1 (see winogradInTraining).

import type * as tf from '@tensorflow/tfjs-core';
import { assemble, Fn, T, type FuncDef } from './encoder.js';
import { emitMulAdd } from './relaxed_simd.js';
import { instantiateOnMemory, perHeap, ScratchBlock, validatesOnce, type WasmHeapBackend } from './heap.js';
import { KillSwitch, wasmSimd } from './kill_switch.js';
import { heapPoolFor, partOf, SplitCalls } from './split_calls.js';
import type { HostFilter } from './host_filter.js';

type Info = tf.TensorInfo;

/** Bytes of a slab's V and M buffers together (L2 here is 512 KB per core). */
const SLAB_BYTES = 256 * 1024;

/** Bytes added to each of the 16 planes of V and M. */
const PLANE_PAD = 64;

const PARAMS = ['x', 'y', 'u', 'bias', 'zero', 'vb', 'mb', 'h', 'w', 'ci', 'co', 'ty0', 'tyN'] as const;

/**
 * wino_slab(x, y, u, bias, zero, vb, mb, h, w, ci, co, ty0, tyN): the outputs of tile rows
 * [ty0, ty0 + tyN) of one image (x and y its first input and output position, channels-last),
 * u the 16 transformed filters ([xi][ci][co] floats), bias a row of co floats, zero a row of
 * ci zero floats, vb and mb the slab's buffers (16 planes of tiles * ci and tiles * co floats,
 * each plane PLANE_PAD bytes longer).
 * ci a multiple of 4, co of 16, w of 4; byte addresses.
 */
function slabKernel(): FuncDef {
  const f = new Fn('wino_slab', PARAMS);
  const c = f.code;
  const P = (n: (typeof PARAMS)[number]) => f.l(n);
  const l = (n: string) => f.l(n);
  const v = (n: string) => f.l(n, T.v128);
  const add = (a: number, b: number) => c.get(a).get(b).op('i32.add');
  const addConst = (a: number, n: number) => c.get(a).i32(n).op('i32.add').set(a);
  const [tpr, tiles, ciB, coB, rowB, yRowB, ty, tx, tile, n, off, vptr, vStride, mStride, xi] = [
    'tpr', 'tiles', 'ciB', 'coB', 'rowB', 'yRowB', 'ty', 'tx', 'tile', 'n', 'off', 'vptr', 'vStride', 'mStride', 'xi',
  ].map(l);
  c.get(P('w')).i32(1).op('i32.shr_u').set(tpr);
  c.get(P('tyN')).get(tpr).op('i32.mul').set(tiles);
  c.get(P('ci')).i32(4).op('i32.mul').set(ciB);
  c.get(P('co')).i32(4).op('i32.mul').set(coB);
  c.get(P('w')).get(ciB).op('i32.mul').set(rowB);
  c.get(P('w')).get(coB).op('i32.mul').set(yRowB);
  // planes one cache line longer than their data: 16 planes a power of two apart would fall
  // in one L1 set (the transforms touch all 16 per tile)
  c.get(tiles).get(ciB).op('i32.mul').i32(PLANE_PAD).op('i32.add').set(vStride);
  c.get(tiles).get(coB).op('i32.mul').i32(PLANE_PAD).op('i32.add').set(mStride);

  // (1) V = B^T d B for every tile, 4 channels at a time
  const rowOk = [0, 1, 2, 3].map((i) => l(`rowOk${i}`));
  const rowOff = [0, 1, 2, 3].map((i) => l(`rowOff${i}`));
  const colOk = [0, 1, 2, 3].map((j) => l(`colOk${j}`));
  const colOff = [0, 1, 2, 3].map((j) => l(`colOff${j}`));
  const src = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => l(`src${i}${j}`)));
  const t = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => v(`t${i}${j}`)));
  const d = [0, 1, 2, 3].map((i) => v(`d${i}`));
  const vs = Array.from({ length: 16 }, (_, k) => l(`vs${k}`));
  for (let k = 0; k < 16; k++) c.get(vStride).i32(k).op('i32.mul').set(vs[k]!);
  c.i32(0).set(tile).get(P('ty0')).set(ty).get(P('tyN')).set(n);
  c.loop(); // tile rows
  for (let i = 0; i < 4; i++) {
    // input row 2*ty - 1 + i: inside the image (unsigned compare), and its byte offset
    const row = l('row');
    c.get(ty).i32(1).op('i32.shl').i32(i - 1).op('i32.add').set(row);
    c.get(row).get(P('h')).op('i32.lt_u').set(rowOk[i]!);
    c.get(row).get(rowB).op('i32.mul').set(rowOff[i]!);
  }
  c.i32(0).set(tx);
  c.loop(); // tiles of the row
  for (let j = 0; j < 4; j++) {
    const col = l('col');
    c.get(tx).i32(1).op('i32.shl').i32(j - 1).op('i32.add').set(col);
    c.get(col).get(P('w')).op('i32.lt_u').set(colOk[j]!);
    c.get(col).get(ciB).op('i32.mul').set(colOff[j]!);
  }
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      // a tap in the padding reads the row of zeros
      add(P('x'), rowOff[i]!).get(colOff[j]!).op('i32.add').get(P('zero'));
      c.get(rowOk[i]!).get(colOk[j]!).op('i32.and').op('select').set(src[i]![j]!);
    }
  }
  c.get(P('vb')).get(tile).get(ciB).op('i32.mul').op('i32.add').set(vptr);
  c.i32(0).set(off);
  c.loop(); // 4 input channels at a time
  for (let j = 0; j < 4; j++) {
    for (let i = 0; i < 4; i++) add(src[i]![j]!, off).v128Load().set(d[i]!);
    // column j of B^T d
    c.get(d[0]!).get(d[2]!).simd('f32x4.sub').set(t[0]![j]!);
    c.get(d[1]!).get(d[2]!).simd('f32x4.add').set(t[1]![j]!);
    c.get(d[2]!).get(d[1]!).simd('f32x4.sub').set(t[2]![j]!);
    c.get(d[1]!).get(d[3]!).simd('f32x4.sub').set(t[3]![j]!);
  }
  for (let i = 0; i < 4; i++) {
    // row i of (B^T d) B, stored at V[4i + j][tile]
    const store = (k: number, a: number, b: number, op: 'f32x4.add' | 'f32x4.sub') => {
      add(vptr, vs[4 * i + k]!).get(off).op('i32.add').get(a).get(b).simd(op).v128Store();
    };
    const r = t[i]!;
    store(0, r[0]!, r[2]!, 'f32x4.sub');
    store(1, r[1]!, r[2]!, 'f32x4.add');
    store(2, r[2]!, r[1]!, 'f32x4.sub');
    store(3, r[1]!, r[3]!, 'f32x4.sub');
  }
  addConst(off, 16);
  c.get(off).get(ciB).op('i32.lt_u').brIf(0);
  c.end();
  addConst(tile, 1);
  addConst(tx, 1);
  c.get(tx).get(tpr).op('i32.lt_u').brIf(0);
  c.end();
  addConst(ty, 1);
  f.countDown(n).end();

  // (2) M[xi] = V[xi] U[xi]: 2 tiles by 16 output channels per register tile
  const acc = [0, 1].map((q) => [0, 1, 2, 3].map((k) => v(`acc${q}${k}`)));
  const bv = [0, 1, 2, 3].map((k) => v(`b${k}`));
  const s = v('s');
  const [aBase, bBase, cBase, a0, a1, c0, pairs, tj, bp, j, cOff, uStride] = ['aBase', 'bBase', 'cBase', 'a0', 'a1', 'c0', 'pairs', 'tj', 'bp', 'j', 'cOff', 'uStride'].map(l);
  c.get(P('ci')).get(coB).op('i32.mul').set(uStride);
  c.get(P('vb')).set(aBase).get(P('u')).set(bBase).get(P('mb')).set(cBase).i32(16).set(xi);
  c.loop(); // xi
  c.get(aBase).set(a0).get(cBase).set(c0).get(tiles).i32(1).op('i32.shr_u').set(pairs);
  c.loop(); // pairs of tiles
  c.i32(0).set(cOff);
  c.loop(); // column tiles
  for (const row of acc) for (const x of row) c.f32x4(0).set(x);
  c.get(bBase).get(cOff).op('i32.add').set(bp);
  c.get(a0).set(a1).get(P('ci')).set(j);
  c.loop(); // terms
  for (let k = 0; k < 4; k++) c.get(bp).v128Load(16 * k).set(bv[k]!);
  for (let q = 0; q < 2; q++) {
    c.get(a1);
    if (q > 0) c.get(ciB).op('i32.add');
    c.simd('v128.load32_splat', 2, 0).set(s);
    for (let k = 0; k < 4; k++) emitMulAdd(c, acc[q]![k]!, s, bv[k]!).set(acc[q]![k]!);
  }
  addConst(a1, 4);
  c.get(bp).get(coB).op('i32.add').set(bp);
  f.countDown(j).end();
  for (let q = 0; q < 2; q++) {
    for (let k = 0; k < 4; k++) {
      c.get(c0).get(cOff).op('i32.add');
      if (q > 0) c.get(coB).op('i32.add');
      c.get(acc[q]![k]!).v128Store(16 * k);
    }
  }
  addConst(cOff, 64);
  c.get(cOff).get(coB).op('i32.lt_u').brIf(0);
  c.end();
  c.get(a0).get(ciB).i32(2).op('i32.mul').op('i32.add').set(a0);
  c.get(c0).get(coB).i32(2).op('i32.mul').op('i32.add').set(c0);
  f.countDown(pairs).end();
  c.get(aBase).get(vStride).op('i32.add').set(aBase);
  c.get(bBase).get(uStride).op('i32.add').set(bBase);
  c.get(cBase).get(mStride).op('i32.add').set(cBase);
  f.countDown(xi).end();

  // (3) Y = A^T M A + bias, a 2x2 block of outputs per tile
  const m = Array.from({ length: 16 }, (_, k) => v(`m${k}`));
  const sr = [0, 1].map((i) => [0, 1, 2, 3].map((jj) => v(`s${i}${jj}`)));
  const ms = Array.from({ length: 16 }, (_, k) => l(`ms${k}`));
  const [mptr, yb, bias] = ['mptr', 'yb', 'biasv'].map((nm) => (nm === 'biasv' ? v(nm) : l(nm)));
  for (let k = 0; k < 16; k++) c.get(mStride).i32(k).op('i32.mul').set(ms[k]!);
  c.i32(0).set(tile).get(P('ty0')).set(ty).get(P('tyN')).set(n);
  c.loop(); // tile rows
  c.i32(0).set(tx);
  c.loop(); // tiles of the row
  c.get(P('mb')).get(tile).get(coB).op('i32.mul').op('i32.add').set(mptr);
  // top-left output (2ty, 2tx)
  c.get(P('y')).get(ty).i32(1).op('i32.shl').get(yRowB).op('i32.mul').op('i32.add');
  c.get(tx).i32(1).op('i32.shl').get(coB).op('i32.mul').op('i32.add').set(yb);
  c.i32(0).set(off);
  c.loop(); // 4 output channels at a time
  for (let k = 0; k < 16; k++) add(mptr, ms[k]!).get(off).op('i32.add').v128Load().set(m[k]!);
  for (let jj = 0; jj < 4; jj++) {
    // column jj of A^T M: rows m0 + m1 + m2 and m1 - m2 - m3
    c.get(m[jj]!).get(m[4 + jj]!).simd('f32x4.add').get(m[8 + jj]!).simd('f32x4.add').set(sr[0]![jj]!);
    c.get(m[4 + jj]!).get(m[8 + jj]!).simd('f32x4.sub').get(m[12 + jj]!).simd('f32x4.sub').set(sr[1]![jj]!);
  }
  add(P('bias'), off).v128Load().set(bias);
  for (let i = 0; i < 2; i++) {
    const r = sr[i]!;
    // outputs (2ty + i, 2tx) and (2ty + i, 2tx + 1)
    const at = () => {
      c.get(yb).get(off).op('i32.add');
      if (i > 0) c.get(yRowB).op('i32.add');
    };
    at();
    c.get(r[0]!).get(r[1]!).simd('f32x4.add').get(r[2]!).simd('f32x4.add').get(bias).simd('f32x4.add').v128Store();
    at();
    c.get(coB).op('i32.add');
    c.get(r[1]!).get(r[2]!).simd('f32x4.sub').get(r[3]!).simd('f32x4.sub').get(bias).simd('f32x4.add').v128Store();
  }
  addConst(off, 16);
  c.get(off).get(coB).op('i32.lt_u').brIf(0);
  c.end();
  addConst(tile, 1);
  addConst(tx, 1);
  c.get(tx).get(tpr).op('i32.lt_u').brIf(0);
  c.end();
  addConst(ty, 1);
  f.countDown(n).end();
  return f.def();
}

export function winogradModuleBytes(sharedMemory = false): Uint8Array {
  return assemble([slabKernel()], sharedMemory);
}

const moduleValidates = validatesOnce(() => winogradModuleBytes());

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
  return trainingOverride ?? (typeof process !== 'undefined' && process.env?.['MPELU_WINOGRAD_TRAIN'] === '1');
}

let trainingOverride: boolean | undefined;

/** Sets winogradInTraining() (undefined: back to MPELU_WINOGRAD_TRAIN). */
export function setWinogradInTraining(on: boolean | undefined): void {
  trainingOverride = on;
}

type SlabFn = (...args: number[]) => void;

const heapSlabs = perHeap((heap) => ({
  memory: heap.memory,
  scratch: new ScratchBlock(heap, 'Winograd 3x3 convolution (wasm SIMD)', 65536),
  slab: instantiateOnMemory(winogradModuleBytes, heap.memory)['wino_slab'] as SlabFn,
}));

/** Whether a conv of this geometry (cin -> cout channels over h x w images) runs as Winograd F(2x2, 3x3). */
export function winogradTakes(kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, h: number, w: number, ho: number, wo: number, cin: number, cout: number): boolean {
  return kh === 3 && kw === 3 && sh === 1 && sw === 1 && pt === 1 && pl === 1 && ho === h && wo === w &&
    h % 2 === 0 && w % 4 === 0 && h > 0 && cin % 4 === 0 && cout % 16 === 0 && cin > 0 && cout > 0 &&
    winograd.enabled() && moduleValidates();
}

/**
 * U[xi][i][o] = (G g G^T)[xi] for every 3x3 filter g (input channel i, output channel o) of
 * `f`, in float64, rounded once; written to u (16 * cin * cout floats). The taps of g lie at
 * src[base(i, o) + a * rowStep + e * colStep] (a, e = 0..2).
 */
function transformFilter(u: Float32Array, cin: number, cout: number, f: FilterLayout): void {
  const { src, iStep, oStep, rowStep, colStep, start } = f;
  const plane = cin * cout;
  for (let i = 0; i < cin; i++) {
    for (let o = 0; o < cout; o++) {
      const b = start + i * iStep + o * oStep;
      const k = i * cout + o;
      // r = G g (4 x 3), one column e at a time, then U = r G^T row by row
      const r = R;
      for (let e = 0; e < 3; e++) {
        const g0 = src[b + e * colStep]!, g1 = src[b + rowStep + e * colStep]!, g2 = src[b + 2 * rowStep + e * colStep]!;
        r[e] = g0;
        r[3 + e] = (g0 + g1 + g2) / 2;
        r[6 + e] = (g0 - g1 + g2) / 2;
        r[9 + e] = g2;
      }
      for (let a = 0; a < 4; a++) {
        const r0 = r[3 * a]!, r1 = r[3 * a + 1]!, r2 = r[3 * a + 2]!;
        u[4 * a * plane + k] = r0;
        u[(4 * a + 1) * plane + k] = (r0 + r1 + r2) / 2;
        u[(4 * a + 2) * plane + k] = (r0 - r1 + r2) / 2;
        u[(4 * a + 3) * plane + k] = r2;
      }
    }
  }
}

const R = new Float64Array(12);

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
  const tpr = w / 2;
  const tileRows = h / 2;
  // tile rows per slab: V and M (16 values per tile and channel) within SLAB_BYTES
  const rowsPerSlab = Math.max(1, Math.min(tileRows, Math.floor(SLAB_BYTES / (64 * (cin + cout) * tpr))));
  const slabsPerImage = Math.ceil(tileRows / rowsPerSlab);
  const slabs = n * slabsPerImage;
  const split = new SplitCalls(heapPoolFor(k.memory), slabs);
  const uFloats = 16 * cin * cout;
  const vBytes = 16 * (4 * rowsPerSlab * tpr * cin + PLANE_PAD);
  const bufFloats = (vBytes + 16 * (4 * rowsPerSlab * tpr * cout + PLANE_PAD)) / 4;
  const base = k.scratch.reserveOrRelease(4 * (uFloats + cout + cin + split.parts * bufFloats) + 64, release);
  // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
  const heap = k.memory.buffer;
  // the filter and bias are read only now (a view taken before the malloc could be detached)
  transformFilter(new Float32Array(heap, base, uFloats), cin, cout, layout());
  const biasAt = base + 4 * uFloats;
  const zeroAt = biasAt + 4 * cout;
  const biasRow = new Float32Array(heap, biasAt, cout + cin);
  biasRow.fill(0);
  const b = bias();
  if (b) biasRow.set(b);
  const buffers = zeroAt + 4 * cin;
  const xOff = be.getMemoryOffset(x.dataId);
  const yOff = be.getMemoryOffset(out.dataId);
  const fn = split.fn('winograd', winogradModuleBytes, 'wino_slab', k.slab);
  const args = [0, 0, base, biasAt, zeroAt, 0, 0, h, w, cin, cout, 0, 0];
  for (let s = 0; s < slabs; s++) {
    const img = Math.floor(s / slabsPerImage);
    const ty0 = (s - img * slabsPerImage) * rowsPerSlab;
    const part = partOf(s, slabs, split.parts);
    const vb = buffers + 4 * part * bufFloats;
    args[0] = xOff + 4 * img * h * w * cin;
    args[1] = yOff + 4 * img * h * w * cout;
    args[5] = vb;
    args[6] = vb + vBytes;
    args[11] = ty0;
    args[12] = Math.min(rowsPerSlab, tileRows - ty0);
    split.call(part, fn, args);
  }
  split.finish();
  winograd.ran();
  return true;
}
