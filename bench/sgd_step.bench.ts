// optim.sgd's step in fb.resnet.torch's configuration (nnlr learningRates and weightDecays,
// Nesterov momentum 0.9) on ResNet-164's 1,696,250 parameters: the JavaScript loop (the
// vectors in ordinary arrays, as below SGD_ARENA_MIN_ELEMENTS or with new tensors every step)
// against the WebAssembly kernel on the vectors moved into its memory (optim/sgd_arena.ts).
// Both make the same float32 operations; the bench checks they leave the same bits.
//
// Run: npm run bench -- sgd_step

import { Tensor } from '../src/torch/tensor.js';
import { sgd } from '../src/optim/index.js';

const N = 1_696_250;
const STEPS = 20;

function vector(seed: number, scale: number): Tensor {
  const t = Tensor.create('Float', [N]);
  const d = t.storage().mutableData() as Float32Array;
  let s = seed >>> 0;
  for (let i = 0; i < N; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** ms per step (median) and the final x; `fresh`: a new gradient tensor every step (keeps the JavaScript loop after two moves). */
function run(fresh: boolean): { ms: number; x: Float32Array } {
  const x = vector(1, 0.1);
  const lrs = vector(2, 1).abs();
  const wds = vector(3, 1e-4).abs();
  const config = { learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, weightDecays: wds, learningRates: lrs };
  let grad = vector(4, 0.01);
  const times: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    if (fresh) grad = vector(4, 0.01);
    else grad.copy(vector(4, 0.01));
    const t = performance.now();
    sgd(() => [0, grad], x, config);
    if (s >= 3) times.push(performance.now() - t);
  }
  return { ms: median(times), x: (x.storage().data() as Float32Array).slice() };
}

const js = run(true);
const wasm = run(false);
const same = js.x.every((v, i) => Object.is(v, wasm.x[i]));
console.log(`optim.sgd step, ${N} parameters, nnlr vectors, Nesterov (median of ${STEPS - 3} steps):`);
console.log(`  JavaScript loop ${js.ms.toFixed(1)} ms, WebAssembly kernel in its own memory ${wasm.ms.toFixed(1)} ms (${(js.ms / wasm.ms).toFixed(1)}x); same bits: ${same ? 'yes' : 'NO'}`);
if (!same) process.exitCode = 1;
