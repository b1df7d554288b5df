// torch/image's kernels (src/image): hflip and crop exact; scale (bilinear, bicubic, simple)
// and rotate (simple, bilinear) with image.c's roundings, checked against hand-derived values
// and float64 references of the same formulas; image.load of JPEG against libjpeg-turbo's
// own decoding (fixtures/image) and of PNG against the pixels written into it.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Tensor } from '../src/torch/tensor.js';
import { hflip, crop, scale, rotate, rgb2y, load, toDepth } from '../src/image/index.js';
import { cRound } from '../src/image/arith.js';
import type { TensorType } from '../src/torch/types.js';

const FIX = new URL('../fixtures/image/', import.meta.url);

function tensor(type: TensorType, sizes: number[], values: number[]): Tensor {
  const t = Tensor.create(type, sizes);
  const d = t.storage().mutableData() as Float64Array;
  values.forEach((v, i) => (d[i] = v));
  return t;
}

function ramp(type: TensorType, sizes: number[], fn: (i: number) => number): Tensor {
  const n = sizes.reduce((a, b) => a * b, 1);
  return tensor(type, sizes, Array.from({ length: n }, (_, i) => fn(i)));
}

/** A PPM/PGM file as planar values (C x H x W). */
function netpbm(name: string): { c: number; h: number; w: number; planes: number[] } {
  const b = readFileSync(new URL(name, FIX));
  const head = b.subarray(0, 20).toString('latin1').split(/\s+/);
  const c = head[0] === 'P6' ? 3 : 1;
  const w = Number(head[1]);
  const h = Number(head[2]);
  const start = b.length - w * h * c;
  const planes = new Array<number>(w * h * c);
  for (let k = 0; k < c; k++) for (let i = 0; i < w * h; i++) planes[k * w * h + i] = b[start + i * c + k]!;
  return { c, h, w, planes };
}

