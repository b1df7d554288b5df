// Converters of the layers with parameters or geometry: convolution (optionally with the
// batch normalization after it folded in), batch normalization, max/average pooling with
// Torch's (THNN's) ceil-mode and padding rules, Linear, View/Reshape with Torch's batch
// rules, MulConstant, Dropout and (Log)SoftMax.

import type { Module } from '../nn/index.js';
import { convOutputSize, type ConvParams } from '../nn/float64/conv.js';
import { Storage, Tensor } from '../torch/index.js';
import { ExportError, type ModulePath } from './module_path.js';
import type { Dim, Flow, Value } from './onnx_graph.js';
import {
  baseName,
  numberField,
  registerConvBnFolding,
  registerConverter,
  requireRank,
  sameShape,
  tensorIn,
  type ConvertContext,
} from './onnx_convert.js';

/** A tensor field's values (logical order), or undefined when the field is nil. */
export function optionalValues(m: Module, name: string, at: ModulePath, count?: number): number[] | undefined {
  const t = m.fields.get(name);
  if (t === undefined || t === null) return undefined;
  if (!(t instanceof Tensor)) throw new ExportError(m.className, at, `field '${name}' should be a tensor, found ${typeof t}`);
  if (count !== undefined && t.nElement() !== count) {
    throw new ExportError(m.className, at, `${name} holds ${t.nElement()} values [${t.size().join('x')}], expected ${count}`);
  }
  return t.values();
}

export function requiredValues(m: Module, name: string, at: ModulePath, count?: number): number[] {
  const v = optionalValues(m, name, at, count);
  if (!v) throw new ExportError(m.className, at, `has no '${name}' tensor`);
  return v;
}

/** The channel count of x (dim 2), when known, checked against what the module expects. */
function checkChannels(x: Value, expected: number, m: Module, at: ModulePath): void {
  const c = x.shape[1];
  if (typeof c === 'number' && c !== expected) throw new ExportError(m.className, at, `expects ${expected} input channels, the input has ${c}`);
}

function spatialOut(size: Dim, k: number, d: number, pad: number): Dim {
  return typeof size === 'number' ? convOutputSize(size, k, d, pad) : null;
}

// ---- convolution and batch normalization -----------------------------------------

interface ConvGeometry extends ConvParams {
  nIn: number;
  nOut: number;
}

function convGeometry(m: Module, at: ModulePath): ConvGeometry {
  const groups = m.fields.get('groups');
  if (groups !== undefined && groups !== 1) throw new ExportError(m.className, at, `grouped convolution (groups = ${String(groups)}) is not implemented by mpelu`);
  const padding = m.fields.get('padding');
  const oldPad = typeof padding === 'number' ? padding : 0;
  return {
    nIn: numberField(m, 'nInputPlane', at),
    nOut: numberField(m, 'nOutputPlane', at),
    kW: numberField(m, 'kW', at),
    kH: numberField(m, 'kH', at),
    dW: numberField(m, 'dW', at),
    dH: numberField(m, 'dH', at),
    padW: numberField(m, 'padW', at, oldPad),
    padH: numberField(m, 'padH', at, oldPad),
  };
}

/** Batch normalization in evaluation mode as y = x * scale + shift per channel (float64). */
function bnAffine(bn: Module, at: ModulePath, channels: number): { scale: number[]; shift: number[] } {
  const eps = numberField(bn, 'eps', at);
  const mean = requiredValues(bn, 'running_mean', at, channels);
  const variance = requiredValues(bn, 'running_var', at, channels);
  const affine = bn.fields.get('affine') !== false;
  const gamma = affine ? optionalValues(bn, 'weight', at, channels) : undefined;
  const beta = affine ? optionalValues(bn, 'bias', at, channels) : undefined;
  const scale = mean.map((_, c) => (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps));
  const shift = mean.map((mu, c) => (beta ? beta[c]! : 0) - mu * scale[c]!);
  return { scale, shift };
}

