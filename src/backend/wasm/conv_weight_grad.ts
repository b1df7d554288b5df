// The convolution weight (filter) gradient, tfjs's Conv2DBackpropFilter, on tfjs-backend-wasm
// as a WebAssembly SIMD kernel on the backend's own heap (module assembled by encoder.ts,
// importing the backend's memory).
//
//   dW[kh,kw,ci,co] = sum over (n, oh, ow) of x[n, oh*sH+kh-pT, ow*sW+kw-pL, ci] * dy[n,oh,ow,co]
//
// For each filter tap this is C = A^T B with A the x positions the tap reads ([K, Ci]) and
// B the dy positions ([K, Co]), K up to N*Ho*Wo. tfjs-wasm's BatchMatMul (XNNPACK) packs
// the operand holding K into a new operator for every new tensor (~15 ms per 1x1 layer in
// training), and StridedSlice / the dilated-conv formulation of the other layers are slow.
// Here both operands are read where they lie: positions are walked with the conv's strides
// (no slicing, no transposes, no im2col), taps falling in the padding are skipped by
// clipping each tap's output-row and -column ranges.
//
// Kernel: register tiles of MR rows of C by 4*NV columns (MR*NV v128 accumulators), one
// sweep over a block of positions per tile: per position NV vector loads of B, MR
// load32_splat of A, MR*NV multiply-adds. Rows and columns are padded to the tile, the
// extra lanes read the neighbouring floats of the same row (never past a tensor's end +
// 32 bytes, checked against the heap size) and are never stored to the result.
// Accuracy: float32 sums within a block of at most BLOCK positions (as a float GEMM sums),
// blocks added into float64 accumulators (Torch's accreal), rounded once to float32.

import type * as tf from '@tensorflow/tfjs-core';
import { assemble, Fn, T, type FuncDef } from './encoder.js';
import { emitMulAdd } from './relaxed_simd.js';
import { sumRunsKernel, zeroKernel } from './f64_runs.js';
import { align16, instantiateOnMemory, perHeap, ScratchBlock, validatesOnce, type WasmHeapBackend } from './heap.js';
import { wasmSimd, KillSwitch } from './kill_switch.js';
import { tapRanges, type ConvTapGeometry } from './tap_gemm.js';
import { heapPoolFor, partOf, partRange, SplitCalls } from './split_calls.js';

type Info = tf.TensorInfo;

/** Register tile: MR rows (splat operand) by 4*NV columns (vector operand). */
// 2 x 16 measured fastest on V8 (x64) among 1..8 rows by 4..48 columns on the ResNet-164
// shapes: 8 accumulators; tiles with more splat rows ran 10-40% slower.
export const MR = 2;
export const NV = 4;
const NC = 4 * NV;
/** Positions summed in float32 per tile before the float64 accumulation. */
export const BLOCK = 256;
/** Runs of images summed apart (fixed, so the order of the sums never depends on the threads). */
const WEIGHT_GRAD_CHUNKS = 4;

const PARAMS = [
  'a', 'b', 'c', 'mTiles', 'nTiles', 'outer', 'rows', 'cols',
  'aOuter', 'aRow', 'aStep', 'bOuter', 'bRow', 'bStep', 'ldc',
] as const;

/**
 * gemm_tn(a, b, c, mTiles, nTiles, outer, rows, cols, aOuter, aRow, aStep, bOuter, bRow, bStep, ldc):
 * for every tile, C[c + row*ldc + col*8] (float64) += sum over the 3-level walk
 * (outer x rows x cols positions, byte strides per level) of A[pos + 4*row] * B[pos + 4*col].
 * All counts >= 1; byte addresses.
 */
