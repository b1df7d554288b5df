// MPELU (the module as users get it: the backend's fused kernels; and, for reference, the
// tfjs composite the backend falls back to) against ReLU and against
// the paper's naive 3-layer composition Sequential{PReLU(beta), ELU(1, true), PReLU(alpha)},
// on a 64x64x32x32 Float activation (N=64, C=64, 32x32; 16.8 MB), channels-last on the
// device as activations are inside a network. Forward = module.forward; backward =
// module.backward (gradInput and, where there are parameters, their gradients).
//
// GB/s is effective bandwidth over the bytes the operation must move at the least: forward
// reads x and writes y (8 bytes per element), backward reads x and dy and writes dx
// (12 bytes per element), the same for all three so the figures compare directly.
//
// Run: npx tsx bench/mpelu.bench.ts [backend ...]   (default: cpu wasm)

import * as tf from '@tensorflow/tfjs-core';
import { FUSED, hasFusedKernel, initBackend, setFusedKernelsEnabled } from '../src/backend/index.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';

const N = 64;
const C = 64;
const H = 32;
const W = 32;
const ELEMENTS = N * C * H * W;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A channels-last device activation with values in [-3, 3). */
function activation(seed: number): Tensor {
  const v = new Float32Array(ELEMENTS);
  let s = seed >>> 0;
  for (let i = 0; i < ELEMENTS; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 4294967296) * 6 - 3;
  }
  return Tensor.fromTF(tf.tensor4d(v, [N, H, W, C]), 'NHWC');
}

/** [label, module factory, use the fused kernels]. */
function variants(): [string, () => Module, boolean][] {
  const fused = hasFusedKernel(FUSED.mpeluForward) && hasFusedKernel(FUSED.mpeluBackward);
  return [
    [fused ? 'MPELU (fused kernels)' : 'MPELU (no fused kernel here)', () => nn.MPELU(0.25, 1, C).float(), true],
    ['MPELU (tfjs composite)', () => nn.MPELU(0.25, 1, C).float(), false],
    ['ReLU', () => nn.ReLU().float(), true],
    ['naive {PReLU, ELU, PReLU}', () => nn.Sequential().add(nn.PReLU(1, C)).add(nn.ELU(1, true)).add(nn.PReLU(0.25, C)).float(), true],
  ];
}

/** Forces pending work (cpu and wasm run kernels eagerly; this reads one value to be sure). */
function settle(t: Tensor): void {
  // Read one value through the backend: tf.slice would copy the whole tensor on wasm first.
  if (t.storage().onDevice()) {
    (tf.engine().backend as unknown as { readSync(id: object, start?: number, end?: number): unknown }).readSync(t.storage().deviceTensor().dataId, 0, 1);
  }
}

async function benchBackend(backend: string, reps: number): Promise<void> {
  await initBackend(backend);
  console.log(`\nbackend ${backend} (tfjs ${tf.version_core}), input ${N}x${C}x${H}x${W} float, channels-last, median of ${reps}`);
  console.log('module                          forward ms   GB/s   backward ms   GB/s');
  for (const [name, make, useFused] of variants()) {
    setFusedKernelsEnabled(useFused);
    const m = make();
    const x0 = activation(1);
    const g = activation(2);
    const x = activation(1);
    const fwd: number[] = [];
    const bwd: number[] = [];
    const inplace = name.startsWith('naive');
    for (let i = 0; i < reps + 2; i++) {
      // The in-place ELU overwrote x: restore it on the device (not timed).
      if (inplace) x.storage().setDevice(tf.clone(x0.storage().deviceTensor()));
      const t0 = performance.now();
      const y = m.forward(x) as Tensor;
      settle(y);
      const t1 = performance.now();
      m.zeroGradParameters();
      const t2 = performance.now();
      const gi = m.backward(x, g) as Tensor;
      settle(gi);
      const t3 = performance.now();
      if (i >= 2) {
        fwd.push(t1 - t0);
        bwd.push(t3 - t2);
      }
    }
    const f = median(fwd);
    const b = median(bwd);
    const gbs = (bytes: number, ms: number) => (bytes / (ms / 1000) / 1e9).toFixed(2);
    console.log(
      `${name.padEnd(31)} ${f.toFixed(1).padStart(10)} ${gbs(8 * ELEMENTS, f).padStart(6)} ${b.toFixed(1).padStart(13)} ${gbs(12 * ELEMENTS, b).padStart(6)}`,
    );
    // Release the device buffers now rather than at garbage collection.
    for (const mod of m.listModules()) for (const b of [mod.output, mod.gradInput]) if (b instanceof Tensor && b.hasStorage()) b.storage().dispose();
    m.clearState();
    for (const t of [x0, x, g]) t.storage().dispose();
  }
  setFusedKernelsEnabled(true);
  console.log(`tf.memory().numTensors after the runs: ${tf.memory().numTensors}`);
}

const args = process.argv.slice(2);
const backends = args.length ? args : ['cpu', 'wasm'];
const reps = Number(process.env.BENCH_REPS ?? 5);
for (const b of backends) await benchBackend(b, reps);
