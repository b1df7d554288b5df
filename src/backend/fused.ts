// Fused MPELU and batch-norm kernels for the cpu and wasm backends: each reads and
// writes the tensors' backing Float32Arrays directly (cpu: the backend's value arrays;
// wasm: views of the wasm heap at the tensors' memory offsets), so MPELU costs one pass
// over the activation forward and one backward instead of five or more tfjs ops.
// ops.ts falls back to tfjs composites where these are not registered (tensorflow).
//
// Arithmetic: per-element work in float64 rounded to float32 on store, except that
// exp(beta*x) is rounded to float32 before subtracting 1, as float32 Torch and the
// tfjs composite do. Per-channel sums accumulate in float64 (Torch's accreal).

import * as tf from '@tensorflow/tfjs-core';

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

/** Whether the active backend has the fused kernel `name` (and fusion is enabled). */
export function hasFusedKernel(name: string): boolean {
  return fusedEnabled && tf.getKernel(name, tf.getBackend()) !== undefined;
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
}

interface CpuBackendLike extends tf.KernelBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): Info;
}

interface WasmBackendLike extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): Info;
  typedArrayFromHeap(info: Info): tf.TypedArray;
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

const mpeluForwardSpec: FusedSpec = {
  name: FUSED.mpeluForward,
  outputs: (inputs) => [inputs['x']!.shape.slice()],
  run: (ins, outs, inputs, attrs) => {
    const [outer, C, inner] = layout(inputs['x']!.shape, attrs['axis'] as number);
    mpeluForwardLoop(ins['x']!, outs[0]!, ins['alpha']!, ins['beta']!, outer, C, inner);
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
 */
const PLAN: readonly [string, (spec: FusedSpec) => tf.KernelFunc, readonly FusedSpec[]][] = [
  ['cpu', cpuKernel, [...MPELU_SPECS, ...BN_SPECS]],
  ['wasm', wasmKernel, [...MPELU_SPECS, batchNormTrainSpec]],
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