function gemmKernel(): FuncDef {
  const f = new Fn('gemm_tn', PARAMS);
  const l = (n: string, t: T = T.i32): number => f.l(n, t);
  const c = f.code;
  const acc: number[][] = [];
  for (let q = 0; q < MR; q++) acc.push(Array.from({ length: NV }, (_, v) => l(`acc${q}_${v}`, T.v128)));
  const bv = Array.from({ length: NV }, (_, v) => l(`b${v}`, T.v128));
  const s = l('s', T.v128);
  const [ti, tj, aT, bT, cR, cT, ao, bo, o, ar, br, r, ap, bp, i, p] = [
    'ti', 'tj', 'aT', 'bT', 'cR', 'cT', 'ao', 'bo', 'o', 'ar', 'br', 'r', 'ap', 'bp', 'i', 'p',
  ].map((n) => l(n));
  const P = (n: (typeof PARAMS)[number]) => f.l(n);
  const inc = (x: number, y: number) => f.inc(x, y);
  const countDown = (x: number) => f.countDown(x);

  c.get(P('mTiles')).set(ti).get(P('a')).set(aT).get(P('c')).set(cR);
  c.loop(); // tiles of rows
  c.get(P('nTiles')).set(tj).get(P('b')).set(bT).get(cR).set(cT);
  c.loop(); // tiles of columns
  for (const row of acc) for (const x of row) c.f32x4(0).set(x);
  c.get(aT).set(ao).get(bT).set(bo).get(P('outer')).set(o);
  c.loop(); // outer level
  c.get(ao).set(ar).get(bo).set(br).get(P('rows')).set(r);
  c.loop(); // rows
  c.get(ar).set(ap).get(br).set(bp).get(P('cols')).set(i);
  c.loop(); // positions of a row
  for (let v = 0; v < NV; v++) c.get(bp).v128Load(16 * v).set(bv[v]!);
  for (let q = 0; q < MR; q++) {
    c.get(ap).simd('v128.load32_splat', 2, 4 * q).set(s);
    for (let v = 0; v < NV; v++) emitMulAdd(c, acc[q]![v]!, s, bv[v]!).set(acc[q]![v]!);
  }
  inc(ap, P('aStep'));
  inc(bp, P('bStep'));
  countDown(i).end();
  inc(ar, P('aRow'));
  inc(br, P('bRow'));
  countDown(r).end();
  inc(ao, P('aOuter'));
  inc(bo, P('bOuter'));
  countDown(o).end();
  // flush: C (float64) += the tile's float32 sums
  flushTile(f, acc, cT, P('ldc'), p);
  c.get(cT).i32(NC * 8).op('i32.add').set(cT);
  c.get(bT).i32(NC * 4).op('i32.add').set(bT);
  countDown(tj).end();
  c.get(cR).get(P('ldc')).i32(MR).op('i32.mul').op('i32.add').set(cR);
  c.get(aT).i32(MR * 4).op('i32.add').set(aT);
  countDown(ti).end();
  return f.def();
}

/** Appends the flush of the MR x NC register tile: C (float64, rows `ldc` bytes apart from cT) += acc. */
function flushTile(f: Fn, acc: number[][], cT: number, ldc: number, p: number): void {
  const c = f.code;
  const high = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  for (let q = 0; q < MR; q++) {
    for (let v = 0; v < NV; v++) {
      const x = acc[q]![v]!;
      c.get(cT).i32(q).get(ldc).op('i32.mul').op('i32.add').set(p);
      c.get(p).get(p).v128Load(32 * v).get(x).simd('f64x2.promote_low_f32x4').simd('f64x2.add').v128Store(32 * v);
      c.get(p).get(p).v128Load(32 * v + 16).get(x).get(x).shuffle(high).simd('f64x2.promote_low_f32x4').simd('f64x2.add').v128Store(32 * v + 16);
    }
  }
}

/**
 * gemm_tn_packed(...gemm_tn's parameters, pa): the same sums, for operands whose rows
 * lie far apart (many channels: the tile sweeps of gemm_tn then stream every position's
 * cache line from L2, and power-of-two row strides make the lines collide in L1). The block's
 * positions are first copied into contiguous panels (A: per row tile, K positions x MR
 * floats from pa; B: per column tile, K x NC floats right after them), then each column tile's B panel
 * (K x 64 bytes) stays in L1 while the row tiles' A panels stream past it. Each tile still
 * sums its K positions in walk order: bit-identical to gemm_tn.
 */
