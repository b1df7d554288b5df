// Patches to tfjs: kernels this package registers into tfjs's global kernel registry (for
// every user of tfjs in the process, not only mpelu) where the shipped backends lack one
// or run it far too slowly for training, plus the fused MPELU / batch-norm kernels.
//
// Found by running every kernel the nn modules use, forward and backward, on wasm
// (test/backend.test.ts keeps that list honest):
//   wasm: Conv2DBackpropFilter and UnsortedSegmentSum (gather's gradient) are not
//         registered; Conv2DBackpropInput is a scalar C++ loop (~12x slower than the
//         XNNPACK convolution on a 3x3 64->64 layer).
//         MaxPoolGrad loses the gradient of windows whose values are all negative.
//   cpu:  Conv2DBackpropFilter reads through TensorBuffer.get per element (~500 s for
//         the 3x3 64->64, batch 32, 32x32 layer; the formulation below takes ~6 s).
// Every replacement is written as a composition of the backend's own fast kernels
// (Conv2D, Transpose, BatchMatMul, ...), called directly with TensorInfos, so no
// tfjs Tensor is created and every intermediate is released before returning.

import { tf } from '../torch/tfjs_core.js';
import { registerFusedKernels } from './fused/register.js';
import { conv2dBackpropFilterWasmSimd } from './wasm/conv_weight_grad.js';
import { conv2dBackpropInputWasmSimd } from './wasm/conv_input_grad.js';

type Info = tf.TensorInfo;
type Pads4 = [[number, number], [number, number], [number, number], [number, number]];

/** Runs kernels of one backend on TensorInfos and frees the intermediates. */
export class KernelScope {
  private temps: Info[] = [];
  constructor(
    readonly backend: tf.KernelBackend,
    readonly backendName: string,
  ) {}

