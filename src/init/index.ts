// Weight initialisers: Taylor (arXiv:1606.00305), MSRA (He et al.) and Xavier (Glorot &
// Bengio), usable on any module with a `weight`.
//
// Facts from the paper's code (Code-for-MPELU 46d137a):
// - Caffe's "taylor" filler: normal(0, std), std = sqrt(2 / n / (1 + alpha*alpha*beta*beta)),
//   n = fan_in by default (count / num), fan_out (count / channels) or their average;
//   alpha and beta default to 1. alpha = 0 gives MSRA's sqrt(2 / n).
// - The MPELU nopre ResNet (Torch) initialises every SpatialConvolution with
//   weight:normal(0, math.sqrt(2/n/(1 + alpha*alpha*beta*beta))), n = kW*kH*nOutputPlane
//   (fan_out), then removes the bias (cudnn.version >= 4000) or zeroes it; every
//   SpatialBatchNormalization gets weight 1, bias 0; every nn.Linear gets bias 0.
// - Caffe's "xavier": uniform(-sqrt(3/n), sqrt(3/n)); "msra": normal(0, sqrt(2/n)).
// Draws come from Torch7's generator in Torch's order (tensor elements in logical order,
// the Box-Muller pair cache carried across calls), so a seeded run gives Torch's weights.

import { Tensor } from '../torch/tensor.js';
import { storageIndices } from '../torch/layout.js';
import { defaultGenerator, type Generator } from '../torch/random.js';
import type { Module } from '../nn/module.js';

/** Which fan normalises a filler's variance: fan_in (inputs per output), fan_out, or their average. */
export type FanMode = 'fan_in' | 'fan_out' | 'average';

/** A weight's fan-in and fan-out: for a convolution nInputPlane x kW x kH and nOutputPlane x kW x kH. */
export interface Fans {
  /** Inputs per output unit (convolution: nInputPlane x kW x kH; Linear: inputSize). */
  fanIn: number;
  /** Outputs per input unit (convolution: nOutputPlane x kW x kH; Linear: outputSize). */
  fanOut: number;
}

/** Options of the MSRA and Xavier fillers. */
export interface FillerOptions {
  /** Which fan normalises the variance (default 'fan_in', as Caffe's fillers). */
  mode?: FanMode;
  /** The generator to draw from (default: Torch's default generator, torch.manualSeed's). */
  generator?: Generator;
}

/** Options of init.taylor: the MPELU's alpha and beta that the next layer follows, and the fan mode. */
export interface TaylorOptions extends FillerOptions {
  /** MPELU's alpha (default 1, as Caffe's filler; 0 gives MSRA). */
  alpha?: number;
  /** MPELU's beta (default 1). */
  beta?: number;
}

function weightOf(m: Module, where: string): Tensor {
  const w = m.fields.get('weight');
  if (!(w instanceof Tensor)) throw new TypeError(`${where}: ${m.className} has no weight tensor to initialise`);
  if (w.nElement() === 0) throw new RangeError(`${where}: ${m.className}'s weight is empty`);
  return w;
}

function numField(m: Module, name: string): number | undefined {
  const v = m.fields.get(name);
  return typeof v === 'number' ? v : undefined;
}

/**
 * fan_in and fan_out of a module's weight. Convolutions (fields nInputPlane, nOutputPlane,
 * kW, kH) use nInputPlane*kW*kH and nOutputPlane*kW*kH whatever the weight's stored shape
 * (older Torch files keep it 2-d); anything else follows Caffe's blob rule on the weight:
 * fan_in = count / size(1), fan_out = count / size(2) (Linear: nInput, nOutput).
 */
export function fans(m: Module): Fans {
  const w = weightOf(m, 'init.fans');
  const nIn = numField(m, 'nInputPlane');
  const nOut = numField(m, 'nOutputPlane');
  const kW = numField(m, 'kW');
  const kH = numField(m, 'kH');
  if (nIn !== undefined && nOut !== undefined && kW !== undefined && kH !== undefined) {
    return { fanIn: nIn * kW * kH, fanOut: nOut * kW * kH };
  }
  if (w.dim() < 2) {
    throw new RangeError(`init.fans: ${m.className}'s weight has sizes [${w.size().join(', ')}]; fans need at least 2 dimensions`);
  }
  const count = w.nElement();
  return { fanIn: count / w.size(1), fanOut: count / w.size(2) };
}

/** The n of a filler: fan_in, fan_out or (Caffe) their average. */
export function fanOf(m: Module, mode: FanMode = 'fan_in'): number {
  const f = fans(m);
  switch (mode) {
    case 'fan_in':
      return f.fanIn;
    case 'fan_out':
      return f.fanOut;
    case 'average':
      return (f.fanIn + f.fanOut) / 2;
    default:
      throw new RangeError(`init: mode must be 'fan_in', 'fan_out' or 'average', got '${String(mode)}'`);
  }
}

/** Taylor's standard deviation, evaluated in the paper code's order: sqrt(2/n/(1 + a*a*b*b)). */
export function taylorStd(n: number, alpha = 1, beta = 1): number {
  if (!(n > 0)) throw new RangeError(`init.taylorStd: n must be positive, got ${n}`);
  return Math.sqrt(2 / n / (1 + alpha * alpha * beta * beta));
}

