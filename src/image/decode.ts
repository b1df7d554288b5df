// image.load for JPEG and PNG through maintained decoders from the npm registry, laid out
// as torch/image's libjpeg/libpng loaders lay them out:
// C x H x W with the file's channels (gray 1, gray+alpha 2, RGB 3, RGBA 4; palettes
// expanded to RGB, gray below 8 bits expanded to 0..255), then, for a non-byte type,
// multiplied by 1/255 (1/65535 for 16-bit PNG) in the tensor's type.
//
// PNG (fast-png, pure JS) is lossless, so pixels equal libpng's. JPEG decoders differ in
// their inverse DCT and chroma upsampling (jpeg-js, pure JS, was measured 104 levels off
// libjpeg on 4:2:0 colour edges), so JPEG goes through @jsquash/jpeg: MozJPEG (a
// libjpeg-turbo fork) compiled to WebAssembly and shipped inside the npm package. With
// libjpeg's defaults (islow IDCT, fancy upsampling) its pixels equal libjpeg-turbo's
// djpeg bit for bit on the fixtures (4:2:0, 4:4:4, gray). The wasm module is compiled
// and instantiated synchronously on first use, so image.load stays synchronous as in Lua.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import mozjpegFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { decode as decodePng, convertIndexedToRgb } from 'fast-png';
import { Tensor } from '../torch/tensor.js';
import type { TensorType } from '../torch/types.js';
import { rgb2y } from './geometry.js';

export type LoadType = 'byte' | 'float' | 'double';

const TYPE_OF: Record<LoadType, TensorType> = { byte: 'Byte', float: 'Float', double: 'Double' };

export interface DecodedImage {
  channels: number;
  height: number;
  width: number;
  /** Planar (channel-major) values, 0..maxval. */
  planes: Uint16Array | Uint8Array;
  /** 8 or 16. */
  bitDepth: number;
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

function isPng(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

function planar(src: ArrayLike<number>, channels: number, n: number, Out: Uint8ArrayConstructor | Uint16ArrayConstructor): Uint8Array | Uint16Array {
  const out = new Out(channels * n);
  for (let k = 0; k < channels; k++) for (let i = 0; i < n; i++) out[k * n + i] = src[i * channels + k]!;
  return out;
}

// The WebAssembly JS API as used here (tsconfig's lib has no WebAssembly declarations).
type WasmImports = Record<string, Record<string, unknown>>;
interface WasmInstance {
  exports: Record<string, unknown>;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: WasmImports) => WasmInstance;
};

interface MozJpeg {
  decode(data: Uint8Array, preserveOrientation: boolean): { width: number; height: number; data: Uint8ClampedArray } | null;
}

let mozjpeg: MozJpeg | null = null;

/** The MozJPEG decoder, instantiated synchronously (emscripten fills the options object it is given). */
function jpegDecoder(): MozJpeg {
  if (mozjpeg) return mozjpeg;
  const wasmPath = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
  const wasm = new WebAssembly.Module(readFileSync(wasmPath));
  const opts: Record<string, unknown> = {
    noInitialRun: true,
    instantiateWasm(imports: WasmImports, done: (i: WasmInstance) => void) {
      const instance = new WebAssembly.Instance(wasm, imports);
      done(instance);
      return instance.exports;
    },
  };
  void (mozjpegFactory as unknown as (o: object) => Promise<unknown>)(opts);
  if (typeof opts.decode !== 'function') throw new Error('image.load: the JPEG decoder (@jsquash/jpeg) did not start synchronously');
  mozjpeg = opts as unknown as MozJpeg;
  return mozjpeg;
}

/** The number of components in the JPEG's frame header (SOFn), or 0 when none is found. */
function jpegComponents(b: Uint8Array): number {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return 0;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return i + 9 < b.length ? b[i + 9]! : 0;
    if (marker === 0xda || marker === 0xd9) return 0;
    i += 2 + len;
  }
  return 0;
}

export function decodeJpeg(bytes: Uint8Array, where = 'the data'): DecodedImage {
  const components = jpegComponents(bytes);
  if (components !== 1 && components !== 3) {
    throw new Error(`image.load: ${where}: expected a JPEG with 1 (gray) or 3 (YCbCr) components, found ${components === 0 ? 'no frame header' : components}`);
  }
  let img: ReturnType<MozJpeg['decode']>;
  try {
    img = jpegDecoder().decode(bytes, false);
  } catch (e) {
    throw new Error(`image.load: ${where} is not a JPEG file the decoder can read: ${(e as Error).message}`);
  }
  if (!img) throw new Error(`image.load: ${where} is not a JPEG file the decoder can read`);
  const n = img.width * img.height;
  // The decoder gives RGBA; a gray JPEG has R = G = B.
  const out = new Uint8Array(components * n);
  for (let k = 0; k < components; k++) for (let i = 0; i < n; i++) out[k * n + i] = img.data[i * 4 + k]!;
  return { channels: components, height: img.height, width: img.width, planes: out, bitDepth: 8 };
}

