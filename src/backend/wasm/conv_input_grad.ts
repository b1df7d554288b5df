// The convolution input gradient on tfjs-backend-wasm as a WebAssembly SIMD kernel on the
// backend's own heap (the tap-GEMM kernels of tap_gemm.ts, importing the backend's memory).
//
//   dx[n, oh*sH+kh-pT, ow*sW+kw-pL, ci] += sum over co of dy[n,oh,ow,co] * W[kh,kw,ci,co]
//
// For each filter tap this is C += A B with A the dy positions ([P, Co], read in place),
// B the tap's filter transposed ([Co, Ci], packed once per call into scratch, its columns
// zero-padded to the tile) and C the dx positions the tap writes, walked with the conv's
// strides (a stride-2 1x1 layer writes every other position and nothing else: the
// composite it replaces zero-upsampled dy and ran a 4x larger convolution over it).
// Taps whose dy would fall outside [0, Ho) x [0, Wo) are clipped by row/column ranges.
// A tap that reaches every dx position runs first and overwrites; otherwise dx starts at 0.
// C is dx itself when Ci is a multiple of the tile width, else a padded scratch copied out
// at the end, so nothing is read or written outside the tensors.

import type * as tf from '@tensorflow/tfjs-core';
import { perHeap, type WasmHeapBackend } from './heap.js';
import { partOf } from './split_calls.js';
import { wasmSimd, KillSwitch } from './kill_switch.js';
import { bIndex, bPanels, copyOutPadded, fusesTaps3x3, NC, residualAddTakes, TapKernels, tapGemmSupported, tapOrder, tapRanges, type ConvTapGeometry } from './tap_gemm.js';
import { isHostFilter, type HostFilter } from './host_filter.js';
import { inputGradLayout, winogradConv3x3, winogradTakes } from './winograd.js';

type Info = tf.TensorInfo;

const heapKernels = perHeap((heap) => new TapKernels(heap, 'Conv2DBackpropInput (wasm SIMD)'));

/**
 * The SIMD input gradient's switch (off: wasm uses the composite of tfjs kernels in
 * tfjs_patches.ts; MPELU_CONV_INPUT_GRAD_SIMD=0 starts off, MPELU_WASM_SIMD=0 turns it off too).
 */
export const convInputGradSimd = new KillSwitch('MPELU_CONV_INPUT_GRAD_SIMD', wasmSimd);

/** dy bytes per call group: a group's dy rows stay in cache across the column tiles. */
const GROUP_BYTES = 128 * 1024;
/** Column tiles innermost while B (Co x padded Ci floats) is this small: ~1.2x on 64->16 1x1. */
const INNER_B_BYTES = 32 * 1024;

/**
 * Whether the kernel takes a layer with ci input channels and these strides: below 8
 * channels most of each 16-wide tile is padding, and XNNPACK's convolution ran the
 * stride-1 3x3 3->16 ResNet stem faster (2.9 vs 4.3 ms); strided layers still win here.
 */
export function convInputGradSimdTakes(ci: number, sh: number, sw: number): boolean {
  return ci >= 8 || sh * sw > 1;
}

/**
 * dx [n, h, w, ci] of a channels-last float32 conv on the wasm heap, or null when the kernel
 * does not take it or cannot run here (switched off, no SIMD, not float32, not the wasm heap).
 * With `addend` (same shape as dx) dx = conv + addend, the add made in the kernel's store; null
 * when the layer is not one where that is the same arithmetic (see below).
 */
