// A convolution filter read where the parameters live: Torch's [co, ci, kh, kw] order in the
// weight storage's host array (after getParameters, a stretch of the flat parameter vector
// that optim.sgd updates in place). The tap kernels want B as rows of 16-column tiles, so
// every GEMM packs its B anyway (TapKernels.packHost, in wasm); packing straight from Torch's
// order makes the tfjs filter tensor (an upload of the weight and a Transpose to
// [kh, kw, ci, co] per call) unnecessary, and the weight gradient is accumulated into its
// Torch-ordered host array the same way.

/** A float32 filter in Torch's [co, ci, kh, kw] order (values: co*ci*kh*kw floats). */
export interface HostFilter {
  readonly values: Float32Array;
  readonly co: number;
  readonly ci: number;
  readonly kh: number;
  readonly kw: number;
}

export function isHostFilter(f: unknown): f is HostFilter {
  return typeof f === 'object' && f !== null && (f as HostFilter).values instanceof Float32Array && 'co' in f;
}

/** Floats the packs moved (for bench/train_step: the kernels' own packing, per step). */
export const filterPacks = { calls: 0, floats: 0 };