function convolution(m: Module, x0: Flow, at: ModulePath, ctx: ConvertContext, bn?: { module: Module; at: ModulePath }): Value {
  const x = tensorIn(x0, m, at);
  requireRank(x, [4], m, at);
  const g = convGeometry(m, at);
  checkChannels(x, g.nIn, m, at);
  const perFilter = g.nIn * g.kH * g.kW;
  let weight = requiredValues(m, 'weight', at, g.nOut * perFilter);
  let bias = optionalValues(m, 'bias', at, g.nOut);
  if (bn) {
    const { scale, shift } = bnAffine(bn.module, bn.at, g.nOut);
    weight = weight.map((w, i) => w * scale[Math.floor(i / perFilter)]!);
    bias = shift.map((s, o) => s + (bias ? bias[o]! * scale[o]! : 0));
  }
  const base = baseName(at);
  const inputs = [x.name, ctx.graph.floatConstant(`${base}.weight`, [g.nOut, g.nIn, g.kH, g.kW], weight)];
  if (bias) inputs.push(ctx.graph.floatConstant(`${base}.bias`, [g.nOut], bias));
  const y = ctx.graph.node('Conv', inputs, `${base}/Conv`, {
    kernel_shape: [g.kH, g.kW],
    strides: [g.dH, g.dW],
    pads: [g.padH, g.padW, g.padH, g.padW],
  });
  return { name: y, shape: [x.shape[0]!, g.nOut, spatialOut(x.shape[2]!, g.kH, g.dH, g.padH), spatialOut(x.shape[3]!, g.kW, g.dW, g.padW)] };
}

registerConverter(['nn.SpatialConvolution', 'cudnn.SpatialConvolution'], (m, x, at, ctx) => convolution(m, x, at, ctx));
registerConvBnFolding((conv, bn, x, at, bnAt, ctx) => convolution(conv, x, at, ctx, { module: bn, at: bnAt }));

registerConverter(['nn.SpatialBatchNormalization', 'cudnn.SpatialBatchNormalization'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  requireRank(x, [4], m, at);
  const mean = requiredValues(m, 'running_mean', at);
  const c = mean.length;
  checkChannels(x, c, m, at);
  const affine = m.fields.get('affine') !== false;
  const base = baseName(at);
  const gamma = (affine ? optionalValues(m, 'weight', at, c) : undefined) ?? new Array<number>(c).fill(1);
  const beta = (affine ? optionalValues(m, 'bias', at, c) : undefined) ?? new Array<number>(c).fill(0);
  const g = ctx.graph;
  const inputs = [
    x.name,
    g.floatConstant(`${base}.weight`, [c], gamma),
    g.floatConstant(`${base}.bias`, [c], beta),
    g.floatConstant(`${base}.running_mean`, [c], mean),
    g.floatConstant(`${base}.running_var`, [c], requiredValues(m, 'running_var', at, c)),
  ];
  return sameShape(ctx, 'BatchNormalization', inputs, x, at, { epsilon: { float: numberField(m, 'eps', at) } });
});

// ---- pooling -------------------------------------------------------------------

/**
 * THNN's output size: floor (or ceil) of (size + 2 pad - k) / d, plus one; with padding,
 * a last window that would start in the right/bottom padding is dropped.
 */
function torchPoolOut(size: number, k: number, d: number, pad: number, ceil: boolean, anyPad: boolean): number {
  const span = (size + 2 * pad - k) / d;
  let out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  if (anyPad && (out - 1) * d >= size + pad) out--;
  return out;
}

