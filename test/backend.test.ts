// Backend selection, the kernels mpelu adds to wasm/cpu, forEachBackend, and `mpelu env`.
// The kernel list below is every tfjs kernel the nn modules use forward and backward;
// each is run on wasm and compared with cpu.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { getNumThreads } from '../src/backend/threads.js';
import {
  availableBackends,
  backendInfo,
  forEachBackend,
  initBackend,
  initBackendInfo,
  probeNativePackages,
  TFJS_PATCHED_KERNELS,
  wasmBinaryDir,
} from '../src/backend/index.js';
import { collectEnv, formatEnv } from '../src/cli/env.js';
import { buildProgram } from '../src/cli/main.js';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const nativeInstalled = probeNativePackages().some((p) => p.found);

function seeded(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = (s / 2147483648) * 4 - 2;
  }
  return tf.tensor(v, shape);
}

describe('initBackend', () => {
  const saved = process.env.MPELU_BACKEND;
  afterAll(() => {
    if (saved === undefined) delete process.env.MPELU_BACKEND;
    else process.env.MPELU_BACKEND = saved;
  });

  it('auto picks tensorflow when installed, else wasm', async () => {
    // In a fresh process: this worker may already hold a backend an earlier test file chose,
    // and auto keeps a backend that is already running.
    const fresh = spawnSync(process.execPath, ['--import', 'tsx', '-e',
      "const s = await import('./src/backend/select.ts'); console.log((await s.initBackendInfo('auto')).backend);"],
      { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', env: { ...process.env, MPELU_BACKEND: undefined }, timeout: 120_000 });
    expect(fresh.stdout.trim().split('\n').at(-1), fresh.stderr).toBe(nativeInstalled ? 'tensorflow' : 'wasm');
    const info = await initBackendInfo(nativeInstalled ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(info.tfjsBackend);
    expect(info.tfjsVersion).toBe(tf.version_core);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it('wasm loads its binaries from node_modules, on a shared heap, and reports the kernel thread count', async () => {
    const info = await initBackendInfo('wasm');
    expect(info.backend).toBe('wasm');
    expect(info.wasmPath).toBe(wasmBinaryDir());
    expect(existsSync(join(wasmBinaryDir(), info.wasmBinary!))).toBe(true);
    // The threaded build needs Web Workers from blob: URLs, which Node refuses.
    expect(info.wasmBinary).not.toBe('tfjs-backend-wasm-threaded-simd.wasm');
    // tfjs's own kernels run on one thread; mpelu's split over getNumThreads() on the shared heap
    expect(info.sharedHeap).toBe(true);
    expect(info.threads).toBe(getNumThreads());
  });

  it('honours MPELU_BACKEND and explicit names', async () => {
    process.env.MPELU_BACKEND = 'cpu';
    expect(await initBackend()).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(backendInfo()?.backend).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects unknown names, naming the choices', async () => {
    await expect(initBackend('cuda')).rejects.toThrow(/unknown backend 'cuda'.*auto, tensorflow, wasm, cpu/);
  });

  it.skipIf(nativeInstalled)('explicit tensorflow fails clearly when no native package is installed', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(/tensorflow' is not available: install @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/);
  });

  it('lists the available backends in preference order', async () => {
    const names = await availableBackends();
    expect(names).toEqual(nativeInstalled ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'cpu']);
  });
});

describe('forEachBackend', () => {
  it('runs the callback with each backend active and restores the previous one', async () => {
    await initBackend('cpu');
    const seen: string[] = [];
    await forEachBackend(['cpu', 'wasm'], (name) => {
      seen.push(`${name}:${tf.getBackend()}`);
    });
    expect(seen).toEqual(['cpu:cpu', 'wasm:wasm']);
    expect(tf.getBackend()).toBe('cpu');
  });

  it.skipIf(nativeInstalled)('skips a backend that is not installed, or throws when strict', async () => {
    const seen: string[] = [];
    await forEachBackend(['tensorflow', 'cpu'], (name) => void seen.push(name));
    expect(seen).toEqual(['cpu']);
    await expect(forEachBackend(['tensorflow'], () => undefined, { strict: true })).rejects.toThrow(/tensorflow/);
  });
});

// Every kernel the nn modules need, with a way to run it (forward and backward kernels).
type KernelRun = () => tf.Tensor | tf.Tensor[];
const E = () => tf.engine();
const pad1: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]];
function kernelRuns(): Record<string, KernelRun> {
  const x = seeded([2, 6, 6, 3], 1);
  const f = seeded([3, 3, 3, 4], 2);
  const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, pad1);
  const mp = tf.maxPool(x as tf.Tensor4D, 2, 2, 0);
  const m = seeded([4, 5], 3);
  const idx = tf.tensor1d([0, 2, 2, 1], 'int32');
  return {
    Conv2D: () => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, pad1),
    FusedConv2D: () => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: pad1, bias: tf.ones([4]) }),
    Conv2DBackpropInput: () => E().runKernel('Conv2DBackpropInput', { dy: y, filter: f }, { strides: [2, 2], pad: pad1, dataFormat: 'NHWC', inputShape: x.shape } as never) as tf.Tensor,
    Conv2DBackpropFilter: () => E().runKernel('Conv2DBackpropFilter', { x, dy: y }, { strides: [2, 2], pad: pad1, dataFormat: 'NHWC', filterShape: f.shape } as never) as tf.Tensor,
    MaxPool: () => tf.maxPool(x as tf.Tensor4D, 3, 2, 1),
    MaxPoolGrad: () => E().runKernel('MaxPoolGrad', { dy: mp, input: x, output: mp }, { filterSize: 2, strides: 2, pad: 0 } as never) as tf.Tensor,
    // overlapping, padded windows; all-negative windows (wasm's own kernel lost their gradient)
    MaxPoolGradPadded: () => {
      const xn = tf.sub(tf.abs(x), 3);
      const o = tf.maxPool(xn as tf.Tensor4D, 3, 2, 1);
      return E().runKernel('MaxPoolGrad', { dy: tf.add(o, 5), input: xn, output: o }, { filterSize: 3, strides: 2, pad: 1 } as never) as tf.Tensor;
    },
    AvgPool: () => tf.avgPool(x as tf.Tensor4D, 2, 2, 0),
    AvgPoolGrad: () => E().runKernel('AvgPoolGrad', { dy: mp, input: x }, { filterSize: 2, strides: 2, pad: 0 } as never) as tf.Tensor,
    BatchMatMul: () => [tf.matMul(m, m, false, true), tf.matMul(m, m, true, false)],
    Softmax: () => tf.softmax(m),
    LogSoftmax: () => tf.logSoftmax(m),
    Exp: () => tf.exp(m),
    Log: () => tf.log(tf.abs(m)),
    Sum: () => [tf.sum(m, 0), tf.sum(x, [0, 1, 2])],
    Mean: () => tf.mean(x, [0, 1, 2]),
    Max: () => tf.max(m, 1),
    ArgMax: () => tf.argMax(m, 1),
    Elu: () => tf.elu(m),
    EluGrad: () => E().runKernel('EluGrad', { dy: m, y: tf.elu(m) }) as tf.Tensor,
    Relu: () => tf.relu(m),
    LeakyRelu: () => tf.leakyRelu(m, 0.1),
    Prelu: () => tf.prelu(m, tf.fill([5], 0.25)),
    Step: () => tf.step(m),
    Select: () => tf.where(tf.lessEqual(m, 0), m, tf.zerosLike(m)),
    Greater: () => tf.cast(tf.greater(m, 0), 'float32'),
    PadV2: () => tf.pad(m, [[1, 1], [0, 2]]),
    Transpose: () => tf.transpose(x, [3, 1, 2, 0]),
    Slice: () => tf.slice(x, [0, 1, 1, 0], [2, 3, 3, 2]),
    Concat: () => tf.concat([x, x], 3),
    GatherV2: () => tf.gather(m, idx),
    UnsortedSegmentSum: () => tf.unsortedSegmentSum(m, idx, 3),
    OneHot: () => tf.oneHot(idx, 4),
    Sqrt: () => tf.sqrt(tf.abs(m)),
    Rsqrt: () => tf.rsqrt(tf.add(tf.abs(m), 1)),
    SquaredDifference: () => tf.squaredDifference(m, 0.5),
    Multiply: () => tf.mul(x, tf.ones([3])),
    RealDiv: () => tf.div(m, 3),
    Tile: () => tf.tile(m, [2, 1]),
    Reverse: () => tf.reverse(f, [0, 1]),
  };
}