function packedGemmKernel(): FuncDef {
  const f = new Fn('gemm_tn_packed', [...PARAMS, 'pa']);
  const l = (n: string, t: T = T.i32): number => f.l(n, t);
  const c = f.code;
  const P = (n: (typeof PARAMS)[number] | 'pa') => f.l(n);
  const acc: number[][] = [];
  for (let q = 0; q < MR; q++) acc.push(Array.from({ length: NV }, (_, v) => l(`acc${q}_${v}`, T.v128)));
  const bv = Array.from({ length: NV }, (_, v) => l(`b${v}`, T.v128));
  const s = l('s', T.v128);
  const [pb, kA, kB, dA, dB, ao, bo, o, ar, br, r, ap, bp, i, src, dst, t, ti, tj, pA, pB, cCol, cT, x, y, k, p] = [
    'pb', 'kA', 'kB', 'dA', 'dB', 'ao', 'bo', 'o', 'ar', 'br', 'r', 'ap', 'bp', 'i', 'src', 'dst', 't', 'ti', 'tj', 'pA', 'pB', 'cCol', 'cT', 'x', 'y', 'k', 'p',
  ].map((n) => l(n));
  const inc = (a: number, b: number) => f.inc(a, b);
  const addConst = (a: number, n: number) => c.get(a).i32(n).op('i32.add').set(a);
  // K positions; panel strides in bytes
  c.get(P('outer')).get(P('rows')).op('i32.mul').get(P('cols')).op('i32.mul').set(k);
  c.get(k).i32(MR * 4).op('i32.mul').set(kA);
  c.get(k).i32(NC * 4).op('i32.mul').set(kB);
  c.get(P('pa')).get(kA).get(P('mTiles')).op('i32.mul').op('i32.add').set(pb);
  // pack: walk the positions as gemm_tn does
  c.get(P('pa')).set(dA).get(pb).set(dB);
  c.get(P('a')).set(ao).get(P('b')).set(bo).get(P('outer')).set(o);
  c.loop();
  c.get(ao).set(ar).get(bo).set(br).get(P('rows')).set(r);
  c.loop();
  c.get(ar).set(ap).get(br).set(bp).get(P('cols')).set(i);
  c.loop();
  c.get(ap).set(src).get(dA).set(dst).get(P('mTiles')).set(t);
  c.loop(); // MR floats of each row tile (8 bytes, copied bit for bit)
  c.get(dst).get(src).f64Load(0).f64Store(0);
  addConst(src, MR * 4);
  inc(dst, kA);
  f.countDown(t).end();
  c.get(bp).set(src).get(dB).set(dst).get(P('nTiles')).set(t);
  c.loop(); // NC floats of each column tile
  for (let v = 0; v < NV; v++) c.get(dst).get(src).v128Load(16 * v).v128Store(16 * v);
  addConst(src, NC * 4);
  inc(dst, kB);
  f.countDown(t).end();
  addConst(dA, MR * 4);
  addConst(dB, NC * 4);
  inc(ap, P('aStep'));
  inc(bp, P('bStep'));
  f.countDown(i).end();
  inc(ar, P('aRow'));
  inc(br, P('bRow'));
  f.countDown(r).end();
  inc(ao, P('aOuter'));
  inc(bo, P('bOuter'));
  f.countDown(o).end();
  // multiply: column tiles outer (their B panel stays in L1), row tiles inner
  c.get(P('c')).set(cCol).get(pb).set(pB).get(P('nTiles')).set(tj);
  c.loop();
  c.get(P('pa')).set(pA).get(cCol).set(cT).get(P('mTiles')).set(ti);
  c.loop();
  for (const row of acc) for (const a of row) c.f32x4(0).set(a);
  c.get(pA).set(x).get(pB).set(y).get(k).set(t);
  c.loop();
  for (let v = 0; v < NV; v++) c.get(y).v128Load(16 * v).set(bv[v]!);
  for (let q = 0; q < MR; q++) {
    c.get(x).simd('v128.load32_splat', 2, 4 * q).set(s);
    for (let v = 0; v < NV; v++) emitMulAdd(c, acc[q]![v]!, s, bv[v]!).set(acc[q]![v]!);
  }
  addConst(x, MR * 4);
  addConst(y, NC * 4);
  f.countDown(t).end();
  flushTile(f, acc, cT, P('ldc'), p);
  c.get(cT).get(P('ldc')).i32(MR).op('i32.mul').op('i32.add').set(cT);
  inc(pA, kA);
  f.countDown(ti).end();
  addConst(cCol, NC * 8);
  inc(pB, kB);
  f.countDown(tj).end();
  return f.def();
}

