// The convolution input gradient on tfjs-backend-wasm as a WebAssembly SIMD kernel on the
// backend's own heap (module assembled by wasm_asm.ts, importing the backend's memory).
//
//   dx[n, oh*sH+kh-pT, ow*sW+kw-pL, ci] += sum over co of dy[n,oh,ow,co] * W[kh,kw,ci,co]
//
// For each filter tap this is C += A B with A the dy positions ([P, Co], read in place),
// B the tap's filter transposed ([Co, Ci], packed once per call into scratch, its columns
// zero-padded to the tile) and C the dx positions the tap writes, walked with the conv's
// strides (a stride-2 1x1 layer writes every other position and nothing else: the
// composite it replaces zero-upsampled dy and ran a 4x larger convolution over it).
// Taps whose dy would fall outside [0, Ho) x [0, Wo) are clipped by row/column ranges.
// A tap that reaches every dx position runs first and overwrites; otherwise dx starts at 0.
//
// Kernel: register tiles of MR positions by 4*NV channels (MR*NV v128 accumulators); per
// term NV vector loads of B, MR load32_splat of A, MR*NV multiply-adds. Two loop orders:
// column tiles innermost (dx rows written whole) while B fits L1, else outermost. The tile of C is
// loaded (or zeroed), updated over the Co terms in float32 (as a float GEMM sums, and as
// the XNNPACK convolution it replaces) and stored. C is dx itself when Ci is a multiple of
// the tile width, else a padded scratch copied out at the end, so nothing is read or
// written outside the tensors.

import type * as tf from '@tensorflow/tfjs-core';
import { assemble, Code, T, type FuncDef } from './wasm_asm.js';
import { instantiateOnMemory, perHeap, ScratchBlock, validatesOnce, validRange, type ConvTapGeometry, type HeapAccess, type WasmHeapBackend } from './wasm_heap.js';

type Info = tf.TensorInfo;

/** Register tile: MR positions (splat operand) by 4*NV channels (vector operand). */
// 2 x 16 measured fastest on V8 (x64) on the ResNet-164 shapes among 2x16, 4x8, 3x16,
// 4x12, 5x8, 6x8 and 8x4 (as for the filter gradient): 8 accumulators fit the registers.
export const MR = 2;
export const NV = 4;
const NC = 4 * NV;

const PARAMS = [
  'a', 'b', 'c', 'nTiles', 'k', 'outer', 'rows', 'cols',
  'aOuter', 'aRow', 'aCol', 'cOuter', 'cRow', 'cCol', 'ldb', 'load',
] as const;

/**
 * tap_mr{m}(a, b, c, nTiles, k, outer, rows, cols, aOuter, aRow, aCol, cOuter, cRow, cCol, ldb, load):
 * for each of nTiles column tiles and each tile of m positions of the 3-level walk (outer x
 * rows x cols tiles; byte strides per level, aCol/cCol between neighbouring positions, a
 * tile spans m of them): C[pos, cols] = (load ? C[pos, cols] : 0) + sum over j < k of
 * A[pos + 4j] * B[j*ldb + cols]. All counts >= 1; byte addresses.
 */
