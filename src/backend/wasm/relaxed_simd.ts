// Relaxed SIMD's fused multiply-add (f32x4.relaxed_madd) for the convolution kernels' inner
// products. Plain wasm SIMD has no FMA: each term is a multiply rounded to float32, then an
// add rounded again; relaxed_madd may fuse them (one rounding: as accurate or more, and on
// x64 with FMA3 one instruction instead of two). Relaxed SIMD is on by default from V8 11.4
// (Node 22); Node 20 has it only behind --experimental-wasm-relaxed-simd.
//
// MPELU_RELAXED_SIMD: unset or 1, use it, turning V8's flag on at run time where the engine
// does not validate it by itself (Node 20: v8.setFlagsFromString, before any kernel compiles;
// 13-17 % faster ResNet-164 steps there, the whole test suite passes at unchanged tolerances);
// 0, never (the plain multiply and add, bit-identical on every machine). The choice is made
// once per process, so every thread compiles the same kernels.

import { createRequire } from 'node:module';
import type { Code } from './encoder.js';

declare const WebAssembly: { validate(bytes: Uint8Array): boolean };

/** (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd) */
const PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 0x60, 3, 0x7b, 0x7b, 0x7b, 1, 0x7b, 3, 2, 1, 0,
  10, 13, 1, 11, 0, 0x20, 0, 0x20, 1, 0x20, 2, 0xfd, 0x85, 0x02, 0x0b,
]);

function validates(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(PROBE);
  } catch {
    return false;
  }
}

let decided: boolean | undefined;

/** Whether the conv kernels use f32x4.relaxed_madd in this process (decided on first call). */
export function relaxedMaddActive(): boolean {
  if (decided !== undefined) return decided;
  const want = typeof process !== 'undefined' ? process.env?.['MPELU_RELAXED_SIMD'] : undefined;
  if (want === '0') return (decided = false);
  if (!validates()) {
    try {
      const v8 = createRequire(import.meta.url)('node:v8') as { setFlagsFromString(flags: string): void };
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // not Node: leave the engine as it is
    }
  }
  return (decided = validates());
}

/** Appends acc + a * b (operands pushed by the callbacks) using relaxed_madd when active. */
export function emitMulAdd(c: Code, acc: number, a: number, b: number): Code {
  if (relaxedMaddActive()) return c.get(a).get(b).get(acc).simd('f32x4.relaxed_madd');
  return c.get(acc).get(a).get(b).simd('f32x4.mul').simd('f32x4.add');
}
