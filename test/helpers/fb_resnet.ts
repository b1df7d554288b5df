// fb.resnet.torch-style models built from mpelu's nn modules, after the structure of its
// models/resnet.lua and models/preresnet.lua (the CIFAR layout, shortcut types A and B,
// basic blocks), for the export tests. Weights are Torch's default
// draws; batch-norm statistics are then set to seeded values so evaluation is not trivial.

import { nn, cudnn, type Module } from '../../src/nn/index.js';
import { Tensor } from '../../src/torch/index.js';
import { rng } from './random_data.js';

export interface FbResNetOptions {
  depth: number;
  dataset: 'cifar10';
  preact?: boolean;
  shortcutType?: 'A' | 'B';
  /** Build with cudnn.* twins (as fb.resnet.torch does) instead of nn.*. */
  cudnn?: boolean;
}

export function createFbResNet(opt: FbResNetOptions): Module {
  const lib = opt.cudnn ? cudnn : nn;
  const Convolution = lib.SpatialConvolution;
  const SBatchNorm = lib.SpatialBatchNormalization;
  const ReLU = () => (opt.cudnn ? cudnn.ReLU(true) : nn.ReLU(true));
  const shortcutType = opt.shortcutType ?? (opt.dataset === 'cifar10' ? 'A' : 'B');
  let iChannels = 0;

  const shortcut = (nIn: number, nOut: number, stride: number): Module => {
    if (shortcutType === 'B' && nIn !== nOut) {
      return nn.Sequential().add(Convolution(nIn, nOut, 1, 1, stride, stride)).add(SBatchNorm(nOut));
    }
    if (nIn !== nOut) {
      // Strided, zero-padded identity shortcut.
      return nn.Sequential()
        .add(nn.SpatialAveragePooling(1, 1, stride, stride))
        .add(nn.Concat(2).add(nn.Identity()).add(nn.MulConstant(0)));
    }
    return nn.Identity();
  };

  const basicblock = (n: number, stride: number, first: boolean): Module => {
    const nIn = iChannels;
    iChannels = n;
    const s = nn.Sequential();
    const block = nn.Sequential();
    if (opt.preact) {
      if (first) {
        block.add(SBatchNorm(nIn)).add(ReLU());
      } else {
        s.add(SBatchNorm(nIn)).add(ReLU());
      }
    }
    s.add(Convolution(nIn, n, 3, 3, stride, stride, 1, 1)).add(SBatchNorm(n)).add(ReLU());
    s.add(Convolution(n, n, 3, 3, 1, 1, 1, 1));
    if (!opt.preact) s.add(SBatchNorm(n));
    block.add(nn.ConcatTable().add(s).add(shortcut(nIn, n, stride))).add(nn.CAddTable(true));
    if (!opt.preact) block.add(ReLU());
    return block;
  };

  const layer = (block: typeof basicblock, features: number, count: number, stride = 1): Module => {
    const s = nn.Sequential();
    for (let i = 1; i <= count; i++) s.add(block(features, i === 1 ? stride : 1, i === 1));
    return s;
  };

  const model = nn.Sequential();
  const n = (opt.depth - 2) / 6;
  iChannels = 16;
  model.add(Convolution(3, 16, 3, 3, 1, 1, 1, 1)).add(SBatchNorm(16)).add(ReLU());
  model.add(layer(basicblock, 16, n)).add(layer(basicblock, 32, n, 2)).add(layer(basicblock, 64, n, 2));
  if (opt.preact) model.add(SBatchNorm(iChannels)).add(ReLU());
  model.add(lib.SpatialAveragePooling(8, 8, 1, 1)).add(nn.View(64).setNumInputDims(3)).add(nn.Linear(64, 10));
  randomizeBatchNorm(model, 7);
  return model;
}

/** Seeded running statistics and affine parameters for every batch normalization. */
export function randomizeBatchNorm(model: Module, seed: number): void {
  const r = rng(seed);
  const fill = (t: unknown, lo: number, hi: number) => {
    if (!(t instanceof Tensor)) return;
    const d = t.storage().mutableData() as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * r();
  };
  const visit = (m: Module): void => {
    if (/SpatialBatchNormalization$/.test(m.className)) {
      fill(m.fields.get('running_mean'), -0.2, 0.2);
      fill(m.fields.get('running_var'), 0.5, 1.5);
      fill(m.fields.get('weight'), 0.5, 1.5);
      fill(m.fields.get('bias'), -0.2, 0.2);
    }
    m.children().forEach(visit);
  };
  visit(model);
}
