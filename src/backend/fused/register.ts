// Registers the fused MPELU and batch-norm kernels (specs in mpelu.ts and batchnorm.ts)
// as tfjs kernels for the cpu and wasm backends: each reads and writes the tensors'
// backing Float32Arrays directly (cpu: the backend's value arrays; wasm: the wasm heap at
// the tensors' memory offsets), so MPELU costs one pass over the activation forward and
// one backward instead of five or more tfjs ops. layer_ops.ts falls back to tfjs
// composites where these are not registered (tensorflow).
//
// On wasm the passes are WebAssembly SIMD functions (../wasm/mpelu_batchnorm.ts) that
// import the backend's memory, for channels-last tensors with per-channel parameters and
// any tensor with shared ones; other layouts, and engines without wasm SIMD (or with
// MPELU_WASM_SIMD=0), use the JS loops.

import { tf } from '../../torch/tfjs_core.js';
import { perHeap, type WasmHeapBackend } from '../wasm/heap.js';
import { wasmSimd } from '../wasm/kill_switch.js';
import { SimdKernels, simdSupported } from '../wasm/mpelu_batchnorm.js';
import { batchNormBackwardSpec, batchNormEvalSpec, batchNormTrainSpec, mpeluBatchNormBackwardSpec } from './batchnorm.js';
import { mpeluBackwardSpec, mpeluForwardSpec } from './mpelu.js';
import { FUSED, type Attrs, type F32, type FusedSpec, type Info, type SimdCall } from './spec.js';

export { FUSED } from './spec.js';

let fusedEnabled = true;

/** Turns the fused kernels on or off (off: layer_ops.ts uses the tfjs composites, e.g. to benchmark them). */
export function setFusedKernelsEnabled(on: boolean): void {
  fusedEnabled = on;
}

export function fusedKernelsEnabled(): boolean {
  return fusedEnabled;
}

/**
 * Whether the wasm backend's fused kernels run as WebAssembly SIMD: switched on (wasmSimd,
 * MPELU_WASM_SIMD) and compilable here.
 */
export function wasmSimdActive(): boolean {
  return wasmSimd.enabled() && simdSupported();
}

let loopRuns = 0;

/** How many wasm fused-kernel calls ran as SIMD and as JS loops (for tests and benchmarks). */
export function wasmFusedRuns(): { simd: number; loop: number } {
  return { simd: wasmSimd.runs(), loop: loopRuns };
}

/**
 * Kernels that wasm only uses in their SIMD form (the JS loop loses to the tfjs composite).
 * The training forward is always fused: the composite's float32 statistics are too coarse.
 */
const WASM_SIMD_ONLY = new Set<string>([FUSED.batchNormEval, FUSED.batchNormBackward, FUSED.mpeluBatchNormBackward]);

/** Whether the active backend has the fused kernel `name` (and fusion is enabled). */
export function hasFusedKernel(name: string): boolean {
  if (!fusedEnabled) return false;
  const backend = tf.getBackend();
  if (backend === 'wasm' && WASM_SIMD_ONLY.has(name) && !wasmSimdActive()) return false;
  return tf.getKernel(name, backend) !== undefined;
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
        wasmSimd.ran();
        return infos.length === 1 ? infos[0]! : infos;
      }
    }
    loopRuns++;
    const ins: Record<string, F32> = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = backend.typedArrayFromHeap(v) as F32;
    const outs = infos.map((i) => backend.typedArrayFromHeap(i) as F32);
    spec.run(ins, outs, inputs, attrs);
    return infos.length === 1 ? infos[0]! : infos;
  }) as unknown as tf.KernelFunc;
}

const MPELU_SPECS: readonly FusedSpec[] = [mpeluForwardSpec, mpeluBackwardSpec];
const BN_SPECS: readonly FusedSpec[] = [batchNormTrainSpec, batchNormEvalSpec, batchNormBackwardSpec, mpeluBatchNormBackwardSpec];
const SPECS = new Map([...MPELU_SPECS, ...BN_SPECS].map((s) => [s.name, s]));

/** An input of runFusedOnHost: a tensor, or a float32 array read where it lies on the host. */
export type FusedArg = tf.Tensor | Float32Array;

/** The cpu backend's own value array of a tensor (no copy, not a readSync). */
function cpuValues(backend: tf.KernelBackend, info: Info): F32 {
  const data = (backend as unknown as { data: { get(id: tf.DataId): { values?: unknown } | undefined } }).data.get(info.dataId);
  const values = data?.values;
  if (values instanceof Float32Array) return values;
  return backend.readSync(info.dataId) as F32;
}

/**
 * Runs fused kernel `name` on the active cpu or wasm backend, as its registered kernel does,
 * but with some inputs given as Float32Arrays (parameters read in their storages' host
 * arrays: nothing uploaded) and the outputs listed in `onHost` returned as Float32Arrays
 * (per-channel statistics, parameter gradients: nothing downloaded); the other outputs are
 * new tensors the caller owns. Null when fusion is off or the backend has no such kernel.
 */
