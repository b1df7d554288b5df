// Finite-difference gradient checks for nn modules, in double precision.
//
// The scalar checked is L = Σ output · gradOutput for a fixed random gradOutput, so
// dL/dinput is the module's gradInput and dL/dparam its gradParameters. Central
// differences with step eps; every input element and every parameter element is
// perturbed in place through its own view (so views into flat storages work too).
//
// Use on Double modules (module.double()) with Double input: Float would drown the
// differences in rounding.

import { expect } from 'vitest';
import { Tensor } from '../../src/torch/tensor.js';
import type { Activity, Module } from '../../src/nn/module.js';
import { rng } from './random_data.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Largest accepted error, relative to max(1, largest |numeric gradient|) (default 1e-6). */
  tolerance?: number;
  /** A fixed gradOutput; by default uniform in [-1, 1) from the suite's seeded generator. */
  gradOutput?: Activity;
  /** Seed of the generator for gradOutput (default 1). */
  seed?: number;
  /** Also check that backward(scale) accumulates scale × the gradient (default true). */
  checkScale?: boolean;
}

export interface GradCheckResult {
  /** Max error of gradInput over all input tensors. */
  input: number;
  /** Max error of each gradParameter, in parameters() order. */
  params: number[];
  /** Max error of the accumulation check (grads after backward(1) then backward(0.5) = 1.5 × grads). */
  scale: number;
  /** Largest |numeric gradient| seen (to judge the check is not vacuous). */
  magnitude: number;
}

/** Tensors of an activity (tensor or nested table), in order. */
export function leaves(a: Activity): Tensor[] {
  if (a instanceof Tensor) return [a];
  return a.flatMap(leaves);
}

function randomLike(a: Activity, next: () => number): Activity {
  if (a instanceof Tensor) {
    const t = Tensor.create('Double', a.size());
    const n = t.nElement();
    const d = t.storage().mutableData() as Float64Array;
    for (let i = 0; i < n; i++) d[i] = 2 * next() - 1;
    return t;
  }
  return a.map((x) => randomLike(x, next));
}

function dot(a: Activity, b: Activity): number {
  const la = leaves(a);
  const lb = leaves(b);
  if (la.length !== lb.length) throw new Error(`gradcheck: output has ${la.length} tensors, gradOutput ${lb.length}`);
  let s = 0;
  la.forEach((t, i) => {
    const x = t.values();
    const y = lb[i]!.values();
    if (x.length !== y.length) throw new Error(`gradcheck: output tensor ${i + 1} has ${x.length} elements, gradOutput ${y.length}`);
    for (let k = 0; k < x.length; k++) s += x[k]! * y[k]!;
  });
  return s;
}

/** Logical-index accessors into a view, for perturbation. */
function flatAccess(t: Tensor): { n: number; get(k: number): number; set(k: number, v: number): void } {
  const sizes = t.size();
  const strides = t.stride();
  const n = t.nElement();
  const index = (k: number) => {
    let idx = t.offset();
    for (let d = sizes.length - 1; d >= 0; d--) {
      const s = sizes[d]!;
      idx += (k % s) * strides[d]!;
      k = Math.floor(k / s);
    }
    return idx;
  };
  return {
    n,
    get: (k) => t.storage().data()[index(k)] as number,
    set: (k, v) => {
      (t.storage().mutableData() as Float64Array)[index(k)] = v;
    },
  };
}

function numericGradient(f: () => number, t: Tensor, eps: number): Float64Array {
  const a = flatAccess(t);
  const out = new Float64Array(a.n);
  for (let k = 0; k < a.n; k++) {
    const orig = a.get(k);
    a.set(k, orig + eps);
    const fp = f();
    a.set(k, orig - eps);
    const fm = f();
    a.set(k, orig);
    out[k] = (fp - fm) / (2 * eps);
  }
  return out;
}

