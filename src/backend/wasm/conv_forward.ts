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
// of tap_gemm.ts computes exactly that walk (C = load ? C + AB : AB); this kernel has its own
// instance of it per heap (own scratch).
// Taps whose x would fall in the padding are clipped by output row/column ranges. y starts
// as the bias (or, without bias, the covering tap overwrites first; else zeros).

import type * as tf from '@tensorflow/tfjs-core';
import { perHeap, type WasmHeapBackend } from './heap.js';
import { partOf } from './split_calls.js';
import { wasmSimd, KillSwitch } from './kill_switch.js';
import { bIndex, bPanels, copyOutPadded, fusesTaps3x3, NC, residualAddTakes, TapKernels, tapGemmSupported, tapOrder, tapRanges, type ConvTapGeometry } from './tap_gemm.js';
import { isHostFilter, type HostFilter } from './host_filter.js';
import { forwardLayout, winogradConv3x3, winogradTakes } from './winograd.js';

type Info = tf.TensorInfo;

/** The tap kernels on each heap, this kernel's own instance (own scratch). */
const heapKernels = perHeap((heap) => new TapKernels(heap, 'Conv2D (wasm SIMD)'));

export interface ForwardGeometry extends ConvTapGeometry {
  /** Output rows and columns. */
  ho: number;
  wo: number;
  /** May a 3x3 stride-1 pad-1 layer run as Winograd F(2x2, 3x3) (winograd.ts)? */
  winograd?: boolean;
}

/**
 * The SIMD forward convolution's switch (off: tf.fused.conv2d, XNNPACK;
 * MPELU_CONV_FORWARD_SIMD=0 starts off, MPELU_WASM_SIMD=0 turns it off too).
 */
export const convForwardSimd = new KillSwitch('MPELU_CONV_FORWARD_SIMD', wasmSimd);

/** x bytes per call group: a group's x rows stay in cache across the column tiles. */
const GROUP_BYTES = 128 * 1024;
/** Column tiles innermost while one tap of B (Ci x padded Co floats) is this small. */
const INNER_B_BYTES = 32 * 1024;

/**
 * y [n, ho, wo, co] of a channels-last float32 conv on the wasm heap (plus bias [co] when
 * given), or null when it cannot run here (switched off, no SIMD, not float32, not the wasm
 * heap). It takes every layer: each ResNet-164 layer measured 1.2-2.5x faster than XNNPACK
 * with a new filter per call (bench/conv_forward), the 3->16 stem too (unlike the input
 * gradient, the few input channels are the short term count, not padded tile columns).
 * With `addend` (same shape as y) y = conv + addend, the add made in the kernel's store; null
 * when the layer is not one where that is the same arithmetic (see below).
 */