describe('image geometry', () => {
  it('hflip reverses the columns of 3-d and 2-d images exactly', () => {
    const x = ramp('Float', [2, 2, 3], (i) => i + 0.25);
    expect(hflip(x).values()).toEqual([2.25, 1.25, 0.25, 5.25, 4.25, 3.25, 8.25, 7.25, 6.25, 11.25, 10.25, 9.25]);
    const g = ramp('Byte', [2, 3], (i) => i * 40);
    const out = hflip(g);
    expect(out.elementType).toBe('Byte');
    expect(out.size()).toEqual([2, 3]);
    expect(out.values()).toEqual([80, 40, 0, 200, 160, 120]);
    // A view (a transposed image) reads in logical order; dst is resized and written.
    const dst = Tensor.create('Float', [1]);
    hflip(x.transpose(2, 3), dst);
    expect(dst.size()).toEqual([2, 3, 2]);
    expect(dst.values().slice(0, 6)).toEqual([3.25, 0.25, 4.25, 1.25, 5.25, 2.25]);
  });

  it('crop takes columns x1..x2-1 and rows y1..y2-1; a DoubleTensor goes through float32 as in image.c', () => {
    const x = ramp('Float', [3, 5, 6], (i) => i * 0.5);
    const c = crop(x, 1, 2, 4, 5);
    expect(c.size()).toEqual([3, 3, 3]);
    expect(c.get(1, 1, 1)).toBe(x.get(1, 3, 2));
    expect(c.get(3, 3, 3)).toBe(x.get(3, 5, 4));
    const d = tensor('Double', [1, 1, 2], [0.1, 1 / 3]);
    expect(crop(d, 0, 0, 2, 1).values()).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    expect(() => crop(x, 4, 0, 8, 2)).toThrow(/crop goes outside bounds of src \(region x 4..8, y 0..2 of a 6x5 image\)/);
    expect(() => crop(Tensor.create('Float', [2, 2, 2, 2]), 0, 0, 1, 1)).toThrow(/expected a 2-d \(HxW\) or 3-d \(CxHxW\) image, got a 4-d tensor/);
  });

  it('a FloatTensor (the per-image fast path) gives what the general path gives for the same values', () => {
    const x = ramp('Float', [3, 40, 40], (i) => Math.fround(Math.sin(i) * 3));
    const d = x.double();
    expect(Array.from(crop(x, 3, 7, 35, 39).values())).toEqual(Array.from(crop(d, 3, 7, 35, 39).values()));
    expect(Array.from(hflip(x).values())).toEqual(Array.from(hflip(d).values()));
    const g = x.select(1, 2);
    expect(crop(g, 1, 2, 9, 5).size()).toEqual([3, 8]);
    expect(Array.from(crop(g, 1, 2, 9, 5).values())).toEqual(Array.from(crop(g.double(), 1, 2, 9, 5).values()));
    expect(Array.from(hflip(g).values())).toEqual(Array.from(hflip(g.double()).values()));
    expect(crop(x, 0, 0, 4, 4).elementType).toBe('Float');
  });

  it('bilinear scale: upsampling interpolates between neighbours, downsampling averages areas, as image.c', () => {
    // Downsampling [0 1 2 3] to 2 averages pairs.
    expect(scale(tensor('Float', [1, 4], [0, 1, 2, 3]), 2, 1).values()).toEqual([0.5, 2.5]);
    // 3 -> 2: scale 1.5; the middle sample is split 0.5/0.5 between the outputs.
    expect(scale(tensor('Float', [1, 3], [0, 3, 6]), 2, 1).values()).toEqual([1, 5]);
    // Upsampling a row of 4 to 7: the samples fall at 0, .5, 1, ...: midpoints.
    expect(scale(tensor('Float', [1, 4], [0, 10, 20, 40]), 7, 1).values()).toEqual([0, 5, 10, 15, 20, 30, 40]);
    // Against a float64 reference of the same formula (within float32 rounding).
    const x = ramp('Float', [2, 5, 7], (i) => Math.sin(i) * 100);
    const y = scale(x, 11, 9);
    expect(y.size()).toEqual([2, 9, 11]);
    const xv = x.values();
    const lin = (src: (i: number) => number, sl: number, dl: number, di: number) => {
      if (di === dl - 1) return src(sl - 1);
      const s = (di * (sl - 1)) / (dl - 1);
      const i = Math.floor(s);
      return (1 - (s - i)) * src(i) + (s - i) * src(i + 1);
    };
    let worst = 0;
    for (let k = 0; k < 2; k++) {
      for (let j = 0; j < 9; j++) {
        for (let i = 0; i < 11; i++) {
          const want = lin((jj) => lin((ii) => xv[(k * 5 + jj) * 7 + ii]!, 7, 11, i), 5, 9, j);
          worst = Math.max(worst, Math.abs(y.get(k + 1, j + 1, i + 1) - want));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
    expect(worst).toBeGreaterThan(0); // float32 arithmetic, as image.c's
  });

  it('bicubic scale reproduces linear ramps, keeps the last sample, and rounds and clamps bytes', () => {
    const r = scale(tensor('Double', [1, 4], [0, 1, 2, 3]), 7, 1, 'bicubic');
    expect(r.values()).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3]);
    // A step overshoots (Catmull-Rom): below 0 and above 255 in Float, clamped in Byte.
    const step = [0, 0, 0, 255, 255, 255];
    const fl = scale(tensor('Float', [1, 6], step), 11, 1, 'bicubic').values();
    expect(Math.min(...fl)).toBeLessThan(0);
    expect(Math.max(...fl)).toBeGreaterThan(255);
    const by = scale(tensor('Byte', [1, 6], step), 11, 1, 'bicubic').values();
    expect(Math.min(...by)).toBe(0);
    expect(Math.max(...by)).toBe(255);
    // FromIntermediate rounds bytes (x + 0.5, truncated): the float result rounded to nearest.
    by.forEach((v, i) => expect(v).toBe(Math.min(255, Math.max(0, Math.floor(fl[i]! + 0.5)))));
    // Equal lengths copy.
    expect(scale(tensor('Float', [1, 3], [1, 2, 4]), 3, 1, 'bicubic').values()).toEqual([1, 2, 4]);
  });

  it('simple scale picks the nearest-below pixel; sizes truncate as Torch tensor sizes do', () => {
    const x = tensor('Float', [1, 4], [1, 2, 3, 4]);
    expect(scale(x, 8, 1, 'simple').values()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(scale(x, 2.9, 1.7, 'simple').size()).toEqual([1, 2]);
    expect(() => scale(x, 2, 2, 'nearest' as never)).toThrow(/mode must be one of: simple \| bicubic \| bilinear/);
  });

  it('rotate: by 0 is the identity; by pi/2 is the quarter turn image.c gives; corners outside are 0', () => {
    const x = ramp('Float', [1, 3, 3], (i) => i + 1);
    expect(rotate(x, 0).values()).toEqual(x.values());
    expect(rotate(x, 0, 'bilinear').values()).toEqual(x.values());
    // dst(i, j) = src(ii = 2 - j, jj = i) for theta = pi/2 on a 3x3 image.
    const q = rotate(x, Math.PI / 2);
    const want: number[] = [];
    for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) want.push(x.get(1, i + 1, 2 - j + 1));
    expect(q.values()).toEqual(want);
    const qb = rotate(x, Math.PI / 2, 'bilinear').values();
    qb.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    // 45 degrees on a 5x5: the far corners map outside the source.
    const r = rotate(ramp('Float', [5, 5], () => 7), Math.PI / 4, 'simple');
    expect(r.get(1, 1)).toBe(0);
    expect(r.get(3, 3)).toBe(7);
    expect(cRound(-2.5)).toBe(-3);
    expect(cRound(2.5)).toBe(3);
    expect(cRound(-2.4)).toBe(-2);
  });

  it('rgb2y weighs 0.299 / 0.587 / 0.114', () => {
    const x = tensor('Float', [3, 1, 2], [1, 0, 0, 1, 0, 0.5]);
    expect(rgb2y(x).values()).toEqual([Math.fround(0.299), Math.fround(0.587 + 0.114 * 0.5)]);
  });
});

describe('image.load', () => {
  for (const name of ['rgb420', 'rgb444', 'gray']) {
    it(`${name}.jpg decodes to libjpeg-turbo's pixels exactly (djpeg, islow, fancy upsampling)`, () => {
      const ref = netpbm(`${name}.libjpeg.${name === 'gray' ? 'pgm' : 'ppm'}`);
      const b = load(new URL(`${name}.jpg`, FIX).pathname, 'byte');
      expect(b.size()).toEqual([ref.c, ref.h, ref.w]);
      expect(b.values()).toEqual(ref.planes);
      // Float: v * float32(1/255), in float32.
      const f = load(new URL(`${name}.jpg`, FIX).pathname, 'float');
      const k = Math.fround(1 / 255);
      expect(f.values().slice(0, 50)).toEqual(ref.planes.slice(0, 50).map((v) => Math.fround(v * k)));
    });
  }

  it('PNG: every colour type gives the pixels written into it, laid out as libpng gives them to torch', () => {
    const src = netpbm('src.ppm');
    const n = src.w * src.h;
    const plane = (k: number) => src.planes.slice(k * n, (k + 1) * n);
    const path = (f: string) => new URL(f, FIX).pathname;
    expect(load(path('rgb8.png'), 'byte').values()).toEqual(src.planes);
    const gray = load(path('gray8.png'), 'byte');
    expect(gray.size()).toEqual([1, src.h, src.w]);
    expect(gray.values()).toEqual(plane(0));
    const ga = load(path('ga8.png'), 'byte');
    expect(ga.size()).toEqual([2, src.h, src.w]);
    expect(ga.values()).toEqual([...plane(1), ...plane(2)]);
    expect(load(path('rgba8.png'), 'byte').values()).toEqual([...src.planes, ...plane(2)]);
    // 16 bit: a ByteTensor keeps the high byte; a DoubleTensor is divided by 65535.
    expect(load(path('rgb16.png'), 'byte').values()).toEqual(src.planes.map((v, i) => (Math.min(65535, v * 257 + (((i % n) % src.w) + Math.floor((i % n) / src.w)) % 7) >> 8)));
    const d16 = load(path('rgb16.png'), 'double');
    expect(d16.get(1, 1, 1)).toBeCloseTo(Math.min(65535, src.planes[0]! * 257) / 65535, 12);
    // 2-bit gray expands to 0..255 (0, 85, 170, 255).
    expect(load(path('gray2.png'), 'byte').values()).toEqual(plane(0).map((v) => (v >> 6) * 85));
    // Palette: expanded to RGB.
    const pal = load(path('palette.png'), 'byte');
    expect(pal.size()).toEqual([3, src.h, src.w]);
    expect([pal.get(1, 1, 1), pal.get(2, 1, 1), pal.get(3, 1, 1)]).toEqual([10, 20, 30]);
    expect([pal.get(1, 1, 17), pal.get(2, 1, 17), pal.get(3, 1, 17)]).toEqual([200, 100, 50]);
  });

  it('todepth: 1 gives luma (H x W), 3 replicates gray and drops alpha', () => {
    const path = (f: string) => new URL(f, FIX).pathname;
    const rgba = load(path('rgba8.png'), 'float');
    expect(toDepth(rgba, 3).size()).toEqual([3, 48, 64]);
    const y = toDepth(rgba, 1);
    expect(y.size()).toEqual([48, 64]);
    expect(y.get(1, 1)).toBeCloseTo(0.299 * rgba.get(1, 1, 1) + 0.587 * rgba.get(2, 1, 1) + 0.114 * rgba.get(3, 1, 1), 6);
    const g3 = toDepth(load(path('gray8.png'), 'float'), 3);
    expect(g3.size()).toEqual([3, 48, 64]);
    expect(g3.get(3, 5, 5)).toBe(g3.get(1, 5, 5));
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(() => load('/nonexistent/x.jpg')).toThrow(/image.load: cannot read '\/nonexistent\/x.jpg': ENOENT/);
    const path = new URL('README.md', FIX).pathname;
    expect(() => load(path)).toThrow(/is neither JPEG \(starts ff d8 ff\) nor PNG \(starts 89 50 4e 47\); found 23 20 49 6d/);
  });
});
