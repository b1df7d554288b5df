// WebAssembly SIMD kernels for MPELU and batch norm that run on tfjs-backend-wasm's own
// heap: the module imports the backend's WebAssembly.Memory and reads and writes tensors
// at their memory offsets, so nothing is copied. Assembled from bytes by encoder.ts
// (no toolchain): one function per pass, each walking the data as rows of W floats
// (W a multiple of 4, lane l of a row belonging to channel l % C), so channels-last
// tensors with per-channel parameters, and any tensor with shared ones, are covered.
//
// Arithmetic is float32 (4 lanes), as Torch's float kernels; per-channel sums add every
// float32 term into float64 accumulators, as Torch's accreal (double) sums do.
// exp has no SIMD instruction: see expPhases.

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

// ---------------------------------------------------------------------------------
// Function builders. Every kernel takes byte offsets into the heap (i32) and sizes in
// bytes. `prm` holds per-lane parameter rows of W floats, one after another.
//
// A loop iteration handles UNROLL neighbouring vectors of a row (when the row width allows)
// as independent units, their code interleaved phase by phase: exp is a chain of ~25
// dependent operations, and one vector per iteration left the core waiting on its latency
// (exp over L2-resident data: 9.4 ns per vector alone, 4.9 with four interleaved). Every
// element is computed by the same operations in the same order either way: the same bits.

/** Vectors per iteration of the unrolled kernels (row widths a multiple of 16 floats). */
const UNROLL = 4;

/**
 * One of the vectors an iteration handles: `off` bytes past i (data) and ch (parameter
 * rows); its v128 locals are its own, the i32 locals (pointers, i, ch) shared.
 */
class Unit {
  readonly off: number;
  constructor(
    readonly f: Fn,
    readonly u: number,
  ) {
    this.off = 16 * u;
  }

  get code(): Code {
    return this.f.code;
  }

  /** This unit's v128 local `name`. */
  v(name: string): number {
    return this.f.v(`${name}.${this.u}`);
  }

  /** Pushes the v128 of this unit at base + off (data at i, parameter rows at ch). */
  load(base: string, off: 'i' | 'ch'): Code {
    return addr(this.f, base, off).v128Load(this.off);
  }
}

/** Code for one step of every unit; steps leave nothing on the stack. */
type Phase = (u: Unit) => void;

/** Emits the phases in order, each for all units before the next (the interleaving). */
function emitPhases(units: readonly Unit[], phases: readonly Phase[]): void {
  for (const phase of phases) for (const u of units) phase(u);
}

/** Pushes base + off (both i32 locals). */
function addr(f: Fn, base: string, off: string): Code {
  return f.code.get(f.l(base)).get(f.l(off)).op('i32.add');
}

/**
 * exp(local t) into local `out` (v128 locals of the unit); t and k are clobbered, r is used.
 *   t is clamped to [EXP_LO, EXP_HI] (NaN stays NaN), k = nearest(t / ln2) (by ROUNDER),
 *   r = t - k*ln2 in two steps, the polynomial in r by Horner, then 2^k in two scalings.
 */