function tapKernel(m: number, colsInner: boolean): FuncDef {
  const names = new Map<string, number>();
  PARAMS.forEach((p, i) => names.set(p, i));
  const locals: T[] = [];
  const l = (n: string, t: T = T.i32): number => {
    let i = names.get(n);
    if (i === undefined) {
      i = PARAMS.length + locals.length;
      names.set(n, i);
      locals.push(t);
    }
    return i;
  };
  const P = (n: (typeof PARAMS)[number]) => names.get(n)!;
  const c = new Code();
  const acc: number[][] = [];
  for (let q = 0; q < m; q++) acc.push(Array.from({ length: NV }, (_, v) => l(`acc${q}_${v}`, T.v128)));
  const bv = Array.from({ length: NV }, (_, v) => l(`b${v}`, T.v128));
  const s = l('s', T.v128);
  const aq = Array.from({ length: m }, (_, q) => l(`a${q}`));
  const cq = Array.from({ length: m }, (_, q) => l(`c${q}`));
  const [tj, bT, cT, ao, co, o, ar, cr, r, ap, cp, i, bp, j, aTile, cTile] = [
    'tj', 'bT', 'cT', 'ao', 'co', 'o', 'ar', 'cr', 'r', 'ap', 'cp', 'i', 'bp', 'j', 'aTile', 'cTile',
  ].map((n) => l(n));
  const inc = (x: number, y: number) => c.get(x).get(y).op('i32.add').set(x);
  const countDown = (x: number) => c.get(x).i32(1).op('i32.sub').tee(x).brIf(0);

  c.get(P('aCol')).i32(m).op('i32.mul').set(aTile);
  c.get(P('cCol')).i32(m).op('i32.mul').set(cTile);
  /** One tile of m positions at (ap, cp) by one column tile at (bT, cT offset). */
  const tile = (cOff: number | null) => {
    for (let q = 0; q < m; q++) {
      c.get(ap);
      if (q > 0) c.get(P('aCol')).i32(q).op('i32.mul').op('i32.add');
      c.set(aq[q]!);
      c.get(cp);
      if (q > 0) c.get(P('cCol')).i32(q).op('i32.mul').op('i32.add');
      if (cOff !== null) c.get(cOff).op('i32.add');
      c.set(cq[q]!);
    }
    for (const row of acc) for (const x of row) c.f32x4(0).set(x);
    c.block().get(P('load')).op('i32.eqz').brIf(0);
    for (let q = 0; q < m; q++) for (let v = 0; v < NV; v++) c.get(cq[q]!).v128Load(16 * v).set(acc[q]![v]!);
    c.end();
    c.get(bT).set(bp).get(P('k')).set(j);
    c.loop(); // terms
    for (let v = 0; v < NV; v++) c.get(bp).v128Load(16 * v).set(bv[v]!);
    for (let q = 0; q < m; q++) {
      c.get(aq[q]!).simd('v128.load32_splat', 2, 0).set(s);
      for (let v = 0; v < NV; v++) c.get(acc[q]![v]!).get(s).get(bv[v]!).simd('f32x4.mul').simd('f32x4.add').set(acc[q]![v]!);
      c.get(aq[q]!).i32(4).op('i32.add').set(aq[q]!);
    }
    inc(bp, P('ldb'));
    countDown(j).end();
    for (let q = 0; q < m; q++) for (let v = 0; v < NV; v++) c.get(cq[q]!).get(acc[q]![v]!).v128Store(16 * v);
  };
  /** The 3-level walk over position tiles around `body`. */
  const walk = (cStart: number, body: () => void) => {
    c.get(P('a')).set(ao).get(cStart).set(co).get(P('outer')).set(o);
    c.loop(); // outer level
    c.get(ao).set(ar).get(co).set(cr).get(P('rows')).set(r);
    c.loop(); // rows
    c.get(ar).set(ap).get(cr).set(cp).get(P('cols')).set(i);
    c.loop(); // position tiles of a row
    body();
    inc(ap, aTile);
    inc(cp, cTile);
    countDown(i).end();
    inc(ar, P('aRow'));
    inc(cr, P('cRow'));
    countDown(r).end();
    inc(ao, P('aOuter'));
    inc(co, P('cOuter'));
    countDown(o).end();
  };
  if (colsInner) {
    // per position tile, every column tile: dx rows written whole, B swept from cache
    walk(P('c'), () => {
      c.get(P('nTiles')).set(tj).get(P('b')).set(bT).i32(0).set(cT);
      c.loop(); // column tiles
      tile(cT);
      c.get(bT).i32(NC * 4).op('i32.add').set(bT);
      c.get(cT).i32(NC * 4).op('i32.add').set(cT);
      countDown(tj).end();
    });
  } else {
    // per column tile, every position: B's column tile stays in L1
    c.get(P('nTiles')).set(tj).get(P('b')).set(bT).get(P('c')).set(cT);
    c.loop(); // column tiles
    walk(cT, () => tile(null));
    c.get(bT).i32(NC * 4).op('i32.add').set(bT);
    c.get(cT).i32(NC * 4).op('i32.add').set(cT);
    countDown(tj).end();
  }
  return { name: `tap_mr${m}${colsInner ? '_inner' : ''}`, params: PARAMS.map(() => T.i32), locals, body: c };
}

export function convInputGradModuleBytes(sharedMemory = false): Uint8Array {
  const funcs: FuncDef[] = [];
  for (const inner of [false, true]) for (let m = 1; m <= MR; m++) funcs.push(tapKernel(m, inner));
  return assemble(funcs, sharedMemory);
}

const moduleValidates = validatesOnce(() => convInputGradModuleBytes());

