// Fused MPELU and batch-norm kernels for the cpu and wasm backends: each reads and
// writes the tensors' backing Float32Arrays directly (cpu: the backend's value arrays;
// wasm: the wasm heap at the tensors' memory offsets), so MPELU costs one pass over the
// activation forward and one backward instead of five or more tfjs ops.
// ops.ts falls back to tfjs composites where these are not registered (tensorflow).
//
// On wasm the passes are WebAssembly SIMD functions (wasm_simd.ts) that import the
// backend's memory, for channels-last tensors with per-channel parameters and any tensor
// with shared ones; other layouts, and engines without wasm SIMD, use the JS loops below.
//
// JS loop arithmetic: per-element work in float64 rounded to float32 on store, except that
// exp(beta*x) is rounded to float32 before subtracting 1, as float32 Torch and the
// tfjs composite do. Per-channel sums accumulate in float64 (Torch's accreal).
// SIMD arithmetic: float32 per element as Torch's float kernels (exp within 1 ulp of the
// correctly rounded value; batch-norm output in THNN's float order), every float32 term of
// a per-channel sum added into float64 as Torch's accreal.

import * as tf from '@tensorflow/tfjs-core';
import { fold, SimdKernels, simdSupported, simdWidth, tile } from './wasm_simd.js';
import { perHeap, type WasmHeapBackend } from './wasm_heap.js';

export const FUSED = {
  mpeluForward: 'MpeluMpeluForward',
  mpeluBackward: 'MpeluMpeluBackward',
  batchNormTrain: 'MpeluBatchNormTrain',
  batchNormEval: 'MpeluBatchNormEval',
  batchNormBackward: 'MpeluBatchNormBackward',
} as const;

let fusedEnabled = true;

/** Turns the fused kernels on or off (off: ops.ts uses the tfjs composites, e.g. to benchmark them). */
export function setFusedKernelsEnabled(on: boolean): void {
  fusedEnabled = on;
}

export function fusedKernelsEnabled(): boolean {
  return fusedEnabled;
}

let simdEnabled = typeof process === 'undefined' || process.env?.['MPELU_WASM_SIMD'] !== '0';

/**
 * Turns the wasm SIMD kernels on or off (off: wasm runs MPELU with the JS loops and batch
 * norm with the tfjs composite, as before the SIMD kernels; MPELU_WASM_SIMD=0 starts off).
 */
export function setWasmSimdEnabled(on: boolean): void {
  simdEnabled = on;
}

/** Whether the wasm backend's fused kernels run as WebAssembly SIMD (enabled and compilable). */
export function wasmSimdActive(): boolean {
  return simdEnabled && simdSupported();
}

const runs = { simd: 0, loop: 0 };

/** How many wasm fused-kernel calls ran as SIMD and as JS loops (for tests and benchmarks). */
export function wasmFusedRuns(): { simd: number; loop: number } {
  return { ...runs };
}

/**
 * Kernels that wasm only uses in their SIMD form (the JS loop loses to the tfjs composite).
 * The training forward is always fused: the composite's float32 statistics are too coarse.
 */
const WASM_SIMD_ONLY = new Set<string>([FUSED.batchNormEval, FUSED.batchNormBackward]);

/** Whether the active backend has the fused kernel `name` (and fusion is enabled). */
export function hasFusedKernel(name: string): boolean {
  if (!fusedEnabled) return false;
  const backend = tf.getBackend();
  if (backend === 'wasm' && WASM_SIMD_ONLY.has(name) && !wasmSimdActive()) return false;
  return tf.getKernel(name, backend) !== undefined;
}

type Info = tf.TensorInfo;
type F32 = Float32Array;
type Attrs = Record<string, unknown>;

interface FusedSpec {
  name: string;
  /** Output shapes (all float32). */
  outputs(inputs: Record<string, Info>, attrs: Attrs): number[][];
  /** Fills `outs` from `ins` (inputs that were not given are absent). */
  run(ins: Record<string, F32>, outs: F32[], inputs: Record<string, Info>, attrs: Attrs): void;
  /** wasm: fills the outputs with the SIMD kernels; false when the layout is not covered. */
  simd?(call: SimdCall): boolean;
}

/**
 * What a SIMD kernel gets: heap offsets and fresh heap views. A view must not be held
 * across a kernel call (the scratch malloc may grow the heap and detach it).
 */
interface SimdCall {
  k: SimdKernels;
  inputs: Record<string, Info>;
  outs: Info[];
  attrs: Attrs;
  off(info: Info): number;
  view(info: Info): F32;
}

