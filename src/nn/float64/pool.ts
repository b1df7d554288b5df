// Pooling geometry as THNN defines it, and float64 host kernels (Double tensors), NCHW.

import type { ConvParams } from './conv.js';

export interface PoolShape extends ConvParams {
  /** batch * channels: pooling is per plane. */
  planes: number;
  h: number;
  w: number;
  oH: number;
  oW: number;
}

/**
 * Output size along one axis (THNN's SpatialMaxPooling / SpatialAveragePooling): floor
 * or ceil of (size - k + 2*pad) / d, plus one; with padding, a last window that would
 * start in the padding only is dropped.
 */
export function poolOutputSize(size: number, k: number, d: number, pad: number, ceil: boolean, anyPad: boolean): number {
  const span = (size - k + 2 * pad) / d;
  let out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  if (anyPad && (out - 1) * d >= size + pad) out--;
  return out;
}

/** One output position's window, clipped to the image: rows [hStart, hEnd), columns [wStart, wEnd). */
interface PoolWindow {
  /** Offset of the input plane in x. */
  xBase: number;
  /** Index of the output element in y (plane-major). */
  out: number;
  /** Index of the output position within its plane. */
  at: number;
  hStart: number;
  hEnd: number;
  wStart: number;
  wEnd: number;
}

/** Calls fn for every output position of every plane, with THNN's window clipped to the image. */
function forEachWindow(s: PoolShape, fn: (win: PoolWindow) => void): void {
  const { planes, h, w, kH, kW, dH, dW, padH, padW, oH, oW } = s;
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        fn({
          xBase: p * h * w,
          out: (p * oH + oy) * oW + ox,
          at: oy * oW + ox,
          hStart: Math.max(oy * dH - padH, 0),
          hEnd: Math.min(oy * dH - padH + kH, h),
          wStart: Math.max(ox * dW - padW, 0),
          wEnd: Math.min(ox * dW - padW + kW, w),
        });
      }
    }
  }
}

/** Max pooling: windows clipped to the image; the first strict maximum wins (its 1-based index in the plane is kept). */
export function maxPoolForward(x: Float64Array, s: PoolShape): { y: Float64Array; indices: Float64Array } {
  const { planes, w, oH, oW } = s;
  const y = new Float64Array(planes * oH * oW);
  const indices = new Float64Array(planes * oH * oW);
  forEachWindow(s, ({ xBase, out, hStart, hEnd, wStart, wEnd }) => {
    let best = -Infinity;
    let bestIndex = -1;
    for (let iy = hStart; iy < hEnd; iy++) {
      for (let ix = wStart; ix < wEnd; ix++) {
        const v = x[xBase + iy * w + ix]!;
        if (v > best) {
          best = v;
          bestIndex = iy * w + ix;
        }
      }
    }
    y[out] = best;
    indices[out] = bestIndex + 1;
  });
  return { y, indices };
}

/** Routes each gradOutput element to the input position its max came from. */
export function maxPoolBackward(dy: Float64Array, indices: ArrayLike<number>, s: PoolShape): Float64Array {
  const { planes, h, w, oH, oW } = s;
  const dx = new Float64Array(planes * h * w);
  for (let p = 0; p < planes; p++) {
    for (let k = 0; k < oH * oW; k++) {
      const at = indices[p * oH * oW + k]! - 1;
      if (at >= 0) dx[p * h * w + at] += dy[p * oH * oW + k]!;
    }
  }
  return dx;
}

/**
 * Each window's divisor (THNN's SpatialAveragePooling): with count_include_pad the window
 * clipped to the padded image, otherwise the window clipped to the image itself.
 */
export function avgPoolDivisors(s: Omit<PoolShape, 'planes'>, countIncludePad: boolean): Float64Array {
  const { h, w, kH, kW, dH, dW, padH, padW, oH, oW } = s;
  const div = new Float64Array(oH * oW);
  for (let oy = 0; oy < oH; oy++) {
    for (let ox = 0; ox < oW; ox++) {
      const hStart = oy * dH - padH;
      const wStart = ox * dW - padW;
      const hEnd = Math.min(hStart + kH, h + padH);
      const wEnd = Math.min(wStart + kW, w + padW);
      const poolSize = (hEnd - hStart) * (wEnd - wStart);
      const inside = (Math.min(hEnd, h) - Math.max(hStart, 0)) * (Math.min(wEnd, w) - Math.max(wStart, 0));
      div[oy * oW + ox] = countIncludePad ? poolSize : inside;
    }
  }
  return div;
}