export function decodePngBytes(bytes: Uint8Array, where = 'the data'): DecodedImage {
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes);
  } catch (e) {
    throw new Error(`image.load: ${where} is not a PNG file the decoder can read: ${(e as Error).message}`);
  }
  const n = png.width * png.height;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const ch = rgb.length / n;
    // libpng's png_set_expand gives RGB (torch reads 3 channels, any alpha from tRNS is dropped).
    const out = new Uint8Array(3 * n);
    for (let k = 0; k < 3; k++) for (let i = 0; i < n; i++) out[k * n + i] = rgb[i * ch + k]!;
    return { channels: 3, height: png.height, width: png.width, planes: out, bitDepth: 8 };
  }
  let data: ArrayLike<number> = png.data;
  let depth = png.depth;
  if (depth < 8) {
    // fast-png leaves sub-byte samples packed (rows padded to whole bytes); libpng's
    // png_set_expand_gray_1_2_4_to_8 unpacks them and scales 0..2^d-1 to 0..255.
    const max = (1 << depth) - 1;
    const perRow = png.width * png.channels;
    const rowBytes = Math.ceil((perRow * depth) / 8);
    const unpacked = new Uint8Array(perRow * png.height);
    for (let y = 0; y < png.height; y++) {
      for (let i = 0; i < perRow; i++) {
        const bit = i * depth;
        const byte = png.data[y * rowBytes + (bit >> 3)]!;
        const v = (byte >> (8 - depth - (bit & 7))) & max;
        unpacked[y * perRow + i] = (v * 255) / max;
      }
    }
    data = unpacked;
    depth = 8;
  }
  const Out = depth === 16 ? Uint16Array : Uint8Array;
  return { channels: png.channels, height: png.height, width: png.width, planes: planar(data, png.channels, n, Out), bitDepth: depth };
}

/** Decodes JPEG or PNG bytes (told apart by their magic numbers, as image.load does). */
export function decodeImage(bytes: Uint8Array, where = 'the data'): DecodedImage {
  if (isJpeg(bytes)) return decodeJpeg(bytes, where);
  if (isPng(bytes)) return decodePngBytes(bytes, where);
  throw new Error(`image.load: ${where} is neither JPEG (starts ff d8 ff) nor PNG (starts 89 50 4e 47); found ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}`);
}

/** The decoded image as torch/image returns it: C x H x W, scaled to 0..1 unless type is 'byte'. */
export function imageTensor(img: DecodedImage, type: TensorType): Tensor {
  const t = Tensor.create(type, [img.channels, img.height, img.width]);
  const host = t.storage().mutableData() as Float64Array;
  const byte = type === 'Byte';
  if (byte && img.bitDepth === 16) {
    // libpng into a ByteTensor keeps the most significant byte.
    for (let i = 0; i < img.planes.length; i++) host[i] = img.planes[i]! >> 8;
    return t;
  }
  host.set(img.planes as unknown as ArrayLike<number>);
  if (!byte) t.mul(1 / (img.bitDepth === 16 ? 65535 : 255));
  return t;
}

/** image.load(filename, depth?, type?): depth 1 (luma) or 3 (RGB) forces the channel count. */
export function load(filename: string, type: LoadType | TensorType = 'float'): Tensor {
  const tt: TensorType = (TYPE_OF as Record<string, TensorType>)[type] ?? (type as TensorType);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(filename);
  } catch (e) {
    throw new Error(`image.load: cannot read '${filename}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return imageTensor(decodeImage(bytes, `'${filename}'`), tt);
}

/**
 * torch/image's todepth: depth 1 turns RGB(A) into luma (an H x W image, as image.rgb2y(..)[1])
 * and gray+alpha into its gray plane; depth 3 copies a gray plane to three channels and drops alpha.
 */
export function toDepth(img: Tensor, depth?: number): Tensor {
  if (depth === 1) {
    if (img.dim() === 2) return img;
    const c = img.size(1);
    if (c === 3 || c === 4) return rgb2y(img.narrow(1, 1, 3)).select(1, 1);
    if (c === 2) return img.narrow(1, 1, 1);
    if (c !== 1) throw new RangeError(`image.load: image loaded has wrong #channels (${c})`);
    return img;
  }
  if (depth === 3) {
    if (img.dim() === 2) return img.new(3, img.size(1), img.size(2)).copy(img.view(1, img.size(1), img.size(2)).expand(3, img.size(1), img.size(2)));
    const c = img.size(1);
    if (c === 3) return img;
    if (c === 4) return img.narrow(1, 1, 3);
    if (c === 1) return img.new(3, img.size(2), img.size(3)).copy(img.expand(3, img.size(2), img.size(3)));
    throw new RangeError(`image.load: image loaded has wrong #channels (${c})`);
  }
  return img;
}