interface CpuBackendLike extends tf.KernelBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): Info;
}

interface WasmBackendLike extends WasmHeapBackend {
  typedArrayFromHeap(info: Info): tf.TypedArray;
}

const simdByHeap = perHeap((heap) => new SimdKernels(heap));

/** The SIMD kernels bound to this backend's heap (null when inactive or unavailable). */
function simdFor(backend: WasmBackendLike): SimdKernels | null {
  if (!wasmSimdActive()) return null;
  return simdByHeap(backend);
}

function checkFloat(name: string, inputs: Record<string, Info>): void {
  for (const [k, v] of Object.entries(inputs)) {
    if (v.dtype !== 'float32') throw new TypeError(`${name}: input '${k}' must be float32, got ${v.dtype}`);
  }
}

function cpuKernel(spec: FusedSpec): tf.KernelFunc {
  return ((args: { inputs: Record<string, Info>; backend: CpuBackendLike; attrs: Attrs }) => {
    const { inputs, backend, attrs } = args;
    checkFloat(spec.name, inputs);
    const ins: Record<string, F32> = {};
    // The cpu backend's readSync returns its own array (no copy) for float32 data.
    for (const [k, v] of Object.entries(inputs)) ins[k] = backend.readSync(v.dataId) as F32;
    const shapes = spec.outputs(inputs, attrs);
    const outs = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
    spec.run(ins, outs, inputs, attrs);
    const infos = outs.map((o, i) => backend.makeTensorInfo(shapes[i]!, 'float32', o));
    return infos.length === 1 ? infos[0]! : infos;
  }) as unknown as tf.KernelFunc;
}

function wasmKernel(spec: FusedSpec): tf.KernelFunc {
  return ((args: { inputs: Record<string, Info>; backend: WasmBackendLike; attrs: Attrs }) => {
    const { inputs, backend, attrs } = args;
    checkFloat(spec.name, inputs);
    const shapes = spec.outputs(inputs, attrs);
    // Allocate every output first: a malloc may grow the heap and detach earlier views.
    const infos = shapes.map((s) => backend.makeOutput(s, 'float32'));
    const k = spec.simd ? simdFor(backend) : null;
    if (k) {
      const call: SimdCall = {
        k, inputs, outs: infos, attrs,
        off: (i) => backend.getMemoryOffset(i.dataId),
        view: (i) => backend.typedArrayFromHeap(i) as F32,
      };
      if (spec.simd!(call)) {
        runs.simd++;
        return infos.length === 1 ? infos[0]! : infos;
      }
    }
    runs.loop++;
    const ins: Record<string, F32> = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = backend.typedArrayFromHeap(v) as F32;
    const outs = infos.map((i) => backend.typedArrayFromHeap(i) as F32);
    spec.run(ins, outs, inputs, attrs);
    return infos.length === 1 ? infos[0]! : infos;
  }) as unknown as tf.KernelFunc;
}

// ---------------------------------------------------------------------------------
// MPELU. Layout: x viewed as [outer, C, inner] around the channel axis (inner = 1 for
// channels last). alpha / beta have C entries or 1 (shared).

/**
 * A channels-last batch-norm input as rows for the SIMD kernels: C channels, row width W
 * (C tiled to whole vectors), its element count and n = total / C; null when it does not tile.
 */
function channelRows(x: Info): { total: number; C: number; W: number; n: number } | null {
  const total = tf.util.sizeFromShape(x.shape);
  const C = x.shape[x.shape.length - 1]!;
  const W = simdWidth(total, C);
  return W === null ? null : { total, C, W, n: total / C };
}

function layout(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

export function mpeluForwardLoop(x: F32, y: F32, alpha: F32, beta: F32, outer: number, C: number, inner: number): void {
  const as = alpha.length === 1 ? 0 : 1;
  const bs = beta.length === 1 ? 0 : 1;
  let i = 0;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < C; c++, i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : alpha[c * as]! * (Math.fround(Math.exp(beta[c * bs]! * v)) - 1);
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      const a = alpha[c * as]!;
      const b = beta[c * bs]!;
      for (const end = i + inner; i < end; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : a * (Math.fround(Math.exp(b * v)) - 1);
      }
    }
  }
}

