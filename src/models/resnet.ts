// fb.resnet.torch's models/resnet.lua for CIFAR-10/100: conv3x3(3->16)-BN-ReLU, three stages
// of n basic blocks (16, 32, 64 planes; stride 2 entering stages 2 and 3), each block
// conv-BN-ReLU-conv-BN added to its shortcut then ReLU; 8x8 average pooling, Linear.
// Depth 6n+2; shortcut A (default on CIFAR), B or C.

import { nn, type Module, type Sequential } from '../nn/index.js';
import { Avg, buildCifarModel, checkCifarOptions, Convolution, ReLU, SBatchNorm, shortcut, type CifarResNetOptions } from './cifar_resnet_parts.js';

/**
 * fb.resnet.torch's models/resnet.lua for CIFAR: depth 6n+2, basic blocks of 16/32/64 planes, BN and
 * ReLU; built in the Lua file's order, so a seeded build has Torch7's weights. A Float model, Tensor N
 * x 3 x 32 x 32 in, N x nClasses scores out.
 */
export function createResNet(options: CifarResNetOptions): Sequential {
  const { n, nClasses, shortcutType } = checkCifarOptions('ResNet', options);
  return buildCifarModel(() => {
    let iChannels = 16;
    const basicblock = (planes: number, stride: number): Module => {
      const nInputPlane = iChannels;
      iChannels = planes;
      const s = nn.Sequential()
        .add(Convolution(nInputPlane, planes, 3, 3, stride, stride, 1, 1))
        .add(SBatchNorm(planes))
        .add(ReLU())
        .add(Convolution(planes, planes, 3, 3, 1, 1, 1, 1))
        .add(SBatchNorm(planes));
      return nn.Sequential()
        .add(nn.ConcatTable().add(s).add(shortcut(shortcutType, nInputPlane, planes, stride, true)))
        .add(nn.CAddTable(true))
        .add(ReLU());
    };
    const layer = (features: number, count: number, stride: number): Module => {
      const s = nn.Sequential();
      for (let i = 1; i <= count; i++) s.add(basicblock(features, i === 1 ? stride : 1));
      return s;
    };
    return nn.Sequential()
      .add(Convolution(3, 16, 3, 3, 1, 1, 1, 1))
      .add(SBatchNorm(16))
      .add(ReLU())
      .add(layer(16, n, 1))
      .add(layer(32, n, 2))
      .add(layer(64, n, 2))
      .add(Avg(8, 8, 1, 1))
      .add(nn.View(64).setNumInputDims(3))
      .add(nn.Linear(64, nClasses));
  }, options.cudnnVersion);
}
