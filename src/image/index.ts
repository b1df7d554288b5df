// torch/image's functions that fb.resnet.torch's data pipeline calls, with its numerics.
export { hflip, crop, scale, rotate, rgb2y, type ScaleMode, type RotateMode } from './geometry.js';
export { load, decodeImage, imageTensor, toDepth, type DecodedImage, type LoadType } from './decode.js';
