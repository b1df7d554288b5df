// The tap-GEMM kernels the forward convolution and the input gradient share: for one filter
// tap, C = (C, 0 or a bias row) + A B over the positions the tap reaches, with A's and C's positions
// walked in place on tfjs-wasm's heap with the conv's strides (3 levels: images, rows,
// columns), B a packed [k, 16*nTiles] matrix. conv_forward.ts uses A = x, B = W, C = y;
// conv_input_grad.ts uses A = dy, B = W^T, C = dx. Also here: the clipping of each tap's
// output rows and columns to the taps that miss the padding, which the weight gradient
// (conv_weight_grad.ts) uses too, and the copy out of a tile-padded result.
//
// Kernel: register tiles of MR positions by 4*NV channels (MR*NV v128 accumulators); per
// term NV vector loads of B, MR load32_splat of A, MR*NV multiply-adds. Two loop orders:
// column tiles innermost (C rows written whole) while B fits L1, else outermost. The tile of C
// is loaded (or zeroed), updated over the k terms in float32 (as a float GEMM sums, and as
// the XNNPACK convolution it replaces) and stored.

import { assemble, Fn, T, type FuncDef } from './encoder.js';
import { instantiateOnMemory, ScratchBlock, validatesOnce, type HeapAccess } from './heap.js';
import { heapPoolFor, SplitCalls } from './split_calls.js';
import { KillSwitch, wasmSimd } from './kill_switch.js';
import { filterPacks, type HostFilter } from './host_filter.js';
import { tap3x3Kernel } from './tap3x3.js';
import { emitTermLoop, NC, NV } from './tap_terms.js';

/** Register tile: MR positions (splat operand) by 4*NV channels (vector operand). */
// 2 x 16 measured fastest on V8 (x64) on the ResNet-164 shapes among 2x16, 4x8, 3x16,
// 4x12, 5x8, 6x8 and 8x4 (as for the filter gradient): 8 accumulators fit the registers.
export const MR = 2;
export { NC, NV };

const PARAMS = [
  'a', 'b', 'c', 'nTiles', 'k', 'outer', 'rows', 'cols',
  'aOuter', 'aRow', 'aCol', 'cOuter', 'cRow', 'cCol', 'ldb', 'load',
] as const;

/**
 * tap_mr{m}(a, b, c, nTiles, k, outer, rows, cols, aOuter, aRow, aCol, cOuter, cRow, cCol, ldb, load):
 * for each of nTiles column tiles and each tile of m positions of the 3-level walk (outer x
 * rows x cols tiles; byte strides per level, aCol/cCol between neighbouring positions, a
 * tile spans m of them): C[pos, cols] = start + sum over j < k of A[pos + 4j] * B[j*ldb + cols],
 * start = 0 (load 0), C[pos, cols] (load 1) or, for any other load, the float32 row at byte
 * address `load` (load[cols]: the bias, nTiles*16 floats, so no pass writes it first).
 * tap_mr{m}[_inner]_add: start = 0 and the finished float32 sum plus an addend of C's layout at
 * C + load (a byte distance) is stored: a residual add done where C is written (nn/ConcatTable.ts, nn/addend.ts).
 * All counts >= 1; byte addresses.
 */
