// What the fused MPELU and batch-norm kernels are made of: their tfjs kernel names, the
// spec each one is written as (output shapes, a JS loop over Float32Arrays, optionally a
// WebAssembly SIMD path), and small layout helpers the specs share. register.ts turns
// each spec into a cpu and a wasm tfjs kernel; mpelu.ts and batchnorm.ts hold the specs.

import { tf } from '../../torch/tfjs_core.js';
import { simdWidth, type SimdKernels } from '../wasm/mpelu_batchnorm.js';

export const FUSED = {
  mpeluForward: 'MpeluMpeluForward',
  mpeluBackward: 'MpeluMpeluBackward',
  batchNormTrain: 'MpeluBatchNormTrain',
  batchNormEval: 'MpeluBatchNormEval',
  batchNormBackward: 'MpeluBatchNormBackward',
  mpeluBatchNormBackward: 'MpeluMpeluBatchNormBackward',
} as const;

export type Info = tf.TensorInfo;
export type F32 = Float32Array;
export type Attrs = Record<string, unknown>;

export interface FusedSpec {
  name: string;
  /** Output shapes (all float32). */
  outputs(inputs: Record<string, Info>, attrs: Attrs): number[][];
  /** Fills `outs` from `ins` (inputs that were not given are absent). */
  run(ins: Record<string, F32>, outs: F32[], inputs: Record<string, Info>, attrs: Attrs): void;
  /** wasm: fills the outputs with the SIMD kernels; false when the layout is not covered. */
  simd?(call: SimdCall): boolean;
}

/**
 * What a SIMD kernel gets: heap offsets and fresh heap views. A view must not be held
 * across a kernel call (the scratch malloc may grow the heap and detach it).
 */
export interface SimdCall {
  k: SimdKernels;
  inputs: Record<string, Info>;
  outs: Info[];
  attrs: Attrs;
  off(info: Info): number;
  view(info: Info): F32;
}

// ---------------------------------------------------------------------------------
// Layout helpers

/**
 * A channels-last batch-norm input as rows for the SIMD kernels: C channels, row width W
 * (C tiled to whole vectors), its element count and n = total / C; null when it does not tile.
 */
export function channelRows(x: Info): { total: number; C: number; W: number; n: number } | null {
  const total = tf.util.sizeFromShape(x.shape);
  const C = x.shape[x.shape.length - 1]!;
  const W = simdWidth(total, C);
  return W === null ? null : { total, C, W, n: total / C };
}

/** A shape as [outer, C, inner] around the channel axis. */
export function layout(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

/** Per-channel sums into a [C] output, or their total into a [1] (shared) one. */
export function reduceTo(g: Float64Array, out: F32): void {
  if (out.length === g.length) {
    for (let c = 0; c < g.length; c++) out[c] = g[c]!;
  } else {
    let s = 0;
    for (let c = 0; c < g.length; c++) s += g[c]!;
    out[0] = s;
  }
}
