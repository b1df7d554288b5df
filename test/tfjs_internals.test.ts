// The tfjs internals mpelu's kernels depend on, checked where they are expected, so that
// moving to another tfjs version fails here with a message naming what moved instead of the
// SIMD kernels quietly falling back to the slower tfjs paths (or the patches breaking):
//   - the tfjs packages are pinned to one exact version, and that version is installed;
//   - tfjs-backend-wasm's backend exposes its heap (emscripten module, malloc/free, memory)
//     and the methods the heap kernels call (makeOutput, getMemoryOffset, typedArrayFromHeap);
//   - every heap kernel actually runs on that heap (run counters move);
//   - the cpu backend hands out its own value arrays (the fused cpu kernels write into them)
//     and makeTensorInfo;
//   - the kernels the tfjs patches compose are registered on both backends;
//   - a reshape without the kernel (torch/tf_view.ts) behaves as tf.reshape does: shared data,
//     counted references, tidy.
// README.md, "Moving to a new tfjs version", says what to do when this fails.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward, forEachBackend, mpeluForward } from '../src/backend/index.js';
import { wasmFusedRuns } from '../src/backend/fused/register.js';
import { wasmInternalsMissing } from '../src/backend/wasm/heap.js';
import { convForwardSimd } from '../src/backend/wasm/conv_forward.js';
import { convInputGradSimd } from '../src/backend/wasm/conv_input_grad.js';
import { convWeightGradSimd, convWeightGradSimdSupported } from '../src/backend/wasm/conv_weight_grad.js';
import { simdSupported } from '../src/backend/wasm/mpelu_batchnorm.js';
import { tapGemmSupported } from '../src/backend/wasm/tap_gemm.js';
import { reshapeShared } from '../src/torch/tf_view.js';

const require = createRequire(import.meta.url);
const TFJS_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'] as const;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };

/** Kernels the composites in src/backend/tfjs_patches.ts run through KernelScope. */
const COMPOSED = ['Conv2D', 'Transpose', 'BatchMatMul', 'Reshape', 'StridedSlice', 'Slice', 'PadV2', 'Reverse'];

describe('tfjs version pin', () => {
  it('package.json pins the tfjs packages to one exact version, and it is the one installed', () => {
    const pins = TFJS_PACKAGES.map((name) => pkg.dependencies[name]);
    for (const [i, name] of TFJS_PACKAGES.entries()) {
      expect(pins[i], `package.json: ${name} must be an exact version (the SIMD kernels use its internals), found '${pins[i]}'`).toMatch(/^\d+\.\d+\.\d+$/);
      const installed = (require(`${name}/package.json`) as { version: string }).version;
      expect(installed, `${name}: package.json pins ${pins[i]} but node_modules holds ${installed} (run npm ci)`).toBe(pins[i]);
    }
    expect(new Set(pins).size, `the tfjs packages must share one version, found ${pins.join(', ')}`).toBe(1);
    expect(tf.version_core).toBe(pins[0]);
  });
});

