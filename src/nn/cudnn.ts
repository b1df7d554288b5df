// The cudnn.* twins of the spatial modules: GPU-trained fb.resnet.torch checkpoints hold
// cudnn.SpatialConvolution, cudnn.SpatialBatchNormalization, cudnn.ReLU, ... These run
// the nn implementation under their own class names and keep whatever extra fields
// cudnn left in the file (iSize, convDescData, mode, groups, ...), since all state is in
// `fields`. Constructors follow cudnn.torch's argument orders and defaults.
//
// Known differences from cuDNN itself (we compute with nn's THNN definitions): in ceil
// mode with padding, nn drops a last pooling window that starts in the padding and its
// count_include_pad divisor stops at the padded border; cuDNN does neither.

import { Storage } from '../torch/storage.js';
import { registerModule } from './registry.js';
import { SpatialConvolution } from './SpatialConvolution.js';
import { SpatialBatchNormalization } from './SpatialBatchNormalization.js';
import { SpatialMaxPooling } from './SpatialMaxPooling.js';
import { SpatialAveragePooling } from './SpatialAveragePooling.js';
import { ReLU } from './ReLU.js';

/** cudnn.SpatialConvolution(nIn, nOut, kW, kH, dW = 1, dH = 1, padW = 0, padH = 0, groups = 1). */
export class CudnnSpatialConvolution extends SpatialConvolution {
  /**
   * @param nInputPlane input channels.
   * @param nOutputPlane output channels.
   * @param kW kernel width (pixels).
   * @param kH kernel height.
   * @param dW horizontal stride (default 1).
   * @param dH vertical stride (default 1).
   * @param padW padding left and right (default 0).
   * @param padH padding top and bottom (default 0, unlike nn's padW).
   * @param groups channel groups: only 1 is implemented.
   */
  constructor(nInputPlane: number, nOutputPlane: number, kW: number, kH: number, dW = 1, dH = 1, padW = 0, padH = 0, groups = 1) {
    if (groups !== 1) {
      throw new Error(`cudnn.SpatialConvolution: grouped convolution (groups = ${groups}) is not implemented by mpelu`);
    }
    // Same draws as cudnn's delayed reset: weight then bias, uniform(+-1/sqrt(kW*kH*nIn)).
    super(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH);
    this.className = 'cudnn.SpatialConvolution';
    this.fields.set('groups', groups);
  }
}

/** cudnn.SpatialBatchNormalization(nFeature, eps = 1e-5, momentum = 0.1, affine = true); cudnn supports affine only. */
export class CudnnSpatialBatchNormalization extends SpatialBatchNormalization {
  /**
   * @param nFeature the number of channels.
   * @param eps added to the variance (default 1e-5).
   * @param momentum running-statistics momentum (default 0.1).
   * @param affine must be true (cudnn supports affine only).
   */
  constructor(nFeature: number, eps = 1e-5, momentum = 0.1, affine = true) {
    if (affine !== true) throw new Error('cudnn.SpatialBatchNormalization: only affine supported');
    super(nFeature, eps, momentum, affine);
    this.className = 'cudnn.SpatialBatchNormalization';
  }

  /** cudnn.BatchNormalization has no __tostring__: Torch prints the class name. */
  override __tostring__(): string {
    return this.className;
  }
}

/** cudnn.SpatialMaxPooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0). */
export class CudnnSpatialMaxPooling extends SpatialMaxPooling {
  /**
   * @param kW window width (pixels).
   * @param kH window height.
   * @param dW horizontal stride (default kW).
   * @param dH vertical stride (default kH).
   * @param padW padding left and right (default 0).
   * @param padH padding top and bottom (default 0).
   */
  constructor(kW: number, kH: number, dW?: number, dH?: number, padW = 0, padH = 0) {
    super(kW, kH, dW, dH, padW, padH);
    this.className = 'cudnn.SpatialMaxPooling';
    cudnnPoolingFields(this.fields);
  }
}

/** cudnn.SpatialAveragePooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0): cudnn's stride defaults to the kernel size. */
export class CudnnSpatialAveragePooling extends SpatialAveragePooling {
  /**
   * @param kW window width (pixels).
   * @param kH window height.
   * @param dW horizontal stride (default kW).
   * @param dH vertical stride (default kH).
   * @param padW padding left and right (default 0).
   * @param padH padding top and bottom (default 0).
   */
  constructor(kW: number, kH: number, dW?: number, dH?: number, padW = 0, padH = 0) {
    super(kW, kH, dW ?? kW, dH ?? kH, padW, padH);
    this.className = 'cudnn.SpatialAveragePooling';
    cudnnPoolingFields(this.fields);
  }

  /** cudnn averages whether or not the file has a `divide` field (it asserts divide when present). */
  protected override divideWhenAbsent(): boolean {
    return true;
  }
}

/** cudnn._Pooling's own fields: kW..padH, iSize = LongStorage(4) of zeros, ceil_mode (no nn extras). */
function cudnnPoolingFields(fields: SpatialMaxPooling['fields']): void {
  for (const name of ['indices', 'count_include_pad', 'divide']) fields.delete(name);
  fields.set('iSize', new Storage('Long', 4));
}

registerModule('cudnn.SpatialConvolution', CudnnSpatialConvolution);
registerModule('cudnn.SpatialBatchNormalization', CudnnSpatialBatchNormalization);
registerModule('cudnn.SpatialMaxPooling', CudnnSpatialMaxPooling);
registerModule('cudnn.SpatialAveragePooling', CudnnSpatialAveragePooling);

/** cudnn.ReLU: the same computation under cudnn's class name. */
export class CudnnReLU extends ReLU {
  /** @param inplace overwrite the input with the output (default false). */
  constructor(inplace = false) {
    super(inplace, 'cudnn.ReLU');
  }
}
registerModule('cudnn.ReLU', CudnnReLU);
