// WebAssembly SIMD kernels for MPELU and batch norm that run on tfjs-backend-wasm's own
// heap: the module imports the backend's WebAssembly.Memory and reads and writes tensors
// at their memory offsets, so nothing is copied. Assembled from bytes by encoder.ts
// (no toolchain): one function per pass, each walking the data as rows of W floats
// (W a multiple of 4, lane l of a row belonging to channel l % C), so channels-last
// tensors with per-channel parameters, and any tensor with shared ones, are covered.
//
// Arithmetic is float32 (4 lanes), as Torch's float kernels; per-channel sums add every
// float32 term into float64 accumulators, as Torch's accreal (double) sums do.
// exp has no SIMD instruction: see emitExp.

import { assemble, Code, Fn, type FuncDef } from './encoder.js';
import { instantiateOnMemory, ScratchBlock, validatesOnce, type HeapAccess } from './heap.js';
import { heapPoolFor, partOf, partRange, SplitCalls } from './split_calls.js';
import { sumRunsKernel } from './f64_runs.js';

// ---------------------------------------------------------------------------------
// exp(t) for float32 lanes:
//   t is clamped to [EXP_LO, EXP_HI] (NaN stays NaN), k = nearest(t / ln2) (by ROUNDER),
//   r = t - k*ln2 in two steps (Cody-Waite: ln2 = LN2_HI + LN2_LO, LN2_HI with 9 significant
//   bits so k*LN2_HI is exact and t - k*LN2_HI is exact by Sterbenz), |r| <= ln2/2,
//   e^r by a degree-6 polynomial interpolating e^r at the Chebyshev nodes of [-ln2/2, ln2/2]
//   (near-minimax: truncation error ~2e-9, well under float32's 6e-8 half ulp),
//   2^k applied as 2^(k>>1) * 2^(k - (k>>1)), two exact scalings built from exponent bits,
//   so k = 128 (t up to 88.72) does not overflow the exponent field and results below
//   2^-126 round once, gradually, into the subnormals. EXP_HI = 89 lets e^t overflow to
//   +Infinity where float32 does; EXP_LO = -104 is below the smallest subnormal.

const EXP_LO = -104;
const EXP_HI = 89;
const LOG2E = Math.fround(Math.LOG2E);
const LN2_HI = 0.693359375;
const LN2_LO = Math.fround(Math.LN2 - LN2_HI);
const EXP_DEGREE = 6;