function pooling(kind: 'max' | 'avg', m: Module, x0: Flow, at: ModulePath, ctx: ConvertContext): Value {
  const x = tensorIn(x0, m, at);
  requireRank(x, [4], m, at);
  const kW = numberField(m, 'kW', at);
  const kH = numberField(m, 'kH', at);
  const dW = numberField(m, 'dW', at);
  const dH = numberField(m, 'dH', at);
  const padW = numberField(m, 'padW', at, 0);
  const padH = numberField(m, 'padH', at, 0);
  const ceil = m.fields.get('ceil_mode') === true;
  const anyPad = padW !== 0 || padH !== 0;
  const op = kind === 'max' ? 'MaxPool' : 'AveragePool';
  const attrs: Record<string, number | number[]> = { kernel_shape: [kH, kW], strides: [dH, dW], pads: [padH, padW, padH, padW] };
  if (kind === 'avg') {
    // A missing `divide` (old nn files) sums; cudnn always averages.
    const divide = m.fields.get('divide');
    if (divide === false || (divide === undefined && m.className === 'nn.SpatialAveragePooling')) {
      throw new ExportError(m.className, at, 'sums instead of averaging (divide = false, an old nn file); ONNX AveragePool cannot express it');
    }
    attrs.count_include_pad = m.fields.get('count_include_pad') === false ? 0 : 1;
  }
  const h = x.shape[2]!;
  const w = x.shape[3]!;
  let oH: Dim = null;
  let oW: Dim = null;
  if (typeof h === 'number' && typeof w === 'number') {
    oH = torchPoolOut(h, kH, dH, padH, ceil, anyPad);
    oW = torchPoolOut(w, kW, dW, padW, ceil, anyPad);
    // ONNX's floor rule gives the same windows whenever the counts agree; otherwise ceil mode
    // gave one more window than floor, which ONNX's ceil_mode reproduces (THNN did not drop it).
    const floorSame = oH === Math.floor((h + 2 * padH - kH) / dH) + 1 && oW === Math.floor((w + 2 * padW - kW) / dW) + 1;
    if (!floorSame) attrs.ceil_mode = 1;
  } else if (ceil) {
    if (anyPad) {
      throw new ExportError(m.className, at, 'ceil-mode pooling with padding needs the input\'s height and width to reproduce THNN\'s window rule: give the input size (--input CxHxW)');
    }
    attrs.ceil_mode = 1;
  }
  const y = ctx.graph.node(op, [x.name], `${baseName(at)}/${op}`, attrs);
  return { name: y, shape: [x.shape[0]!, x.shape[1]!, oH, oW] };
}

registerConverter(['nn.SpatialMaxPooling', 'cudnn.SpatialMaxPooling'], (m, x, at, ctx) => pooling('max', m, x, at, ctx));
registerConverter(['nn.SpatialAveragePooling', 'cudnn.SpatialAveragePooling'], (m, x, at, ctx) => pooling('avg', m, x, at, ctx));

// ---- Linear -------------------------------------------------------------------

registerConverter(['nn.Linear'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  requireRank(x, [2], m, at);
  const w = m.fields.get('weight');
  if (!(w instanceof Tensor) || w.dim() !== 2) throw new ExportError(m.className, at, 'has no 2-d weight');
  const [nOut, nIn] = w.size() as [number, number];
  const f = x.shape[1];
  if (typeof f === 'number' && f !== nIn) throw new ExportError(m.className, at, `expects ${nIn} input features, the input has ${f}`);
  const base = baseName(at);
  const inputs = [x.name, ctx.graph.floatConstant(`${base}.weight`, [nOut, nIn], w.values())];
  const bias = optionalValues(m, 'bias', at, nOut);
  if (bias) inputs.push(ctx.graph.floatConstant(`${base}.bias`, [nOut], bias));
  return { name: ctx.graph.node('Gemm', inputs, `${base}/Gemm`, { transB: 1 }), shape: [x.shape[0]!, nOut] };
});

// ---- View and Reshape -----------------------------------------------------------

function longNumbers(m: Module, name: string, at: ModulePath): number[] {
  const v = m.fields.get(name);
  if (v instanceof Storage) return Array.from({ length: v.size() }, (_, i) => v.getNumber(i));
  throw new ExportError(m.className, at, `field '${name}' should be a torch.LongStorage`);
}

function product(dims: readonly Dim[]): number | null {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    p *= d;
  }
  return p;
}

/** A Reshape node to `target` (ONNX rules: 0 copies the input's dim, -1 is inferred). */
function reshape(ctx: ConvertContext, x: Value, target: readonly number[], shape: Dim[], at: ModulePath): Value {
  const base = baseName(at);
  const s = ctx.graph.int64Constant(`${base}.shape`, target);
  return { name: ctx.graph.node('Reshape', [x.name, s], `${base}/Reshape`), shape };
}

/**
 * nn.View: Torch keeps the first (rank - numInputDims) dims as the batch (their product
 * becomes one dim). Without setNumInputDims and without -1 Torch adds a batch dim only when
 * the input holds more than one view's worth; the export always keeps it (at batch 1 the
 * ONNX output has a leading dim of 1 that Torch squeezes away).
 */
