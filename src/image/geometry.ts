// torch/image's geometric kernels with its numerics: hflip, crop (cropNoScale), scale
// (bilinear, bicubic, simple), rotate (simple, bilinear). Images are 2-d (H x W) or 3-d
// (C x H x W) tensors of any real type; results have the source's type.
//
// Work is done on the host: the values are read in logical order, computed with the
// C code's roundings (arith.ts) and written into a fresh tensor.

import { Tensor } from '../torch/tensor.js';
import { arithFor, cRound, f, type Arith } from './arith.js';

/** An image as planes of H x W values in logical order. */
interface Planes {
  depth: number;
  height: number;
  width: number;
  data: ArrayLike<number>;
  dims: 2 | 3;
}

function planes(t: Tensor, what: string): Planes {
  const d = t.dim();
  if (d !== 2 && d !== 3) throw new RangeError(`image.${what}: expected a 2-d (HxW) or 3-d (CxHxW) image, got a ${d}-d tensor of sizes [${t.size().join(', ')}]`);
  const s = t.size();
  const [depth, height, width] = d === 3 ? [s[0]!, s[1]!, s[2]!] : [1, s[0]!, s[1]!];
  return { depth, height, width, data: hostValues(t), dims: d };
}

/** The values in logical order: a view of the host storage when contiguous (the per-image path), else a copy. */
function hostValues(t: Tensor): ArrayLike<number> {
  if (t.isContiguous() && t.elementType !== 'Long' && t.elementType !== 'Half') {
    const host = t.storage().data() as Float32Array;
    return host.subarray(t.offset(), t.offset() + t.nElement());
  }
  return t.values();
}

function tensorOf(like: Tensor, p: Planes, data: ArrayLike<number>): Tensor {
  const sizes = p.dims === 3 ? [p.depth, p.height, p.width] : [p.height, p.width];
  const out = like.new(...sizes);
  const host = out.storage().mutableData();
  if (host instanceof BigInt64Array) for (let i = 0; i < data.length; i++) host[i] = BigInt(data[i]!);
  else (host as Float64Array).set(data as ArrayLike<number>);
  return out;
}

/**
 * The per-image fast path (a FloatTensor read from its host array, as fb.resnet.torch's
 * transforms have it): a fresh FloatTensor of depth x height x width (or height x width)
 * with its host array, and the source's values; null for any other case.
 */
function floatTarget(src: Tensor, p: Planes, height: number, width: number): [{ tensor: Tensor; host: Float32Array }, Float32Array] | null {
  if (src.elementType !== 'Float' || !(p.data instanceof Float32Array)) return null;
  const tensor = p.dims === 3 ? src.new(p.depth, height, width) : src.new(height, width);
  const host = tensor.storage().mutableData();
  if (!(host instanceof Float32Array)) return null;
  return [{ tensor, host }, p.data];
}

/** Writes result into dst when given (resized, as image's functions do), else returns it. */
function deliver(result: Tensor, dst?: Tensor): Tensor {
  if (!dst) return result;
  dst.resize(...result.size()).copy(result);
  return dst;
}

// ---- hflip and crop -----------------------------------------------------------------

/** image.hflip: columns reversed (an exact copy). */
export function hflip(src: Tensor, dst?: Tensor): Tensor {
  const p = planes(src, 'hflip');
  const fast = floatTarget(src, p, p.height, p.width);
  if (fast) {
    const [out, data] = fast;
    const { width: w, height: h } = p;
    for (let row = 0; row < p.depth * h * w; row += w) {
      for (let x = 0; x < w; x++) out.host[row + w - 1 - x] = data[row + x]!;
    }
    return deliver(out.tensor, dst);
  }
  const out = new Float64Array(p.data.length);
  const { width: w, height: h } = p;
  for (let k = 0; k < p.depth; k++) {
    for (let y = 0; y < h; y++) {
      const row = (k * h + y) * w;
      for (let x = 0; x < w; x++) out[row + w - 1 - x] = p.data[row + x]!;
    }
  }
  return deliver(tensorOf(src, p, out), dst);
}