/** dx into `dx`; per-channel sums into gA, gB (float64, length C). */
export function mpeluBackwardLoop(
  x: F32, dy: F32, alpha: F32, beta: F32, dx: F32, gA: Float64Array, gB: Float64Array,
  outer: number, C: number, inner: number,
): void {
  const as = alpha.length === 1 ? 0 : 1;
  const bs = beta.length === 1 ? 0 : 1;
  let i = 0;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < C; c++, i++) {
        const v = x[i]!;
        const g = dy[i]!;
        if (v > 0) {
          dx[i] = g;
        } else {
          const a = alpha[c * as]!;
          const b = beta[c * bs]!;
          const e = Math.fround(Math.exp(b * v));
          dx[i] = g * a * b * e;
          gA[c]! += g * (e - 1);
          gB[c]! += g * a * v * e;
        }
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      const a = alpha[c * as]!;
      const b = beta[c * bs]!;
      const ab = a * b;
      let sa = 0;
      let sb = 0;
      for (const end = i + inner; i < end; i++) {
        const v = x[i]!;
        const g = dy[i]!;
        if (v > 0) {
          dx[i] = g;
        } else {
          const e = Math.fround(Math.exp(b * v));
          dx[i] = g * ab * e;
          sa += g * (e - 1);
          sb += g * v * e;
        }
      }
      gA[c]! += sa;
      gB[c]! += a * sb;
    }
  }
}

function reduceTo(g: Float64Array, out: F32): void {
  if (out.length === g.length) {
    for (let c = 0; c < g.length; c++) out[c] = g[c]!;
  } else {
    let s = 0;
    for (let c = 0; c < g.length; c++) s += g[c]!;
    out[0] = s;
  }
}

/**
 * SIMD row geometry for MPELU: channels fastest (inner = 1) with per-channel parameters,
 * or shared parameters over any layout. Returns [W, Cp] (Cp = 1 when both are shared) or null.
 */
function mpeluSimdGeometry(call: SimdCall): [number, number] | null {
  const x = call.inputs['x']!;
  const [, C, inner] = layout(x.shape, call.attrs['axis'] as number);
  const Cp = Math.max(call.inputs['alpha']!.shape[0]!, call.inputs['beta']!.shape[0]!) === 1 ? 1 : C;
  if (Cp > 1 && inner !== 1) return null;
  const W = simdWidth(tf.util.sizeFromShape(x.shape), Cp);
  return W === null ? null : [W, Cp];
}

const mpeluForwardSpec: FusedSpec = {
  name: FUSED.mpeluForward,
  outputs: (inputs) => [inputs['x']!.shape.slice()],
  run: (ins, outs, inputs, attrs) => {
    const [outer, C, inner] = layout(inputs['x']!.shape, attrs['axis'] as number);
    mpeluForwardLoop(ins['x']!, outs[0]!, ins['alpha']!, ins['beta']!, outer, C, inner);
  },
  simd: (call) => {
    const g = mpeluSimdGeometry(call);
    if (!g) return false;
    const [W] = g;
    const { k, inputs, outs, off, view } = call;
    const x = inputs['x']!;
    const alpha = tile(view(inputs['alpha']!), W);
    const beta = tile(view(inputs['beta']!), W);
    k.mpeluForward(off(x), off(outs[0]!), tf.util.sizeFromShape(x.shape), W, alpha, beta);
    return true;
  },
};

const mpeluBackwardSpec: FusedSpec = {
  name: FUSED.mpeluBackward,
  outputs: (inputs) => [inputs['x']!.shape.slice(), inputs['alpha']!.shape.slice(), inputs['beta']!.shape.slice()],
  run: (ins, outs, inputs, attrs) => {
    const [outer, C, inner] = layout(inputs['x']!.shape, attrs['axis'] as number);
    const gA = new Float64Array(C);
    const gB = new Float64Array(C);
    mpeluBackwardLoop(ins['x']!, ins['dy']!, ins['alpha']!, ins['beta']!, outs[0]!, gA, gB, outer, C, inner);
    reduceTo(gA, outs[1]!);
    reduceTo(gB, outs[2]!);
  },
  simd: (call) => {
    const g = mpeluSimdGeometry(call);
    if (!g) return false;
    const [W, Cp] = g;
    const { k, inputs, outs, off, view } = call;
    const x = inputs['x']!;
    const a = view(inputs['alpha']!).slice();
    const alpha = tile(a, W);
    const beta = tile(view(inputs['beta']!), W);
    const [sA, sB] = k.mpeluBackward(off(x), off(inputs['dy']!), off(outs[0]!), tf.util.sizeFromShape(x.shape), W, alpha, beta);
    const gA = fold(sA, Cp);
    const gB = fold(sB, Cp);
    for (let c = 0; c < Cp; c++) gB[c]! *= a[c % a.length]!;
    reduceTo(gA, view(outs[1]!));
    reduceTo(gB, view(outs[2]!));
    return true;
  },
};