export function runFusedOnHost(name: string, args: Record<string, FusedArg>, attrs: Attrs, onHost: readonly number[]): (tf.Tensor | F32)[] | null {
  const spec = SPECS.get(name);
  if (!spec || !hasFusedKernel(name)) return null;
  const backendName = tf.getBackend();
  if (backendName !== 'cpu' && backendName !== 'wasm') return null;
  const backend = tf.backend();
  const host = new Map<tf.DataId, F32>();
  const hostInfo = (values: F32, shape: number[]): Info => {
    const dataId = {};
    host.set(dataId, values);
    return { dataId, shape, dtype: 'float32' };
  };
  const inputs: Record<string, Info> = {};
  for (const [k, v] of Object.entries(args)) inputs[k] = v instanceof Float32Array ? hostInfo(v, [v.length]) : v;
  checkFloat(spec.name, inputs);
  const shapes = spec.outputs(inputs, attrs);
  const wasm = backendName === 'wasm' ? (backend as WasmBackendLike) : null;
  // Allocate every output first: a malloc may grow the heap and detach earlier views.
  const outs = shapes.map((s, i) => {
    if (onHost.includes(i)) return hostInfo(new Float32Array(tf.util.sizeFromShape(s)), s);
    if (wasm) return wasm.makeOutput(s, 'float32');
    return hostInfo(new Float32Array(tf.util.sizeFromShape(s)), s);
  });
  const view = (i: Info): F32 => host.get(i.dataId) ?? (wasm ? (wasm.typedArrayFromHeap(i) as F32) : cpuValues(backend, i));
  const k = wasm && spec.simd ? simdFor(wasm) : null;
  if (k && spec.simd!({ k, inputs, outs, attrs, off: (i) => wasm!.getMemoryOffset(i.dataId), view })) {
    wasmSimd.ran();
  } else {
    if (wasm) loopRuns++;
    const ins: Record<string, F32> = {};
    for (const [name, info] of Object.entries(inputs)) ins[name] = view(info);
    spec.run(ins, outs.map(view), inputs, attrs);
  }
  return outs.map((info, i) => {
    if (onHost.includes(i)) return host.get(info.dataId)!;
    // cpu: the values become a tensor now (wasm: the output already lives on the heap)
    const made = wasm ? info : (backend as CpuBackendLike).makeTensorInfo(info.shape, 'float32', host.get(info.dataId)!);
    return tf.engine().makeTensorFromTensorInfo(made);
  });
}

/**
 * Which fused kernels each backend gets. Measured on 32x64x32x32 (bench/fused.bench.ts):
 * on cpu every fused kernel wins by 5-35x; on wasm the JS loops over the heap win for
 * MPELU (forward 52 vs 70 ms, backward 61 vs 210 ms) but lose to wasm's own SIMD
 * elementwise kernels for batch norm eval (29 vs 21 ms) and backward (21 vs 18 ms).
 * wasm still takes the training forward: tfjs-wasm's Mean/Sum accumulate in float32,
 * so the composite's batch statistics drift by ~1e-6 relative over a 4x16x32x32 batch,
 * enough to move an activation across MPELU's kink and change a Torch7 replay by 0.6%
 * (test/resnet.test.ts); the float64 sums here cost no time (15 vs 16 ms).
 * With WebAssembly SIMD (../wasm/mpelu_batchnorm.ts) wasm takes every batch-norm kernel; eval and
 * backward are only used in that form (WASM_SIMD_ONLY: hasFusedKernel says no otherwise).
 * SIMD vs JS loop on wasm, 32x64x32x32: MPELU forward 5.8 vs 34 ms, backward 7.3 vs 42;
 * batch norm train 5.2 vs 16, eval 1.7 vs 2.8 (composite), backward 3.8 vs 19 (composite).
 */
const PLAN: readonly [string, (spec: FusedSpec) => tf.KernelFunc, readonly FusedSpec[]][] = [
  ['cpu', cpuKernel, [...MPELU_SPECS, ...BN_SPECS]],
  ['wasm', wasmKernel, [...MPELU_SPECS, ...BN_SPECS]],
];

let registered = false;

/** Floats from which wasm's Add of two equal float32 shapes runs as the split SIMD add. */
const SPLIT_ADD_MIN = 16384;

/**
 * tfjs-wasm's Add runs on one thread; the residual adds of a ResNet (and the gradient sums
 * of its ConcatTables) are large, so equal float32 shapes take SimdKernels.add, cut over the
 * threads (each element added alone: bit-identical to tfjs's add). Anything else (broadcasts,
 * other dtypes, small tensors) stays with tfjs's own kernel.
 */
function registerSplitAdd(): void {
  const original = tf.getKernel('Add', 'wasm');
  if (!original) return;
  tf.unregisterKernel('Add', 'wasm');
  const kernelFunc = ((args: { inputs: { a: Info; b: Info }; backend: WasmBackendLike; attrs: Attrs }) => {
    const { inputs: { a, b }, backend } = args;
    const size = tf.util.sizeFromShape(a.shape);
    if (a.dtype === 'float32' && b.dtype === 'float32' && size >= SPLIT_ADD_MIN && size % 4 === 0 && tf.util.arraysEqual(a.shape, b.shape)) {
      const k = simdFor(backend);
      if (k) {
        const out = backend.makeOutput(a.shape, 'float32');
        k.add(backend.getMemoryOffset(a.dataId), backend.getMemoryOffset(b.dataId), backend.getMemoryOffset(out.dataId), size);
        wasmSimd.ran();
        return out;
      }
    }
    return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
  }) as unknown as tf.KernelFunc;
  tf.registerKernel({ ...original, kernelFunc });
}

/** Registers the fused kernels for cpu and wasm (see PLAN), and the split Add on wasm. Idempotent. */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  registerSplitAdd();
  for (const [backendName, make, specs] of PLAN) {
    for (const spec of specs) {
      if (tf.getKernel(spec.name, backendName)) tf.unregisterKernel(spec.name, backendName);
      tf.registerKernel({ kernelName: spec.name, backendName, kernelFunc: make(spec) });
    }
  }
}