describe('tfjs internals the kernels use', () => {
  const backends: string[] = [];
  beforeAll(async () => {
    await forEachBackend(['cpu', 'wasm'], (name) => {
      backends.push(name);
    });
  });

  it('both backends start', () => {
    expect(backends).toEqual(['cpu', 'wasm']);
  });

  it('the kernels the tfjs patches compose are registered on cpu and wasm', () => {
    for (const backend of ['cpu', 'wasm']) {
      const missing = COMPOSED.filter((k) => tf.getKernel(k, backend) === undefined);
      expect(missing, `tfjs-backend-${backend} no longer registers ${missing.join(', ')} (used by src/backend/tfjs_patches.ts)`).toEqual([]);
    }
  });

  it('the cpu backend hands out its own float32 arrays and has makeTensorInfo', async () => {
    await forEachBackend(['cpu'], () => {
      const be = tf.backend() as tf.KernelBackend & { makeTensorInfo?: unknown };
      expect(typeof be.makeTensorInfo, 'tfjs-backend-cpu: MathBackendCPU.makeTensorInfo (used by src/backend/fused/register.ts) is gone').toBe('function');
      const t = tf.tensor1d([1, 2, 3]);
      const a = be.readSync(t.dataId);
      const b = be.readSync(t.dataId);
      expect(a === b, 'tfjs-backend-cpu: readSync of float32 data now returns a copy; the fused cpu kernels read inputs through it without copying').toBe(true);
      t.dispose();
    });
  });

  it('the check names each missing internal', () => {
    const lines = wasmInternalsMissing({ wasm: {} });
    expect(lines.join('\n')).toMatch(/makeOutput[\s\S]*getMemoryOffset[\s\S]*typedArrayFromHeap[\s\S]*_malloc[\s\S]*_free[\s\S]*asm\.memory or backend\.wasm\.wasmMemory/);
    expect(wasmInternalsMissing(null)).toContain('backend.wasm (the emscripten module of tfjs-backend-wasm)');
  });

  it('the wasm backend exposes its heap and the methods the heap kernels call', async () => {
    await forEachBackend(['wasm'], () => {
      const missing = wasmInternalsMissing(tf.backend());
      expect(missing, `tfjs-backend-wasm internals not where src/backend/wasm/heap.ts expects them:\n  ${missing.join('\n  ')}`).toEqual([]);
    });
  });

  it('every WebAssembly SIMD kernel compiles here and runs on the wasm heap', async () => {
    // Node >= 20 (package.json engines) has WebAssembly SIMD.
    expect(simdSupported(), 'the MPELU/batch-norm SIMD module does not compile').toBe(true);
    expect(tapGemmSupported(), 'the tap-GEMM SIMD module does not compile').toBe(true);
    expect(convWeightGradSimdSupported(), 'the weight-gradient SIMD module does not compile').toBe(true);
    await forEachBackend(['wasm'], () => {
      const before = [convForwardSimd.runs(), convInputGradSimd.runs(), convWeightGradSimd.runs(), wasmFusedRuns().simd];
      tf.tidy(() => {
        // 8 input channels: the input gradient leaves layers with fewer to XNNPACK
        const x = tf.randomNormal([1, 5, 5, 8]) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, 8, 4]) as tf.Tensor4D;
        const y = conv2dForward(x, w, null, 1, 1, 1, 1);
        conv2dBackwardInput(y, w, x.shape, 1, 1);
        conv2dBackwardFilter(x, y, w.shape, 1, 1);
        mpeluForward(y, tf.fill([4], 0.25), tf.fill([4], 1));
      });
      const after = [convForwardSimd.runs(), convInputGradSimd.runs(), convWeightGradSimd.runs(), wasmFusedRuns().simd];
      const names = ['Conv2D (wasm/conv_forward.ts)', 'Conv2DBackpropInput (wasm/conv_input_grad.ts)', 'Conv2DBackpropFilter (wasm/conv_weight_grad.ts)', 'MPELU (wasm/mpelu_batchnorm.ts)'];
      const fellBack = names.filter((_, i) => after[i] === before[i]);
      expect(fellBack, `these SIMD kernels fell back to tfjs instead of running on the wasm heap: ${fellBack.join(', ')}`).toEqual([]);
    });
  });

  it('reshapeShared shares the data as tf.reshape does, on cpu and wasm', async () => {
    await forEachBackend(['cpu', 'wasm'], (name) => {
      const before = tf.memory().numTensors;
      const a = tf.tensor1d([1, 2, 3, 4, 5, 6]);
      const b = reshapeShared<tf.Tensor2D>(a, [2, 3]);
      expect(b.shape, name).toEqual([2, 3]);
      expect(b.dataId, name).toBe(a.dataId);
      expect(b.id, name).not.toBe(a.id);
      a.dispose(); // the data lives on while b holds it
      expect(Array.from(b.dataSync()), name).toEqual([1, 2, 3, 4, 5, 6]);
      b.dispose();
      expect(tf.memory().numTensors, name).toBe(before);
      // inside tidy the new handle is tracked like any op's output
      const kept = tf.tidy(() => {
        const c = tf.tensor1d([7, 8]);
        reshapeShared(c, [1, 2]); // disposed by tidy
        return reshapeShared(c, [2, 1]);
      });
      expect(Array.from(kept.dataSync()), name).toEqual([7, 8]);
      kept.dispose();
      expect(tf.memory().numTensors, name).toBe(before);
      // a size mismatch gets tf.reshape's error
      expect(() => tf.tidy(() => reshapeShared(tf.tensor1d([1, 2, 3]), [2, 2]))).toThrow(/must match the product of shape/);
      expect(tf.memory().numTensors, name).toBe(before);
    });
  });
});
