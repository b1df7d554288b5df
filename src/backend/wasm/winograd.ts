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
// the same result for every thread count. The code is built per (ci, co, w) with every offset a
// constant (V and M laid out [tile][xi][channel], the channel loops unrolled): with offsets
// computed at run time and V, M as 16 planes, the transforms cost as much as the GEMMs.
// Measured on ResNet-164's 3x3 layers at batch 32, 2 threads, against the direct kernel: with
// the same tensors again (warm caches) 1.5x for 16, 32 and 64 channels; with new tensors per
// call (bench/conv_forward.bench.ts, as in a network) 1.3-1.6x, 0.95-1.0x and 1.1-1.4x; a
// ResNet-164 evaluation forward ~7 % faster (best of 8, alternating in one process).
//
// Accuracy: the transforms add and subtract before and after the products (the filter's in
// float64, rounded once), so sums differ from the direct convolution's in rounding only;
// test/winograd.test.ts bounds the error against float64 by the same rule as the direct kernels.
// Callers ask for it (geometry.winograd): evaluation-mode forwards of nn.SpatialConvolution
// by default, training passes only with MPELU_WINOGRAD_TRAIN=1 (see winogradInTraining).

import type * as tf from '@tensorflow/tfjs-core';
import { assemble, Fn, T, uleb, type FuncDef } from './encoder.js';
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

/** A kernel is built for one channel and width configuration: offsets become constants. */
export interface SlabShape {
  ci: number;
  co: number;
  w: number;
}

const PARAMS = ['x', 'y', 'u', 'bias', 'zero', 'vb', 'mb', 'h', 'ty0', 'tyN'] as const;

/**
 * wino_slab(x, y, u, bias, zero, vb, mb, h, ty0, tyN) for ci input and co output channels
 * over images w wide: the outputs of tile rows [ty0, ty0 + tyN) of one image (x and y its
 * first input and output position, channels-last), u the 16 transformed filters ([xi][ci][co]
 * floats), bias a row of co floats, zero a row of ci zero floats, vb and mb the slab's buffers:
 * V[tile][xi][ci] and M[tile][xi][co] floats. ci a multiple of 4, co of 16, w of 4; byte
 * addresses. Every offset that depends on ci, co or w is a constant of the code (the loops over
 * channels are unrolled), so the transforms are mostly loads, adds and stores.
 */