function tapKernel(m: number, colsInner: boolean, addend = false): FuncDef {
  const f = new Fn(`tap_mr${m}${colsInner ? '_inner' : ''}${addend ? '_add' : ''}`, PARAMS);
  const l = (n: string, t: T = T.i32): number => f.l(n, t);
  const P = (n: (typeof PARAMS)[number]) => f.l(n);
  const c = f.code;
  const acc: number[][] = [];
  for (let q = 0; q < m; q++) acc.push(Array.from({ length: NV }, (_, v) => l(`acc${q}_${v}`, T.v128)));
  const bv = Array.from({ length: NV }, (_, v) => l(`b${v}`, T.v128));
  const s = l('s', T.v128);
  const aq = Array.from({ length: m }, (_, q) => l(`a${q}`));
  const cq = Array.from({ length: m }, (_, q) => l(`c${q}`));
  const [tj, bT, cT, ao, co, o, ar, cr, r, ap, cp, i, bp, j, aTile, cTile, bias, bStep, colOff] = [
    'tj', 'bT', 'cT', 'ao', 'co', 'o', 'ar', 'cr', 'r', 'ap', 'cp', 'i', 'bp', 'j', 'aTile', 'cTile', 'bias', 'bStep', 'colOff',
  ].map((n) => l(n));
  const inc = (x: number, y: number) => f.inc(x, y);
  const countDown = (x: number) => f.countDown(x);

  c.get(P('aCol')).i32(m).op('i32.mul').set(aTile);
  c.get(P('cCol')).i32(m).op('i32.mul').set(cTile);
  // B's next column tile: the next panel (ldb of one tile: panels, see bPanels) or the next 16 columns
  c.get(P('k')).i32(NC * 4).op('i32.mul').i32(NC * 4).get(P('ldb')).i32(NC * 4).op('i32.eq').op('select').set(bStep);
  /** The tile's starting values by `load`: 0 the zeros already set, 1 C itself, else the bias row. */
  const emitStart = () => {
    c.block(); // load 0: the zeros
    c.get(P('load')).op('i32.eqz').brIf(0);
    c.block(); // load 1: C itself
    c.get(P('load')).i32(1).op('i32.ne').brIf(0);
    for (let q = 0; q < m; q++) for (let v = 0; v < NV; v++) c.get(cq[q]!).v128Load(16 * v).set(acc[q]![v]!);
    c.br(1);
    c.end();
    // any other load: the address of a row of starting values (the bias), this column tile's part
    c.get(P('load')).get(colOff).op('i32.add').set(bias);
    for (let v = 0; v < NV; v++) {
      c.get(bias).v128Load(16 * v).set(bv[v]!);
      for (let q = 0; q < m; q++) c.get(bv[v]!).set(acc[q]![v]!);
    }
    c.end();
  };
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
    if (!addend) emitStart();
    c.get(bT).set(bp);
    emitTermLoop(f, acc, bv, s, aq, bp, j, P('k'), P('ldb'));
    if (addend) {
      // C = (the sum, a float32 already) + the addend at C + load: the add the caller would make after
      for (let q = 0; q < m; q++) {
        for (let v = 0; v < NV; v++) c.get(cq[q]!).get(acc[q]![v]!).get(cq[q]!).get(P('load')).op('i32.add').v128Load(16 * v).simd('f32x4.add').v128Store(16 * v);
      }
    } else {
      for (let q = 0; q < m; q++) for (let v = 0; v < NV; v++) c.get(cq[q]!).get(acc[q]![v]!).v128Store(16 * v);
    }
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
      c.get(cT).set(colOff);
      tile(cT);
      inc(bT, bStep);
      c.get(cT).i32(NC * 4).op('i32.add').set(cT);
      countDown(tj).end();
    });
  } else {
    // per column tile, every position: B's column tile stays in L1
    c.get(P('nTiles')).set(tj).get(P('b')).set(bT).get(P('c')).set(cT).i32(0).set(colOff);
    c.loop(); // column tiles
    walk(cT, () => tile(null));
    inc(bT, bStep);
    c.get(cT).i32(NC * 4).op('i32.add').set(cT);
    c.get(colOff).i32(NC * 4).op('i32.add').set(colOff);
    countDown(tj).end();
  }
  return f.def();
}

/**
 * pack(src, dst, taps, A, B, ldb, sA, sB, panels): a filter's B matrix from its values in
 * Torch's order, element (t, a, b) = src[b * sB + a * sA + t] for b < B, 0 for B <= b < ldb
 * (floats; byte addresses). Each tap's A x ldb block lies at dst + t * A * ldb floats; in it,
 * with panels = 0, rows of ldb floats; with panels = 1, one panel per 16 columns, each A rows
 * of 16 floats (see bPanels). The forward packs with a = input and b = output channel, the
 * input gradient the other way round.
 */
