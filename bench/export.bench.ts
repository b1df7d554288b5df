// Export of the MPELU nopre ResNet-164 (CIFAR-10, 1.70M parameters): how long the ONNX
// and safetensors exports take, and evaluation images/s at batch 32 in ONNX Runtime (CPU,
// 1 thread and its default of one per core) against mpelu's own evaluation forward (wasm,
// one thread), with the largest relative difference of their outputs.
//
// Run: npx tsx bench/export.bench.ts      MPELU_BENCH_DEPTH=20 for a quick look,
//      MPELU_BENCH_RUNS=N timed batches (default 3, after one warm-up each).

import { cpus, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../src/backend/index.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { exportOnnx } from '../src/export/onnx.js';
import { exportSafetensors } from '../src/export/weights.js';

const BATCH = 32;
const depth = Number(process.env.MPELU_BENCH_DEPTH ?? 164);
const runs = Number(process.env.MPELU_BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(n: number, fn: () => void): number {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function timedAsync(n: number, fn: () => Promise<void>): Promise<number> {
  await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n;
}

const backend = await initBackend();
manualSeed(1);
const model = createMpeluNopreResNet({ depth }).float();
model.evaluate();
console.log(`ResNet-${depth} (MPELU nopre), batch ${BATCH}; mpelu backend ${backend}; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

let onnx: Uint8Array = new Uint8Array();
const onnxMs = timed(3, () => { onnx = exportOnnx(model, { inputShape: [3, 32, 32] }); });
let folded: Uint8Array = new Uint8Array();
const foldedMs = timed(3, () => { folded = exportOnnx(model, { inputShape: [3, 32, 32], foldBn: true }); });
let stBytes = 0;
const stMs = timed(3, () => { stBytes = exportSafetensors(model).reduce((s, c) => s + c.byteLength, 0); });
console.log(`  export ONNX: ${onnxMs.toFixed(0)} ms (${(onnx.byteLength / 1e6).toFixed(2)} MB); with --fold-bn: ${foldedMs.toFixed(0)} ms (${(folded.byteLength / 1e6).toFixed(2)} MB); safetensors: ${stMs.toFixed(0)} ms (${(stBytes / 1e6).toFixed(2)} MB)`);

const x = Tensor.create('Float', [BATCH, 3, 32, 32]).normal(0, 1);
const xs = new Float32Array(x.values());
let mine: number[] = [];
const mpeluMs = await timedAsync(runs, async () => { mine = (model.forward(x) as Tensor).values(); });
console.log(`  mpelu evaluate (${backend}): ${(BATCH / (mpeluMs / 1000)).toFixed(1)} images/s (${mpeluMs.toFixed(0)} ms/batch)`);

for (const [label, bytes] of [['ONNX', onnx], ['ONNX --fold-bn', folded]] as const) {
  for (const threads of [1, 0]) {
    const session = await ort.InferenceSession.create(bytes, threads ? { intraOpNumThreads: threads } : {});
    const feeds = { input: new ort.Tensor('float32', xs, [BATCH, 3, 32, 32]) };
    let out: ArrayLike<number> = [];
    const ms = await timedAsync(runs, async () => {
      out = (await session.run(feeds))[session.outputNames[0]!]!.data as ArrayLike<number>;
    });
    let maxAbs = 0;
    let maxDiff = 0;
    mine.forEach((v, i) => { maxAbs = Math.max(maxAbs, Math.abs(v)); maxDiff = Math.max(maxDiff, Math.abs(v - out[i]!)); });
    console.log(`  ONNX Runtime ${ort.env.versions.common} ${label}, ${threads ? '1 thread' : 'default threads'}: ${(BATCH / (ms / 1000)).toFixed(1)} images/s (${ms.toFixed(0)} ms/batch), max |diff| / max |value| ${(maxDiff / maxAbs).toExponential(1)}`);
    await session.release();
  }
}
console.log(`  load after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