export function conv2dBackpropInputWasmSimd(backend: tf.KernelBackend, dy: Info, filter: Info | HostFilter, inputShape: readonly number[], g: ConvTapGeometry & { winograd?: boolean }, addend: Info | null = null): Info | null {
  const host = isHostFilter(filter);
  if (!convInputGradSimd.enabled() || dy.dtype !== 'float32' || (!host && filter.dtype !== 'float32') || !tapGemmSupported()) return null;
  const kern = heapKernels(backend);
  if (!kern) return null;
  const be = backend as WasmHeapBackend;
  const [n, h, w, ci] = inputShape as [number, number, number, number];
  const [, ho, wo, co] = dy.shape as [number, number, number, number];
  const { kh, kw, sh, sw, pt, pl } = g;
  // a filter on the host has no tfjs tensor for XNNPACK to take: the kernel takes every layer
  if (host ? filter.ci !== ci || filter.co !== co || filter.kh !== kh || filter.kw !== kw : !convInputGradSimdTakes(ci, sh, sw)) return null;
  const taps = kh * kw;
  const nTiles = Math.ceil(ci / NC);
  const ldb = nTiles * NC;
  const direct = ci % NC === 0;
  const positions = n * h * w;
  const bFloats = taps * co * ldb;
  const cFloats = direct ? 0 : positions * ldb;

  // dx = conv + addend in the kernel's store (a residual branch's gradient): dx rows the tiles'
  if (addend && !(residualAddTakes(addend, inputShape, g) && ho === h && wo === w && direct && co > 0)) return null;
  const out = be.makeOutput([n, h, w, ci], 'float32');
  const outOff = be.getMemoryOffset(out.dataId);
  if (positions === 0 || ci === 0) {
    convInputGradSimd.ran();
    return out;
  }
  if (co === 0 || ho === 0 || wo === 0) {
    new Float32Array(kern.memory.buffer, outOff, positions * ci).fill(0);
    convInputGradSimd.ran();
    return out;
  }
  // stride 1, pad 1, 3x3: dx is the correlation of dy with the flipped, transposed filter
  if (g.winograd && winogradTakes(kh, kw, sh, sw, pt, pl, ho, wo, h, w, co, ci)) {
    const layout = () => inputGradLayout(host ? filter : new Float32Array(kern.memory.buffer, be.getMemoryOffset(filter.dataId), taps * ci * co), ci, co);
    if (winogradConv3x3(backend, dy, out, co, ci, layout, () => null, () => backend.disposeData(out.dataId))) {
      convInputGradSimd.ran();
      return out;
    }
  }
  const colsInner = co * ldb * 4 <= INNER_B_BYTES;
  // a 3x3 stride-1 pad-1 layer: the nine taps in one call per group of images (tap3x3.ts)
  const fused = !addend && fusesTaps3x3(g, h, w, ho, wo, co);
  // B sweeps one column tile over every position in panels (tap_gemm.ts's bPanels)
  // (the fused taps sweep every column tile per position tile: panels keep each one's rows together)
  const panels = fused ? nTiles > 1 : bPanels(colsInner, nTiles);
  const rawFloats = host ? taps * ci * co : 0; // a host filter's values, copied in to be packed
  const zeroFloats = fused ? co : 0; // the row of zeros the fused taps read outside dy
  const bBase = kern.scratch.reserveOrRelease(4 * (bFloats + cFloats + zeroFloats + rawFloats) + 16, () => backend.disposeData(out.dataId));
  // Views only now: the scratch malloc may have grown (and detached) the heap's buffer.
  const heap = kern.memory.buffer;
  const dyOff = be.getMemoryOffset(dy.dataId);
  const bmat = new Float32Array(heap, bBase, bFloats);
  if (host) {
    kern.packHost(filter, bBase, ldb, bBase + 4 * (bFloats + cFloats + zeroFloats), true, panels);
  } else {
    // B[t][j][i] = W[t][i][j], columns i >= ci zero
    const wsrc = new Float32Array(heap, be.getMemoryOffset(filter.dataId), taps * ci * co);
    for (let t = 0; t < taps; t++) {
      const src = t * ci * co;
      for (let j = 0; j < co; j++) {
        for (let i = 0; i < ldb; i++) bmat[bIndex(t, j, i, co, ldb, panels)] = i < ci ? wsrc[src + i * co + j]! : 0;
      }
    }
  }
  const cBase = direct ? outOff : bBase + 4 * bFloats;
  const cPos = 4 * (direct ? ci : ldb); // bytes per C position

  const perImage = ho * wo * co * 4;
  const group = Math.max(1, Math.floor(GROUP_BYTES / perImage));
  const dyPos = 4 * co;
  const groups = Math.ceil(n / group);
  const split = kern.split(groups);
  if (fused) {
    // every dx position sums its nine taps from zeros, in the per-tap order (the covering centre first)
    const zeroAt = bBase + 4 * (bFloats + cFloats);
    new Float32Array(heap, zeroAt, zeroFloats).fill(0);
    for (let gi = 0, n0 = 0; n0 < n; n0 += group, gi++) {
      const outer = Math.min(group, n - n0);
      kern.run3x3(split, partOf(gi, groups, split.parts), true, dyOff + n0 * ho * wo * dyPos, bBase, cBase + n0 * h * w * cPos, nTiles, co, outer, h, w, dyPos, cPos, 0, zeroAt, gi, panels);
    }
    split.finish();
    if (!direct) copyOutPadded(kern.memory, cBase, outOff, positions, ldb, ci);
    convInputGradSimd.ran();
    return out;
  }
  const ranges = tapRanges(g, ho, wo, h, w);
  // a tap whose dy positions reach every dx position
  const cover = ranges.findIndex((r) => (r[1] - r[0]) * sh >= h && (r[3] - r[2]) * sw >= w && (sh === 1 || h === 1) && (sw === 1 || w === 1));
  // no tap reaches every position (strides, crops): the ones no tap writes stay zero
  if (cover < 0) new Float32Array(heap, cBase, positions * (cPos / 4)).fill(0);
  const order = tapOrder(taps, cover);
  const aw = { outer: ho * wo * dyPos, row: wo * dyPos, col: dyPos };
  const cw = { outer: h * w * cPos, row: sh * w * cPos, col: sw * cPos };
  // threads take whole groups of images: each dx position is summed by one thread, as before
  for (let gi = 0, n0 = 0; n0 < n; n0 += group, gi++) {
    const part = partOf(gi, groups, split.parts);
    const outer = Math.min(group, n - n0);
    for (let idx = 0; idx < order.length; idx++) {
      const t = order[idx]!;
      const [oh0, oh1, ow0, ow1] = ranges[t]!;
      if (oh1 <= oh0 || ow1 <= ow0) continue;
      const a = Math.floor(t / kw);
      const e = t - a * kw;
      // the first tap overwrites (the covering one, or zeros), the others add
      // with an addend (one tap) the start is zeros and `load` the addend's distance from dx
      const load = addend ? be.getMemoryOffset(addend.dataId) - outOff : idx > 0 ? 1 : 0;
      const ap = dyOff + ((n0 * ho + oh0) * wo + ow0) * dyPos;
      const cp = cBase + ((n0 * h + oh0 * sh + a - pt) * w + ow0 * sw + e - pl) * cPos;
      const bp = bBase + t * co * ldb * 4;
      kern.run(split, part, colsInner, ap, bp, cp, nTiles, co, outer, oh1 - oh0, ow1 - ow0, aw, cw, load, gi, addend !== null, panels); // a group's taps add into its outputs: one unit
    }
  }
  split.finish();
  if (!direct) copyOutPadded(kern.memory, cBase, outOff, positions, ldb, ci);
  convInputGradSimd.ran();
  return out;
}