function packKernel(): FuncDef {
  const f = new Fn('pack', ['src', 'dst', 'taps', 'A', 'B', 'ldb', 'sA', 'sB', 'panels']);
  const c = f.code;
  const P = (n: string) => f.l(n);
  const [t, a, jt, n, sa, sp, rowBase, rowStep, tileStep, tileAddr, addr, left, sB4] =
    ['t', 'a', 'jt', 'n', 'sa', 'sp', 'rowBase', 'rowStep', 'tileStep', 'tileAddr', 'addr', 'left', 'sB4'].map((x) => f.l(x));
  c.i32(NC * 4).get(P('ldb')).i32(4).op('i32.mul').get(P('panels')).op('select').set(rowStep);
  c.get(P('A')).i32(NC * 4).op('i32.mul').i32(NC * 4).get(P('panels')).op('select').set(tileStep);
  c.get(P('sB')).i32(4).op('i32.mul').set(sB4);
  c.get(P('dst')).set(rowBase);
  c.get(P('src')).set(sa);
  c.i32(0).set(t);
  c.loop(); // taps
  c.get(P('A')).set(a);
  c.loop(); // rows a
  c.get(sa).set(sp).get(rowBase).set(tileAddr).get(P('B')).set(left).get(P('ldb')).i32(4).op('i32.shr_u').set(jt);
  c.loop(); // column tiles of the row
  c.get(tileAddr).set(addr);
  // n = the tile's columns below B (left clamped to 0..16); the rest is padding
  c.get(left).i32(NC).get(left).i32(NC).op('i32.lt_u').op('select').set(n);
  c.block().get(n).op('i32.eqz').brIf(0).loop(); // columns b < B
  c.get(addr).get(sp).f32Load().f32Store();
  c.get(sp).get(sB4).op('i32.add').set(sp);
  c.get(addr).i32(4).op('i32.add').set(addr);
  f.countDown(n).end().end();
  c.i32(NC).get(left).i32(NC).get(left).i32(NC).op('i32.lt_u').op('select').op('i32.sub').set(n);
  c.block().get(n).op('i32.eqz').brIf(0).loop(); // the tile's padding columns
  c.get(addr).f32(0).f32Store();
  c.get(addr).i32(4).op('i32.add').set(addr);
  f.countDown(n).end().end();
  c.get(left).i32(NC).op('i32.sub').i32(0).get(left).i32(NC).op('i32.gt_u').op('select').set(left);
  c.get(tileAddr).get(tileStep).op('i32.add').set(tileAddr);
  f.countDown(jt).end();
  c.get(sa).get(P('sA')).i32(4).op('i32.mul').op('i32.add').set(sa);
  c.get(rowBase).get(rowStep).op('i32.add').set(rowBase);
  f.countDown(a).end();
  // the next tap: its A x ldb block follows (rows: the last row's end; panels: the last panel's)
  c.get(P('dst')).get(t).i32(1).op('i32.add').get(P('A')).op('i32.mul').get(P('ldb')).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(rowBase);
  c.get(P('src')).get(t).i32(1).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(sa);
  c.get(t).i32(1).op('i32.add').tee(t).get(P('taps')).op('i32.lt_u').brIf(0);
  c.end();
  return f.def();
}

/**
 * Whether a GEMM's packed B is laid out in panels (each 16-column tile's k rows together)
 * rather than in rows of all the tiles: for the column-tiles-outermost order, where one tile
 * is swept over every position. Rows of a wide B put that tile's k x 64 bytes a whole B row
 * apart, which maps them onto a fraction of L1's sets (a 256-column B: 4 of 64): they evict
 * each other instead of staying in cache. A panel is contiguous. The tap kernels tell the
 * layouts apart by the row stride they are given (one tile's 64 bytes: panels).
 */
export function bPanels(colsInner: boolean, nTiles: number): boolean {
  return !colsInner && nTiles > 1;
}

/**
 * Float index in a packed B of (tap t, row i, column j), for rows of `ldb` floats or, with
 * `panels`, 16-column panels of `rows` rows each (rows: B's rows per tap).
 */
export function bIndex(t: number, i: number, j: number, rows: number, ldb: number, panels: boolean): number {
  const tap = t * rows * ldb;
  return panels ? tap + (j >> 4) * rows * NC + i * NC + (j & (NC - 1)) : tap + i * ldb + j;
}

