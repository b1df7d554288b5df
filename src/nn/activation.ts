// Shared machinery of the pointwise activations (ReLU, ELU, LeakyReLU, PReLU, SPELU, MPELU).
//
// Geometry follows THNN's PReLU/SPELU/MPELU kernels: with nOutputPlane > 0 the channel is
// dim 2 of a batched input (dim 1 of a 1-d input), and the input is walked as
// [bs][nOutputPlane][ks] in logical order; with nOutputPlane = 0 one parameter is shared
// and any shape goes. Double tensors compute here on the host in float64; Float tensors
// compute on tfjs in a channels-last view (free for channels-last 4-d activations).

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { accumulateHost, accumulateTF, assignHost, assignTF, engineOf, expectTensor, hostValues, replaceStorageTF, setOutputHost } from './tensor_helpers.js';

export interface ChannelGeometry {
  /** Samples (1 for a 1-d input). */
  bs: number;
  /** Channels (the parameter count). */
  C: number;
  /** Elements per (sample, channel) block. */
  ks: number;
}

/** [bs][C][ks] of a per-channel input, with THNN's check of the channel count. */
export function channelGeometry(input: Tensor, nOutputPlane: number, where: string): ChannelGeometry {
  const sizes = input.size();
  const nd = sizes.length;
  if (nd === 0) throw new RangeError(`${where}: expected a non-empty input, got an empty tensor`);
  const c = sizes[nd > 1 ? 1 : 0]!;
  if (c !== nOutputPlane) {
    throw new RangeError(
      `${where}: wrong number of input planes: expected ${nOutputPlane} on dim ${nd > 1 ? 2 : 1}, got ${c} (input sizes [${sizes.join(', ')}])`,
    );
  }
  let ks = 1;
  for (let d = 2; d < nd; d++) ks *= sizes[d]!;
  return { bs: nd > 1 ? sizes[0]! : 1, C: c, ks };
}

/** THNN_CHECK_NELEMENT. */
export function checkSameElements(input: Tensor, gradOutput: Tensor, where: string): void {
  if (input.nElement() !== gradOutput.nElement()) {
    throw new RangeError(
      `${where}: input and gradOutput should have the same number of elements: input [${input.size().join(', ')}], gradOutput [${gradOutput.size().join(', ')}]`,
    );
  }
}

/** The module's input as a tensor (activations take one tensor, not a table). */
export function tensorInput(x: unknown, where: string): Tensor {
  return expectTensor(x, where);
}

/**
 * Calls fn(channel, start, end) for every [sample][channel] block of logical indices;
 * with no geometry (shared parameter) one block covers everything with channel 0.
 */
export function forEachBlock(n: number, geom: ChannelGeometry | null, fn: (j: number, start: number, end: number) => void): void {
  if (!geom) {
    fn(0, 0, n);
    return;
  }
  const { bs, C, ks } = geom;
  let k = 0;
  for (let i = 0; i < bs; i++) {
    for (let j = 0; j < C; j++) {
      fn(j, k, k + ks);
      k += ks;
    }
  }
}

// ---- tfjs side -------------------------------------------------------------------------

/** A tfjs view of a tensor with the channel on the last axis (when that matters). */
export interface TFView {
  x: tf.Tensor;
  /** How to put a result of x's shape back: NHWC for 4-d, else logical after `inverse`. */
  layout: 'logical' | 'NHWC';
  /** Permutation that brings a result back to logical order (null: none needed). */
  inverse: number[] | null;
}

interface Layout {
  layout: 'logical' | 'NHWC';
  /** Permutation from logical order to the channels-last order (null: none). */
  perm: number[] | null;
  inverse: number[] | null;
}

/**
 * 4-d tensors come as NHWC (free when channels-last on the device); 1-d and 2-d tensors
 * already have the channel last; other ranks with per-channel parameters are transposed.
 */
function layoutOf(nd: number, perChannel: boolean): Layout {
  if (nd === 4) return { layout: 'NHWC', perm: null, inverse: null };
  if (!perChannel || nd <= 2) return { layout: 'logical', perm: null, inverse: null };
  // [N, C, d3, ...] -> [N, d3, ..., C]
  const perm = [0, ...Array.from({ length: nd - 2 }, (_, i) => i + 2), 1];
  const inverse = new Array<number>(nd);
  perm.forEach((p, i) => (inverse[p] = i));
  return { layout: 'logical', perm, inverse };
}

export function tfView(t: Tensor, perChannel: boolean): TFView {
  const l = layoutOf(t.dim(), perChannel);
  if (l.layout === 'NHWC') return { x: t.toTFNHWC(), layout: 'NHWC', inverse: null };
  if (!l.perm) return { x: t.toTF(), layout: 'logical', inverse: null };
  const x = tf.tidy(() => tf.transpose(t.toTF(), l.perm!));
  return { x, layout: 'logical', inverse: l.inverse };
}

/** Makes y (in `view`'s layout; ownership passes) the content of output buffer t. */
export function setFromView(t: Tensor, view: TFView, y: tf.Tensor): void {
  if (view.inverse) {
    const back = tf.tidy(() => tf.transpose(y, view.inverse!));
    y.dispose();
    t.setTF(back, 'logical');
  } else {
    t.setTF(y, view.layout);
  }
}