export function avgPoolForward(x: Float64Array, s: PoolShape, countIncludePad: boolean): Float64Array {
  const { planes, w, oH, oW } = s;
  const div = avgPoolDivisors(s, countIncludePad);
  const y = new Float64Array(planes * oH * oW);
  forEachWindow(s, ({ xBase, out, at, hStart, hEnd, wStart, wEnd }) => {
    let sum = 0;
    for (let iy = hStart; iy < hEnd; iy++) for (let ix = wStart; ix < wEnd; ix++) sum += x[xBase + iy * w + ix]!;
    y[out] = sum / div[at]!;
  });
  return y;
}

export function avgPoolBackward(dy: Float64Array, s: PoolShape, countIncludePad: boolean): Float64Array {
  const { planes, h, w } = s;
  const div = avgPoolDivisors(s, countIncludePad);
  const dx = new Float64Array(planes * h * w);
  forEachWindow(s, ({ xBase, out, at, hStart, hEnd, wStart, wEnd }) => {
    const g = dy[out]! / div[at]!;
    for (let iy = hStart; iy < hEnd; iy++) for (let ix = wStart; ix < wEnd; ix++) dx[xBase + iy * w + ix] += g;
  });
  return dx;
}

/**
 * The explicit padding [top, bottom, left, right] that makes a 'valid' tfjs pooling of
 * the padded image produce at least oH x oW windows at THNN's positions (ceil mode may
 * need more than padH/padW at the bottom/right; the extra windows, if any, are sliced off).
 */
export function tfPoolPadding(s: Omit<PoolShape, 'planes'>): { pads: [number, number, number, number]; exact: boolean } {
  const bottom = Math.max(s.padH, (s.oH - 1) * s.dH + s.kH - s.h - s.padH);
  const right = Math.max(s.padW, (s.oW - 1) * s.dW + s.kW - s.w - s.padW);
  const validH = Math.floor((s.h + s.padH + bottom - s.kH) / s.dH) + 1;
  const validW = Math.floor((s.w + s.padW + right - s.kW) / s.dW) + 1;
  return { pads: [s.padH, bottom, s.padW, right], exact: validH === s.oH && validW === s.oW };
}

/** The pooling geometry of a 4-d NCHW input (THNN's checks, with its error messages' content). */
export function poolShape(
  sizes: readonly number[],
  k: ConvParams & { ceil: boolean },
  where: string,
): PoolShape {
  const [n, c, h, w] = sizes as [number, number, number, number];
  const { kW, kH, dW, dH, padW, padH, ceil } = k;
  if (!(kW > 0 && kH > 0)) throw new RangeError(`${where}: kernel size should be greater than zero, but got kH: ${kH} kW: ${kW}`);
  if (!(dW > 0 && dH > 0)) throw new RangeError(`${where}: stride should be greater than zero, but got dH: ${dH} dW: ${dW}`);
  if (!(Math.floor(kW / 2) >= padW && Math.floor(kH / 2) >= padH)) {
    throw new RangeError(`${where}: pad should be smaller than half of kernel size, but got padW = ${padW}, padH = ${padH}, kW = ${kW}, kH = ${kH}`);
  }
  const anyPad = padW !== 0 || padH !== 0;
  const oH = poolOutputSize(h, kH, dH, padH, ceil, anyPad);
  const oW = poolOutputSize(w, kW, dW, padW, ceil, anyPad);
  if (oW < 1 || oH < 1) {
    throw new RangeError(`${where}: given input size (${c}x${h}x${w}), the calculated output size (${c}x${oH}x${oW}) is too small`);
  }
  return { planes: n * c, h, w, kH, kW, dH, dW, padH, padW, oH, oW };
}