/** Monomial coefficients (c0..c6) of the polynomial interpolating e^r at Chebyshev nodes. */
export function expPolynomial(degree = EXP_DEGREE, half = Math.LN2 / 2): number[] {
  const n = degree + 1;
  // Vandermonde system at the nodes, solved by Gaussian elimination with partial pivoting.
  const a: number[][] = [];
  for (let j = 0; j < n; j++) {
    const x = half * Math.cos((Math.PI * (j + 0.5)) / n);
    const row: number[] = [];
    for (let i = 0; i < n; i++) row.push(x ** i);
    row.push(Math.exp(x));
    a.push(row);
  }
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[p]![col]!)) p = r;
    [a[col], a[p]] = [a[p]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k <= n; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

const EXP_COEFFS = expPolynomial().map(Math.fround);

/** 1.5 * 2^23: adding it rounds |v| < 2^22 to an integer (ties to even) held in the low bits. */
const ROUNDER = 12582912;
const ROUNDER_BITS = 0x4b400000;

/** Pushes exp(local t) (v128) onto the stack; t, k and r are clobbered. */
function emitExp(c: Code, t: number, k: number, r: number): void {
  // pmin/pmax are single instructions on x64 (min/max must propagate NaN: several); a NaN t
  // stays NaN here because both compare false
  c.get(t).f32x4(EXP_HI).simd('f32x4.pmin').f32x4(EXP_LO).simd('f32x4.pmax').set(t);
  // k = nearest(t * log2e) as float (r) and as int32 (bits of the rounded sum, in k)
  c.get(t).f32x4(LOG2E).simd('f32x4.mul').f32x4(ROUNDER).simd('f32x4.add').tee(k);
  c.f32x4(ROUNDER).simd('f32x4.sub').set(r);
  c.get(t).get(r).f32x4(LN2_HI).simd('f32x4.mul').simd('f32x4.sub');
  c.get(r).f32x4(LN2_LO).simd('f32x4.mul').simd('f32x4.sub').set(r);
  c.f32x4(EXP_COEFFS[EXP_DEGREE]!);
  for (let i = EXP_DEGREE - 1; i >= 0; i--) c.get(r).simd('f32x4.mul').f32x4(EXP_COEFFS[i]!).simd('f32x4.add');
  // 2^k1 * 2^k2 with k1 = k >> 1, k2 = k - k1 (both in [-75, 64]: normal exponents)
  c.get(k).i32x4(ROUNDER_BITS).simd('i32x4.sub').set(k);
  c.get(k).i32(1).simd('i32x4.shr_s').tee(r);
  c.i32x4(127).simd('i32x4.add').i32(23).simd('i32x4.shl').simd('f32x4.mul');
  c.get(k).get(r).simd('i32x4.sub').i32x4(127).simd('i32x4.add').i32(23).simd('i32x4.shl').simd('f32x4.mul');
}

// ---------------------------------------------------------------------------------
// Function builders. Every kernel takes byte offsets into the heap (i32) and sizes in
// bytes. `prm` holds per-lane parameter rows of W floats, one after another.

/** Pushes base + off (both i32 locals). */
function addr(f: Fn, base: string, off: string): Code {
  return f.code.get(f.l(base)).get(f.l(off)).op('i32.add');
}

/** Pushes the v128 at base + off. */
function load(f: Fn, base: string, off: string, offset = 0): Code {
  return addr(f, base, off).v128Load(offset);
}

/** local p<i> = prm + i * wb, for the parameter rows 1..count-1 (row 0 is prm itself). */
function paramRows(f: Fn, count: number): void {
  const c = f.code;
  for (let i = 1; i < count; i++) c.get(f.l(i === 1 ? 'prm' : `p${i - 1}`)).get(f.l('wb')).op('i32.add').set(f.l(`p${i}`));
}

/**
 * An elementwise kernel: (data pointers..., prm, nbytes, wb). For each 16-byte vector at
 * byte i (lane channel offset ch), `body` stores its results; ch runs from 0 to wb along
 * each row (nbytes is a whole number of rows).
 */
function mapKernel(name: string, data: readonly string[], nParamRows: number, body: (f: Fn) => void): FuncDef {
  const f = new Fn(name, [...data, 'prm', 'nbytes', 'wb']);
  const c = f.code;
  const i = f.l('i');
  const ch = f.l('ch');
  paramRows(f, nParamRows);
  // rows of wb bytes (nbytes is a whole number of them), the lane offset ch running along each
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(f.l('nbytes')).op('i32.ge_u').brIf(1);
  c.i32(0).set(ch);
  c.loop();
  body(f);
  c.get(i).i32(16).op('i32.add').set(i);
  c.get(ch).i32(16).op('i32.add').tee(ch).get(f.l('wb')).op('i32.lt_u').brIf(0);
  c.end();
  c.br(0).end().end();
  return f.def();
}


/**
 * A kernel that sums per-lane terms: (data pointers..., prm, acc, nbytes, wb). `body` runs
 * for the vector at byte i (lane offset ch), may store results, and leaves the float32 terms
 * in the v128 locals 'term1' .. 'term<nTerms>', which are added exactly (promoted) into
 * float64 accumulators: acc holds nTerms rows of W doubles, zeroed by the caller. This is
 * Torch's accreal summation of float terms; float32 partial sums, even over 16 rows, moved
 * the Torch7 ResNet replay (test/resnet.test.ts) across MPELU's kink.
 */
function reduceKernel(name: string, data: readonly string[], nParamRows: number, body: (f: Fn) => void, nTerms = 2): FuncDef {
  const f = new Fn(name, [...data, 'prm', 'acc', 'nbytes', 'wb']);
  const c = f.code;
  const [i, ch, wb, q] = ['i', 'ch', 'wb', 'q'].map((n) => f.l(n)) as [number, number, number, number];
  const high = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  paramRows(f, nParamRows);
  // acc<k>: row k of the accumulators (W doubles = 2 * wb bytes each)
  const rows = ['acc'];
  for (let k = 1; k < nTerms; k++) {
    rows.push(`acc${k + 1}`);
    c.get(f.l(rows[k - 1]!)).get(wb).get(wb).op('i32.add').op('i32.add').set(f.l(rows[k]!));
  }
  // rows of wb bytes (nbytes is a whole number of them), the lane offset ch running along each
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(f.l('nbytes')).op('i32.ge_u').brIf(1);
  c.i32(0).set(ch);
  c.loop();
  body(f);
  rows.forEach((a, k) => {
    const term = f.v(`term${k + 1}`);
    c.get(f.l(a)).get(ch).i32(1).op('i32.shl').op('i32.add').set(q);
    c.get(q).get(q).v128Load().get(term).simd('f64x2.promote_low_f32x4').simd('f64x2.add').v128Store();
    c.get(q).get(q).v128Load(16).get(term).get(term).shuffle(high);
    c.simd('f64x2.promote_low_f32x4').simd('f64x2.add').v128Store(16);
  });
  c.get(i).i32(16).op('i32.add').set(i);
  c.get(ch).i32(16).op('i32.add').tee(ch).get(wb).op('i32.lt_u').brIf(0);
  c.end();
  c.br(0).end().end();
  return f.def();
}

// ---------------------------------------------------------------------------------
// The kernels.

/** exp over nbytes/4 floats (src -> dst); for tests and benchmarks of emitExp. */
const expKernel = mapKernel('exp', ['src', 'dst'], 0, (f) => {
  const c = f.code;
  load(f, 'src', 'i').set(f.v('t'));
  addr(f, 'dst', 'i');
  emitExp(c, f.v('t'), f.v('k'), f.v('r'));
  c.v128Store();
});

/** MPELU forward; prm rows: alpha, beta. y = x > 0 ? x : alpha * (exp(beta * x) - 1). */
/** Stores MPELU of the v128 local v at dst + i: v > 0 ? v : alpha * (exp(beta * v) - 1) (parameter rows by name). */
function emitMpeluStore(f: Fn, v: number, dst: string, alphaRow: string, betaRow: string): void {
  const c = f.code;
  const t = f.v('t');
  c.get(v);
  load(f, betaRow, 'ch').simd('f32x4.mul').set(t);
  addr(f, dst, 'i').get(v);
  emitExp(c, t, f.v('k'), f.v('r'));
  c.f32x4(1).simd('f32x4.sub');
  load(f, alphaRow, 'ch').simd('f32x4.mul');
  c.get(v).i32x4(0).simd('f32x4.gt').simd('v128.bitselect').v128Store();
}

const mpeluForwardKernel = mapKernel('mpelu_forward', ['x', 'y'], 2, (f) => {
  const v = f.v('v');
  load(f, 'x', 'i').set(v);
  emitMpeluStore(f, v, 'y', 'prm', 'p1');
});

/**
 * MPELU backward; prm rows: alpha, beta, fround(alpha*beta).
 * dx = x > 0 ? dy : dy * (alpha*beta) * e with e = exp(beta * x);
 * term1 = dy * (e - 1), term2 = (dy * x) * e where x <= 0, else 0 (dBeta = alpha * sum 2).
 */
/** MPELU backward of v (a v128 local) with gradient g: stores dx at dst + i, leaves term1, term2. */
function emitMpeluBackward(f: Fn, v: number, g: number, dst: string): void {
  const c = f.code;
  const [e, pos, t] = ['e', 'pos', 't'].map((n) => f.v(n)) as [number, number, number];
  c.get(v);
  load(f, 'p1', 'ch').simd('f32x4.mul').set(t);
  emitExp(c, t, f.v('k'), f.v('r'));
  c.set(e);
  c.get(v).i32x4(0).simd('f32x4.gt').set(pos);
  addr(f, dst, 'i').get(g).get(g);
  load(f, 'p2', 'ch').simd('f32x4.mul').get(e).simd('f32x4.mul').get(pos).simd('v128.bitselect').v128Store();
  c.get(g).get(e).f32x4(1).simd('f32x4.sub').simd('f32x4.mul').get(pos).simd('v128.andnot').set(f.v('term1'));
  c.get(g).get(v).simd('f32x4.mul').get(e).simd('f32x4.mul').get(pos).simd('v128.andnot').set(f.v('term2'));
}

const mpeluBackwardKernel = reduceKernel('mpelu_backward', ['x', 'dy', 'dx'], 3, (f) => {
  const [v, g] = [f.v('v'), f.v('g')];
  load(f, 'x', 'i').set(v);
  load(f, 'dy', 'i').set(g);
  emitMpeluBackward(f, v, g, 'dx');
});

/**
 * MPELU backward and the batch-norm backward sums of the batch norm before it, in one pass
 * (the nopre unit's pair); prm rows: alpha, beta, fround(alpha*beta), mean. y is MPELU's
 * input (the batch norm's output), dz its gradient, x the batch norm's input; d = MPELU's dx
 * (stored: the batch norm's dy). term1, term2 as mpelu_backward; term3 = d, term4 = (x - mean) * d
 * as bn_backward_sums.
 */
const mpeluBnBackwardKernel = reduceKernel('mpelu_bn_backward', ['y', 'dz', 'x', 'd'], 4, (f) => {
  const [v, g] = [f.v('v'), f.v('g')];
  load(f, 'y', 'i').set(v);
  load(f, 'dz', 'i').set(g);
  emitMpeluBackward(f, v, g, 'd');
  load(f, 'd', 'i').tee(f.v('term3'));
  load(f, 'x', 'i');
  load(f, 'p3', 'ch').simd('f32x4.sub').simd('f32x4.mul').set(f.v('term4'));
}, 4);

/** Batch-norm moments; prm row: shift. term1 = x - shift, term2 = (x - shift)^2. */
const bnMomentsKernel = reduceKernel('bn_moments', ['x'], 1, (f) => {
  load(f, 'x', 'i');
  load(f, 'prm', 'ch').simd('f32x4.sub').tee(f.v('term1')).get(f.v('term1')).simd('f32x4.mul').set(f.v('term2'));
});

/** The first moment pass alone; prm row: shift. term1 = x - shift (the same sums as bn_moments' term1). */
const bnShiftedSumKernel = reduceKernel('bn_shifted_sum', ['x'], 1, (f) => {
  load(f, 'x', 'i');
  load(f, 'prm', 'ch').simd('f32x4.sub').set(f.v('term1'));
}, 1);

/** Batch-norm backward sums; prm row: mean. term1 = dy, term2 = (x - mean) * dy. */
const bnBackwardSumsKernel = reduceKernel('bn_backward_sums', ['x', 'dy'], 1, (f) => {
  load(f, 'dy', 'i').tee(f.v('term1'));
  load(f, 'x', 'i');
  load(f, 'prm', 'ch').simd('f32x4.sub').simd('f32x4.mul').set(f.v('term2'));
});

/**
 * y = ((x - m) * s) * w + b; prm rows: m, s, w, b. THNN's batch-norm output expression
 * in its float order (s = invstd); eval backward with m = b = 0, w = 1.
 */
const bnAffineKernel = mapKernel('bn_affine', ['x', 'y'], 4, (f) => {
  addr(f, 'y', 'i');
  load(f, 'x', 'i');
  load(f, 'prm', 'ch').simd('f32x4.sub');
  load(f, 'p1', 'ch').simd('f32x4.mul');
  load(f, 'p2', 'ch').simd('f32x4.mul');
  load(f, 'p3', 'ch').simd('f32x4.add').v128Store();
});

/**
 * Batch norm then MPELU in one pass (the nopre unit's pair): y = ((x - m) * s) * w + b as
 * bn_affine, z = mpelu(y) as mpelu_forward, both stored; prm rows: m, s, w, b, alpha, beta.
 */
const bnAffineMpeluKernel = mapKernel('bn_affine_mpelu', ['x', 'y', 'z'], 6, (f) => {
  const v = f.v('v');
  load(f, 'x', 'i');
  load(f, 'prm', 'ch').simd('f32x4.sub');
  load(f, 'p1', 'ch').simd('f32x4.mul');
  load(f, 'p2', 'ch').simd('f32x4.mul');
  load(f, 'p3', 'ch').simd('f32x4.add').set(v);
  addr(f, 'y', 'i').get(v).v128Store();
  emitMpeluStore(f, v, 'z', 'p4', 'p5');
});

/** Training-mode batch-norm dx = (dy * a + d) + (x - m) * k; prm rows: m, a, k, d. */
const bnBackwardDxKernel = mapKernel('bn_backward_dx', ['x', 'dy', 'dx'], 4, (f) => {
  addr(f, 'dx', 'i');
  load(f, 'dy', 'i');
  load(f, 'p1', 'ch').simd('f32x4.mul');
  load(f, 'p3', 'ch').simd('f32x4.add');
  load(f, 'x', 'i');
  load(f, 'prm', 'ch').simd('f32x4.sub');
  load(f, 'p2', 'ch').simd('f32x4.mul').simd('f32x4.add').v128Store();
});

/** y = a + b (float32, as tfjs's Add): the residual adds, split over the threads. */
const addKernel = mapKernel('add', ['a', 'b', 'y'], 0, (f) => {
  addr(f, 'y', 'i');
  load(f, 'a', 'i');
  load(f, 'b', 'i').simd('f32x4.add').v128Store();
});

const KERNELS: readonly FuncDef[] = [
  expKernel, mpeluForwardKernel, mpeluBackwardKernel, bnMomentsKernel, bnShiftedSumKernel, bnBackwardSumsKernel, bnAffineKernel, bnBackwardDxKernel, addKernel,
  bnAffineMpeluKernel, mpeluBnBackwardKernel, sumRunsKernel(),
];

/** The module's bytes for a plain or a shared memory. */
export function simdModuleBytes(sharedMemory = false): Uint8Array {
  return assemble(KERNELS, sharedMemory);
}

const moduleValidates = validatesOnce(() => simdModuleBytes());

/** Whether this engine compiles the SIMD module (WebAssembly SIMD, e.g. Node >= 16.4). */
export function simdSupported(): boolean {
  return moduleValidates();
}

// ---------------------------------------------------------------------------------
// The host side: one instance per heap, parameters and accumulators in a scratch block
// malloc'ed from the same heap.

type Ptr = number;

/** Pieces per thread of an elementwise pass. */
const MAP_PIECES_PER_THREAD = 4;
type KernelFn = (...args: number[]) => void;

/** Row width W (floats, multiple of 4) for `total` elements with `C` channels fastest (C = 1: shared), or null. */
export function simdWidth(total: number, C: number): number | null {
  if (total <= 0 || C <= 0) return null;
  if (C === 1) {
    for (const w of [64, 32, 16, 8, 4]) if (total % w === 0) return w;
    return null;
  }
  const W = C % 4 === 0 ? C : C % 2 === 0 ? 2 * C : 4 * C;
  return total % W === 0 ? W : null;
}

export class SimdKernels {
  private readonly k: Record<string, KernelFn>;
  private readonly scratch: ScratchBlock;

  constructor(private readonly heap: HeapAccess) {
    this.k = instantiateOnMemory(simdModuleBytes, heap.memory) as unknown as Record<string, KernelFn>;
    this.scratch = new ScratchBlock(heap, 'wasm SIMD kernels', 4096);
  }

  /**
   * Makes sure the scratch block holds `bytes`. Call before taking any typed-array view of
   * the heap: the malloc may grow the memory and detach earlier views.
   */
  reserve(bytes: number): void {
    this.scratch.reserve(bytes);
  }

  /**
   * Scratch bytes the passes over rows of W floats need: 4 parameter rows, then `terms` float64
   * accumulator rows per chunk (a map pass with 6 parameter rows fits in the same bytes).
   */
  static scratchFor(W: number, chunks = 1, terms = 2): number {
    return 4 * W * 4 + chunks * terms * W * 8 + 64;
  }

  private base(): Ptr {
    return this.scratch.base();
  }

  /** Writes parameter rows (each W floats) to the scratch block; returns its offset. */
  private params(rows: readonly ArrayLike<number>[], W: number): Ptr {
    const p = this.base();
    const f = new Float32Array(this.heap.memory.buffer, p, rows.length * W);
    rows.forEach((r, i) => f.set(r, i * W));
    return p;
  }

  /**
   * A summing kernel over `total` floats in rows of W lanes; returns the per-lane float64 sums
   * of its two terms. Large tensors are cut into REDUCE_CHUNKS runs of rows fixed by the shape
   * alone, each summed into its own accumulators (by whichever thread), then the chunks are
   * added in chunk order here: the same sums in the same order for every thread count.
   */
  private reduce(name: string, ptrs: readonly Ptr[], prmRows: readonly ArrayLike<number>[], total: number, W: number, terms = 2): Float64Array[] {
    if (total % W !== 0) throw new RangeError(`${name}: ${total} floats are not whole rows of ${W}`);
    const rows = total / W;
    const chunks = total * 4 >= MIN_SPLIT_BYTES ? Math.min(REDUCE_CHUNKS, rows) : 1;
    this.reserve(SimdKernels.scratchFor(W, chunks, terms));
    const prm = this.params(prmRows, W);
    const acc = this.base() + 16 * W;
    const chunkBytes = terms * W * 8;
    new Float64Array(this.heap.memory.buffer, acc, (chunks * chunkBytes) / 8).fill(0);
    const split = new SplitCalls(chunks > 1 ? heapPoolFor(this.heap.memory) : null, chunks);
    const fn = split.fn('mpelu_batchnorm', simdModuleBytes, name, this.k[name]!);
    for (let c = 0; c < chunks; c++) {
      const [r0, r1] = partRange(c, rows, chunks);
      split.call(partOf(c, chunks, split.parts), fn, [...ptrs.map((q) => q + r0 * 4 * W), prm, acc + c * chunkBytes, (r1 - r0) * 4 * W, 4 * W]);
    }
    split.finish();
    if (chunks > 1) this.k['sum_runs']!(acc, chunkBytes / 16, chunkBytes, chunks);
    const a = new Float64Array(this.heap.memory.buffer, acc, terms * W);
    return Array.from({ length: terms }, (_, t) => a.slice(t * W, (t + 1) * W));
  }

  /** exp of n floats (n a multiple of 4) from src to dst. */
  exp(src: Ptr, dst: Ptr, n: number): void {
    this.reserve(SimdKernels.scratchFor(4));
    this.k['exp']!(src, dst, this.base(), 4 * n, 16);
  }

  mpeluForward(x: Ptr, y: Ptr, total: number, W: number, alpha: ArrayLike<number>, beta: ArrayLike<number>): void {
    this.reserve(SimdKernels.scratchFor(W));
    const prm = this.params([alpha, beta], W);
    this.map('mpelu_forward', [x, y], prm, total, W);
  }

  /** Returns per-lane sums of dy*(e-1) and of dy*x*e over x <= 0 (float64, length W). */
  mpeluBackward(x: Ptr, dy: Ptr, dx: Ptr, total: number, W: number, alpha: Float32Array, beta: Float32Array): [Float64Array, Float64Array] {
    const ab = alpha.map((a, i) => a * beta[i]!);
    return this.reduce('mpelu_backward', [x, dy, dx], [alpha, beta, ab], total, W) as [Float64Array, Float64Array];
  }

  /** Per-lane sums of (x - shift) and (x - shift)^2. */
  moments(x: Ptr, total: number, W: number, shift: Float32Array): [Float64Array, Float64Array] {
    return this.reduce('bn_moments', [x], [shift], total, W) as [Float64Array, Float64Array];
  }

  /** Per-lane sums of (x - shift) only (moments' first, without the squares). */
  shiftedSum(x: Ptr, total: number, W: number, shift: Float32Array): Float64Array {
    return this.reduce('bn_shifted_sum', [x], [shift], total, W, 1)[0]!;
  }

  /**
   * MPELU backward (y its input, g its gradient; d = its dx, stored) and the batch-norm
   * backward sums of the batch norm before it (x its input), in one pass: per-lane sums of
   * MPELU's two terms (as mpeluBackward) and of d and (x - mean) * d (as backwardSums).
   */
  mpeluBnBackward(y: Ptr, g: Ptr, x: Ptr, d: Ptr, total: number, W: number, alpha: Float32Array, beta: Float32Array, mean: Float32Array): Float64Array[] {
    const ab = alpha.map((a, i) => a * beta[i]!);
    return this.reduce('mpelu_bn_backward', [y, g, x, d], [alpha, beta, ab, mean], total, W, 4);
  }

  /** Per-lane sums of dy and (x - mean) * dy. */
  backwardSums(x: Ptr, dy: Ptr, total: number, W: number, mean: Float32Array): [Float64Array, Float64Array] {
    return this.reduce('bn_backward_sums', [x, dy], [mean], total, W) as [Float64Array, Float64Array];
  }

  /** y = ((x - m) * s) * w + b per lane. */
  affine(x: Ptr, y: Ptr, total: number, W: number, m: Float32Array, s: Float32Array, w: Float32Array, b: Float32Array): void {
    this.reserve(SimdKernels.scratchFor(W));
    const prm = this.params([m, s, w, b], W);
    this.map('bn_affine', [x, y], prm, total, W);
  }

  /** y = ((x - m) * s) * w + b and z = MPELU(y) per lane (alpha, beta), in one pass. */
  affineMpelu(x: Ptr, y: Ptr, z: Ptr, total: number, W: number, rows: readonly Float32Array[]): void {
    this.reserve(SimdKernels.scratchFor(W));
    const prm = this.params(rows, W);
    this.map('bn_affine_mpelu', [x, y, z], prm, total, W);
  }

  /** dx = (dy * a + d) + (x - m) * k per lane. */
  backwardDx(x: Ptr, dy: Ptr, dx: Ptr, total: number, W: number, m: Float32Array, a: Float32Array, k: Float32Array, d: Float32Array): void {
    this.reserve(SimdKernels.scratchFor(W));
    const prm = this.params([m, a, k, d], W);
    this.map('bn_backward_dx', [x, dy, dx], prm, total, W);
  }

  /** y = a + b over `total` floats (a multiple of 4), split over the threads when large. */
  add(a: Ptr, b: Ptr, y: Ptr, total: number): void {
    this.map('add', [a, b, y], 0, total, 4);
  }

  /**
   * An elementwise kernel over `total` floats in rows of W lanes, its rows cut among the
   * threads (each element is computed alone, so any cut gives the same result).
   */
  private map(name: string, ptrs: readonly Ptr[], prm: Ptr, total: number, W: number): void {
    // the kernels walk whole rows of W lanes
    if (total % W !== 0) throw new RangeError(`${name}: ${total} floats are not whole rows of ${W}`);
    const rows = total / W;
    const split = new SplitCalls(rows > 0 ? heapPoolFor(this.heap.memory) : null, Math.floor((total * 4) / MIN_SPLIT_BYTES));
    const fn = split.fn('mpelu_batchnorm', simdModuleBytes, name, this.k[name]!);
    if (split.parts === 1) {
      split.call(0, fn, [...ptrs, prm, 4 * total, 4 * W]);
    } else {
      // a few pieces per thread: one done early takes over the other's last pieces
      const pieces = Math.min(rows, MAP_PIECES_PER_THREAD * split.parts);
      for (let i = 0; i < pieces; i++) {
        const [r0, r1] = partRange(i, rows, pieces);
        if (r1 > r0) split.call(partOf(i, pieces, split.parts), fn, [...ptrs.map((q) => q + r0 * 4 * W), prm, (r1 - r0) * 4 * W, 4 * W]);
      }
    }
    split.finish();
  }
}

/** Bytes of one tensor below which an elementwise pass stays on one thread (a hand-off costs more). */
const MIN_SPLIT_BYTES = 256 * 1024;
/** Chunks of rows a large summing pass is cut into (fixed: the sums' order never depends on the threads). */
const REDUCE_CHUNKS = 16;

/** Per-lane parameters for rows of W lanes over C channels (C = 1: one shared value). */
export function tile(p: ArrayLike<number>, W: number): Float32Array {
  const out = new Float32Array(W);
  for (let l = 0; l < W; l++) out[l] = p[l % p.length]!;
  return out;
}

/** Per-lane sums folded back to C channels. */
export function fold(s: Float64Array, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let l = 0; l < s.length; l++) out[l % C]! += s[l]!;
  return out;
}
