// The register tile's width and its loop over k terms, which the per-tap kernels (tap_gemm.ts)
// and the fused 3x3 taps (tap3x3.ts) share: one loop, so both sum every term with the same
// operations in the same order (the fused kernel's bit-identity with the per-tap one rests
// on it).

import type { Fn } from './encoder.js';
import { emitMulAdd } from './relaxed_simd.js';

/** Vectors per row of the register tile. */
export const NV = 4;
/** Columns per tile. */
export const NC = 4 * NV;

/**
 * Emits, for `k` (a local or parameter) terms j: B's row at `bp` into `bv` (NV vectors), then
 * for each position q of the tile acc[q][v] += A[aq[q]] * B[v], aq[q] advancing 4 bytes and
 * bp `ldb` bytes a term. `j` is the loop's counter (a local); `s` a v128 local for the splat.
 */
export function emitTermLoop(f: Fn, acc: readonly number[][], bv: readonly number[], s: number, aq: readonly number[], bp: number, j: number, k: number, ldb: number): void {
  const c = f.code;
  c.get(k).set(j);
  c.loop(); // terms
  for (let v = 0; v < NV; v++) c.get(bp).v128Load(16 * v).set(bv[v]!);
  for (let q = 0; q < aq.length; q++) {
    c.get(aq[q]!).simd('v128.load32_splat', 2, 0).set(s);
    for (let v = 0; v < NV; v++) emitMulAdd(c, acc[q]![v]!, s, bv[v]!).set(acc[q]![v]!);
    c.get(aq[q]!).i32(4).op('i32.add').set(aq[q]!);
  }
  f.inc(bp, ldb);
  f.countDown(j).end();
}