function expPhases(t: string, k: string, r: string, out: string): Phase[] {
  return [
    // pmin/pmax are single instructions on x64 (min/max must propagate NaN: several); a NaN
    // t stays NaN here because both compare false
    (u) => {
      u.code.get(u.v(t));
      u.code.f32x4(EXP_HI).simd('f32x4.pmin');
      u.code.f32x4(EXP_LO).simd('f32x4.pmax').set(u.v(t));
    },
    // k = nearest(t * log2e) as float (r) and as int32 (bits of the rounded sum, in k)
    (u) => {
      u.code.get(u.v(t));
      u.code.f32x4(LOG2E).simd('f32x4.mul');
      u.code.f32x4(ROUNDER).simd('f32x4.add').tee(u.v(k));
      u.code.f32x4(ROUNDER).simd('f32x4.sub').set(u.v(r));
    },
    (u) => {
      u.code.get(u.v(t)).get(u.v(r));
      u.code.f32x4(LN2_HI).simd('f32x4.mul').simd('f32x4.sub');
      u.code.get(u.v(r));
      u.code.f32x4(LN2_LO).simd('f32x4.mul').simd('f32x4.sub').set(u.v(r));
    },
    (u) => u.code.f32x4(EXP_COEFFS[EXP_DEGREE]!).set(u.v(out)),
    ...Array.from({ length: EXP_DEGREE }, (_, j): Phase => (u) => {
      u.code.get(u.v(out)).get(u.v(r)).simd('f32x4.mul');
      u.code.f32x4(EXP_COEFFS[EXP_DEGREE - 1 - j]!).simd('f32x4.add').set(u.v(out));
    }),
    // 2^k1 * 2^k2 with k1 = k >> 1, k2 = k - k1 (both in [-75, 64]: normal exponents)
    (u) => {
      u.code.get(u.v(k));
      u.code.i32x4(ROUNDER_BITS).simd('i32x4.sub').set(u.v(k));
    },
    (u) => {
      u.code.get(u.v(out)).get(u.v(k)).i32(1).simd('i32x4.shr_s').tee(u.v(r));
      u.code.i32x4(127).simd('i32x4.add').i32(23).simd('i32x4.shl').simd('f32x4.mul');
      u.code.get(u.v(k)).get(u.v(r)).simd('i32x4.sub');
      u.code.i32x4(127).simd('i32x4.add').i32(23).simd('i32x4.shl').simd('f32x4.mul').set(u.v(out));
    },
  ];
}

/** local p<i> = prm + i * wb, for the parameter rows 1..count-1 (row 0 is prm itself). */
function paramRows(f: Fn, count: number): void {
  const c = f.code;
  for (let i = 1; i < count; i++) c.get(f.l(i === 1 ? 'prm' : `p${i - 1}`)).get(f.l('wb')).op('i32.add').set(f.l(`p${i}`));
}

/** A kernel's definition, built with one vector per iteration and with UNROLL. */
interface KernelSpec {
  name: string;
  data: readonly string[];
  nParamRows: number;
  phases: readonly Phase[];
  /** Summed terms (reduce kernels): the phases leave them in the unit's locals term1.. */
  nTerms?: number;
}

/** The name of a kernel's unrolled variant. */
export function unrolledName(name: string): string {
  return `${name}_x${UNROLL}`;
}

/** Both variants of a kernel: one vector per iteration (any row width) and UNROLL. */
function variants(spec: KernelSpec): FuncDef[] {
  const build = spec.nTerms === undefined ? mapKernel : reduceKernel;
  return [build(spec, spec.name, 1), build(spec, unrolledName(spec.name), UNROLL)];
}

/**
 * The loops shared by both kinds: (data pointers..., prm, [acc,] nbytes, wb). Rows of wb
 * bytes (nbytes is a whole number of them), the lane offset ch running along each row in
 * steps of U vectors; `iteration` emits the code of one step at i and ch.
 */
function rowLoops(f: Fn, U: number, iteration: () => void): void {
  const c = f.code;
  const [i, ch] = [f.l('i'), f.l('ch')];
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(f.l('nbytes')).op('i32.ge_u').brIf(1);
  c.i32(0).set(ch);
  c.loop();
  iteration();
  c.get(i).i32(16 * U).op('i32.add').set(i);
  c.get(ch).i32(16 * U).op('i32.add').tee(ch).get(f.l('wb')).op('i32.lt_u').brIf(0);
  c.end();
  c.br(0).end().end();
}

/** An elementwise kernel: (data pointers..., prm, nbytes, wb); the phases store the results. */
function mapKernel(spec: KernelSpec, name: string, U: number): FuncDef {
  const f = new Fn(name, [...spec.data, 'prm', 'nbytes', 'wb']);
  const units = Array.from({ length: U }, (_, u) => new Unit(f, u));
  paramRows(f, spec.nParamRows);
  rowLoops(f, U, () => emitPhases(units, spec.phases));
  return f.def();
}

/**
 * A kernel that sums per-lane terms: (data pointers..., prm, acc, nbytes, wb). The phases
 * may store results and leave the float32 terms in the unit's v128 locals 'term1' ..
 * 'term<nTerms>', which are added exactly (promoted) into float64 accumulators: acc holds
 * nTerms rows of W doubles, zeroed by the caller. This is Torch's accreal summation of
 * float terms; float32 partial sums, even over 16 rows, moved the Torch7 ResNet replay
 * (test/resnet.test.ts) across MPELU's kink.
 */