/**
 * image.crop(src, x1, y1, x2, y2): columns x1..x2-1 and rows y1..y2-1 (0-based). The C
 * kernel moves each value through a `float`, so a DoubleTensor's values come out rounded
 * to float32, as in Torch.
 */
export function crop(src: Tensor, x1: number, y1: number, x2: number, y2: number): Tensor {
  const p = planes(src, 'crop');
  const a = arithFor(src.elementType);
  const [sx, sy] = [Math.trunc(x1), Math.trunc(y1)];
  const w = Math.trunc(x2) - sx;
  const h = Math.trunc(y2) - sy;
  if (w < 1 || h < 1) throw new RangeError(`image.crop: the region (${x1}, ${y1}) to (${x2}, ${y2}) is empty`);
  if (sx < 0 || sy < 0 || sx + w > p.width || sy + h > p.height) {
    throw new RangeError(`image.crop: crop goes outside bounds of src (region x ${sx}..${sx + w}, y ${sy}..${sy + h} of a ${p.width}x${p.height} image)`);
  }
  const fast = floatTarget(src, p, h, w);
  if (fast) {
    // float through a float: every value stays as it is, so rows are plain copies
    const [out, data] = fast;
    for (let k = 0; k < p.depth; k++) {
      for (let j = 0; j < h; j++) {
        const from = (k * p.height + j + sy) * p.width + sx;
        out.host.set(data.subarray(from, from + w), (k * h + j) * w);
      }
    }
    return out.tensor;
  }
  const out = new Float64Array(p.depth * w * h);
  for (let k = 0; k < p.depth; k++) {
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) out[(k * h + j) * w + i] = a.store(f(p.data[(k * p.height + j + sy) * p.width + i + sx]!));
    }
  }
  return tensorOf(src, { ...p, width: w, height: h }, out);
}

// ---- scale ------------------------------------------------------------------------------

export type ScaleMode = 'bilinear' | 'bicubic' | 'simple';

/** One row or column through Main_scaleLinear_rowcol. */
function linearLine(src: ArrayLike<number>, s0: number, ss: number, dst: Float64Array, d0: number, ds: number, srcLen: number, dstLen: number, a: Arith): void {
  if (dstLen > srcLen) {
    const scale = f(f(srcLen - 1) / f(dstLen - 1));
    for (let di = 0; di < dstLen - 1; di++) {
      if (srcLen === 1) {
        dst[d0 + di * ds] = src[s0]!;
        continue;
      }
      let siF = f(di * scale);
      const siI = Math.trunc(siF);
      siF = f(siF - siI);
      const v = a.T(a.T(f(1 - siF) * src[s0 + siI * ss]!) + a.T(siF * src[s0 + (siI + 1) * ss]!));
      dst[d0 + di * ds] = a.store(v);
    }
    dst[d0 + (dstLen - 1) * ds] = src[s0 + (srcLen - 1) * ss]!;
  } else if (dstLen < srcLen) {
    const scale = f(srcLen / dstLen);
    let si0I = 0;
    let si0F = 0;
    for (let di = 0; di < dstLen; di++) {
      let si1F = f((di + 1) * scale);
      const si1I = Math.trunc(si1F);
      si1F = f(si1F - si1I);
      let acc = f(f(1 - si0F) * src[s0 + si0I * ss]!);
      let n = f(1 - si0F);
      for (let si = si0I + 1; si < si1I; si++) {
        acc = f(acc + src[s0 + si * ss]!);
        n = f(n + 1);
      }
      if (si1I < srcLen) {
        acc = f(acc + a.T(si1F * src[s0 + si1I * ss]!));
        n = f(n + si1F);
      }
      dst[d0 + di * ds] = a.store(f(acc / n));
      si0I = si1I;
      si0F = si1F;
    }
  } else {
    for (let i = 0; i < dstLen; i++) dst[d0 + i * ds] = src[s0 + i * ss]!;
  }
}

