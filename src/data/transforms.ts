// fb.resnet.torch's CIFAR preprocessing (datasets/transforms.lua, datasets/cifar10.lua,
// cifar100.lua) on float32 images C x H x W, with the same float32 arithmetic and the same
// draws from a Torch7 generator:
//   training:   ColorNormalize(meanstd) -> HorizontalFlip(0.5) -> RandomCrop(32, 4)
//   validation: ColorNormalize(meanstd)
// ColorNormalize: img[c]:add(-mean[c]) then img[c]:div(std[c]) in float (the Lua numbers are
// rounded to float first, as TH's `real` arguments are). HorizontalFlip: flip when
// torch.uniform() < p (one 32-bit draw). RandomCrop(size, pad): zero-pad to
// (H+2pad) x (W+2pad), then x1 = torch.random(0, W'-size), y1 = torch.random(0, H'-size)
// (x1 drawn first) and crop; no draws when the padded image already has the crop's size.

import type { Generator } from '../torch/random.js';
import type { CifarName } from './cifar.js';

/** Per-channel mean and standard deviation (of bytes 0-255), R, G, B. */
export interface MeanStd {
  /** The mean of R, G and B. */
  mean: readonly [number, number, number];
  /** The standard deviation of R, G and B. */
  std: readonly [number, number, number];
}

/** The constants of datasets/cifar10.lua and cifar100.lua. */
export const CIFAR_MEANSTD: Record<CifarName, MeanStd> = {
  cifar10: { mean: [125.3, 123.0, 113.9], std: [63.0, 62.1, 66.7] },
  cifar100: { mean: [129.3, 124.1, 112.4], std: [68.2, 65.4, 70.4] },
};

/** An image: planes of h x w floats. */
export interface Image {
  /** The values, plane after plane, h x w each. */
  data: Float32Array;
  /** The number of planes. */
  channels: number;
  /** Rows per plane. */
  height: number;
  /** Columns per plane. */
  width: number;
}

const f32 = Math.fround;

/** Bytes (C x H x W) to a float image, as ByteTensor:float(). */
export function bytesToImage(bytes: Uint8Array, channels = 3, height = 32, width = 32): Image {
  return { data: Float32Array.from(bytes), channels, height, width };
}

/** t.ColorNormalize(meanstd): per channel (x + float(-mean)) then / float(std), in float32; returns a new image. */
export function colorNormalize(img: Image, meanstd: MeanStd): Image {
  const out = new Float32Array(img.data.length);
  const plane = img.height * img.width;
  for (let c = 0; c < 3; c++) {
    const negMean = f32(-meanstd.mean[c]!);
    const std = f32(meanstd.std[c]!);
    for (let i = c * plane, end = i + plane; i < end; i++) out[i] = f32(f32(img.data[i]! + negMean) / std);
  }
  for (let i = 3 * plane; i < img.data.length; i++) out[i] = img.data[i]!;
  return { ...img, data: out };
}

/** image.hflip: a new image mirrored left-right. */
export function hflip(img: Image): Image {
  const { channels, height, width } = img;
  const out = new Float32Array(img.data.length);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      const row = (c * height + y) * width;
      for (let x = 0; x < width; x++) out[row + x] = img.data[row + width - 1 - x]!;
    }
  }
  return { ...img, data: out };
}

/** t.HorizontalFlip(prob): one torch.uniform() per image; flips when it is < prob. */
export function horizontalFlip(img: Image, prob: number, gen: Generator): Image {
  return gen.uniform(0, 1) < prob ? hflip(img) : img;
}

/** image.crop(img, x1, y1, x1 + w, y1 + h). */
export function crop(img: Image, x1: number, y1: number, w: number, h: number): Image {
  const out = new Float32Array(img.channels * h * w);
  for (let c = 0; c < img.channels; c++) {
    for (let y = 0; y < h; y++) {
      const src = (c * img.height + y1 + y) * img.width + x1;
      out.set(img.data.subarray(src, src + w), (c * h + y) * w);
    }
  }
  return { channels: img.channels, height: h, width: w, data: out };
}

/** Zero padding on every side. */
export function zeroPad(img: Image, pad: number): Image {
  const height = img.height + 2 * pad;
  const width = img.width + 2 * pad;
  const out = new Float32Array(img.channels * height * width);
  for (let c = 0; c < img.channels; c++) {
    for (let y = 0; y < img.height; y++) {
      const src = (c * img.height + y) * img.width;
      out.set(img.data.subarray(src, src + img.width), (c * height + y + pad) * width + pad);
    }
  }
  return { channels: img.channels, height, width, data: out };
}

/** t.RandomCrop(size, padding): zero-pad, then x1 = torch.random(0, w - size), y1 = torch.random(0, h - size). */
export function randomCrop(img: Image, size: number, padding: number, gen: Generator): Image {
  const input = padding > 0 ? zeroPad(img, padding) : img;
  if (input.width === size && input.height === size) return input;
  const x1 = gen.randomRange(0, input.width - size);
  const y1 = gen.randomRange(0, input.height - size);
  return crop(input, x1, y1, size, size);
}

/**
 * Ten crops of `size` for evaluation, in t.TenCrop's order (center, top-left, top-right,
 * bottom-left, bottom-right, then the same of the mirrored image). fb.resnet.torch's CIFAR
 * preprocessing has no TenCrop (its -tenCrop fails on CIFAR), so mpelu takes them from the
 * image zero-padded by `padding` (RandomCrop's 4), the positions training crops come from.
 */
export function tenCrop(img: Image, size: number, padding: number): Image[] {
  const out: Image[] = [];
  const padded = padding > 0 ? zeroPad(img, padding) : img;
  for (const im of [padded, hflip(padded)]) {
    const { width: w, height: h } = im;
    out.push(crop(im, Math.ceil((w - size) / 2), Math.ceil((h - size) / 2), size, size));
    out.push(crop(im, 0, 0, size, size));
    out.push(crop(im, w - size, 0, size, size));
    out.push(crop(im, 0, h - size, size, size));
    out.push(crop(im, w - size, h - size, size, size));
  }
  return out;
}

/** A data split: 'train' or 'val' (the test set). */
export type Split = 'train' | 'val';

/**
 * The preprocessing of datasets/cifar10.lua for one image given as bytes: a list of images
 * (one, or ten with tenCrop on validation), drawing from `gen` in Torch's order.
 */
export function preprocessCifar(bytes: Uint8Array, split: Split, meanstd: MeanStd, gen: Generator, tenCrops = false): Image[] {
  const img = colorNormalize(bytesToImage(bytes), meanstd);
  if (split === 'val') return tenCrops ? tenCrop(img, 32, 4) : [img];
  return [randomCrop(horizontalFlip(img, 0.5, gen), 32, 4, gen)];
}