function reduceKernel(spec: KernelSpec, name: string, U: number): FuncDef {
  const nTerms = spec.nTerms!;
  const f = new Fn(name, [...spec.data, 'prm', 'acc', 'nbytes', 'wb']);
  const c = f.code;
  const [wb, q] = [f.l('wb'), f.l('q')];
  const high = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  const units = Array.from({ length: U }, (_, u) => new Unit(f, u));
  paramRows(f, spec.nParamRows);
  // acc<k>: row k of the accumulators (W doubles = 2 * wb bytes each)
  const rows = ['acc'];
  for (let k = 1; k < nTerms; k++) {
    rows.push(`acc${k + 1}`);
    c.get(f.l(rows[k - 1]!)).get(wb).get(wb).op('i32.add').op('i32.add').set(f.l(rows[k]!));
  }
  rowLoops(f, U, () => {
    emitPhases(units, spec.phases);
    rows.forEach((a, k) => {
      c.get(f.l(a)).get(f.l('ch')).i32(1).op('i32.shl').op('i32.add').set(q);
      for (const u of units) {
        const term = u.v(`term${k + 1}`);
        const at = 2 * u.off;
        c.get(q).get(q).v128Load(at).get(term).simd('f64x2.promote_low_f32x4').simd('f64x2.add').v128Store(at);
        c.get(q).get(q).v128Load(at + 16).get(term).get(term).shuffle(high);
        c.simd('f64x2.promote_low_f32x4').simd('f64x2.add').v128Store(at + 16);
      }
    });
  });
  return f.def();
}

// ---------------------------------------------------------------------------------
// The kernels.

/** exp over nbytes/4 floats (src -> dst); for tests and benchmarks of expPhases. */
const expKernel: KernelSpec = {
  name: 'exp',
  data: ['src', 'dst'],
  nParamRows: 0,
  phases: [
    (u) => u.load('src', 'i').set(u.v('t')),
    ...expPhases('t', 'k', 'r', 'e'),
    (u) => addr(u.f, 'dst', 'i').get(u.v('e')).v128Store(u.off),
  ],
};

/**
 * MPELU of the unit's local v stored at dst + i: v > 0 ? v : alpha * (exp(beta * v) - 1)
 * (the parameter rows by name).
 */
function mpeluStorePhases(v: string, dst: string, alphaRow: string, betaRow: string): Phase[] {
  return [
    (u) => {
      u.code.get(u.v(v));
      u.load(betaRow, 'ch').simd('f32x4.mul').set(u.v('t'));
    },
    ...expPhases('t', 'k', 'r', 'e'),
    (u) => {
      addr(u.f, dst, 'i').get(u.v(v)).get(u.v('e'));
      u.code.f32x4(1).simd('f32x4.sub');
      u.load(alphaRow, 'ch').simd('f32x4.mul');
      u.code.get(u.v(v)).i32x4(0).simd('f32x4.gt').simd('v128.bitselect').v128Store(u.off);
    },
  ];
}

/** MPELU forward; prm rows: alpha, beta. */
const mpeluForwardKernel: KernelSpec = {
  name: 'mpelu_forward',
  data: ['x', 'y'],
  nParamRows: 2,
  phases: [(u) => u.load('x', 'i').set(u.v('v')), ...mpeluStorePhases('v', 'y', 'prm', 'p1')],
};

/**
 * MPELU backward of the vector v at `input` + i with gradient g at `grad` + i (parameter rows
 * p1 = beta, p2 = fround(alpha*beta)): dx = v > 0 ? g : g * (alpha*beta) * e with
 * e = exp(beta * v), stored at dst + i and kept in local dx; term1 = g * (e - 1),
 * term2 = (g * v) * e where v <= 0, else 0 (dBeta = alpha * sum 2).
 */