/** Words of gemm_block's parameter block before its per-tap rows, and words per tap row. */
const BLOCK_HEAD = 16;
const TAP_WORDS = 6;

/**
 * gemm_block(prm, x0, d0, c0, r0, r1, outer, pa): one block of positions (output rows
 * [r0, r1) of `outer` images from x0 / d0) for every filter tap, summed into the float64 C at
 * c0: what the caller would otherwise call gemm_tn (or, `packed`, gemm_tn_packed) with once per
 * tap, the taps' clipping done here. prm: i32 words mTiles, nTiles, aOuter, aRow, aStep,
 * bOuter, bRow, bStep, ldc, taps, aIsX, xRowStep, xColStep, dRowStep, dColStep, (unused), then
 * per tap: x byte offset, oh0, oh1, ow0, ow1, C byte offset. Taps in order: the same sums.
 */
function blockKernel(packed: boolean): FuncDef {
  const f = new Fn(packed ? 'gemm_block_packed' : 'gemm_block', ['prm', 'x0', 'd0', 'c0', 'r0', 'r1', 'outer', 'pa']);
  const c = f.code;
  const P = (n: string) => f.l(n);
  const [t, tp, lo, hi, ow0, ow1, xp, dp] = ['t', 'tp', 'lo', 'hi', 'ow0', 'ow1', 'xp', 'dp'].map((n) => f.l(n));
  const word = (i: number) => c.get(P('prm')).i32Load(4 * i);
  word(9).set(t);
  c.get(P('prm')).i32(4 * BLOCK_HEAD).op('i32.add').set(tp);
  c.loop();
  c.block();
  // lo = max(oh0, r0), hi = min(oh1, r1); nothing to do when either range is empty
  c.get(tp).i32Load(4).get(P('r0')).get(tp).i32Load(4).get(P('r0')).op('i32.gt_u').op('select').set(lo);
  c.get(tp).i32Load(8).get(P('r1')).get(tp).i32Load(8).get(P('r1')).op('i32.lt_u').op('select').set(hi);
  c.get(tp).i32Load(12).set(ow0);
  c.get(tp).i32Load(16).set(ow1);
  c.get(hi).get(lo).op('i32.gt_u').get(ow1).get(ow0).op('i32.gt_u').op('i32.and').op('i32.eqz').brIf(0);
  c.get(P('x0')).get(tp).i32Load(0).op('i32.add');
  c.get(lo);
  word(11).op('i32.mul').op('i32.add').get(ow0);
  word(12).op('i32.mul').op('i32.add').set(xp);
  c.get(P('d0')).get(lo);
  word(13).op('i32.mul').op('i32.add').get(ow0);
  word(14).op('i32.mul').op('i32.add').set(dp);
  // a, b: x and dy in the orientation the caller chose
  c.get(xp).get(dp);
  word(10).op('select');
  c.get(dp).get(xp);
  word(10).op('select');
  c.get(P('c0')).get(tp).i32Load(20).op('i32.add');
  word(0);
  word(1);
  c.get(P('outer')).get(hi).get(lo).op('i32.sub').get(ow1).get(ow0).op('i32.sub');
  for (const i of [2, 3, 4, 5, 6, 7, 8]) word(i);
  if (packed) c.get(P('pa')).call(1);
  else c.call(0);
  c.end();
  c.get(tp).i32(4 * TAP_WORDS).op('i32.add').set(tp);
  f.countDown(t).end();
  return f.def();
}

