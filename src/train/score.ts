// train.lua's Trainer:computeScore: top-1 and top-5 error in percent of a batch, the
// scores of ten crops summed first; predictions are the classes with the largest scores
// (topk descending; among equal scores the lower class comes first).

/** Top-k class indices (0-based) of one row, largest first. */
function topk(row: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let c = 0; c < row.length; c++) {
    let at = best.length;
    while (at > 0 && row[best[at - 1]!]! < row[c]!) at--;
    if (at < k) {
      best.splice(at, 0, c);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/**
 * output: (batch * nCrops) x nClasses scores, row-major; target: 1-based labels per image.
 * Returns [top1, top5] error in percent, computed as train.lua does:
 * (1 - correct / batchSize) * 100.
 */
export function computeScore(output: ArrayLike<number>, nClasses: number, target: ArrayLike<number>, nCrops = 1): [number, number] {
  const batchSize = target.length;
  if (output.length !== batchSize * nCrops * nClasses) {
    throw new RangeError(`computeScore: ${output.length} scores for ${batchSize} images x ${nCrops} crops x ${nClasses} classes`);
  }
  let correct1 = 0;
  let correct5 = 0;
  const len = Math.min(5, nClasses);
  const row = new Float64Array(nClasses);
  for (let i = 0; i < batchSize; i++) {
    row.fill(0);
    for (let k = 0; k < nCrops; k++) {
      const at = (i * nCrops + k) * nClasses;
      for (let c = 0; c < nClasses; c++) row[c]! += output[at + c]!;
    }
    // a float32 sum over crops, as output:view():sum(2) on a FloatTensor
    if (nCrops > 1) for (let c = 0; c < nClasses; c++) row[c] = Math.fround(row[c]!);
    const predictions = topk(row, len);
    const label = target[i]! - 1;
    if (predictions[0] === label) correct1++;
    if (predictions.includes(label)) correct5++;
  }
  return [(1.0 - correct1 / batchSize) * 100, (1.0 - correct5 / batchSize) * 100];
}
