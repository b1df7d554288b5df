// The suite's one seeded generator for test data: reproducible values without touching
// Torch's generator (whose state other suites check).

/** A small seeded uniform generator on [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Float32-representable values in [lo, hi), with a few exact zeros when `zeros`. */
export function data(n: number, seed: number, lo = -2, hi = 2, zeros = false): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = zeros && i % 17 === 3 ? 0 : lo + (hi - lo) * r();
  return out;
}

/** n standard-normal values (Box-Muller on rng(seed)). */
export function normals(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

/** The element count of a shape. */
export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