function mpeluBackwardPhases(input: string, grad: string, dst: string): Phase[] {
  const [v, g] = ['v', 'g'];
  return [
    (u) => {
      u.load(input, 'i').set(u.v(v));
      u.load(grad, 'i').set(u.v(g));
      u.code.get(u.v(v));
      u.load('p1', 'ch').simd('f32x4.mul').set(u.v('t'));
    },
    ...expPhases('t', 'k', 'r', 'e'),
    (u) => {
      const [e, pos] = [u.v('e'), u.v('pos')];
      u.code.get(u.v(v)).i32x4(0).simd('f32x4.gt').set(pos);
      addr(u.f, dst, 'i').get(u.v(g)).get(u.v(g));
      u.load('p2', 'ch').simd('f32x4.mul').get(e).simd('f32x4.mul').get(pos).simd('v128.bitselect').tee(u.v('dx')).v128Store(u.off);
      u.code.get(u.v(g)).get(e);
      u.code.f32x4(1).simd('f32x4.sub').simd('f32x4.mul').get(pos).simd('v128.andnot').set(u.v('term1'));
      u.code.get(u.v(g)).get(u.v(v)).simd('f32x4.mul').get(e).simd('f32x4.mul').get(pos).simd('v128.andnot').set(u.v('term2'));
    },
  ];
}

/** MPELU backward; prm rows: alpha, beta, fround(alpha*beta). */
const mpeluBackwardKernel: KernelSpec = {
  name: 'mpelu_backward',
  data: ['x', 'dy', 'dx'],
  nParamRows: 3,
  nTerms: 2,
  phases: mpeluBackwardPhases('x', 'dy', 'dx'),
};

/**
 * MPELU backward and the batch-norm backward sums of the batch norm before it, in one pass
 * (the nopre unit's pair); prm rows: alpha, beta, fround(alpha*beta), mean. y is MPELU's
 * input (the batch norm's output), dz its gradient, x the batch norm's input; d = MPELU's dx
 * (stored: the batch norm's dy). term1, term2 as mpelu_backward; term3 = d, term4 = (x - mean) * d
 * as bn_backward_sums.
 */
const mpeluBnBackwardKernel: KernelSpec = {
  name: 'mpelu_bn_backward',
  data: ['y', 'dz', 'x', 'd'],
  nParamRows: 4,
  nTerms: 4,
  phases: [
    ...mpeluBackwardPhases('y', 'dz', 'd'),
    (u) => {
      u.code.get(u.v('dx')).tee(u.v('term3'));
      u.load('x', 'i');
      u.load('p3', 'ch').simd('f32x4.sub').simd('f32x4.mul').set(u.v('term4'));
    },
  ],
};

/** Batch-norm moments; prm row: shift. term1 = x - shift, term2 = (x - shift)^2. */
const bnMomentsKernel: KernelSpec = {
  name: 'bn_moments',
  data: ['x'],
  nParamRows: 1,
  nTerms: 2,
  phases: [
    (u) => {
      u.load('x', 'i');
      u.load('prm', 'ch').simd('f32x4.sub').tee(u.v('term1')).get(u.v('term1')).simd('f32x4.mul').set(u.v('term2'));
    },
  ],
};

/** The first moment pass alone; prm row: shift. term1 = x - shift (the same sums as bn_moments' term1). */
const bnShiftedSumKernel: KernelSpec = {
  name: 'bn_shifted_sum',
  data: ['x'],
  nParamRows: 1,
  nTerms: 1,
  phases: [
    (u) => {
      u.load('x', 'i');
      u.load('prm', 'ch').simd('f32x4.sub').set(u.v('term1'));
    },
  ],
};

/** Batch-norm backward sums; prm row: mean. term1 = dy, term2 = (x - mean) * dy. */
const bnBackwardSumsKernel: KernelSpec = {
  name: 'bn_backward_sums',
  data: ['x', 'dy'],
  nParamRows: 1,
  nTerms: 2,
  phases: [
    (u) => {
      u.load('dy', 'i').tee(u.v('term1'));
      u.load('x', 'i');
      u.load('prm', 'ch').simd('f32x4.sub').simd('f32x4.mul').set(u.v('term2'));
    },
  ],
};

/** Pushes ((x - m) * s) * w + b from the rows prm, p1, p2, p3 (THNN's batch-norm output in its float order). */
function affine(u: Unit): Code {
  u.load('x', 'i');
  u.load('prm', 'ch').simd('f32x4.sub');
  u.load('p1', 'ch').simd('f32x4.mul');
  u.load('p2', 'ch').simd('f32x4.mul');
  return u.load('p3', 'ch').simd('f32x4.add');
}

/**
 * y = ((x - m) * s) * w + b; prm rows: m, s, w, b. THNN's batch-norm output expression
 * in its float order (s = invstd); eval backward with m = b = 0, w = 1.
 */
