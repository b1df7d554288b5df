// Fused vs composite MPELU and batch norm on a 32x64x32x32 activation (NHWC
// [32,32,32,64]), forward and backward, per backend: ms per call and GB/s of
// activation-sized tensors read + written (4 bytes per element). On wasm the fused
// kernels run twice: as JS loops over the heap (SIMD off: batch norm then falls back to
// the composite) and as the WebAssembly SIMD kernels. MPELU_BENCH_SHAPE=64,32,32,64 for
// the 64x64x32x32 activation of bench/mpelu.bench.ts.

import * as tf from '@tensorflow/tfjs-core';
import * as ops from '../src/backend/layer_ops.js';
import { availableBackends, forEachBackend, setFusedKernelsEnabled, type BackendName } from '../src/backend/index.js';
import { wasmSimdActive } from '../src/backend/fused/register.js';
import { wasmSimd } from '../src/backend/wasm/kill_switch.js';

const SHAPE = (process.env.MPELU_BENCH_SHAPE ?? '32,32,32,64').split(',').map(Number);
const C = SHAPE[SHAPE.length - 1]!;
const ELEMS = SHAPE.reduce((a, b) => a * b, 1);

function time(fn: () => tf.TensorContainer, reps: number): number {
  tf.dispose(fn());
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const out = fn();
    for (const t of flatten(out)) t.dataSync();
    best = Math.min(best, performance.now() - t0);
    tf.dispose(out);
  }
  return best;
}

function flatten(c: tf.TensorContainer): tf.Tensor[] {
  if (c instanceof tf.Tensor) return [c];
  if (c && typeof c === 'object') return Object.values(c as Record<string, tf.TensorContainer>).flatMap(flatten);
  return [];
}

const available = await availableBackends();
const wantedEnv = process.env.MPELU_BENCH_BACKENDS;
const names = (wantedEnv ? (wantedEnv.split(',') as BackendName[]) : available).filter((b) => available.includes(b));
console.log(`activation [${SHAPE}] NHWC (${(ELEMS / 1e6).toFixed(2)} M elements); best of reps; GB/s counts activation-sized reads + writes`);
await forEachBackend(names, (be) => {
  const reps = Number(process.env.MPELU_BENCH_REPS) || 5;
  const x = tf.randomNormal(SHAPE);
  const dy = tf.randomNormal(SHAPE);
  const alpha = tf.fill([C], 0.25);
  const beta = tf.fill([C], 1);
  const w = tf.randomUniform([C], 0.5, 1.5) as tf.Tensor1D;
  const b = tf.randomNormal([C]) as tf.Tensor1D;
  const st = ops.batchNormTrainForwardComposite(x, w, b, 1e-5);
  const cases: [string, number, () => tf.TensorContainer][] = [
    ['relu forward (reference)', 2, () => tf.relu(x)],
    ['mpelu forward', 2, () => ops.mpeluForward(x, alpha, beta)],
    ['mpelu backward', 3, () => ({ ...ops.mpeluBackward(x, dy, alpha, beta) })],
    ['bn train forward', 3, () => ({ ...ops.batchNormTrainForward(x, w, b, 1e-5), count: undefined } as unknown as tf.TensorContainer)],
    ['bn eval forward', 2, () => ops.batchNormEvalForward(x, st.mean, st.varUnbiased, w, b, 1e-5)],
    ['bn backward (train)', 4, () => ({ ...ops.batchNormBackward(x, dy, st.mean, st.invstd, w, true) } as unknown as tf.TensorContainer)],
  ];
  const modes: [string, boolean, boolean][] = [['composite', false, false], ['fused', true, false]];
  if (be === 'wasm') {
    modes[1]![0] = 'fused JS';
    wasmSimd.set(true);
    if (wasmSimdActive()) modes.push(['fused SIMD', true, true]);
  }
  for (const [name, passes, fn] of cases) {
    const line = [`${be.padEnd(6)} ${name.padEnd(26)}`];
    for (const [label, fused, simd] of modes) {
      setFusedKernelsEnabled(fused);
      wasmSimd.set(simd);
      const ms = time(fn, reps);
      line.push(`${label} ${ms.toFixed(2).padStart(8)} ms ${((passes * ELEMS * 4) / ms / 1e6).toFixed(2).padStart(6)} GB/s`);
      if (name.startsWith('relu')) break;
    }
    console.log(line.join('   '));
  }
  setFusedKernelsEnabled(true);
  wasmSimd.set(true);
  tf.dispose([x, dy, alpha, beta, w, b, st.y, st.mean, st.invstd, st.varUnbiased]);
});
