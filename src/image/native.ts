// The image kernels as the Lua package lua/packages/image.lua calls them (tensors in and out).
import { Tensor } from '../torch/tensor.js';
import { hflip, crop, scale, rotate, rgb2y, type ScaleMode, type RotateMode } from './geometry.js';
import { load, toDepth, type LoadType } from './decode.js';
export const imageNative = {
  hflip: (src: Tensor, dst?: Tensor) => hflip(src, dst),
  crop: (src: Tensor, x1: number, y1: number, x2: number, y2: number) => crop(src, x1, y1, x2, y2),
  scale: (src: Tensor, w: number, h: number, mode?: ScaleMode, dst?: Tensor) => scale(src, w, h, mode ?? 'bilinear', dst),
  rotate: (src: Tensor, theta: number, mode?: RotateMode, dst?: Tensor) => rotate(src, theta, mode ?? 'simple', dst),
  rgb2y: (src: Tensor) => rgb2y(src),
  load: (file: string, type?: LoadType) => load(file, type ?? 'float'),
  toDepth: (t: Tensor, depth?: number) => toDepth(t, depth),
};
