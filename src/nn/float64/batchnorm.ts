// Float64 host kernels for nn.(Spatial)BatchNormalization (Double tensors), following
// THNN's BatchNormalization.c: per feature f over every other dim (n = N*H*W values).
// Layout: [N, C, S] flattened (S = H*W, 1 for 2-d input).

export interface BNShape {
  n: number;
  c: number;
  s: number;
}

export interface BNStats {
  /** Per feature: the mean used to normalize. */
  mean: Float64Array;
  /** Per feature: 1 / sqrt(var + eps) used to normalize. */
  invstd: Float64Array;
  /** Per feature: the unbiased batch variance (training only), for the running average. */
  unbiasedVar: Float64Array | null;
}

/** Batch statistics (training): mean, invstd with the biased variance, and the unbiased variance. */
export function bnBatchStats(x: Float64Array, sh: BNShape, eps: number): BNStats {
  const { n, c, s } = sh;
  const count = n * s;
  const mean = new Float64Array(c);
  const invstd = new Float64Array(c);
  const unbiasedVar = new Float64Array(c);
  for (let f = 0; f < c; f++) {
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + f) * s;
      for (let k = 0; k < s; k++) sum += x[base + k]!;
    }
    const m = sum / count;
    let sq = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + f) * s;
      for (let k = 0; k < s; k++) {
        const d = x[base + k]! - m;
        sq += d * d;
      }
    }
    mean[f] = m;
    invstd[f] = sq === 0 && eps === 0 ? 0 : 1 / Math.sqrt(sq / count + eps);
    unbiasedVar[f] = sq / (count - 1);
  }
  return { mean, invstd, unbiasedVar };
}

/** Running statistics (evaluate): invstd = 1 / sqrt(running_var + eps). */
export function bnRunningStats(runningMean: Float64Array, runningVar: Float64Array, eps: number): BNStats {
  return { mean: runningMean.slice(), invstd: runningVar.map((v) => 1 / Math.sqrt(v + eps)), unbiasedVar: null };
}

/** y = (x - mean) * invstd * w + b. */
export function bnForward(x: Float64Array, sh: BNShape, st: BNStats, weight: Float64Array | null, bias: Float64Array | null): Float64Array {
  const { n, c, s } = sh;
  const y = new Float64Array(x.length);
  for (let f = 0; f < c; f++) {
    const m = st.mean[f]!;
    const is = st.invstd[f]!;
    const w = weight ? weight[f]! : 1;
    const bb = bias ? bias[f]! : 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + f) * s;
      for (let k = 0; k < s; k++) y[base + k] = (x[base + k]! - m) * is * w + bb;
    }
  }
  return y;
}

export interface BNBackward {
  gradInput: Float64Array | null;
  /** Per feature: sum over (x - mean) * dy * invstd (the unscaled weight gradient). */
  gradWeight: Float64Array;
  /** Per feature: sum of dy (the unscaled bias gradient). */
  gradBias: Float64Array;
}

/**
 * THNN's BatchNormalization_backward. In training the batch statistics are used and
 * the gradient flows through them; in evaluate mode the running statistics are
 * constants, so gradInput = dy * invstd * w.
 */
export function bnBackward(
  x: Float64Array,
  dy: Float64Array,
  sh: BNShape,
  st: BNStats,
  weight: Float64Array | null,
  train: boolean,
  wantGradInput: boolean,
): BNBackward {
  const { n, c, s } = sh;
  const count = n * s;
  const gradInput = wantGradInput ? new Float64Array(x.length) : null;
  const gradWeight = new Float64Array(c);
  const gradBias = new Float64Array(c);
  for (let f = 0; f < c; f++) {
    const m = st.mean[f]!;
    const is = st.invstd[f]!;
    const w = weight ? weight[f]! : 1;
    let sum = 0;
    let dotp = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + f) * s;
      for (let k = 0; k < s; k++) {
        const g = dy[base + k]!;
        sum += g;
        dotp += (x[base + k]! - m) * g;
      }
    }
    if (gradInput) {
      if (train) {
        const k2 = (dotp * is * is) / count;
        const gradMean = sum / count;
        for (let b = 0; b < n; b++) {
          const base = (b * c + f) * s;
          for (let k = 0; k < s; k++) {
            gradInput[base + k] = (dy[base + k]! - gradMean - (x[base + k]! - m) * k2) * is * w;
          }
        }
      } else {
        for (let b = 0; b < n; b++) {
          const base = (b * c + f) * s;
          for (let k = 0; k < s; k++) gradInput[base + k] = dy[base + k]! * is * w;
        }
      }
    }
    gradWeight[f] = dotp * is;
    gradBias[f] = sum;
  }
  return { gradInput, gradWeight, gradBias };
}