// ---------------------------------------------------------------------------------
// Batch norm over every axis but the last (channels last): x viewed as [n, C].

/**
 * Per-channel mean and sum of squared deviations in one read pass (float64, shifted by
 * each channel's first value so the difference of sums does not cancel).
 */
export function bnStatsLoop(x: F32, n: number, C: number, mean: Float64Array, ssd: Float64Array): void {
  const shift = new Float64Array(C);
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  for (let c = 0; c < C; c++) shift[c] = x[c]!;
  let i = 0;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++, i++) {
      const d = x[i]! - shift[c]!;
      s1[c]! += d;
      s2[c]! += d * d;
    }
  }
  for (let c = 0; c < C; c++) {
    const m1 = s1[c]! / n;
    mean[c] = shift[c]! + m1;
    ssd[c] = Math.max(0, s2[c]! - s1[c]! * m1);
  }
}

/** y = x * scale[c] + shift[c]. */
export function affineLoop(x: F32, y: F32, n: number, C: number, scale: Float64Array, shift: Float64Array): void {
  let i = 0;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++, i++) y[i] = x[i]! * scale[c]! + shift[c]!;
  }
}

const batchNormTrainSpec: FusedSpec = {
  name: FUSED.batchNormTrain,
  outputs: (inputs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    return [s.slice(), [C], [C], [C]];
  },
  run: (ins, outs, inputs, attrs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    const n = tf.util.sizeFromShape(s) / C;
    const eps = attrs['eps'] as number;
    const x = ins['x']!;
    const w = ins['weight'];
    const b = ins['bias'];
    const mean = new Float64Array(C);
    const ssd = new Float64Array(C);
    bnStatsLoop(x, n, C, mean, ssd);
    const scale = new Float64Array(C);
    const shift = new Float64Array(C);
    const [, meanOut, invstdOut, varOut] = outs as [F32, F32, F32, F32];
    for (let c = 0; c < C; c++) {
      // THNN: mean and invstd are stored as floats and then used.
      const m = Math.fround(mean[c]!);
      const invstd = ssd[c] === 0 && eps === 0 ? 0 : Math.fround(1 / Math.sqrt(ssd[c]! / n + eps));
      meanOut[c] = m;
      invstdOut[c] = invstd;
      varOut[c] = ssd[c]! / (n - 1);
      const wc = w ? w[c]! : 1;
      scale[c] = invstd * wc;
      shift[c] = (b ? b[c]! : 0) - m * invstd * wc;
    }
    affineLoop(x, outs[0]!, n, C, scale, shift);
  },
  simd: (call) => {
    const { k, inputs, outs, attrs, off, view } = call;
    const xi = inputs['x']!;
    const rows = channelRows(xi);
    if (rows === null) return false;
    const { total, C, W, n } = rows;
    const eps = attrs['eps'] as number;
    const xo = off(xi);
    // THNN: mean = float(sum x / n) in double; ssd = sum over float (x - mean)^2 in double.
    // Pass 1, shifted by the first row, gives a mean good to a few float32 ulps; pass 2,
    // shifted by that mean rounded to float32, sums small deviations (no cancellation).
    const x0 = view(xi).slice(0, C);
    const [p1] = k.moments(xo, total, W, tile(x0, W));
    const s1 = fold(p1, C);
    const shift = x0.map((v, c) => v + s1[c]! / n);
    const [q1, q2] = k.moments(xo, total, W, tile(shift, W));
    const d1 = fold(q1, C);
    const d2 = fold(q2, C);
    const w = inputs['weight'] ? view(inputs['weight']).slice() : null;
    const b = inputs['bias'] ? view(inputs['bias']).slice() : null;
    const m = new Float32Array(C);
    const invstd = new Float32Array(C);
    const varUnbiased = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const ssd = Math.max(0, d2[c]! - (d1[c]! * d1[c]!) / n);
      m[c] = shift[c]! + d1[c]! / n;
      invstd[c] = ssd === 0 && eps === 0 ? 0 : 1 / Math.sqrt(ssd / n + eps);
      varUnbiased[c] = ssd / (n - 1);
    }
    view(outs[1]!).set(m);
    view(outs[2]!).set(invstd);
    view(outs[3]!).set(varUnbiased);
    k.affine(xo, off(outs[0]!), total, W, tile(m, W), tile(invstd, W), tile(w ?? [1], W), tile(b ?? [0], W));
    return true;
  },
};