/**
 * to_torch(acc, out, co, ci, taps, tapStride, iStride, jStride): out (float32, Torch's
 * [co, ci, taps] order) = acc[t * tapStride + i * iStride + j * jStride] (float64, strides in
 * bytes) rounded to float32: the result in the order gradWeight holds it.
 */
function toTorchKernel(): FuncDef {
  const f = new Fn('to_torch', ['acc', 'out', 'co', 'ci', 'taps', 'tapStride', 'iStride', 'jStride']);
  const c = f.code;
  const P = (n: string) => f.l(n);
  const [j, i, t, pj, pi, pt] = ['j', 'i', 't', 'pj', 'pi', 'pt'].map((n) => f.l(n));
  c.get(P('acc')).set(pj).get(P('co')).set(j);
  c.loop();
  c.get(pj).set(pi).get(P('ci')).set(i);
  c.loop();
  c.get(pi).set(pt).get(P('taps')).set(t);
  c.loop();
  c.get(P('out')).get(pt).f64Load().op('f32.demote_f64').f32Store();
  c.get(P('out')).i32(4).op('i32.add').set(P('out'));
  f.inc(pt, P('tapStride'));
  f.countDown(t).end();
  f.inc(pi, P('iStride'));
  f.countDown(i).end();
  f.inc(pj, P('jStride'));
  f.countDown(j).end();
  return f.def();
}

export function convWeightGradModuleBytes(sharedMemory = false): Uint8Array {
  // gemm_tn and gemm_tn_packed first: gemm_block calls them as functions 0 and 1
  return assemble([gemmKernel(), packedGemmKernel(), zeroKernel(), sumRunsKernel(), blockKernel(false), blockKernel(true), toTorchKernel()], sharedMemory);
}

const moduleValidates = validatesOnce(() => convWeightGradModuleBytes());

/** Whether this engine compiles the kernel (WebAssembly SIMD). */
export function convWeightGradSimdSupported(): boolean {
  return moduleValidates();
}

type GemmFn = (...args: number[]) => void;

/**
 * Whether the GEMM of an M x N filter gradient with `taps` taps packs its operands
 * (gemm_tn_packed). Measured on the ResNet-164 shapes (same process, alternating, 1 and 2
 * threads): packing gains 10-30 % on every 1x1 layer with M*N >= 1024 and on 3x3 with
 * M*N = 4096, loses 10 % on 3x3 with M*N = 1024 (each tap repacks its window) and up to 50 %
 * on 16 x 16 channels, whose rows are one cache line anyway. `wgPackMode` overrides it
 * (tests compare both kernels).
 */
function packOperands(m: number, n: number, taps: number): boolean {
  if (wgPackMode !== 'auto') return wgPackMode === 'always';
  return m * n >= (taps > 1 ? 2048 : 1024);
}

let wgPackMode: 'auto' | 'always' | 'never' = 'auto';

/** Forces the filter gradient's packed or in-place GEMM (tests), or back to the measured rule. */
export function setWeightGradPacking(mode: 'auto' | 'always' | 'never'): void {
  wgPackMode = mode;
}

/** One kernel instance and one float64 scratch block per heap. */
const heapGemm = perHeap((heap) => {
  const exports = instantiateOnMemory(convWeightGradModuleBytes, heap.memory);
  return {
    heap,
    memory: heap.memory,
    scratch: new ScratchBlock(heap, 'Conv2DBackpropFilter (wasm SIMD)', 65536),
    block: exports['gemm_block'] as GemmFn,
    blockPacked: exports['gemm_block_packed'] as GemmFn,
    zero: exports['zero'] as GemmFn,
    sumRuns: exports['sum_runs'] as GemmFn,
    toTorch: exports['to_torch'] as GemmFn,
  };
});

