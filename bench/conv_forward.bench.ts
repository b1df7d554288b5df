// Forward convolution (conv2dForward with bias) on wasm for every conv shape of the MPELU
// ResNet-164 (CIFAR, batch 32): the WebAssembly SIMD kernel (wasm/conv_forward.ts) against
// tfjs-wasm's fused Conv2D (XNNPACK). As in training, every call gets tensors it has not seen
// before (XNNPACK caches its packed filter by tensor id, which a loop over one filter tensor
// would hit). ms per call (mean of reps), GFLOP/s of the useful work (2*N*Ho*Wo*k*k*Ci*Co),
// the largest difference between the two results (and conv2dForward's) relative to max |y|,
// and the per-training-step totals weighted by how often each shape occurs: XNNPACK
// everywhere and the kernel everywhere (what conv2dForward runs on wasm). The 3x3 layers also
// as Winograd F(2x2, 3x3) (wasm/winograd.ts, what evaluation-mode forwards run), its time and
// its speed-up over the direct SIMD kernel. MPELU_BENCH_REPS sets repetitions (default 4).

import * as tf from '@tensorflow/tfjs-core';
import { conv2dForward, initBackend } from '../src/backend/index.js';
import { conv2dForwardWasmSimd, convForwardSimd } from '../src/backend/wasm/conv_forward.js';
import { winogradTakes } from '../src/backend/wasm/winograd.js';
import { layerGeometry, maxRelDiff, reps, RESNET164_CONVS, timeFresh } from './helpers/resnet164_convs.js';

await initBackend('wasm');
type Make = () => [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];

console.log(`wasm conv2dForward with bias, fresh tensors per call, mean of ${reps}`);
console.log('shape                          count   XNNPACK ms   SIMD ms   SIMD GFLOP/s   speed-up   max rel diff   Winograd ms   vs SIMD');
let before = 0;
let simd = 0;
let eval3x3 = 0;
for (const row of RESNET164_CONVS) {
  const [N, H, W, Ci, Co, k, s, count] = row;
  const { p, Ho, Wo, flops, name } = layerGeometry(row);
  const make: Make = () => [tf.randomNormal([N, H, W, Ci]), tf.randomNormal([k, k, Ci, Co]), tf.randomNormal([Co])];
  const xnn = (x: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D) => tf.fused.conv2d({ x, filter: f, strides: [s, s], pad: [[0, 0], [p, p], [p, p], [0, 0]], bias: b });
  // the kernel itself, whether or not conv2dForward takes the shape
  const kernel = (x: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D, winograd = false) => {
    const info = conv2dForwardWasmSimd(tf.backend(), x, f, b, { kh: k, kw: k, sh: s, sw: s, pt: p, pl: p, ho: Ho, wo: Wo, winograd });
    if (!info) throw new Error('the SIMD kernel did not run (no WebAssembly SIMD?)');
    return tf.engine().makeTensorFromTensorInfo(info);
  };
  const c = timeFresh(make, xnn);
  const v = timeFresh(make, kernel);
  const [x, f, b] = make();
  const ref = xnn(x, f, b);
  const got = kernel(x, f, b);
  convForwardSimd.set(true);
  const viaOps = conv2dForward(x, f, b, s, s, p, p);
  const rel = maxRelDiff(ref.dataSync(), got.dataSync(), viaOps.dataSync());
  tf.dispose([x, f, b, ref, got, viaOps]);
  before += c * count;
  simd += v * count;
  const wino = winogradTakes(k, k, s, s, p, p, H, W, Ho, Wo, Ci, Co) ? timeFresh(make, (x, f, b) => kernel(x, f, b, true)) : v;
  eval3x3 += wino * count;
  const winoCols = wino === v ? '' : `${wino.toFixed(1).padStart(13)} ${(v / wino).toFixed(2).padStart(8)}x`;
  console.log(`${name.padEnd(30)} ${String(count).padStart(5)} ${c.toFixed(1).padStart(12)} ${v.toFixed(1).padStart(9)} ${(flops / v / 1e6).toFixed(1).padStart(14)} ${(c / v).toFixed(2).padStart(9)}x ${rel.toExponential(1).padStart(14)}${winoCols}`);
}
console.log(`per training step (weighted by count): XNNPACK ${before.toFixed(0)} ms, SIMD (conv2dForward) ${simd.toFixed(0)} ms; an evaluation forward (3x3 layers as Winograd) ${eval3x3.toFixed(0)} ms`);
console.log(`live tensors: ${tf.memory().numTensors}`);