const bnAffineKernel: KernelSpec = {
  name: 'bn_affine',
  data: ['x', 'y'],
  nParamRows: 4,
  phases: [
    (u) => {
      addr(u.f, 'y', 'i');
      affine(u).v128Store(u.off);
    },
  ],
};

/**
 * Batch norm then MPELU in one pass (the nopre unit's pair): y = ((x - m) * s) * w + b as
 * bn_affine, z = mpelu(y) as mpelu_forward, both stored; prm rows: m, s, w, b, alpha, beta.
 */
const bnAffineMpeluKernel: KernelSpec = {
  name: 'bn_affine_mpelu',
  data: ['x', 'y', 'z'],
  nParamRows: 6,
  phases: [
    (u) => {
      affine(u).set(u.v('v'));
      addr(u.f, 'y', 'i').get(u.v('v')).v128Store(u.off);
    },
    ...mpeluStorePhases('v', 'z', 'p4', 'p5'),
  ],
};

/** Training-mode batch-norm dx = (dy * a + d) + (x - m) * k; prm rows: m, a, k, d. */
const bnBackwardDxKernel: KernelSpec = {
  name: 'bn_backward_dx',
  data: ['x', 'dy', 'dx'],
  nParamRows: 4,
  phases: [
    (u) => {
      addr(u.f, 'dx', 'i');
      u.load('dy', 'i');
      u.load('p1', 'ch').simd('f32x4.mul');
      u.load('p3', 'ch').simd('f32x4.add');
      u.load('x', 'i');
      u.load('prm', 'ch').simd('f32x4.sub');
      u.load('p2', 'ch').simd('f32x4.mul').simd('f32x4.add').v128Store(u.off);
    },
  ],
};

/** y = a + b (float32, as tfjs's Add): the residual adds, split over the threads. */
const addKernel: KernelSpec = {
  name: 'add',
  data: ['a', 'b', 'y'],
  nParamRows: 0,
  phases: [
    (u) => {
      addr(u.f, 'y', 'i');
      u.load('a', 'i');
      u.load('b', 'i').simd('f32x4.add').v128Store(u.off);
    },
  ],
};

const KERNELS: readonly FuncDef[] = [
  ...[expKernel, mpeluForwardKernel, mpeluBackwardKernel, bnMomentsKernel, bnShiftedSumKernel, bnBackwardSumsKernel, bnAffineKernel, bnBackwardDxKernel, addKernel, bnAffineMpeluKernel, mpeluBnBackwardKernel].flatMap(variants),
  sumRunsKernel(),
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

/** Each kernel's [one-vector, unrolled] function names. */
const UNROLLED_NAMES = new Map<string, [string, string]>();

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
    const fn = this.kernel(split, name, W);
    for (let c = 0; c < chunks; c++) {
      const [r0, r1] = partRange(c, rows, chunks);
      split.call(partOf(c, chunks, split.parts), fn, [...ptrs.map((q) => q + r0 * 4 * W), prm, acc + c * chunkBytes, (r1 - r0) * 4 * W, 4 * W]);
    }
    split.finish();
    if (chunks > 1) this.k['sum_runs']!(acc, chunkBytes / 16, chunkBytes, chunks);
    // one copy out of the scratch (each new typed array costs microseconds), a view per term
    const a = new Float64Array(this.heap.memory.buffer, acc, terms * W).slice();
    const sums: Float64Array[] = [];
    for (let t = 0; t < terms; t++) sums.push(a.subarray(t * W, (t + 1) * W));
    return sums;
  }

  /** The kernel for rows of W floats: the unrolled variant when a row holds whole groups of its vectors. */
  private kernel(split: SplitCalls, name: string, W: number): ReturnType<SplitCalls['fn']> {
    const unrolled = W % (4 * UNROLL) === 0;
    // the name looked up once: a key built per call costs a string-table lookup every time
    let names = UNROLLED_NAMES.get(name);
    if (!names) UNROLLED_NAMES.set(name, (names = [name, unrolledName(name)]));
    const kname = names[unrolled ? 1 : 0];
    return split.fn('mpelu_batchnorm', simdModuleBytes, kname, this.k[kname]!);
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
    const fn = this.kernel(split, name, W);
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