export function tapGemmModuleBytes(sharedMemory = false): Uint8Array {
  const funcs: FuncDef[] = [];
  for (const addend of [false, true]) for (const inner of [false, true]) for (let m = 1; m <= MR; m++) funcs.push(tapKernel(m, inner, addend));
  funcs.push(packKernel());
  for (const grad of [false, true]) for (let m = 1; m <= MR; m++) funcs.push(tap3x3Kernel(m, grad));
  return assemble(funcs, sharedMemory);
}

const moduleValidates = validatesOnce(() => tapGemmModuleBytes());

/** Whether this engine compiles the kernel (WebAssembly SIMD). */
export function tapGemmSupported(): boolean {
  return moduleValidates();
}

type TapFn = (...args: number[]) => void;

/** Byte strides of one operand's 3-level walk: between images, rows and neighbouring positions. */
export interface Walk {
  outer: number;
  row: number;
  col: number;
}

/**
 * The tap kernels (tap_mr1..MR, both loop orders) instantiated on one heap, with their own
 * scratch block. The forward convolution and the input gradient each build their own set
 * per heap from the same module, so their scratch blocks never alias.
 */
export class TapKernels {
  readonly memory: HeapAccess['memory'];
  readonly scratch: ScratchBlock;
  /** fns[m - 1] handles tiles of m positions, column tiles outermost. */
  private readonly fns: TapFn[];
  /** The same with the column tiles innermost. */
  private readonly fnsInner: TapFn[];
  /** The _add variants of fns and fnsInner. */
  private readonly fnsAdd: TapFn[];
  private readonly fnsInnerAdd: TapFn[];
  private readonly packFn: TapFn;
  /** tap3x3_mr{m} (forward) and tap3x3_mr{m}_grad (input gradient), m = 1..MR. */
  private readonly fns3x3: TapFn[];
  private readonly fns3x3Grad: TapFn[];

  /** `owner` names the calling kernel in the out-of-memory error. */
  constructor(heap: HeapAccess, owner: string) {
    const exports = instantiateOnMemory(tapGemmModuleBytes, heap.memory);
    const fns = (suffix: string) => Array.from({ length: MR }, (_, q) => exports[`tap_mr${q + 1}${suffix}`] as TapFn);
    this.memory = heap.memory;
    this.scratch = new ScratchBlock(heap, owner, 65536);
    this.fns = fns('');
    this.fnsInner = fns('_inner');
    this.fnsAdd = fns('_add');
    this.fnsInnerAdd = fns('_inner_add');
    this.packFn = exports['pack'] as TapFn;
    this.fns3x3 = Array.from({ length: MR }, (_, q) => exports[`tap3x3_mr${q + 1}`] as TapFn);
    this.fns3x3Grad = Array.from({ length: MR }, (_, q) => exports[`tap3x3_mr${q + 1}_grad`] as TapFn);
  }

  /**
   * B from a filter in Torch's order on the host, at byte address `dst` (rows of ldb floats,
   * or 16-column panels with `panels`; padding columns zero): the forward's
   * bmat[t][i][j] = W[j][i][t], or with `inputGrad` the
   * input gradient's bmat[t][j][i]. The values are first copied to `raw` (co*ci*taps floats of
   * scratch) in one block; the reordering runs in wasm (~5x faster than the same loop in JS).
   */
  packHost(f: HostFilter, dst: number, ldb: number, raw: number, inputGrad: boolean, panels = false): void {
    const taps = f.kh * f.kw;
    if (f.values.length === 0) return; // no input (or output) channels: B has no rows
    new Float32Array(this.memory.buffer, raw, f.values.length).set(f.values);
    const p = panels ? 1 : 0;
    if (inputGrad) this.packFn(raw, dst, taps, f.co, f.ci, ldb, f.ci * taps, taps, p);
    else this.packFn(raw, dst, taps, f.ci, f.co, ldb, taps, f.ci * taps, p);
    filterPacks.calls++;
    filterPacks.floats += taps * f.ci * f.co;
  }

  /**
   * Calls for at most `wanted` parts (one per thread, on the heap's worker pool when the heap
   * is shared and more than one thread is asked for), run by the result's finish().
   */
  split(wanted: number): SplitCalls {
    return new SplitCalls(heapPoolFor(this.memory), wanted);
  }

