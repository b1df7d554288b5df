// CIFAR-shaped synthetic data for the benches: n images of deterministic pseudo-random bytes
// (an LCG seeded by `seed`), labels 1..10 in turn.

import type { CifarSplit } from '../../src/data/cifar.js';

export function syntheticCifarSplit(n: number, seed: number): CifarSplit {
  const data = new Uint8Array(n * 3072);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  const labels = new Uint8Array(n).map((_, i) => (i % 10) + 1);
  return { data, labels, size: n };
}