const batchNormEvalSpec: FusedSpec = {
  name: FUSED.batchNormEval,
  outputs: (inputs) => [inputs['x']!.shape.slice()],
  run: (ins, outs, inputs, attrs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    const n = tf.util.sizeFromShape(s) / C;
    const eps = attrs['eps'] as number;
    const rm = ins['runningMean']!;
    const rv = ins['runningVar']!;
    const w = ins['weight'];
    const b = ins['bias'];
    const scale = new Float64Array(C);
    const shift = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const invstd = Math.fround(1 / Math.sqrt(rv[c]! + eps));
      const wc = w ? w[c]! : 1;
      scale[c] = invstd * wc;
      shift[c] = (b ? b[c]! : 0) - rm[c]! * invstd * wc;
    }
    affineLoop(ins['x']!, outs[0]!, n, C, scale, shift);
  },
  simd: (call) => {
    const { k, inputs, outs, attrs, off, view } = call;
    const xi = inputs['x']!;
    const rows = channelRows(xi);
    if (rows === null) return false;
    const { total, C, W } = rows;
    const eps = attrs['eps'] as number;
    const rm = view(inputs['runningMean']!).slice();
    const rv = view(inputs['runningVar']!);
    const invstd = new Float32Array(C);
    for (let c = 0; c < C; c++) invstd[c] = 1 / Math.sqrt(rv[c]! + eps);
    const w = inputs['weight'] ? view(inputs['weight']).slice() : [1];
    const b = inputs['bias'] ? view(inputs['bias']).slice() : [0];
    k.affine(off(xi), off(outs[0]!), total, W, tile(rm, W), tile(invstd, W), tile(w, W), tile(b, W));
    return true;
  },
};

/**
 * THNN BatchNormalization_backward: with dotp = sum((x - mean) * dy), sum = sum(dy),
 * train: dx = (dy - sum/n - (x - mean) * dotp * invstd^2 / n) * invstd * w
 * eval:  dx = dy * invstd * w;  dWeight = dotp * invstd, dBias = sum (unscaled).
 */
export function bnBackwardLoop(
  x: F32, dy: F32, mean: F32, invstd: F32, weight: F32 | undefined, train: boolean,
  n: number, C: number, dx: F32, dotp: Float64Array, sum: Float64Array,
): void {
  let i = 0;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++, i++) {
      const g = dy[i]!;
      sum[c]! += g;
      dotp[c]! += (x[i]! - mean[c]!) * g;
    }
  }
  const a = new Float64Array(C);
  const k = new Float64Array(C);
  const d = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const is = invstd[c]!;
    const wi = is * (weight ? weight[c]! : 1);
    if (train) {
      // dx = dy*wi - (x - mean)*k*wi - (sum/n)*wi = dy*a + x*kk + d
      const kc = Math.fround((dotp[c]! * is * is) / n);
      a[c] = wi;
      k[c] = -kc * wi;
      d[c] = (mean[c]! * kc - sum[c]! / n) * wi;
    } else {
      a[c] = wi;
      k[c] = 0;
      d[c] = 0;
    }
  }
  i = 0;
  if (train) {
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < C; c++, i++) dx[i] = dy[i]! * a[c]! + x[i]! * k[c]! + d[c]!;
    }
  } else {
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < C; c++, i++) dx[i] = dy[i]! * a[c]!;
    }
  }
}