  /**
   * One tap over outer x rows x cols positions, as part `part` of `split`: C = start + A B
   * (start: 0 for load 0, C for load 1, else the bias row at byte address `load`), A's rows of k floats at `a` walked by `aw`, C's at `c` walked by `cw`, B at `b`
   * with nTiles column tiles per row. `colsInner` picks the loop order. Whole tiles of MR
   * positions first, the rest after. Calls with the same `unit` (e.g. one group of images'
   * taps) run in order on one thread. With `addend`, C = A B + the tensor `load` bytes from C
   * (same layout as C). `panels`: B is laid out in 16-column panels (bPanels), not in rows.
   */
  run(
    split: SplitCalls, part: number, colsInner: boolean, a: number, b: number, c: number, nTiles: number, k: number,
    outer: number, rows: number, cols: number, aw: Walk, cw: Walk, load: number, unit: number, addend = false, panels = false,
  ): void {
    const fns = addend ? (colsInner ? this.fnsInnerAdd : this.fnsAdd) : colsInner ? this.fnsInner : this.fns;
    const suffix = `${colsInner ? '_inner' : ''}${addend ? '_add' : ''}`;
    const ldb = (panels ? 1 : nTiles) * NC * 4; // the kernel's row stride in B (one tile's: panels)
    const full = Math.floor(cols / MR);
    const rest = cols - full * MR;
    if (full > 0) {
      const fn = split.fn('tap_gemm', tapGemmModuleBytes, `tap_mr${MR}${suffix}`, fns[MR - 1]!);
      split.call(part, fn, [a, b, c, nTiles, k, outer, rows, full, aw.outer, aw.row, aw.col, cw.outer, cw.row, cw.col, ldb, load], unit);
    }
    if (rest > 0) {
      const fn = split.fn('tap_gemm', tapGemmModuleBytes, `tap_mr${rest}${suffix}`, fns[rest - 1]!);
      split.call(part, fn, [a + full * MR * aw.col, b, c + full * MR * cw.col, nTiles, k, outer, rows, 1, aw.outer, aw.row, aw.col, cw.outer, cw.row, cw.col, ldb, load], unit);
    }
  }

  /**
   * All nine taps of a 3x3 stride-1 pad-1 layer over `outer` images of h x w positions, as part
   * `part` of `split` (tap3x3.ts): C = start + A B summed over the taps in registers, start 0
   * (load 0) or the bias row at byte address `load`. A's positions at `a` (aCol bytes each), C's
   * at `c` (cCol bytes each), B packed with k rows of nTiles * 16 floats per tap (in rows, or
   * in 16-column panels with `panels`), `zero` a row of k zero floats. `inputGrad`: the taps
   * mirrored (dx from dy). Calls with the same `unit` run in order on one thread.
   */
  run3x3(
    split: SplitCalls, part: number, inputGrad: boolean, a: number, b: number, c: number, nTiles: number, k: number,
    outer: number, h: number, w: number, aCol: number, cCol: number, load: number, zero: number, unit: number, panels: boolean,
  ): void {
    const fns = inputGrad ? this.fns3x3Grad : this.fns3x3;
    const suffix = inputGrad ? '_grad' : '';
    fusedTaps3x3.ran();
    const ldb = panels ? NC * 4 : nTiles * NC * 4;
    const bStep = panels ? k * NC * 4 : NC * 4;
    const full = Math.floor(w / MR);
    const rest = w - full * MR;
    if (full > 0) {
      const fn = split.fn('tap_gemm', tapGemmModuleBytes, `tap3x3_mr${MR}${suffix}`, fns[MR - 1]!);
      split.call(part, fn, [a, b, c, nTiles, k, outer, h, full, 0, w, aCol, cCol, ldb, load, zero, bStep], unit);
    }
    if (rest > 0) {
      const fn = split.fn('tap_gemm', tapGemmModuleBytes, `tap3x3_mr${rest}${suffix}`, fns[rest - 1]!);
      split.call(part, fn, [a, b, c, nTiles, k, outer, h, 1, full * MR, w, aCol, cCol, ldb, load, zero, bStep], unit);
    }
  }
}