/** A reduction over the leading axes of a channels-last value: [..., C] -> [C]. */
export function sumToChannels(v: tf.Tensor): tf.Tensor {
  const axes = Array.from({ length: v.rank - 1 }, (_, i) => i);
  return axes.length ? tf.sum(v, axes) : v;
}

/**
 * Writes y (in `view`'s layout; ownership passes) into `t`'s own elements, as an in-place
 * Torch kernel does. A tensor that owns its whole storage in the same layout takes the
 * device tensor; any other view is written element by element.
 */
export function writeInPlace(t: Tensor, view: TFView, y: tf.Tensor): void {
  if (!view.inverse && replaceStorageTF(t, y, view.layout)) return;
  let logical = y;
  if (view.layout === 'NHWC') logical = tf.tidy(() => tf.transpose(y, [0, 3, 1, 2]));
  else if (view.inverse) logical = tf.tidy(() => tf.transpose(y, view.inverse!));
  if (logical !== y) y.dispose();
  assignTF(t, logical);
}

/** A parameter vector as a tfjs tensor shaped to broadcast over a channels-last value. */
export function paramTF(p: Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(p.toTF(), [p.nElement()])) as tf.Tensor1D;
}

/** gradParam += scale * g (g a tfjs value of gradParam's element count; ownership passes). */
export function accumulateParamTF(gradParam: Tensor, g: tf.Tensor, scale: number): void {
  const shaped = g.rank === gradParam.dim() ? g : tf.tidy(() => tf.reshape(g, gradParam.size()));
  if (shaped !== g) g.dispose();
  accumulateTF(gradParam, shaped, scale);
}

// ---- host side -------------------------------------------------------------------------

/** Output values computed on the host into a contiguous buffer of input's sizes. */
export function setHost(t: Tensor, sizes: number[], values: Float64Array): void {
  setOutputHost(t, sizes, values);
}

export { accumulateHost, assignHost, hostValues };

/**
 * gradOutput in the same tfjs layout as tfView(input): THNN only asks for the same number
 * of elements, walked in logical order, so another shape is reshaped to the input's.
 */
export function gradView(g: Tensor, input: Tensor, perChannel: boolean): TFView {
  const same = g.dim() === input.dim() && g.size().every((s, i) => s === input.size(i + 1));
  if (same) return tfView(g, perChannel);
  const sizes = input.size();
  const l = layoutOf(sizes.length, perChannel);
  const x = tf.tidy(() => {
    const logical = tf.reshape(g.toTF(), sizes);
    if (l.layout === 'NHWC') return tf.transpose(logical, [0, 2, 3, 1]);
    return l.perm ? tf.transpose(logical, l.perm) : logical;
  });
  return { x, layout: l.layout, inverse: l.inverse };
}

// ---- in-place-capable pointwise modules (ReLU, ELU, LeakyReLU) ---------------------------
// Torch's inplace=true writes the result into the input (forward) or gradOutput (backward)
// and leaves output / gradInput viewing that tensor; otherwise the module's buffer is refilled.

/**
 * Forward of a pointwise activation into `output` (or into x, in place) on `engine`.
 * `host` rewrites x's float64 values; `onTF` maps a tfjs view of x to the result (in a tidy).
 */
export function pointwiseForward(
  engine: 'tf' | 'host',
  x: Tensor,
  output: Tensor,
  inplace: boolean,
  host: (v: Float64Array) => void,
  onTF: (x: tf.Tensor) => tf.Tensor,
): Tensor {
  if (engine === 'host') {
    const v = hostValues(x);
    host(v);
    if (inplace) {
      assignHost(x, v);
      output.set(x);
    } else {
      setHost(output, x.size(), v);
    }
    return output;
  }
  const view = tfView(x, false);
  const y = tf.tidy(() => onTF(view.x));
  view.x.dispose();
  if (inplace) {
    writeInPlace(x, view, y);
    output.set(x);
  } else {
    setFromView(output, view, y);
  }
  return output;
}

/**
 * Backward of a pointwise activation into `gradInput` (or into g, in place) on `engine`.
 * `ref` is what the gradient is a function of (the input, or the output for ELU); `host`
 * rewrites g's float64 values given ref's; `onTF` maps tfjs views of ref and g to the result.
 */
export function pointwiseBackward(
  engine: 'tf' | 'host',
  ref: Tensor,
  g: Tensor,
  gradInput: Tensor,
  inplace: boolean,
  host: (rv: Float64Array, gv: Float64Array) => void,
  onTF: (r: tf.Tensor, g: tf.Tensor) => tf.Tensor,
): Tensor {
  if (engine === 'host') {
    const rv = hostValues(ref);
    const gv = hostValues(g);
    host(rv, gv);
    if (inplace) {
      assignHost(g, gv);
      gradInput.set(g);
    } else {
      setHost(gradInput, ref.size(), gv);
    }
    return gradInput;
  }
  const view = tfView(ref, false);
  const gview = gradView(g, ref, false);
  const dx = tf.tidy(() => onTF(view.x, gview.x));
  view.x.dispose();
  gview.x.dispose();
  if (inplace) {
    writeInPlace(g, gview, dx);
    gradInput.set(g);
  } else {
    setFromView(gradInput, view, dx);
  }
  return gradInput;
}