  run(name: string, inputs: Record<string, Info>, attrs: Record<string, unknown> = {}): Info {
    const kernel = tf.getKernel(name, this.backendName);
    if (!kernel) throw new Error(`mpelu kernels: kernel '${name}' is not registered for backend '${this.backendName}'`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    if (Array.isArray(out)) throw new Error(`mpelu kernels: '${name}' returned several outputs where one was expected`);
    this.temps.push(out as Info);
    return out as Info;
  }

  /** Takes `info` out of the scope: the caller owns it. */
  keep(info: Info): Info {
    const i = this.temps.indexOf(info);
    if (i >= 0) this.temps.splice(i, 1);
    return info;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps = [];
  }
}

function withScope<T>(backend: tf.KernelBackend, backendName: string, fn: (s: KernelScope) => T): T {
  const s = new KernelScope(backend, backendName);
  try {
    return fn(s);
  } finally {
    s.dispose();
  }
}

function nhwcOnly(dataFormat: unknown, where: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${where}: only NHWC is supported here, got dataFormat '${String(dataFormat)}'`);
  }
}

/** Explicit conv padding that may be negative: crop the input where it is. */
function cropForPads(s: KernelScope, x: Info, pads: Pads4): [Info, Pads4] {
  const begin = [0, 0, 0, 0];
  const size = [...x.shape];
  const out: Pads4 = [[0, 0], [0, 0], [0, 0], [0, 0]];
  let crop = false;
  for (const d of [1, 2]) {
    const [lo, hi] = pads[d]!;
    if (lo < 0) {
      begin[d] = -lo;
      size[d]! += lo;
      crop = true;
    }
    if (hi < 0) {
      size[d]! += hi;
      crop = true;
    }
    out[d] = [Math.max(lo, 0), Math.max(hi, 0)];
  }
  if (!crop) return [x, out];
  return [s.run('Slice', { x }, { begin, size }), out];
}

/**
 * dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*sH+kh-pt, ow*sW+kw-pl, ci] * dy[n,oh,ow,co]
 * is a stride-1 convolution of x with its channels as the batch ([Ci,H,W,N]) by dy with
 * its batch as the input channels ([Ho,Wo,N,Co]), dilated by the forward stride.
 */
function conv2DBackpropFilterComposite(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }, backendName: string): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  nhwcOnly(dataFormat, 'Conv2DBackpropFilter');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [, ho, wo, co] = dy.shape as [number, number, number, number];
  if (ho !== info.outHeight || wo !== info.outWidth || co !== info.outChannels || dy.shape[0] !== n) {
    throw new RangeError(`Conv2DBackpropFilter: dy shape [${dy.shape}] does not match the convolution of x [${x.shape}] by a [${filterShape}] filter (expected [${info.outShape}])`);
  }
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  if (backendName === 'wasm') {
    // Every layout: positions walked in place on the heap (wasm/conv_weight_grad.ts).
    const out = conv2dBackpropFilterWasmSimd(args.backend, x, dy, { kh, kw, sh, sw, pt, pl });
    if (out) return out;
  }
  return withScope(args.backend, backendName, (s) => {
    if (kh === 1 && kw === 1 && pt === 0 && pl === 0) {
      // 1x1: a plain matrix product x^T dy over the N*Ho*Wo positions.
      let xs = x;
      if (sh !== 1 || sw !== 1 || h !== ho || w !== wo) {
        xs = s.run('StridedSlice', { x }, { begin: [0, 0, 0, 0], end: [n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, ci], strides: [1, sh, sw, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 });
      }
      // Transposing first is faster than BatchMatMul's transposeA (a slow path on wasm),
      // and the product runs fastest with the smaller channel count as its rows: ~7x on
      // the ResNet-164 1x1 layers.
      const positions = n * ho * wo;
      const a = s.run('Reshape', { x: xs }, { shape: [positions, ci] });
      const b = s.run('Reshape', { x: dy }, { shape: [positions, co] });
      if (ci <= co) {
        const at = s.run('Transpose', { x: a }, { perm: [1, 0] });
        const m = s.run('BatchMatMul', { a: s.run('Reshape', { x: at }, { shape: [1, ci, positions] }), b: s.run('Reshape', { x: b }, { shape: [1, positions, co] }) }, { transposeA: false, transposeB: false });
        return s.keep(s.run('Reshape', { x: m }, { shape: [1, 1, ci, co] }));
      }
      const bt = s.run('Transpose', { x: b }, { perm: [1, 0] });
      const m = s.run('BatchMatMul', { a: s.run('Reshape', { x: bt }, { shape: [1, co, positions] }), b: s.run('Reshape', { x: a }, { shape: [1, positions, ci] }) }, { transposeA: false, transposeB: false });
      const mt = s.run('Transpose', { x: s.run('Reshape', { x: m }, { shape: [co, ci] }) }, { perm: [1, 0] });
      return s.keep(s.run('Reshape', { x: mt }, { shape: [1, 1, ci, co] }));
    }
    // Output rows of the dilated conv: h + pt + pb - sh*(ho-1) = kh.
    const pb = kh + sh * (ho - 1) - h - pt;
    const pr = kw + sw * (wo - 1) - w - pl;
    const [xc, pads] = cropForPads(s, x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
    const xt = s.run('Transpose', { x: xc }, { perm: [3, 1, 2, 0] });
    const dyt = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const out = s.run('Conv2D', { x: xt, filter: dyt }, { strides: [1, 1], pad: pads, dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined });
    if (out.shape[1] !== kh || out.shape[2] !== kw) {
      throw new Error(`Conv2DBackpropFilter: internal shape mismatch, got [${out.shape}] for a ${kh}x${kw} filter`);
    }
    return s.keep(s.run('Transpose', { x: out }, { perm: [1, 2, 0, 3] }));
  });
}

/**
 * dx = the transposed convolution: dy (zero-upsampled by the stride) convolved with the
 * filter flipped in space and with in/out channels swapped, "full" padding.
 */
function conv2DBackpropInputComposite(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }, backendName: string): Info {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  nhwcOnly(dataFormat, 'Conv2DBackpropInput');
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [n, h, w] = inputShape as [number, number, number, number];
  const [, ho, wo, co] = dy.shape as [number, number, number, number];
  if (ho !== info.outHeight || wo !== info.outWidth || co !== info.outChannels || dy.shape[0] !== n) {
    throw new RangeError(`Conv2DBackpropInput: dy shape [${dy.shape}] does not match the convolution of an input [${inputShape}] by a [${filter.shape}] filter (expected [${info.outShape}])`);
  }
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (backendName === 'wasm') {
    // Every layout: dy read in place, dx written tap by tap (wasm/conv_input_grad.ts).
    const out = conv2dBackpropInputWasmSimd(args.backend, dy, filter, inputShape, { kh, kw, sh, sw, pt: info.padInfo.top, pl: info.padInfo.left });
    if (out) return out;
  }
  return withScope(args.backend, backendName, (s) => {
    let d = dy;
    let hd = ho;
    let wd = wo;
    if (sh !== 1 || sw !== 1) {
      const r = s.run('Reshape', { x: dy }, { shape: [n, ho, 1, wo, 1, co] });
      const p = s.run('PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
      hd = ho * sh;
      wd = wo * sw;
      d = s.run('Reshape', { x: p }, { shape: [n, hd, wd, co] });
    }
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = h + kh - 1 - top - hd;
    const right = w + kw - 1 - left - wd;
    const [dc, pads] = cropForPads(s, d, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    const flipped = s.run('Reverse', { x: filter }, { dims: [0, 1] });
    const ft = s.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    const out = s.run('Conv2D', { x: dc, filter: ft }, { strides: [1, 1], pad: pads, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
    if (out.shape[1] !== h || out.shape[2] !== w) {
      throw new Error(`Conv2DBackpropInput: internal shape mismatch, got [${out.shape}] for input [${inputShape}]`);
    }
    return s.keep(out);
  });
}

/** out[s, ...] = sum of x[i, ...] over i with segmentIds[i] == s (ids outside [0, numSegments) dropped). */
function unsortedSegmentSumHost(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info {
  const { x, segmentIds } = args.inputs as { x: Info; segmentIds: Info };
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const backend = args.backend as tf.KernelBackend & { makeOutput(shape: number[], dtype: tf.DataType, offset?: number, values?: tf.backend_util.BackendValues): Info };
  const xs = backend.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = backend.readSync(segmentIds.dataId) as Int32Array | Float32Array;
  const inner = tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const sgm = ids[i]!;
    if (sgm < 0 || sgm >= numSegments) continue;
    const src = i * inner;
    const dst = sgm * inner;
    for (let j = 0; j < inner; j++) out[dst + j]! += xs[src + j]!;
  }
  return backend.makeOutput(outShape, x.dtype, undefined, out);
}

/**
 * MaxPoolGrad for wasm: tfjs-backend-wasm 4.22's kernel drops the gradient of every
 * window whose values are all negative (its running maximum starts at 0), which MPELU
 * and ELU outputs hit. dy goes to the first maximum of each window, as THNN's
 * SpatialMaxPooling picks it (a NaN counts as the maximum); padding never wins.
 */
function maxPoolGradHost(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): Info {
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  if (!tf.util.arraysEqual(dy.shape, info.outShape)) {
    throw new RangeError(`MaxPoolGrad: dy shape [${dy.shape}] does not match the pooling output [${info.outShape}] of input [${input.shape}]`);
  }
  const backend = args.backend as tf.KernelBackend & {
    makeOutput(shape: number[], dtype: tf.DataType): Info;
    typedArrayFromHeap(info: Info): tf.TypedArray;
  };
  const out = backend.makeOutput(input.shape.slice(), 'float32');
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  let gi = 0;
  for (let b = 0; b < batchSize; b++) {
    const base = b * inHeight * inWidth * C;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(0, oh * strideHeight - top);
      const h1 = Math.min(inHeight, oh * strideHeight - top + filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = Math.max(0, ow * strideWidth - left);
        const w1 = Math.min(inWidth, ow * strideWidth - left + filterWidth);
        for (let c = 0; c < C; c++, gi++) {
          let best = -Infinity;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const k = base + (h * inWidth + w) * C + c;
              const v = x[k]!;
              if (v > best || (at < 0 && v === best) || Number.isNaN(v)) {
                best = v;
                at = k;
                if (Number.isNaN(v)) break;
              }
            }
            if (Number.isNaN(best)) break;
          }
          if (at >= 0) dx[at]! += g[gi]!;
        }
      }
    }
  }
  return out;
}

let registered = false;

function replaceKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/** Registers the missing / replacement kernels and the fused kernels into tfjs. Idempotent. */
export function patchTfjsKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['wasm', 'cpu']) {
    replaceKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName,
      kernelFunc: ((args: Parameters<typeof conv2DBackpropFilterComposite>[0]) => conv2DBackpropFilterComposite(args, backendName)) as unknown as tf.KernelFunc,
    });
  }
  replaceKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ((args: Parameters<typeof conv2DBackpropInputComposite>[0]) => conv2DBackpropInputComposite(args, 'wasm')) as unknown as tf.KernelFunc,
  });
  replaceKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGradHost as unknown as tf.KernelFunc });
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumHost as unknown as tf.KernelFunc });
  }
  registerFusedKernels();
}

/** Kernel names this module registers or replaces, per backend (for `mpelu env` and tests). */
export const TFJS_PATCHED_KERNELS: Readonly<Record<string, readonly string[]>> = {
  wasm: ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'UnsortedSegmentSum', 'Add'],
  cpu: ['Conv2DBackpropFilter'],
};