function maxError(analytic: readonly number[], numeric: Float64Array): { err: number; mag: number } {
  let diff = 0;
  let mag = 0;
  for (let k = 0; k < numeric.length; k++) {
    diff = Math.max(diff, Math.abs(analytic[k]! - numeric[k]!));
    mag = Math.max(mag, Math.abs(numeric[k]!));
  }
  return { err: diff / Math.max(1, mag), mag };
}

/** Runs the checks and returns the errors (see assertGradCheck for the throwing form). */
export function gradCheck(module: Module, input: Activity, options: GradCheckOptions = {}): GradCheckResult {
  const eps = options.eps ?? 1e-6;
  for (const t of leaves(input)) {
    if (t.elementType !== 'Double') throw new TypeError(`gradcheck: input must be torch.DoubleTensor (got ${t.className()}); call module.double()`);
  }
  const out0 = module.forward(input);
  const gradOutput = options.gradOutput ?? randomLike(out0, rng(options.seed ?? 1));
  const loss = () => dot(module.forward(input), gradOutput);

  // Analytic gradients.
  module.zeroGradParameters();
  module.forward(input);
  const gradInput = module.backward(input, gradOutput);
  if (gradInput === undefined) throw new Error(`gradcheck: ${module.className}.backward returned no gradInput`);
  const analyticInput = leaves(gradInput).map((t) => t.values());
  const p = module.parameters();
  const analyticParams = p ? p[1].map((g) => g.values()) : [];

  let magnitude = 0;
  let inputErr = 0;
  leaves(input).forEach((t, i) => {
    const num = numericGradient(loss, t, eps);
    const a = analyticInput[i];
    if (!a || a.length !== num.length) throw new Error(`gradcheck: gradInput ${i + 1} has ${a?.length ?? 0} elements, input ${num.length}`);
    const { err, mag } = maxError(a, num);
    inputErr = Math.max(inputErr, err);
    magnitude = Math.max(magnitude, mag);
  });

  const paramErrs: number[] = [];
  if (p) {
    p[0].forEach((w, i) => {
      const num = numericGradient(loss, w, eps);
      const { err, mag } = maxError(analyticParams[i]!, num);
      paramErrs.push(err);
      magnitude = Math.max(magnitude, mag);
    });
  }

  // Accumulation: backward(1) then backward(0.5) must give 1.5 × the gradient.
  let scaleErr = 0;
  if (p && options.checkScale !== false) {
    module.zeroGradParameters();
    module.forward(input);
    module.backward(input, gradOutput, 1);
    module.forward(input);
    module.backward(input, gradOutput, 0.5);
    p[1].forEach((g, i) => {
      const got = g.values();
      const want = analyticParams[i]!;
      let m = 1;
      for (const v of want) m = Math.max(m, Math.abs(v));
      for (let k = 0; k < got.length; k++) scaleErr = Math.max(scaleErr, Math.abs(got[k]! - 1.5 * want[k]!) / m);
    });
    module.zeroGradParameters();
  }
  return { input: inputErr, params: paramErrs, scale: scaleErr, magnitude };
}

/** gradCheck, each error checked with expect (the failure names the part and the tolerance). */
export function assertGradCheck(module: Module, input: Activity, options: GradCheckOptions = {}): GradCheckResult {
  const tol = options.tolerance ?? 1e-6;
  const r = gradCheck(module, input, options);
  const name = `gradcheck of ${module.className}`;
  expect(r.magnitude, `${name}: all numeric gradients are zero (the check would be vacuous)`).toBeGreaterThan(0);
  expect(r.input, `${name}: gradInput error (tolerance ${tol})`).toBeLessThanOrEqual(tol);
  r.params.forEach((e, i) => expect(e, `${name}: gradParameter ${i + 1} error (tolerance ${tol})`).toBeLessThanOrEqual(tol));
  expect(r.scale, `${name}: accumulation with scale error (tolerance ${tol})`).toBeLessThanOrEqual(tol);
  return r;
}
