// The forward convolution on tfjs-backend-wasm as a WebAssembly SIMD kernel on the backend's
// own heap, for the layers where it beats XNNPACK's Conv2D with a new filter tensor per call
// (as in training: XNNPACK packs the filter into a new operator for every filter tensor).
//
//   y[n, oh, ow, co] = bias[co] + sum over taps (a, e) and ci of
//                      x[n, oh*sH+a-pT, ow*sW+e-pL, ci] * W[a, e, ci, co]
//
// This is the input gradient's per-tap product with the roles swapped: for each filter tap,
// C += A B with A the x positions the tap reads ([P, Ci], read in place, walked with the
// conv's strides), B the tap's filter ([Ci, Co], columns zero-padded to the tile in scratch,
// or W itself when Co fills the tiles) and C the y positions. The register-tiled tap kernel
// of wasm_conv_input_grad.ts computes exactly that walk (C = load ? C + AB : AB), so its
// module is instantiated here a second time (own scratch) rather than assembled anew.
// Taps whose x would fall in the padding are clipped by output row/column ranges. y starts
// as the bias (or, without bias, the covering tap overwrites first; else zeros).

import type * as tf from '@tensorflow/tfjs-core';
import { convInputGradSimdSupported, MR, NV, TapKernels } from './wasm_conv_input_grad.js';
import { perHeap, validRange, type ConvTapGeometry, type WasmHeapBackend } from './wasm_heap.js';

type Info = tf.TensorInfo;
const NC = 4 * NV;

/** The input gradient's tap kernels, a second instance per heap with its own scratch. */
const heapKernels = perHeap((heap) => new TapKernels(heap, 'Conv2D (wasm SIMD)'));

/** Whether this engine compiles the kernel (WebAssembly SIMD). */
export function convForwardSimdSupported(): boolean {
  return convInputGradSimdSupported();
}

export interface ForwardGeometry extends ConvTapGeometry {
  /** Output rows and columns. */
  ho: number;
  wo: number;
}

const runs = { simd: 0 };

let enabled = typeof process === 'undefined' || process.env?.['MPELU_CONV_FORWARD_SIMD'] !== '0';

/**
 * Turns the SIMD forward convolution on or off (off: tf.fused.conv2d, XNNPACK, as before;
 * MPELU_CONV_FORWARD_SIMD=0 starts off, and MPELU_WASM_SIMD=0 turns it off too).
 */
export function setConvForwardSimdEnabled(on: boolean): void {
  enabled = on;
}

export function convForwardSimdEnabled(): boolean {
  return enabled;
}

/** How many forward convolutions ran as the SIMD kernel (for tests and benchmarks). */
export function convForwardSimdRuns(): number {
  return runs.simd;
}

/** x bytes per call group: a group's x rows stay in cache across the column tiles. */
const GROUP_BYTES = 128 * 1024;
/** Column tiles innermost while one tap of B (Ci x padded Co floats) is this small. */
const INNER_B_BYTES = 32 * 1024;

/**
 * Whether the kernel takes a layer (filter kh x kw, ci -> co channels, strides sh, sw): only
 * where it measured faster than XNNPACK with a new filter per call (bench/conv_forward). That
 * is every ResNet-164 layer, 1.2-2.5x (the 3->16 stem too: unlike the input gradient, the
 * few input channels are the short term count, not padded tile columns), so every layer.
 */
export function convForwardSimdTakes(_kh: number, _kw: number, _ci: number, _co: number, _sh: number, _sw: number): boolean {
  return true;
}

/**
 * y [n, ho, wo, co] of a channels-last float32 conv on the wasm heap (plus bias [co] when
 * given), or null when the kernel does not take it or cannot run here.
 */