describe('kernels the nn modules need, on wasm vs cpu', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('every kernel mpelu adds is registered', () => {
    for (const [backend, names] of Object.entries(TFJS_PATCHED_KERNELS)) {
      for (const name of names) expect(tf.getKernel(name, backend), `${name} on ${backend}`).toBeDefined();
    }
  });

  const names = [
    'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'MaxPoolGradPadded', 'AvgPool',
    'AvgPoolGrad', 'BatchMatMul', 'Softmax', 'LogSoftmax', 'Exp', 'Log', 'Sum', 'Mean', 'Max', 'ArgMax', 'Elu',
    'EluGrad', 'Relu', 'LeakyRelu', 'Prelu', 'Step', 'Select', 'Greater', 'PadV2', 'Transpose', 'Slice', 'Concat',
    'GatherV2', 'UnsortedSegmentSum', 'OneHot', 'Sqrt', 'Rsqrt', 'SquaredDifference', 'Multiply', 'RealDiv', 'Tile',
    'Reverse',
  ];
  it('the list names every kernel run', () => {
    expect(tf.tidy(() => Object.keys(kernelRuns()))).toEqual(names);
  });
  it.each(names)('%s runs on wasm and matches cpu', async (name) => {
    const results: Record<string, number[][]> = {};
    await forEachBackend(['cpu', 'wasm'], () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const out = kernelRuns()[name]!();
        results[tf.getBackend()] = (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
      });
      expect(tf.memory().numTensors).toBe(before);
    }, { strict: true });
    const cpu = results['cpu']!;
    const wasm = results['wasm']!;
    expect(wasm.length).toBe(cpu.length);
    cpu.forEach((c, k) => {
      expect(wasm[k]!.length).toBe(c.length);
      c.forEach((v, i) => expect(Math.abs(wasm[k]![i]! - v)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v))));
    });
  });
});

describe('mpelu env', () => {
  it('reports the backend, versions, threads and optional packages', async () => {
    const r = await collectEnv('wasm');
    expect(r.backend.backend).toBe('wasm');
    expect(r.packages['@tensorflow/tfjs-core']).toBe(tf.version_core);
    expect(r.native.map((p) => p.name)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    const text = formatEnv(r);
    expect(text).toMatch(/backend\s+wasm/);
    // mpelu's kernels' thread count on the shared heap, and where it comes from
    expect(text).toMatch(new RegExp(`threads\\s+${getNumThreads()} \\(`));
    expect(text).toMatch(/@tensorflow\/tfjs-node\s+(not installed|found)/);
  });

  it('buildProgram registers env (and the t7 commands) and a --backend option', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toContain('env');
    expect(names).toContain('inspect');
    expect(program.options.map((o) => o.long)).toContain('--backend');
  });
});