registerConverter(['nn.View'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  const sizes = longNumbers(m, 'size', at);
  const numElements = sizes.filter((s) => s >= 0).reduce((a, b) => a * b, 1);
  const inferred = sizes.includes(-1);
  const nd = m.fields.get('numInputDims');
  const rank = x.shape.length;
  const sampleShape: Dim[] = sizes.map((s) => (s === -1 ? null : s));
  if (typeof nd !== 'number') {
    if (inferred) return reshape(ctx, x, sizes, sampleShape, at); // Torch: no batch dim at all
    const perSample = product(x.shape.slice(1));
    return reshape(ctx, x, [-1, ...sizes], [perSample === numElements ? x.shape[0]! : null, ...sampleShape], at);
  }
  const batchDims = rank - nd;
  if (batchDims <= 0) {
    if (inferred) return reshape(ctx, x, sizes, sampleShape, at);
    throw new ExportError(m.className, at, `setNumInputDims(${nd}) covers the whole rank-${rank} input, so Torch's output rank would depend on the batch size`);
  }
  if (!inferred) {
    const perSample = product(x.shape.slice(batchDims));
    const first = batchDims === 1 && perSample === numElements ? x.shape[0]! : null;
    return reshape(ctx, x, [-1, ...sizes], [first, ...sampleShape], at);
  }
  let flat = x;
  if (batchDims > 1) {
    const name = ctx.graph.node('Flatten', [x.name], `${baseName(at)}/Flatten`, { axis: batchDims });
    flat = { name, shape: [product(x.shape.slice(0, batchDims)), product(x.shape.slice(batchDims))] };
  }
  return reshape(ctx, flat, [0, ...sizes], [batchDims === 1 ? x.shape[0]! : flat.shape[0]!, ...sampleShape], at);
});

/**
 * nn.Reshape: batchMode = false reshapes the whole input; otherwise the first dim is the
 * batch. (Torch also drops the batch when the input holds exactly one sample's elements
 * and its first size is not 1; a graph with a symbolic batch always keeps it.)
 */
registerConverter(['nn.Reshape'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  const sizes = longNumbers(m, 'size', at);
  if (m.fields.get('batchMode') === false) return reshape(ctx, x, sizes, sizes.slice(), at);
  return reshape(ctx, x, [0, ...sizes], [x.shape[0]!, ...sizes], at);
});

// ---- elementwise scaling and (log-)softmax -------------------------------------------

function scaleBy(ctx: ConvertContext, x: Value, factor: number, at: ModulePath, what: string): Value {
  const c = ctx.graph.floatConstant(`${baseName(at)}.${what}`, [], [factor]);
  return sameShape(ctx, 'Mul', [x.name, c], x, at);
}

registerConverter(['nn.MulConstant'], (m, x0, at, ctx) => scaleBy(ctx, tensorIn(x0, m, at), numberField(m, 'constant_scalar', at), at, 'constant_scalar'));

/** Dropout in evaluation: the identity (v2, the default), or a scaling by 1 - p (v1 files). */
registerConverter(['nn.Dropout'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  if (m.fields.get('stochastic_inference') === true) {
    throw new ExportError(m.className, at, 'drops units at inference (stochastic_inference = true); a deterministic graph cannot');
  }
  const p = numberField(m, 'p', at);
  if (p === 0 || m.fields.get('v2') === true) return x;
  return scaleBy(ctx, x, 1 - p, at, 'keep');
});

/** THNN's class axis: dim 1 of a 1-d or 3-d input, dim 2 of a 2-d or 4-d one. */
function softmax(op: 'Softmax' | 'LogSoftmax', m: Module, x0: Flow, at: ModulePath, ctx: ConvertContext): Value {
  const x = tensorIn(x0, m, at);
  requireRank(x, [1, 2, 3, 4], m, at);
  const axis = x.shape.length === 1 || x.shape.length === 3 ? 0 : 1;
  return sameShape(ctx, op, [x.name], x, at, { axis });
}

registerConverter(['nn.SoftMax'], (m, x, at, ctx) => softmax('Softmax', m, x, at, ctx));
registerConverter(['nn.LogSoftMax'], (m, x, at, ctx) => softmax('LogSoftmax', m, x, at, ctx));