function cubic(p0: number, p1: number, p2: number, p3: number, x: number, T: (v: number) => number): number {
  const a1 = T(p2 - p0);
  const a2 = T(T(T(T(2 * p0) - T(5 * p1)) + T(4 * p2)) - p3);
  const a3 = T(T(T(3 * T(p1 - p2)) + p3) - p0);
  // `0.5 * x` is a double (0.5 is a double literal), so the last two operations are too.
  return T(p1 + 0.5 * x * T(a1 + T(x * T(a2 + T(x * a3)))));
}

/** One row or column through Main_scaleCubic_rowcol. */
function cubicLine(src: ArrayLike<number>, s0: number, ss: number, dst: Float64Array, d0: number, ds: number, srcLen: number, dstLen: number, a: Arith): void {
  const { T } = a;
  if (dstLen === srcLen) {
    for (let i = 0; i < dstLen; i++) dst[d0 + i * ds] = src[s0 + i * ss]!;
    return;
  }
  if (srcLen === 1) {
    // Torch leaves the last element as the fresh tensor's (uninitialised) memory; here it is the value too.
    for (let i = 0; i < dstLen; i++) dst[d0 + i * ds] = src[s0]!;
    return;
  }
  const scale = dstLen === 1 ? f(srcLen - 1) : f(f(srcLen - 1) / f(dstLen - 1));
  for (let di = 0; di < dstLen - 1; di++) {
    let siF = f(di * scale);
    const siI = Math.trunc(siF);
    siF = f(siF - siI);
    const p1 = T(src[s0 + siI * ss]!);
    const p2 = T(src[s0 + (siI + 1) * ss]!);
    const p0 = siI > 0 ? T(src[s0 + (siI - 1) * ss]!) : T(T(2 * p1) - p2);
    const p3 = siI + 2 < srcLen ? T(src[s0 + (siI + 2) * ss]!) : T(T(2 * p2) - p1);
    dst[d0 + di * ds] = a.store(cubic(p0, p1, p2, p3, T(siF), T));
  }
  dst[d0 + (dstLen - 1) * ds] = src[s0 + (srcLen - 1) * ss]!;
}

/** Rows first into a (real-typed) temporary of srcHeight x dstWidth, then columns, per channel. */
function separable(p: Planes, dw: number, dh: number, a: Arith, line: typeof linearLine): Float64Array {
  const out = new Float64Array(p.depth * dh * dw);
  const tmp = new Float64Array(p.height * dw);
  for (let k = 0; k < p.depth; k++) {
    const base = k * p.height * p.width;
    for (let j = 0; j < p.height; j++) line(p.data, base + j * p.width, 1, tmp, j * dw, 1, p.width, dw, a);
    for (let i = 0; i < dw; i++) line(tmp, i, dw, out, k * dh * dw + i, dw, p.height, dh, a);
  }
  return out;
}

function simple(p: Planes, dw: number, dh: number, a: Arith): Float64Array {
  const out = new Float64Array(p.depth * dh * dw);
  const scx = f(p.width / dw);
  const scy = f(p.height / dh);
  for (let j = 0; j < dh; j++) {
    for (let i = 0; i < dw; i++) {
      const ii = Math.min(Math.trunc(f(i * scx)), p.width - 1);
      const jj = Math.min(Math.trunc(f(j * scy)), p.height - 1);
      for (let k = 0; k < p.depth; k++) out[(k * dh + j) * dw + i] = a.store(f(p.data[(k * p.height + jj) * p.width + ii]!));
    }
  }
  return out;
}

/** image.scale(src, width, height, mode): sizes are truncated to integers (torch's tensor constructors do), at least 1. */
export function scale(src: Tensor, width: number, height: number, mode: ScaleMode = 'bilinear', dst?: Tensor): Tensor {
  const p = planes(src, 'scale');
  const dw = Math.max(Math.trunc(width), 1);
  const dh = Math.max(Math.trunc(height), 1);
  if (!Number.isFinite(dw) || !Number.isFinite(dh)) throw new RangeError(`image.scale: could not find valid dest size (got ${width}x${height})`);
  const a = arithFor(src.elementType);
  let out: Float64Array;
  if (mode === 'bilinear') out = separable(p, dw, dh, a, linearLine);
  else if (mode === 'bicubic') out = separable(p, dw, dh, a, cubicLine);
  else if (mode === 'simple') out = simple(p, dw, dh, a);
  else throw new RangeError(`image.scale: mode must be one of: simple | bicubic | bilinear (got '${String(mode)}')`);
  return deliver(tensorOf(src, { ...p, width: dw, height: dh }, out), dst);
}

