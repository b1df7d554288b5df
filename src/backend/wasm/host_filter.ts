// A convolution filter read where the parameters live: Torch's [co, ci, kh, kw] order in the
// weight storage's host array (after getParameters, a stretch of the flat parameter vector
// that optim.sgd updates in place). The tap kernels want B as rows of 16-column tiles, so
// every GEMM packs its B anyway; packing straight from Torch's order makes the tfjs filter
// tensor (an upload of the weight and a Transpose to [kh, kw, ci, co] per call) unnecessary,
// and the weight gradient is accumulated into its Torch-ordered host array the same way.

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

/** The forward's B: bmat[t][i][j] = W[j][i][t] (rows of ldb floats, columns j >= co zero). */
export function packForward(f: HostFilter, bmat: Float32Array, ldb: number): void {
  const { values: w, co, ci } = f;
  const taps = f.kh * f.kw;
  for (let t = 0; t < taps; t++) {
    for (let i = 0; i < ci; i++) {
      const dst = (t * ci + i) * ldb;
      for (let j = 0, src = i * taps + t; j < co; j++, src += ci * taps) bmat[dst + j] = w[src]!;
      bmat.fill(0, dst + co, dst + ldb);
    }
  }
  filterPacks.calls++;
  filterPacks.floats += taps * ci * co;
}

/** The input gradient's B: bmat[t][j][i] = W[j][i][t] (rows of ldb floats, columns i >= ci zero). */
export function packInputGrad(f: HostFilter, bmat: Float32Array, ldb: number): void {
  const { values: w, co, ci } = f;
  const taps = f.kh * f.kw;
  for (let t = 0; t < taps; t++) {
    for (let j = 0; j < co; j++) {
      const dst = (t * co + j) * ldb;
      for (let i = 0, src = j * ci * taps + t; i < ci; i++, src += taps) bmat[dst + i] = w[src]!;
      bmat.fill(0, dst + ci, dst + ldb);
    }
  }
  filterPacks.calls++;
  filterPacks.floats += taps * ci * co;
}
