// Pieces fb.resnet.torch's CIFAR models (models/resnet.lua, models/preresnet.lua at 985e569)
// share: depth checks, the A/B/C shortcut, the finishing init (ConvInit = MSRA with
// n = kW*kH*nOutputPlane and no conv bias under cuDNN >= 4, BNInit, Linear bias 0) and
// the float conversion. Modules are made in the Lua files' order, so a seeded build
// draws what Torch7 draws.

import { cudnn, nn, type Module, type Sequential } from '../nn/index.js';
import { paperResNetInit } from '../init/index.js';
import { getDefaultTensorType, setDefaultTensorType } from '../torch/tensor.js';

/**
 * fb.resnet.torch's shortcut types: A zero-pads the identity where the shape changes, B uses a 1x1
 * convolution there, C everywhere.
 */
export type ShortcutType = 'A' | 'B' | 'C';

/** Options of models.createResNet and models.createPreResNet (fb.resnet.torch's opts.lua). */
export interface CifarResNetOptions {
  /** 6n+2: 20, 32, 44, 56, 110, 1202 (8 is the smallest, n = 1). */
  depth: number;
  /** cifar10 (the default) or cifar100: the size of the last Linear. */
  dataset?: 'cifar10' | 'cifar100';
  /** opts.lua's -shortcutType (default for CIFAR: A). */
  shortcutType?: ShortcutType;
  /** cudnn.version as the model files read it; >= 4000 drops the convolution biases. */
  cudnnVersion?: number;
}

export function checkCifarOptions(kind: string, options: CifarResNetOptions): { n: number; nClasses: number; shortcutType: ShortcutType } {
  const depth = options.depth;
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new RangeError(`${kind}: depth should be one of 20, 32, 44, 56, 110, 1202 (6n+2), got ${depth}`);
  }
  const dataset = options.dataset ?? 'cifar10';
  if (dataset !== 'cifar10' && dataset !== 'cifar100') throw new RangeError(`${kind}: invalid dataset: ${String(dataset)} (expected cifar10 or cifar100)`);
  const shortcutType = options.shortcutType ?? 'A';
  if (!['A', 'B', 'C'].includes(shortcutType)) throw new RangeError(`${kind}: shortcutType should be A, B or C, got ${String(shortcutType)}`);
  return { n: (depth - 2) / 6, nClasses: dataset === 'cifar10' ? 10 : 100, shortcutType };
}

export const Convolution = (nIn: number, nOut: number, kW: number, kH: number, dW = 1, dH = 1, padW = 0, padH = 0): Module =>
  cudnn.SpatialConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH);
export const SBatchNorm = (n: number): Module => nn.SpatialBatchNormalization(n);
export const ReLU = (): Module => cudnn.ReLU(true);
export const Avg = (kW: number, kH: number, dW: number, dH: number): Module => cudnn.SpatialAveragePooling(kW, kH, dW, dH);

/**
 * The shortcut of both files: a 1x1 convolution (C always, B when the planes change; resnet
 * adds a batch norm after it), the zero-padded strided identity of type A, else identity.
 */
export function shortcut(type: ShortcutType, nInputPlane: number, nOutputPlane: number, stride: number, withBatchNorm: boolean): Module {
  const useConv = type === 'C' || (type === 'B' && nInputPlane !== nOutputPlane);
  if (useConv) {
    const s = nn.Sequential().add(Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride));
    if (withBatchNorm) s.add(SBatchNorm(nOutputPlane));
    return s;
  }
  if (nInputPlane !== nOutputPlane) {
    return nn.Sequential()
      .add(nn.SpatialAveragePooling(1, 1, stride, stride))
      .add(nn.Concat(2).add(nn.Identity()).add(nn.MulConstant(0)));
  }
  return nn.Identity();
}

/** Runs `build` under the Float default tensor type (main.lua's), then the files' ending. */
export function buildCifarModel(build: () => Sequential, cudnnVersion = 5105): Sequential {
  const previous = getDefaultTensorType();
  setDefaultTensorType('torch.FloatTensor');
  try {
    const model = build();
    paperResNetInit(model, { alpha: 0, beta: 1, cudnnVersion });
    model.type('torch.FloatTensor');
    model.get(1).fields.delete('gradInput');
    return model;
  } finally {
    setDefaultTensorType(previous);
  }
}