// ---- rotate --------------------------------------------------------------------------------

export type RotateMode = 'simple' | 'bilinear';

/** image.rotate(src, theta, mode): about the centre, same size, corners outside the source are 0. */
export function rotate(src: Tensor, theta: number, mode: RotateMode = 'simple', dst?: Tensor): Tensor {
  const p = planes(src, 'rotate');
  const a = arithFor(src.elementType);
  const { width: w, height: h, depth, data } = p;
  const out = new Float64Array(data.length);
  const th = f(theta); // the C function takes theta as a float
  const xc = f((w - 1) / 2);
  const yc = f((h - 1) / 2);
  const at = (k: number, jj: number, ii: number) => data[(k * h + jj) * w + ii]!;
  if (mode === 'simple') {
    const sinT = f(Math.sin(th));
    const cosT = f(Math.cos(th));
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const ii = cRound(f(f(f(cosT * f(i - xc)) - f(sinT * f(j - yc))) + xc));
        const jj = cRound(f(f(f(cosT * f(j - yc)) + f(sinT * f(i - xc))) + yc));
        const blank = ii > w - 1 || jj > h - 1 || ii < 0 || jj < 0;
        for (let k = 0; k < depth; k++) out[(k * h + j) * w + i] = a.store(blank ? 0 : f(at(k, jj, ii)));
      }
    }
  } else if (mode === 'bilinear') {
    const { T } = a;
    const c = Math.cos(th);
    const s = Math.sin(th);
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const ri = T(c * f(i - xc) - s * f(j - yc));
        const rj = T(c * f(j - yc) + s * f(i - xc));
        let ii0 = Math.floor(T(ri + xc));
        let ii1 = ii0 + 1;
        let jj0 = Math.floor(T(rj + yc));
        let jj1 = jj0 + 1;
        const wi = T(T(ri + xc) - ii0);
        const wj = T(T(rj + yc) - jj0);
        // The C code's boundary rules: the nearest pixel at the edge, 0 beyond it.
        let blank = false;
        if (ii1 === w && wi < 0.5) ii1 = ii0;
        else if (ii1 >= w) blank = true;
        if (jj1 === h && wj < 0.5) jj1 = jj0;
        else if (jj1 >= h) blank = true;
        if (ii0 === -1 && wi > 0.5) ii0 = ii1;
        else if (ii0 < 0) blank = true;
        if (jj0 === -1 && wj > 0.5) jj0 = jj1;
        else if (jj0 < 0) blank = true;
        for (let k = 0; k < depth; k++) {
          const val = blank
            ? 0
            : f((1 - wi) * (1 - wj) * at(k, jj0, ii0) + wi * (1 - wj) * at(k, jj0, ii1) + (1 - wi) * wj * at(k, jj1, ii0) + wi * wj * at(k, jj1, ii1));
          out[(k * h + j) * w + i] = a.store(val);
        }
      }
    }
  } else {
    throw new RangeError(`image.rotate: mode must be one of: simple | bilinear (got '${String(mode)}')`);
  }
  return deliver(tensorOf(src, p, out), dst);
}

/** image.rgb2y: luma 0.299 R + 0.587 G + 0.114 B (in double, then temp_t), as a 1 x H x W image. */
export function rgb2y(src: Tensor): Tensor {
  const p = planes(src, 'rgb2y');
  if (p.dims !== 3 || p.depth < 3) throw new RangeError(`image.rgb2y: expected a 3 x H x W image, got sizes [${src.size().join(', ')}]`);
  const a = arithFor(src.elementType);
  const n = p.height * p.width;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a.store(a.T(0.299 * p.data[i]! + 0.587 * p.data[n + i]! + 0.114 * p.data[2 * n + i]!));
  return tensorOf(src, { ...p, depth: 1 }, out);
}