/** Whether this engine compiles the kernel (WebAssembly SIMD). */
export function convInputGradSimdSupported(): boolean {
  return moduleValidates();
}

type TapFn = (...args: number[]) => void;

/**
 * The tap kernels (tap_mr1..MR, both loop orders) instantiated on one heap, with their own
 * scratch block. wasm_conv_forward.ts builds a second set per heap from the same module, so
 * the two convolutions' scratch blocks never alias.
 */
export class TapKernels {
  readonly memory: HeapAccess['memory'];
  readonly scratch: ScratchBlock;
  /** fns[m - 1] handles tiles of m positions, column tiles outermost. */
  readonly fns: TapFn[];
  /** The same with the column tiles innermost. */
  readonly fnsInner: TapFn[];

  /** `owner` names the calling kernel in the out-of-memory error. */
  constructor(heap: HeapAccess, owner: string) {
    const exports = instantiateOnMemory(convInputGradModuleBytes, heap.memory);
    const fns = (suffix: string) => Array.from({ length: MR }, (_, q) => exports[`tap_mr${q + 1}${suffix}`] as TapFn);
    this.memory = heap.memory;
    this.scratch = new ScratchBlock(heap, owner, 65536);
    this.fns = fns('');
    this.fnsInner = fns('_inner');
  }
}

const heapKernels = perHeap((heap) => new TapKernels(heap, 'Conv2DBackpropInput (wasm SIMD)'));

export type InputGradGeometry = ConvTapGeometry;

const runs = { simd: 0 };

let enabled = typeof process === 'undefined' || process.env?.['MPELU_CONV_INPUT_GRAD_SIMD'] !== '0';

/**
 * Turns the SIMD input gradient on or off (off: wasm uses the composite of tfjs kernels, as
 * before; MPELU_CONV_INPUT_GRAD_SIMD=0 starts off, and MPELU_WASM_SIMD=0 turns it off too).
 */
export function setConvInputGradSimdEnabled(on: boolean): void {
  enabled = on;
}

export function convInputGradSimdEnabled(): boolean {
  return enabled;
}

/** How many input gradients ran as the SIMD kernel (for tests and benchmarks). */
export function convInputGradSimdRuns(): number {
  return runs.simd;
}

/** dy bytes per call group: a group's dy rows stay in cache across the column tiles. */
const GROUP_BYTES = 128 * 1024;
/** Column tiles innermost while B (Co x padded Ci floats) is this small: ~1.2x on 64->16 1x1. */
const INNER_B_BYTES = 32 * 1024;

/**
 * Whether the kernel takes a layer with ci input channels and these strides: below 8
 * channels most of each 16-wide tile is padding, and XNNPACK's convolution ran the
 * stride-1 3x3 3->16 ResNet stem faster (2.9 vs 4.3 ms); strided layers still win here.
 */
export function convInputGradSimdTakes(ci: number, sh: number, sw: number): boolean {
  return ci >= 8 || sh * sw > 1;
}

/**
 * dx [n, h, w, ci] of a channels-last float32 conv on the wasm heap, or null when the kernel
 * does not take it or cannot run here (no SIMD, not float32, not the wasm heap).
 */