/**
 * The SIMD weight gradient's switch (off: wasm uses the composite of tfjs kernels in
 * tfjs_patches.ts; MPELU_CONV_GRAD_SIMD=0 starts off, MPELU_WASM_SIMD=0 turns it off too).
 */
export const convWeightGradSimd = new KillSwitch('MPELU_CONV_GRAD_SIMD', wasmSimd);

/**
 * dW [kh, kw, ci, co] of a channels-last float32 conv on the wasm heap, or null when the
 * kernel cannot run here (switched off, no SIMD, not float32, not the wasm heap, a heap
 * layout the bounds check refuses).
 */
export function conv2dBackpropFilterWasmSimd(backend: tf.KernelBackend, x: Info, dy: Info, g: ConvTapGeometry): Info | null {
  const be = backend as WasmHeapBackend;
  const [, , , ci] = x.shape as [number, number, number, number];
  const co = dy.shape[3]!;
  const out = be.makeOutput([g.kh, g.kw, ci, co], 'float32');
  const ok = filterGradWasmSimd(backend, x, dy, g, (read) => {
    // dW[t][i][j] in tfjs's [kh, kw, ci, co] order
    const dw = new Float32Array(read.memory.buffer, be.getMemoryOffset(out.dataId), g.kh * g.kw * ci * co);
    const { acc, tapStride, iStride, jStride } = read;
    for (let t = 0, k = 0; t < g.kh * g.kw; t++) for (let i = 0; i < ci; i++) for (let j = 0; j < co; j++, k++) dw[k] = acc[t * tapStride + i * iStride + j * jStride]!;
  }, () => backend.disposeData(out.dataId));
  if (ok) return out;
  backend.disposeData(out.dataId);
  return null;
}

/**
 * gradWeight += scale * dW into a float32 array in Torch's [co, ci, kh, kw] order (the
 * weight gradient's host array, where it lives), each dW element rounded to float32 first
 * (as the tfjs result this replaces was); false when the kernel cannot run here.
 */
export function accumulateFilterGradWasmSimd(backend: tf.KernelBackend, x: Info, dy: Info, g: ConvTapGeometry, gradWeight: Float32Array, scale: number, detach = false): boolean {
  const ci = x.shape[3]!;
  const co = dy.shape[3]!;
  const taps = g.kh * g.kw;
  if (gradWeight.length !== taps * ci * co) return false;
  return filterGradWasmSimd(backend, x, dy, g, (read) => {
    // dW rounded to float32 in Torch's order by wasm, then one contiguous pass here (the
    // strided float64 reads and the rounding in JS cost ~25 ms per ResNet-164 step)
    const dw = read.torchOrder();
    for (let k = 0; k < dw.length; k++) gradWeight[k] = gradWeight[k]! + scale * dw[k]!;
  }, () => undefined, detach);
}

/** The float64 result of the filter GEMMs: dW[tap t][ci i][co j] lies at acc[t * tapStride + i * iStride + j * jStride]. */
interface FilterGradResult {
  memory: { buffer: ArrayBuffer | SharedArrayBuffer };
  acc: Float64Array;
  tapStride: number;
  iStride: number;
  jStride: number;
  /** dW rounded to float32 in Torch's [co, ci, kh, kw] order (a view of scratch, valid until the next call). */
  torchOrder(): Float32Array;
}