export function conv2dForwardWasmSimd(backend: tf.KernelBackend, x: Info, filter: Info, bias: Info | null, g: ForwardGeometry): Info | null {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias && bias.dtype !== 'float32') || !convForwardSimdSupported()) return null;
  const be = backend as WasmHeapBackend;
  if (typeof be.getMemoryOffset !== 'function' || typeof be.makeOutput !== 'function') return null;
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [kh, kw, fci, co] = filter.shape as [number, number, number, number];
  const { sh, sw, pt, pl, ho, wo } = g;
  if (fci !== ci || kh !== g.kh || kw !== g.kw || (bias && bias.shape.length !== 1) || (bias && bias.shape[0] !== co)) return null;
  if (!convForwardSimdTakes(kh, kw, ci, co, sh, sw)) return null;
  const kern = heapKernels(be);
  if (!kern) return null;
  const taps = kh * kw;
  const nTiles = Math.ceil(co / NC);
  const ldb = nTiles * NC;
  const direct = co % NC === 0;
  const positions = n * ho * wo;
  const bFloats = direct ? 0 : taps * ci * ldb;
  const cFloats = direct ? 0 : positions * ldb;

  const out = be.makeOutput([n, ho, wo, co], 'float32');
  if (positions === 0 || co === 0) {
    runs.simd++;
    return out;
  }
  let scratch = 0;
  if (!direct) {
    try {
      scratch = kern.scratch.reserve(4 * (bFloats + cFloats) + 16);
    } catch (e) {
      backend.disposeData(out.dataId);
      throw e;
    }
  }
  // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
  const heap = kern.memory.buffer;
  const outOff = be.getMemoryOffset(out.dataId);
  const xOff = be.getMemoryOffset(x.dataId);
  const fOff = be.getMemoryOffset(filter.dataId);
  let bBase = fOff;
  if (!direct) {
    // B[t][i][j] = W[t][i][j], columns j >= co zero
    bBase = scratch;
    const wsrc = new Float32Array(heap, fOff, taps * ci * co);
    const bmat = new Float32Array(heap, bBase, bFloats);
    for (let r = 0; r < taps * ci; r++) {
      const src = r * co;
      const dst = r * ldb;
      for (let j = 0; j < co; j++) bmat[dst + j] = wsrc[src + j]!;
      for (let j = co; j < ldb; j++) bmat[dst + j] = 0;
    }
  }
  const cBase = direct ? outOff : scratch + 4 * bFloats;
  const cPos = 4 * ldb; // bytes per C position (ldb = co when direct)
  const cAll = new Float32Array(heap, cBase, positions * ldb);

  const ranges: [number, number, number, number][] = [];
  let cover = -1; // a tap that reaches every output position
  for (let a = 0; a < kh; a++) {
    for (let e = 0; e < kw; e++) {
      const r = [...validRange(ho, sh, a - pt, h), ...validRange(wo, sw, e - pl, w)] as [number, number, number, number];
      ranges.push(r);
      if (cover < 0 && r[0] === 0 && r[1] === ho && r[2] === 0 && r[3] === wo) cover = ranges.length - 1;
    }
  }
  let first = 1; // whether the first tap run adds to C (C filled) or overwrites it
  if (bias) {
    // every position starts as the bias: one row written, then doubled by copyWithin
    const bv = new Float32Array(heap, be.getMemoryOffset(bias.dataId), co);
    cAll.set(bv, 0);
    if (ldb > co) cAll.fill(0, co, ldb);
    for (let filled = ldb, total = positions * ldb; filled < total; filled *= 2) cAll.copyWithin(filled, 0, Math.min(filled, total - filled));
  } else if (cover >= 0 && ci > 0) {
    first = 0;
  } else {
    cAll.fill(0);
  }
  const order = cover < 0 ? ranges.map((_, t) => t) : [cover, ...ranges.map((_, t) => t).filter((t) => t !== cover)];
  const perImage = h * w * ci * 4;
  const group = Math.max(1, Math.floor(GROUP_BYTES / perImage));
  const xPos = 4 * ci;
  const fns = ci * ldb * 4 <= INNER_B_BYTES ? kern.fnsInner : kern.fns;
  const aOuter = h * w * xPos;
  const aRow = sh * w * xPos;
  const aCol = sw * xPos;
  const cOuter = ho * wo * cPos;
  const cRow = wo * cPos;
  for (let n0 = 0; n0 < n; n0 += group) {
    const outer = Math.min(group, n - n0);
    for (let idx = 0; idx < order.length; idx++) {
      const t = order[idx]!;
      const [oh0, oh1, ow0, ow1] = ranges[t]!;
      if (oh1 <= oh0 || ow1 <= ow0 || ci === 0) continue;
      const a = Math.floor(t / kw);
      const e = t - a * kw;
      const load = idx > 0 ? 1 : first;
      const ap = xOff + ((n0 * h + oh0 * sh + a - pt) * w + ow0 * sw + e - pl) * xPos;
      const cp = cBase + ((n0 * ho + oh0) * wo + ow0) * cPos;
      const bp = bBase + t * ci * ldb * 4;
      const rows = oh1 - oh0;
      const cols = ow1 - ow0;
      const full = Math.floor(cols / MR);
      const rest = cols - full * MR;
      if (full > 0) fns[MR - 1]!(ap, bp, cp, nTiles, ci, outer, rows, full, aOuter, aRow, aCol, cOuter, cRow, cPos, ldb * 4, load);
      if (rest > 0) fns[rest - 1]!(ap + full * MR * aCol, bp, cp + full * MR * cPos, nTiles, ci, outer, rows, 1, aOuter, aRow, aCol, cOuter, cRow, cPos, ldb * 4, load);
    }
  }
  if (!direct) {
    const src = new Float32Array(kern.memory.buffer, cBase, positions * ldb);
    const dst = new Float32Array(kern.memory.buffer, outOff, positions * co);
    for (let p = 0, k = 0; p < positions; p++) {
      const row = p * ldb;
      for (let j = 0; j < co; j++, k++) dst[k] = src[row + j]!;
    }
  }
  runs.simd++;
  return out;
}