/**
 * t:normal(mean, std) with Torch's generator (Tensor.normal: like Torch's binding, a Float
 * tensor's mean and std are first rounded to float, which changes the last bit of ~1 in 4
 * drawn values).
 */
export function normalFill(t: Tensor, mean: number, std: number, gen: Generator = defaultGenerator()): Tensor {
  if (t.elementType !== 'Float' && t.elementType !== 'Double') throw new TypeError(`normal: expected a Float or Double tensor, got ${t.className()}`);
  return t.normal(gen, mean, std);
}

/** t:uniform(a, b) with Torch's generator. */
export function uniformFill(t: Tensor, a: number, b: number, gen: Generator = defaultGenerator()): Tensor {
  if (t.elementType !== 'Float' && t.elementType !== 'Double') throw new TypeError(`uniform: expected a Float or Double tensor, got ${t.className()}`);
  return t.uniform(gen, a, b);
}

/** Taylor initialisation: weight ~ normal(0, sqrt(2 / n / (1 + alpha^2 beta^2))). Returns the std used. */
export function taylor(m: Module, options: TaylorOptions = {}): number {
  const std = taylorStd(fanOf(m, options.mode ?? 'fan_in'), options.alpha ?? 1, options.beta ?? 1);
  normalFill(weightOf(m, 'init.taylor'), 0, std, options.generator);
  return std;
}

/** MSRA (He) initialisation: weight ~ normal(0, sqrt(2 / n)) (Taylor with alpha = 0). Returns the std. */
export function msra(m: Module, options: FillerOptions = {}): number {
  return taylor(m, { ...options, alpha: 0, beta: 1 });
}

/**
 * Xavier initialisation as Caffe's filler: weight ~ uniform(-sqrt(3/n), sqrt(3/n)); with
 * mode 'average' this is Glorot & Bengio's sqrt(6 / (fan_in + fan_out)). Returns the bound.
 */
export function xavier(m: Module, options: FillerOptions = {}): number {
  const n = fanOf(m, options.mode ?? 'fan_in');
  const scale = Math.sqrt(3 / n);
  uniformFill(weightOf(m, 'init.xavier'), -scale, scale, options.generator);
  return scale;
}

/** Options of init.paperResNetInit (the MPELU nopre ResNet's own initialisation). */
export interface PaperResNetInitOptions {
  /** The MPELU alpha the Taylor init assumes (default the paper's 0.25). */
  alpha?: number;
  /** The MPELU beta the Taylor init assumes (default 1). */
  beta?: number;
  /**
   * cudnn.version as the paper's code reads it: >= 4000 removes the convolutions' bias
   * (fields bias and gradBias become nil), below that zeroes it. Default 5105 (cudnn 5).
   */
  cudnnVersion?: number;
  /** The generator to draw from (default: Torch's default generator). */
  generator?: Generator;
}

/**
 * The MPELU nopre ResNet's initialisation, in its order: ConvInit('cudnn.SpatialConvolution'),
 * ConvInit('nn.SpatialConvolution') (Taylor with n = kW*kH*nOutputPlane), BNInit for
 * fbnn/cudnn/nn SpatialBatchNormalization (weight 1, bias 0), then nn.Linear's bias 0.
 */
export function paperResNetInit(model: Module, options: PaperResNetInitOptions = {}): void {
  const alpha = options.alpha ?? 0.25;
  const beta = options.beta ?? 1;
  const cudnnVersion = options.cudnnVersion ?? 5105;
  for (const name of ['cudnn.SpatialConvolution', 'nn.SpatialConvolution']) {
    for (const v of model.findModules(name)[0]) {
      const kW = numField(v, 'kW');
      const kH = numField(v, 'kH');
      const nOut = numField(v, 'nOutputPlane');
      if (kW === undefined || kH === undefined || nOut === undefined) throw new TypeError(`paperResNetInit: ${v.className} lacks kW/kH/nOutputPlane`);
      const n = kW * kH * nOut;
      normalFill(weightOf(v, 'paperResNetInit'), 0, Math.sqrt(2 / n / (1 + alpha * alpha * beta * beta)), options.generator);
      if (cudnnVersion >= 4000) {
        v.fields.delete('bias');
        v.fields.delete('gradBias');
      } else {
        const b = v.fields.get('bias');
        if (b instanceof Tensor) fillZero(b);
      }
    }
  }
  for (const name of ['fbnn.SpatialBatchNormalization', 'cudnn.SpatialBatchNormalization', 'nn.SpatialBatchNormalization']) {
    for (const v of model.findModules(name)[0]) {
      const w = v.fields.get('weight');
      const b = v.fields.get('bias');
      if (!(w instanceof Tensor) || !(b instanceof Tensor)) {
        throw new TypeError(`paperResNetInit: ${v.className} has no affine weight/bias (the paper's BNInit fills them)`);
      }
      fillValue(w, 1);
      fillZero(b);
    }
  }
  for (const v of model.findModules('nn.Linear')[0]) {
    const b = v.fields.get('bias');
    if (b instanceof Tensor) fillZero(b);
  }
}

function fillValue(t: Tensor, v: number): void {
  const d = t.storage().mutableData() as Float64Array;
  if (t.isContiguous()) d.fill(v, t.offset(), t.offset() + t.nElement());
  else for (const i of storageIndices(t.size(), t.stride(), t.offset())) d[i] = v;
}

function fillZero(t: Tensor): void {
  fillValue(t, 0);
}