/** Runs the filter-gradient GEMMs and hands their float64 result to `store`; false when the kernel cannot run. */
function filterGradWasmSimd(backend: tf.KernelBackend, x: Info, dy: Info, g: ConvTapGeometry, store: (r: FilterGradResult) => void, release: () => void, detachable = false): boolean {
  if (!convWeightGradSimd.enabled() || x.dtype !== 'float32' || dy.dtype !== 'float32' || !convWeightGradSimdSupported()) return false;
  const gemm = heapGemm(backend);
  if (!gemm) return false;
  // a call that finishes here waits for those still running detached (their sums into the
  // same gradWeight, if it is shared, stay in call order)
  const pool = heapPoolFor(gemm.memory);
  let detach = detachable && pool !== null;
  if (!detach) pool?.flushDetached();
  const be = backend as WasmHeapBackend;
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [, ho, wo, co] = dy.shape as [number, number, number, number];
  const { kh, kw, sh, sw, pt, pl } = g;
  const taps = kh * kw;
  // The splat operand (rows of C) pads to MR, the vector operand (columns) to NC: take the
  // orientation that wastes less; on a tie the larger channel count goes to the vectors.
  const pad = (v: number, m: number) => Math.ceil(v / m) * m;
  const xRows = pad(ci, MR) * pad(co, NC) < pad(co, MR) * pad(ci, NC) || (pad(ci, MR) * pad(co, NC) === pad(co, MR) * pad(ci, NC) && co >= ci);
  const M = xRows ? ci : co;
  const N = xRows ? co : ci;
  const mTiles = Math.ceil(M / MR);
  const nTiles = Math.ceil(N / NC);
  const ldc = nTiles * NC;
  const cBytes = taps * mTiles * MR * ldc * 8;

  if (n === 0 || ho === 0 || wo === 0 || ci === 0 || co === 0) {
    store({ memory: gemm.memory, acc: new Float64Array(1), tapStride: 0, iStride: 0, jStride: 0, torchOrder: () => new Float32Array(taps * ci * co) });
    convWeightGradSimd.ran();
    return true;
  }
  // Images are cut into `chunks` runs fixed by the shape alone; each run sums into its own
  // float64 C (whichever thread runs it), and the runs' C are added in run order below: the
  // same sums in the same order for every thread count. Threads then read disjoint images
  // (cutting C's rows instead made every thread stream all of x and dy: slower on 2 threads
  // than on 1 for the 64->16 1x1 layer).
  const chunks = Math.min(WEIGHT_GRAD_CHUNKS, n);
  // Blocks: whole images when one holds at most BLOCK positions (grouped), else row chunks.
  const perImage = ho * wo;
  const groupImages = perImage <= BLOCK ? Math.max(1, Math.floor(BLOCK / perImage)) : 1;
  const chunkRows = perImage <= BLOCK ? ho : Math.max(1, Math.floor(BLOCK / wo));
  const split = new SplitCalls(heapPoolFor(gemm.memory), chunks);
  const packed = packOperands(ci, co, taps);
  const maxK = perImage <= BLOCK ? groupImages * perImage : chunkRows * wo;
  const panelBytes = packed ? maxK * (mTiles * MR + nTiles * NC) * 4 : 0;
  const prmBytes = 4 * (BLOCK_HEAD + TAP_WORDS * taps);
  const outBytes = 4 * taps * ci * co;
  const scratchBytes = cBytes * chunks + panelBytes * chunks + prmBytes + outBytes;
  // a call that may run detached has a block of its own (freed when done); else the scratch
  const ownBlock = detach ? gemm.heap.malloc(scratchBytes + 16) >>> 0 : 0;
  if (!ownBlock) detach = false;
  const cBase = ownBlock ? align16(ownBlock) : gemm.scratch.reserveOrRelease(scratchBytes, release);
  const xOff = be.getMemoryOffset(x.dataId);
  const dyOff = be.getMemoryOffset(dy.dataId);
  const limit = gemm.memory.buffer.byteLength;
  if (xOff + 4 * n * h * w * ci + 64 > limit || dyOff + 4 * n * ho * wo * co + 64 > limit) {
    if (ownBlock) gemm.heap.free(ownBlock);
    return false;
  }

  const xb = 4 * ci; // bytes per x position
  const db = 4 * co;
  const aIsX = xRows;
  const ranges = tapRanges(g, ho, wo, h, w);
  const fn = packed
    ? split.fn('conv_weight_grad', convWeightGradModuleBytes, 'gemm_block_packed', gemm.blockPacked)
    : split.fn('conv_weight_grad', convWeightGradModuleBytes, 'gemm_block', gemm.block);
  const zeroFn = split.fn('conv_weight_grad', convWeightGradModuleBytes, 'zero', gemm.zero);
  const panels = cBase + cBytes * chunks;
  // gemm_block's parameters: the walks' byte strides (images, rows, positions) of A and B,
  // then each tap's x offset, output ranges and C offset (the kernel clips the taps to a block)
  const prm = panels + panelBytes * chunks;
  const xs = [h * w * xb, sh * w * xb, sw * xb];
  const ds = [ho * wo * db, wo * db, db];
  const [as, bs] = aIsX ? [xs, ds] : [ds, xs];
  const words = new Int32Array(gemm.memory.buffer, prm, prmBytes / 4);
  words.set([mTiles, nTiles, as[0]!, as[1]!, as[2]!, bs[0]!, bs[1]!, bs[2]!, ldc * 8, taps, aIsX ? 1 : 0, sh * w * xb, sw * xb, wo * db, db, 0]);
  ranges.forEach(([oh0, oh1, ow0, ow1], t) => {
    const th = Math.floor(t / kw);
    const tw = t - th * kw;
    words.set([((th - pt) * w + tw - pl) * xb, oh0, oh1, ow0, ow1, t * mTiles * MR * ldc * 8], BLOCK_HEAD + TAP_WORDS * t);
  });
  // one argument array reused for every call (split.call copies it)
  const args = [prm, 0, 0, 0, 0, 0, 0, 0];
  for (let chunk = 0; chunk < chunks; chunk++) {
    const part = split.partFor(partOf(chunk, chunks, split.parts), detach);
    const [i0, i1] = partRange(chunk, n, chunks);
    args[3] = cBase + chunk * cBytes;
    // the chunk's float64 result starts at zero, zeroed by the thread that sums into it
    // (cBytes is a whole number of vectors: ldc is a multiple of 16)
    split.call(part, zeroFn, [args[3], cBytes / 16], chunk);
    args[7] = panels + chunk * panelBytes; // each chunk packs into its own panels (a chunk may move to another thread)
    for (let n0 = i0; n0 < i1; n0 += groupImages) {
      args[1] = xOff + n0 * h * w * xb;
      args[2] = dyOff + n0 * ho * wo * db;
      args[6] = Math.min(groupImages, i1 - n0);
      for (let r0 = 0; r0 < ho; r0 += chunkRows) {
        args[4] = r0;
        args[5] = Math.min(ho, r0 + chunkRows);
        split.call(part, fn, args, chunk); // a chunk's blocks add into its C: one unit
      }
    }
  }
  const complete = () => {
    // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
    if (chunks > 1) gemm.sumRuns(cBase, cBytes / 16, cBytes, chunks);
    const acc = new Float64Array(gemm.memory.buffer, cBase, cBytes / 8);
    const tapC = mTiles * MR * ldc;
    const [iStride, jStride] = aIsX ? [ldc, 1] : [1, ldc];
    const out = prm + prmBytes;
    const torchOrder = () => {
      gemm.toTorch(cBase, out, co, ci, taps, 8 * tapC, 8 * iStride, 8 * jStride);
      return new Float32Array(gemm.memory.buffer, out, taps * ci * co);
    };
    store({ memory: gemm.memory, acc, tapStride: tapC, iStride, jStride, torchOrder });
    convWeightGradSimd.ran();
  };
  if (!detach) {
    split.finish();
    complete();
    return true;
  }
  // Detached: worker 0 runs every chunk while the caller goes on; x and dy keep a reference
  // (their memory is not freed and reused, e.g. a released gradient) until it is done.
  be.incRef(x.dataId);
  be.incRef(dy.dataId);
  split.finishDetached(() => {
    try {
      complete();
    } finally {
      gemm.heap.free(ownBlock);
      backend.disposeData(x.dataId);
      backend.disposeData(dy.dataId);
    }
  });
  return true;
}
