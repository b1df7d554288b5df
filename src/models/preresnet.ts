// fb.resnet.torch's models/preresnet.lua for CIFAR-10/100 (pre-activation ResNet):
// conv3x3(3->16), three stages of n basic blocks (16, 32, 64 planes), each block's first
// unit 'both_preact' (BN-ReLU before the split, the BN marked __shareGradInputKey =
// 'preact'), the others BN-ReLU inside the residual branch; a final BN (key 'last')-ReLU,
// 8x8 average pooling, Linear. Shortcut B/C is a bare 1x1 convolution.

import { nn, type Module, type Sequential } from '../nn/index.js';
import { Avg, buildCifarModel, checkCifarOptions, Convolution, ReLU, SBatchNorm, shortcut, type CifarResNetOptions } from './cifar_resnet_parts.js';

function shareGradInputKey(m: Module, key: string): Module {
  m.fields.set('__shareGradInputKey', key);
  return m;
}

/**
 * fb.resnet.torch's models/preresnet.lua for CIFAR (pre-activation ResNet): depth 6n+2; built in the
 * Lua file's order, so a seeded build has Torch7's weights. A Float model, N x 3 x 32 x 32 in, N x
 * nClasses scores out.
 */
export function createPreResNet(options: CifarResNetOptions): Sequential {
  const { n, nClasses, shortcutType } = checkCifarOptions('PreResNet', options);
  return buildCifarModel(() => {
    let iChannels = 16;
    const basicblock = (planes: number, stride: number, type?: 'both_preact' | 'no_preact'): Module => {
      const nInputPlane = iChannels;
      iChannels = planes;
      const block = nn.Sequential();
      const s = nn.Sequential();
      if (type === 'both_preact') {
        block.add(shareGradInputKey(SBatchNorm(nInputPlane), 'preact'));
        block.add(ReLU());
      } else if (type !== 'no_preact') {
        s.add(SBatchNorm(nInputPlane));
        s.add(ReLU());
      }
      s.add(Convolution(nInputPlane, planes, 3, 3, stride, stride, 1, 1))
        .add(SBatchNorm(planes))
        .add(ReLU())
        .add(Convolution(planes, planes, 3, 3, 1, 1, 1, 1));
      return block.add(nn.ConcatTable().add(s).add(shortcut(shortcutType, nInputPlane, planes, stride, false))).add(nn.CAddTable(true));
    };
    const layer = (features: number, count: number, stride: number): Module => {
      const s = nn.Sequential();
      if (count < 1) return s;
      s.add(basicblock(features, stride, 'both_preact'));
      for (let i = 2; i <= count; i++) s.add(basicblock(features, 1));
      return s;
    };
    return nn.Sequential()
      .add(Convolution(3, 16, 3, 3, 1, 1, 1, 1))
      .add(layer(16, n, 1))
      .add(layer(32, n, 2))
      .add(layer(64, n, 2))
      .add(shareGradInputKey(SBatchNorm(iChannels), 'last'))
      .add(ReLU())
      .add(Avg(8, 8, 1, 1))
      .add(nn.View(64).setNumInputDims(3))
      .add(nn.Linear(64, nClasses));
  }, options.cudnnVersion);
}