export function conv2dForwardWasmSimd(backend: tf.KernelBackend, x: Info, filter: Info | HostFilter, bias: Info | Float32Array | null, g: ForwardGeometry, addend: Info | null = null): Info | null {
  const host = isHostFilter(filter);
  const hostBias = bias instanceof Float32Array;
  if (!convForwardSimd.enabled() || x.dtype !== 'float32' || (!host && filter.dtype !== 'float32') || (bias && !hostBias && bias.dtype !== 'float32') || !tapGemmSupported()) return null;
  const be = backend as WasmHeapBackend;
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [kh, kw, fci, co] = host ? [filter.kh, filter.kw, filter.ci, filter.co] : (filter.shape as [number, number, number, number]);
  const { sh, sw, pt, pl, ho, wo } = g;
  const biasLength = bias ? (hostBias ? bias.length : bias.shape.length === 1 ? bias.shape[0] : -1) : co;
  if (fci !== ci || kh !== g.kh || kw !== g.kw || biasLength !== co) return null;
  const kern = heapKernels(backend);
  if (!kern) return null;
  const taps = kh * kw;
  const nTiles = Math.ceil(co / NC);
  const ldb = nTiles * NC;
  // C is y itself when co fills the tiles; B is W itself when, besides, W lies on the heap in
  // tfjs's [kh, kw, ci, co] order (a host filter, Torch's order, is packed)
  const direct = co % NC === 0;
  const packB = host || !direct;
  const positions = n * ho * wo;
  const colsInner = ci * ldb * 4 <= INNER_B_BYTES;
  // a 3x3 stride-1 pad-1 layer: the nine taps in one call per group of images (tap3x3.ts)
  const fused = !addend && ci > 0 && fusesTaps3x3(g, h, w, ho, wo, ci);
  // a packed B sweeps one column tile over every position in panels (tap_gemm.ts's bPanels)
  // (the fused taps sweep every column tile per position tile: panels keep each one's rows together)
  const panels = packB && (fused ? nTiles > 1 : bPanels(colsInner, nTiles));
  const bFloats = packB ? taps * ci * ldb : 0;
  const cFloats = direct ? 0 : positions * ldb;

  // y = conv + addend in the kernel's store (the residual add): without bias, y rows the tiles'
  if (addend && !(residualAddTakes(addend, [n, ho, wo, co], g) && ho === h && wo === w && !bias && direct && ci > 0)) return null;
  const out = be.makeOutput([n, ho, wo, co], 'float32');
  if (positions === 0 || co === 0) {
    convForwardSimd.ran();
    return out;
  }
  if (g.winograd && winogradTakes(kh, kw, sh, sw, pt, pl, h, w, ho, wo, ci, co)) {
    const heapFloats = (info: Info, count: number) => new Float32Array(kern.memory.buffer, be.getMemoryOffset(info.dataId), count);
    const layout = () => forwardLayout(host ? filter : heapFloats(filter, 9 * ci * co), ci, co);
    const biasValues = () => (bias ? (hostBias ? bias : heapFloats(bias, co)) : null);
    if (winogradConv3x3(backend, x, out, ci, co, layout, biasValues, () => backend.disposeData(out.dataId))) {
      convForwardSimd.ran();
      return out;
    }
  }
  const ranges = tapRanges(g, ho, wo, h, w);
  // a tap that reaches every output position
  const cover = ranges.findIndex((r) => r[0] === 0 && r[1] === ho && r[2] === 0 && r[3] === wo);
  // the covering tap runs first and starts from the bias row (padded to the tiles, in scratch):
  // no pass over y writes the bias first
  const biasRow = bias && cover >= 0 && ci > 0;
  const rowFloats = biasRow ? ldb : 0;
  const rawFloats = host ? taps * ci * co : 0; // a host filter's values, copied in to be packed
  const zeroFloats = fused ? ci : 0; // the row of zeros the fused taps read in the padding
  const scratch = packB || !direct || biasRow || fused
    ? kern.scratch.reserveOrRelease(4 * (bFloats + cFloats + rowFloats + zeroFloats + rawFloats) + 16, () => backend.disposeData(out.dataId))
    : 0;
  // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
  const heap = kern.memory.buffer;
  const outOff = be.getMemoryOffset(out.dataId);
  const xOff = be.getMemoryOffset(x.dataId);
  let bBase = 0;
  if (host) {
    bBase = scratch;
    kern.packHost(filter, bBase, ldb, scratch + 4 * (bFloats + cFloats + rowFloats + zeroFloats), false, panels);
  } else if (packB) {
    // B[t][i][j] = W[t][i][j], columns j >= co zero
    bBase = scratch;
    const wsrc = new Float32Array(heap, be.getMemoryOffset(filter.dataId), taps * ci * co);
    const bmat = new Float32Array(heap, bBase, bFloats);
    for (let t = 0; t < taps; t++) {
      for (let i = 0; i < ci; i++) {
        const src = (t * ci + i) * co;
        for (let j = 0; j < ldb; j++) bmat[bIndex(t, i, j, ci, ldb, panels)] = j < co ? wsrc[src + j]! : 0;
      }
    }
  } else {
    bBase = be.getMemoryOffset(filter.dataId);
  }
  const cBase = direct ? outOff : scratch + 4 * bFloats;
  const cPos = 4 * ldb; // bytes per C position (ldb = co when direct)
  const cAll = new Float32Array(heap, cBase, positions * ldb);

  let first = 1; // the first tap's start: 1, C (filled here); 0, zeros; else the bias row's address
  if (biasRow && bias) {
    const rowBase = scratch + 4 * (bFloats + cFloats);
    const row = new Float32Array(heap, rowBase, ldb);
    row.set(hostBias ? bias : new Float32Array(heap, be.getMemoryOffset(bias.dataId), co));
    row.fill(0, co);
    first = rowBase;
  } else if (bias) {
    // every position starts as the bias: one row written, then doubled by copyWithin
    const bv = hostBias ? bias : new Float32Array(heap, be.getMemoryOffset(bias.dataId), co);
    cAll.set(bv, 0);
    if (ldb > co) cAll.fill(0, co, ldb);
    for (let filled = ldb, total = positions * ldb; filled < total; filled *= 2) cAll.copyWithin(filled, 0, Math.min(filled, total - filled));
  } else if (cover >= 0 && ci > 0) {
    first = 0;
  } else {
    cAll.fill(0);
  }
  const perImage = h * w * ci * 4;
  const group = Math.max(1, Math.floor(GROUP_BYTES / perImage));
  const xPos = 4 * ci;
  const aw = { outer: h * w * xPos, row: sh * w * xPos, col: sw * xPos };
  const cw = { outer: ho * wo * cPos, row: wo * cPos, col: cPos };
  // threads take whole groups of images: each y position is summed by one thread, as before
  const groups = Math.ceil(n / group);
  const split = kern.split(groups);
  // (the centre tap covers every position of a 3x3 pad-1 layer: the start is zeros or the bias row)
  if (fused && first !== 1) {
    const zeroAt = scratch + 4 * (bFloats + cFloats + rowFloats);
    new Float32Array(heap, zeroAt, zeroFloats).fill(0);
    for (let gi = 0, n0 = 0; n0 < n; n0 += group, gi++) {
      const outer = Math.min(group, n - n0);
      kern.run3x3(split, partOf(gi, groups, split.parts), false, xOff + n0 * h * w * xPos, bBase, cBase + n0 * ho * wo * cPos, nTiles, ci, outer, h, w, xPos, cPos, first, zeroAt, gi, panels);
    }
    split.finish();
    if (!direct) copyOutPadded(kern.memory, cBase, outOff, positions, ldb, co);
    convForwardSimd.ran();
    return out;
  }
  const order = tapOrder(taps, cover);
  for (let gi = 0, n0 = 0; n0 < n; n0 += group, gi++) {
    const part = partOf(gi, groups, split.parts);
    const outer = Math.min(group, n - n0);
    for (let idx = 0; idx < order.length; idx++) {
      const t = order[idx]!;
      const [oh0, oh1, ow0, ow1] = ranges[t]!;
      if (oh1 <= oh0 || ow1 <= ow0 || ci === 0) continue;
      const a = Math.floor(t / kw);
      const e = t - a * kw;
      // with an addend (one tap) the start is zeros and `load` the addend's distance from y
      const load = addend ? be.getMemoryOffset(addend.dataId) - outOff : idx > 0 ? 1 : first;
      const ap = xOff + ((n0 * h + oh0 * sh + a - pt) * w + ow0 * sw + e - pl) * xPos;
      const cp = cBase + ((n0 * ho + oh0) * wo + ow0) * cPos;
      const bp = bBase + t * ci * ldb * 4;
      kern.run(split, part, colsInner, ap, bp, cp, nTiles, ci, outer, oh1 - oh0, ow1 - ow0, aw, cw, load, gi, addend !== null, panels); // a group's taps add into its outputs: one unit
    }
  }
  split.finish();
  if (!direct) copyOutPadded(kern.memory, cBase, outOff, positions, ldb, co);
  convForwardSimd.ran();
  return out;
}
