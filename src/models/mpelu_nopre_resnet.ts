// The MPELU "nopre" bottleneck ResNet for CIFAR (arXiv:1606.00305, Fig. "MPELU nopre
// ResNet"): depth 9n+2, stages of 16/64/128/256 planes, every residual unit
// conv1x1-BN-MPELU-conv3x3-BN-MPELU-conv1x1 added to an identity (or a 1x1 projection
// where the shape changes), no pre-activation on the shortcut path.
//
// Built in the same order as the paper's Torch model file, so after
// torch.manualSeed(s) it draws the same random numbers as Torch7 and gives the same
// weights: every module constructor's reset() first, then the paper's ConvInit (Taylor,
// n = kW*kH*nOutputPlane), BNInit and the Linear bias.

import { cudnn, nn, type Module, type Sequential } from '../nn/index.js';
import { paperResNetInit } from '../init/index.js';
import { learningRate, weightDecay } from '../optim/nnlr.js';
import { getDefaultTensorType, setDefaultTensorType } from '../torch/tensor.js';

/** Options of models.createMpeluNopreResNet; the defaults are the paper's. */
export interface MpeluResNetOptions {
  /** 9n+2: 20, 164, 1001, ... */
  depth: number;
  /** cifar10 (10 classes, the default) or cifar100 (100 classes): the size of the last Linear. */
  dataset?: 'cifar10' | 'cifar100';
  /** Initial MPELU alpha of every channel (default the paper's 0.25). */
  alpha?: number;
  /** Initial MPELU beta of every channel (default the paper's 1). */
  beta?: number;
  /** nnlr learning-rate multiplier of the MPELU alphas (default the paper's 5). */
  lrAlpha?: number;
  /** nnlr weight-decay multiplier of the MPELU alphas (default the paper's 10). */
  wdAlpha?: number;
  /** nnlr learning-rate multiplier of the MPELU betas (default the paper's 5). */
  lrBeta?: number;
  /** nnlr weight-decay multiplier of the MPELU betas (default the paper's 10). */
  wdBeta?: number;
  /** The tensor type of the finished model (default torch.FloatTensor). */
  tensorType?: string;
  /** cudnn.version as the paper's file reads it; >= 4000 drops the convolution biases. */
  cudnnVersion?: number;
  /**
   * 'cudnn' builds with the paper file's cudnn.SpatialConvolution and
   * cudnn.SpatialAveragePooling (what fb.resnet.torch runs and saves); 'nn' (default) with
   * the nn classes of the same computation.
   */
  classes?: 'nn' | 'cudnn';
}

/** Parameter counts the paper reports (CIFAR-10): 1.696M for depth 164, 10.28M for 1001. */
export function createMpeluNopreResNet(options: MpeluResNetOptions): Sequential {
  const depth = options.depth;
  if (!Number.isInteger(depth) || (depth - 2) % 9 !== 0 || depth < 11) {
    throw new RangeError(`MPELU nopre ResNet: depth should be 9n+2 (e.g., 164 or 1001 in the paper), got ${depth}`);
  }
  const dataset = options.dataset ?? 'cifar10';
  const nClasses = dataset === 'cifar10' ? 10 : dataset === 'cifar100' ? 100 : NaN;
  if (Number.isNaN(nClasses)) throw new RangeError(`invalid dataset: ${String(dataset)} (expected cifar10 or cifar100)`);
  const alpha = options.alpha ?? 0.25;
  const beta = options.beta ?? 1;
  const lrA = options.lrAlpha ?? 5;
  const wdA = options.wdAlpha ?? 10;
  const lrB = options.lrBeta ?? 5;
  const wdB = options.wdBeta ?? 10;
  const n = (depth - 2) / 9;

  // The paper's run builds under the Float default tensor type; the draws are the same
  // either way, but the intermediate tensors are then the same type as Torch's.
  const previousType = getDefaultTensorType();
  setDefaultTensorType('torch.FloatTensor');
  try {
    const useCudnn = options.classes === 'cudnn';
    const conv = (nIn: number, nOut: number, k: number, stride: number, pad: number) =>
      useCudnn ? cudnn.SpatialConvolution(nIn, nOut, k, k, stride, stride, pad, pad) : nn.SpatialConvolution(nIn, nOut, k, k, stride, stride, pad, pad);
    const bn = (planes: number) => nn.SpatialBatchNormalization(planes);
    const mpelu = (channels: number): Module => {
      const m = nn.MPELU(alpha, beta, channels);
      learningRate(m, 'weight', lrA);
      weightDecay(m, 'weight', wdA);
      learningRate(m, 'bias', lrB);
      weightDecay(m, 'bias', wdB);
      return m;
    };

    const bottleneck = (nInputPlane: number, nOutputPlane: number, stride: number): Module => {
      const nBottleneckPlane = nOutputPlane / 4;
      const convs = nn.Sequential()
        .add(conv(nInputPlane, nBottleneckPlane, 1, stride, 0))
        .add(bn(nBottleneckPlane))
        .add(mpelu(nBottleneckPlane))
        .add(conv(nBottleneckPlane, nBottleneckPlane, 3, 1, 1))
        .add(bn(nBottleneckPlane))
        .add(mpelu(nBottleneckPlane))
        .add(conv(nBottleneckPlane, nOutputPlane, 1, 1, 0));
      const shortcut: Module =
        nInputPlane === nOutputPlane ? nn.Identity() : nn.Sequential().add(conv(nInputPlane, nOutputPlane, 1, stride, 0));
      return nn.Sequential().add(nn.ConcatTable().add(convs).add(shortcut)).add(nn.CAddTable(true));
    };

    const layer = (nInputPlane: number, nOutputPlane: number, count: number, stride: number): Module => {
      const s = nn.Sequential().add(bottleneck(nInputPlane, nOutputPlane, stride));
      for (let i = 2; i <= count; i++) s.add(bottleneck(nOutputPlane, nOutputPlane, 1));
      return s;
    };

    const stages = [16, 64, 128, 256] as const;
    const model = nn.Sequential()
      .add(conv(3, stages[0], 3, 1, 1))
      .add(bn(stages[0]))
      .add(mpelu(stages[0]))
      .add(layer(stages[0], stages[1], n, 1))
      .add(layer(stages[1], stages[2], n, 2))
      .add(layer(stages[2], stages[3], n, 2))
      .add(bn(stages[3]))
      .add(mpelu(stages[3]))
      .add(useCudnn ? cudnn.SpatialAveragePooling(8, 8, 1, 1) : nn.SpatialAveragePooling(8, 8, 1, 1))
      .add(nn.View(stages[3]).setNumInputDims(3))
      .add(nn.Linear(stages[3], nClasses));

    paperResNetInit(model, { alpha, beta, cudnnVersion: options.cudnnVersion ?? 5105 });
    model.type(options.tensorType ?? 'torch.FloatTensor');
    // As the paper's file does: the first module never needs a gradient w.r.t. the image.
    model.get(1).fields.delete('gradInput');
    return model;
  } finally {
    setDefaultTensorType(previousType);
  }
}