/** The nine taps in one kernel call (tap3x3.ts) for 3x3 stride-1 pad-1 layers (MPELU_CONV_TAPS_FUSED=0: one call per tap, to compare). */
export const fusedTaps3x3 = new KillSwitch('MPELU_CONV_TAPS_FUSED', wasmSimd);

/** Whether a layer of this geometry (input h x w, output ho x wo, k terms per tap) runs its taps in one call. */
export function fusesTaps3x3(g: ConvTapGeometry, h: number, w: number, ho: number, wo: number, k: number): boolean {
  return g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.pt === 1 && g.pl === 1 && ho === h && wo === w &&
    9 * k * NC * 4 <= FUSED_PANEL_BYTES && fusedTaps3x3.enabled();
}

/**
 * The largest B panel (one column tile's rows over the nine taps: 9 k x 64 bytes) the fused
 * taps take: it must stay in L1 (32 KB) while the column tile sweeps the positions. Measured
 * (alternating, ResNet-164 batch 32, 2 threads, forward / input gradient against the per-tap
 * kernels): 16 channels (9 KB) 2.86 vs 3.42 / 2.77 vs 3.03 ms, 32 (18 KB) 3.11 vs 3.19 / 3.08
 * vs 3.06, 64 (36 KB) 2.78 vs 2.60 / 2.67 vs 2.42.
 */
const FUSED_PANEL_BYTES = 20 * 1024;

/** A conv's filter size, strides and top/left padding, as the tap kernels walk it. */
export interface ConvTapGeometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Top and left padding (may be negative: a crop). */
  pt: number;
  pl: number;
}

/**
 * Output indices o in [0, count) whose input index o*stride + off lies in [0, size): the
 * rows (or columns) a conv filter tap at offset `off` reaches without touching the padding.
 */
export function validRange(count: number, stride: number, off: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-off / stride));
  const hi = Math.min(count, Math.floor((size - 1 - off) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Per filter tap (row-major over kh x kw), the output rows [oh0, oh1) and columns [ow0, ow1)
 * whose input position (ho x wo outputs over an h x w input) lies outside the padding.
 */
export function tapRanges(g: ConvTapGeometry, ho: number, wo: number, h: number, w: number): [number, number, number, number][] {
  const ranges: [number, number, number, number][] = [];
  for (let a = 0; a < g.kh; a++) {
    for (let e = 0; e < g.kw; e++) ranges.push([...validRange(ho, g.sh, a - g.pt, h), ...validRange(wo, g.sw, e - g.pl, w)]);
  }
  return ranges;
}

/**
 * Whether the _add kernels can write C = A B + `addend` for a layer: one tap (a 1x1 stride-1
 * unpadded filter, so each C row is summed whole in registers before the add), the addend a
 * float32 tensor of C's shape `outShape`.
 */
export function residualAddTakes(addend: { dtype: string; shape: readonly number[] }, outShape: readonly number[], g: ConvTapGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 &&
    addend.dtype === 'float32' && addend.shape.length === outShape.length && addend.shape.every((d, i) => d === outShape[i]);
}

/** Tap indices with `first` (if >= 0) moved to the front: the tap that runs first and overwrites. */
export function tapOrder(taps: number, first: number): readonly number[] {
  // made once per (taps, first): every convolution call asks
  const key = `${taps} ${first}`;
  let order = tapOrders.get(key);
  if (!order) {
    const all: number[] = [];
    for (let t = 0; t < taps; t++) all.push(t);
    order = Object.freeze(first < 0 ? all : [first, ...all.filter((t) => t !== first)]);
    tapOrders.set(key, order);
  }
  return order;
}

const tapOrders = new Map<string, readonly number[]>();

/**
 * Copies `positions` rows of `width` floats out of a result padded to rows of `ld` floats
 * (at byte offset `from`) into the tensor at byte offset `to`.
 */
export function copyOutPadded(memory: HeapAccess['memory'], from: number, to: number, positions: number, ld: number, width: number): void {
  const src = new Float32Array(memory.buffer, from, positions * ld);
  const dst = new Float32Array(memory.buffer, to, positions * width);
  for (let p = 0, k = 0; p < positions; p++) {
    const row = p * ld;
    for (let i = 0; i < width; i++, k++) dst[k] = src[row + i]!;
  }
}