function slabKernel({ ci, co, w }: SlabShape): FuncDef {
  const f = new Fn('wino_slab', PARAMS);
  const c = f.code;
  const P = (n: (typeof PARAMS)[number]) => f.l(n);
  const l = (n: string) => f.l(n);
  const v = (n: string) => f.l(n, T.v128);
  const ciB = 4 * ci, coB = 4 * co, rowB = w * ciB, yRowB = w * coB, tpr = w / 2;
  const vTile = 16 * ciB, mTile = 16 * coB;
  const [ty, tx, n, vt, mt, yb, row, col] = ['ty', 'tx', 'n', 'vt', 'mt', 'yb', 'row', 'col'].map(l);
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

  // (1) V = B^T d B for every tile, 4 channels at a time
  const rowOk = [0, 1, 2, 3].map((i) => l(`rowOk${i}`));
  const rowOff = [0, 1, 2, 3].map((i) => l(`rowOff${i}`));
  const colOk = [0, 1, 2, 3].map((j) => l(`colOk${j}`));
  const colOff = [0, 1, 2, 3].map((j) => l(`colOff${j}`));
  const src = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => l(`src${i}${j}`)));
  const t = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => v(`t${i}${j}`)));
  const d = [0, 1, 2, 3].map((i) => v(`d${i}`));
  eachTile(() => {
    for (let i = 0; i < 4; i++) {
      // input row 2*ty - 1 + i: inside the image (unsigned compare), and its byte offset
      c.get(ty).i32(1).op('i32.shl').i32(i - 1).op('i32.add').set(row);
      c.get(row).get(P('h')).op('i32.lt_u').set(rowOk[i]!);
      c.get(row).i32(rowB).op('i32.mul').set(rowOff[i]!);
    }
    for (let j = 0; j < 4; j++) {
      c.get(tx).i32(1).op('i32.shl').i32(j - 1).op('i32.add').set(col);
      c.get(col).i32(w).op('i32.lt_u').set(colOk[j]!);
      c.get(col).i32(ciB).op('i32.mul').set(colOff[j]!);
    }
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        // a tap in the padding reads the row of zeros
        c.get(P('x')).get(rowOff[i]!).op('i32.add').get(colOff[j]!).op('i32.add').get(P('zero'));
        c.get(rowOk[i]!).get(colOk[j]!).op('i32.and').op('select').set(src[i]![j]!);
      }
    }
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
        const store = (k: number, a: number, b: number, op: 'f32x4.add' | 'f32x4.sub') => c.get(vt).get(a).get(b).simd(op).v128Store((4 * i + k) * ciB + off);
        store(0, r[0]!, r[2]!, 'f32x4.sub');
        store(1, r[1]!, r[2]!, 'f32x4.add');
        store(2, r[2]!, r[1]!, 'f32x4.sub');
        store(3, r[1]!, r[3]!, 'f32x4.sub');
      }
    }
  });

  // (2) M[.][xi] = V[.][xi] U[xi]: 2 tiles by 16 output channels per register tile
  const acc = [0, 1].map((q) => [0, 1, 2, 3].map((k) => v(`acc${q}${k}`)));
  const bv = [0, 1, 2, 3].map((k) => v(`b${k}`));
  const s = v('s');
  const [xi, aBase, bBase, cBase, a0, a, c0, pairs, bp, j] = ['xi', 'aBase', 'bBase', 'cBase', 'a0', 'a', 'c0', 'pairs', 'bp', 'j'].map(l);
  c.get(P('vb')).set(aBase).get(P('u')).set(bBase).get(P('mb')).set(cBase).i32(16).set(xi);
  c.loop(); // xi
  c.get(aBase).set(a0).get(cBase).set(c0).get(P('tyN')).i32(tpr / 2).op('i32.mul').set(pairs);
  c.loop(); // pairs of tiles
  for (let cOff = 0; cOff < coB; cOff += 64) {
    // one column tile of 16 output channels
    for (const rowAcc of acc) for (const x of rowAcc) c.f32x4(0).set(x);
    c.get(bBase).set(bp).get(a0).set(a).i32(ci).set(j);
    c.loop(); // terms
    for (let k = 0; k < 4; k++) c.get(bp).v128Load(cOff + 16 * k).set(bv[k]!);
    for (let q = 0; q < 2; q++) {
      c.get(a).simd('v128.load32_splat', 2, ...uleb(q * vTile)).set(s);
      for (let k = 0; k < 4; k++) emitMulAdd(c, acc[q]![k]!, s, bv[k]!).set(acc[q]![k]!);
    }
    c.get(a).i32(4).op('i32.add').set(a);
    c.get(bp).i32(coB).op('i32.add').set(bp);
    f.countDown(j).end();
    for (let q = 0; q < 2; q++) for (let k = 0; k < 4; k++) c.get(c0).get(acc[q]![k]!).v128Store(q * mTile + cOff + 16 * k);
  }
  c.get(a0).i32(2 * vTile).op('i32.add').set(a0);
  c.get(c0).i32(2 * mTile).op('i32.add').set(c0);
  f.countDown(pairs).end();
  c.get(aBase).i32(ciB).op('i32.add').set(aBase);
  c.get(bBase).i32(ci * coB).op('i32.add').set(bBase);
  c.get(cBase).i32(coB).op('i32.add').set(cBase);
  f.countDown(xi).end();

  // (3) Y = A^T M A + bias, a 2x2 block of outputs per tile
  const m = Array.from({ length: 16 }, (_, k) => v(`m${k}`));
  const sr = [0, 1].map((i) => [0, 1, 2, 3].map((jj) => v(`s${i}${jj}`)));
  const bias = v('biasv');
  eachTile(() => {
    // top-left output (2ty, 2tx)
    c.get(P('y')).get(ty).i32(2 * yRowB).op('i32.mul').op('i32.add').get(tx).i32(2 * coB).op('i32.mul').op('i32.add').set(yb);
    for (let off = 0; off < coB; off += 16) {
      for (let k = 0; k < 16; k++) c.get(mt).v128Load(k * coB + off).set(m[k]!);
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
  return f.def();
}

/** The module for one shape (specialized code: one module per channel and width configuration). */
export function winogradModuleBytes(shape: SlabShape, sharedMemory = false): Uint8Array {
  return assemble([slabKernel(shape)], sharedMemory);
}

const moduleValidates = validatesOnce(() => winogradModuleBytes({ ci: 4, co: 16, w: 4 }));

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
  const { src, iStep, oStep, rowStep: rs, colStep: cs, start } = f;
  const plane = cin * cout;
  for (let i = 0; i < cin; i++) {
    // output channels innermost: the 16 rows of u are each written in order
    for (let o = 0, b = start + i * iStep, k = i * cout; o < cout; o++, b += oStep, k++) {
      const g00 = src[b]!, g01 = src[b + cs]!, g02 = src[b + 2 * cs]!;
      const g10 = src[b + rs]!, g11 = src[b + rs + cs]!, g12 = src[b + rs + 2 * cs]!;
      const g20 = src[b + 2 * rs]!, g21 = src[b + 2 * rs + cs]!, g22 = src[b + 2 * rs + 2 * cs]!;
      // r = G g (rows 1 and 2 halved sums), then U = r G^T, row by row
      const r10 = (g00 + g10 + g20) / 2, r11 = (g01 + g11 + g21) / 2, r12 = (g02 + g12 + g22) / 2;
      const r20 = (g00 - g10 + g20) / 2, r21 = (g01 - g11 + g21) / 2, r22 = (g02 - g12 + g22) / 2;
      row(u, k, plane, 0, g00, g01, g02);
      row(u, k, plane, 4, r10, r11, r12);
      row(u, k, plane, 8, r20, r21, r22);
      row(u, k, plane, 12, g20, g21, g22);
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
function transformFilterCached(u: Float32Array, cin: number, cout: number, f: FilterLayout, heap: ArrayBufferLike): void {
  const src = f.src;
  if (src.buffer === heap) {
    transformFilter(u, cin, cout, f);
    return;
  }
  const now = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const key = `${src.byteOffset} ${src.length} ${f.start} ${f.iStep} ${f.oStep} ${f.rowStep} ${f.colStep} ${cin} ${cout}`;
  let byPlace = transformed.get(src.buffer);
  if (!byPlace) transformed.set(src.buffer, (byPlace = new Map()));
  const hit = byPlace.get(key);
  if (hit && hit.source.equals(now)) {
    u.set(hit.u);
    return;
  }
  transformFilter(u, cin, cout, f);
  byPlace.set(key, { source: Buffer.from(now), u: u.slice() });
}

/** u[xi0 .. xi0 + 3] at element k: (r G^T) for the row (r0, r1, r2) of G g. */
function row(u: Float32Array, k: number, plane: number, xi0: number, r0: number, r1: number, r2: number): void {
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
  const tpr = w / 2;
  const tileRows = h / 2;
  // tile rows per slab: V and M (16 values per tile and channel) within SLAB_BYTES
  const rowsPerSlab = Math.max(1, Math.min(tileRows, Math.floor(SLAB_BYTES / (64 * (cin + cout) * tpr))));
  const slabsPerImage = Math.ceil(tileRows / rowsPerSlab);
  const slabs = n * slabsPerImage;
  const split = new SplitCalls(heapPoolFor(k.memory), slabs);
  // slabs go in units of consecutive slabs, each unit with its own V and M buffers (a unit
  // may be taken over by a thread done with its own part, while another unit of the same
  // part runs)
  const units = Math.min(slabs, UNITS_PER_THREAD * split.parts);
  const uFloats = 16 * cin * cout;
  const vBytes = 16 * 4 * rowsPerSlab * tpr * cin;
  const bufFloats = 16 * rowsPerSlab * tpr * (cin + cout);
  const base = k.scratch.reserveOrRelease(4 * (uFloats + cout + cin + units * bufFloats) + 64, release);
  // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
  const heap = k.memory.buffer;
  // the filter and bias are read only now (a view taken before the malloc could be detached)
  transformFilterCached(new Float32Array(heap, base, uFloats), cin, cout, layout(), heap);
  const biasAt = base + 4 * uFloats;
  const zeroAt = biasAt + 4 * cout;
  const biasRow = new Float32Array(heap, biasAt, cout + cin);
  biasRow.fill(0);
  const b = bias();
  if (b) biasRow.set(b);
  const buffers = zeroAt + 4 * cin;
  const xOff = be.getMemoryOffset(x.dataId);
  const yOff = be.getMemoryOffset(out.dataId);
  const shape = { ci: cin, co: cout, w };
  const key = `winograd_${cin}_${cout}_${w}`;
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