export function conv2dBackpropInputWasmSimd(backend: tf.KernelBackend, dy: Info, filter: Info, inputShape: readonly number[], g: InputGradGeometry): Info | null {
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || !convInputGradSimdSupported()) return null;
  const be = backend as WasmHeapBackend;
  if (typeof be.getMemoryOffset !== 'function' || typeof be.makeOutput !== 'function') return null;
  const kern = heapKernels(be);
  if (!kern) return null;
  const [n, h, w, ci] = inputShape as [number, number, number, number];
  const [, ho, wo, co] = dy.shape as [number, number, number, number];
  const { kh, kw, sh, sw, pt, pl } = g;
  if (!convInputGradSimdTakes(ci, sh, sw)) return null;
  const taps = kh * kw;
  const nTiles = Math.ceil(ci / NC);
  const ldb = nTiles * NC;
  const direct = ci % NC === 0;
  const positions = n * h * w;
  const bFloats = taps * co * ldb;
  const cFloats = direct ? 0 : positions * ldb;

  const out = be.makeOutput([n, h, w, ci], 'float32');
  const outOff = be.getMemoryOffset(out.dataId);
  if (positions === 0 || ci === 0) {
    runs.simd++;
    return out;
  }
  if (co === 0 || ho === 0 || wo === 0) {
    new Float32Array(kern.memory.buffer, outOff, positions * ci).fill(0);
    runs.simd++;
    return out;
  }
  let bBase: number;
  try {
    bBase = kern.scratch.reserve(4 * (bFloats + cFloats) + 16);
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  }
  // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
  const heap = kern.memory.buffer;
  const dyOff = be.getMemoryOffset(dy.dataId);
  const fOff = be.getMemoryOffset(filter.dataId);
  // B[t][j][i] = W[t][i][j], columns i >= ci zero
  const wsrc = new Float32Array(heap, fOff, taps * ci * co);
  const bmat = new Float32Array(heap, bBase, bFloats);
  for (let t = 0; t < taps; t++) {
    const src = t * ci * co;
    const dst = t * co * ldb;
    for (let j = 0; j < co; j++) {
      const row = dst + j * ldb;
      for (let i = 0; i < ci; i++) bmat[row + i] = wsrc[src + i * co + j]!;
      for (let i = ci; i < ldb; i++) bmat[row + i] = 0;
    }
  }
  const cBase = direct ? outOff : bBase + 4 * bFloats;
  const cPos = 4 * (direct ? ci : ldb); // bytes per C position

  const ranges: [number, number, number, number][] = [];
  let cover = -1; // a tap whose dy positions reach every dx position
  for (let a = 0; a < kh; a++) {
    for (let e = 0; e < kw; e++) {
      const r = [...validRange(ho, sh, a - pt, h), ...validRange(wo, sw, e - pl, w)] as [number, number, number, number];
      ranges.push(r);
      const full = (r[1] - r[0]) * sh >= h && (r[3] - r[2]) * sw >= w && (sh === 1 || h === 1) && (sw === 1 || w === 1);
      if (cover < 0 && full) cover = ranges.length - 1;
    }
  }
  // no tap reaches every position (strides, crops): the ones no tap writes stay zero
  if (cover < 0) new Float32Array(heap, cBase, positions * (cPos / 4)).fill(0);
  const order = cover < 0 ? ranges.map((_, t) => t) : [cover, ...ranges.map((_, t) => t).filter((t) => t !== cover)];
  const perImage = ho * wo * co * 4;
  const group = Math.max(1, Math.floor(GROUP_BYTES / perImage));
  const dyPos = 4 * co;
  const fns = co * ldb * 4 <= INNER_B_BYTES ? kern.fnsInner : kern.fns;
  for (let n0 = 0; n0 < n; n0 += group) {
    const outer = Math.min(group, n - n0);
    for (let idx = 0; idx < order.length; idx++) {
      const t = order[idx]!;
      const [oh0, oh1, ow0, ow1] = ranges[t]!;
      if (oh1 <= oh0 || ow1 <= ow0) continue;
      const a = Math.floor(t / kw);
      const e = t - a * kw;
      // the first tap overwrites (the covering one, or zeros), the others add
      const load = idx > 0 ? 1 : 0;
      const ap = dyOff + ((n0 * ho + oh0) * wo + ow0) * dyPos;
      const cp = cBase + ((n0 * h + oh0 * sh + a - pt) * w + ow0 * sw + e - pl) * cPos;
      const bp = bBase + t * co * ldb * 4;
      const rows = oh1 - oh0;
      const cols = ow1 - ow0;
      const full = Math.floor(cols / MR);
      const rest = cols - full * MR;
      const aOuter = ho * wo * dyPos;
      const cOuter = h * w * cPos;
      const aRow = wo * dyPos;
      const cRow = sh * w * cPos;
      const cCol = sw * cPos;
      if (full > 0) fns[MR - 1]!(ap, bp, cp, nTiles, co, outer, rows, full, aOuter, aRow, dyPos, cOuter, cRow, cCol, ldb * 4, load);
      if (rest > 0) fns[rest - 1]!(ap + full * MR * dyPos, bp, cp + full * MR * cCol, nTiles, co, outer, rows, 1, aOuter, aRow, dyPos, cOuter, cRow, cCol, ldb * 4, load);
    }
  }
  if (!direct) {
    const src = new Float32Array(kern.memory.buffer, cBase, positions * ldb);
    const dst = new Float32Array(kern.memory.buffer, outOff, positions * ci);
    for (let p = 0, k = 0; p < positions; p++) {
      const row = p * ldb;
      for (let i = 0; i < ci; i++, k++) dst[k] = src[row + i]!;
    }
  }
  runs.simd++;
  return out;
}