const batchNormBackwardSpec: FusedSpec = {
  name: FUSED.batchNormBackward,
  outputs: (inputs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    return inputs['weight'] ? [s.slice(), [C], [C]] : [s.slice()];
  },
  run: (ins, outs, inputs, attrs) => {
    const s = inputs['x']!.shape;
    const C = s[s.length - 1]!;
    const n = tf.util.sizeFromShape(s) / C;
    const dotp = new Float64Array(C);
    const sum = new Float64Array(C);
    const invstd = ins['invstd']!;
    bnBackwardLoop(ins['x']!, ins['dy']!, ins['mean']!, invstd, ins['weight'], attrs['train'] as boolean, n, C, outs[0]!, dotp, sum);
    if (ins['weight']) {
      const dW = outs[1]!;
      const dB = outs[2]!;
      for (let c = 0; c < C; c++) {
        dW[c] = dotp[c]! * invstd[c]!;
        dB[c] = sum[c]!;
      }
    }
  },
  simd: (call) => {
    const { k, inputs, outs, attrs, off, view } = call;
    const xi = inputs['x']!;
    const rows = channelRows(xi);
    if (rows === null) return false;
    const { total, C, W, n } = rows;
    const train = attrs['train'] as boolean;
    const hasWeight = inputs['weight'] !== undefined;
    const mean = view(inputs['mean']!).slice();
    const invstd = view(inputs['invstd']!).slice();
    const w = hasWeight ? view(inputs['weight']!).slice() : null;
    const xo = off(xi);
    const dyo = off(inputs['dy']!);
    let sum: Float64Array = new Float64Array(C);
    let dotp: Float64Array = new Float64Array(C);
    if (train || hasWeight) {
      const [ps, pd] = k.backwardSums(xo, dyo, total, W, tile(mean, W));
      sum = fold(ps, C);
      dotp = fold(pd, C);
    }
    const wi = invstd.map((s, c) => s * (w ? w[c]! : 1));
    if (train) {
      // dx = (dy - sum/n - (x - mean) * kc) * wi = (dy * wi + d) + (x - mean) * (-kc * wi)
      const kk = new Float32Array(C);
      const d = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        const kc = Math.fround((dotp[c]! * invstd[c]! * invstd[c]!) / n);
        kk[c] = -kc * wi[c]!;
        d[c] = (-sum[c]! / n) * wi[c]!;
      }
      k.backwardDx(xo, dyo, off(outs[0]!), total, W, tile(mean, W), tile(wi, W), tile(kk, W), tile(d, W));
    } else {
      k.affine(dyo, off(outs[0]!), total, W, new Float32Array(W), tile(invstd, W), tile(w ?? [1], W), new Float32Array(W));
    }
    if (hasWeight) {
      const dW = view(outs[1]!);
      for (let c = 0; c < C; c++) dW[c] = dotp[c]! * invstd[c]!;
      view(outs[2]!).set(sum);
    }
    return true;
  },
};

const MPELU_SPECS: readonly FusedSpec[] = [mpeluForwardSpec, mpeluBackwardSpec];
const BN_SPECS: readonly FusedSpec[] = [batchNormTrainSpec, batchNormEvalSpec, batchNormBackwardSpec];

/**
 * Which fused kernels each backend gets. Measured on 32x64x32x32 (bench/fused.bench.ts):
 * on cpu every fused kernel wins by 5-35x; on wasm the JS loops over the heap win for
 * MPELU (forward 52 vs 70 ms, backward 61 vs 210 ms) but lose to wasm's own SIMD
 * elementwise kernels for batch norm eval (29 vs 21 ms) and backward (21 vs 18 ms).
 * wasm still takes the training forward: tfjs-wasm's Mean/Sum accumulate in float32,
 * so the composite's batch statistics drift by ~1e-6 relative over a 4x16x32x32 batch,
 * enough to move an activation across MPELU's kink and change a Torch7 replay by 0.6%
 * (test/resnet.test.ts); the float64 sums here cost no time (15 vs 16 ms).
 * With WebAssembly SIMD (wasm_simd.ts) wasm takes every batch-norm kernel; eval and
 * backward are only used in that form (WASM_SIMD_ONLY: hasFusedKernel says no otherwise).
 * SIMD vs JS loop on wasm, 32x64x32x32: MPELU forward 5.8 vs 34 ms, backward 7.3 vs 42;
 * batch norm train 5.2 vs 16, eval 1.7 vs 2.8 (composite), backward 3.8 vs 19 (composite).
 */
const PLAN: readonly [string, (spec: FusedSpec) => tf.KernelFunc, readonly FusedSpec[]][] = [
  ['cpu', cpuKernel, [...MPELU_SPECS, ...BN_SPECS]],
  ['wasm', wasmKernel, [...MPELU_SPECS, ...BN_SPECS]],
];

let registered = false;

/** Registers the fused kernels for cpu and wasm (see PLAN). Idempotent. */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  for (const [backendName, make, specs] of PLAN) {
    for (const spec of specs) {
      if (tf.getKernel(spec.name, backendName)) tf.unregisterKernel(spec.name, backendName);
      tf.registerKernel({ kernelName: spec.name, backendName, kernelFunc: make(spec) });
    }
  }
}
