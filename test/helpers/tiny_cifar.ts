// Tiny learnable CIFAR-10 data sets written in the three layouts mpelu train reads: the
// official binary release (cifar-10-batches-bin), fb.resnet.torch's gen/cifar10.t7 cache,
// and the Torch ascii batches (cifar-10-batches-t7). Class c (1..4) is a colour with a
// bright square whose place depends on c, plus seeded noise: two epochs lower the loss.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGenCache, type CifarData, type CifarSplit } from '../../src/data/cifar.js';
import * as t7 from '../../src/t7/index.js';
import { LuaTable } from '../../src/t7/lua_table.js';
import { Storage } from '../../src/torch/storage.js';
import { Tensor } from '../../src/torch/tensor.js';
import { rng } from './random_data.js';

const COLOURS = [
  [220, 40, 40],
  [40, 200, 60],
  [50, 60, 230],
  [230, 220, 40],
];

export function tinySplit(n: number, seed: number): CifarSplit {
  const r = rng(seed);
  const data = new Uint8Array(n * 3072);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c + 1;
    const x0 = (c % 2) * 16;
    const y0 = Math.floor(c / 2) * 16;
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const inSquare = x >= x0 && x < x0 + 16 && y >= y0 && y < y0 + 16;
          const v = (inSquare ? 255 : COLOURS[c]![ch]!) + (r() - 0.5) * 60;
          data[i * 3072 + ch * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return { data, labels, size: n };
}

export function tinyCifar(nTrain: number, nVal: number): CifarData {
  return { train: tinySplit(nTrain, 1), val: tinySplit(nVal, 2), source: 'tiny' };
}

function parts(s: CifarSplit, k: number): CifarSplit[] {
  const out: CifarSplit[] = [];
  for (let p = 0; p < k; p++) {
    const a = Math.floor((p * s.size) / k);
    const b = Math.floor(((p + 1) * s.size) / k);
    out.push({ data: s.data.slice(a * 3072, b * 3072), labels: s.labels.slice(a, b), size: b - a });
  }
  return out;
}

/** <dir>/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin */
export function writeBinaryLayout(dir: string, d: CifarData): void {
  const bin = join(dir, 'cifar-10-batches-bin');
  mkdirSync(bin, { recursive: true });
  const write = (file: string, s: CifarSplit) => {
    const out = new Uint8Array(s.size * 3073);
    for (let i = 0; i < s.size; i++) {
      out[i * 3073] = s.labels[i]! - 1;
      out.set(s.data.subarray(i * 3072, (i + 1) * 3072), i * 3073 + 1);
    }
    writeFileSync(join(bin, file), out);
  };
  parts(d.train, 5).forEach((p, i) => write(`data_batch_${i + 1}.bin`, p));
  write('test_batch.bin', d.val);
}

/** <dir>/cifar-10-batches-t7/{data_batch_1..5,test_batch}.t7, ascii, {data = 3072 x n, labels = 1 x n}. */
export function writeTorchBatches(dir: string, d: CifarData): void {
  const tb = join(dir, 'cifar-10-batches-t7');
  mkdirSync(tb, { recursive: true });
  const write = (file: string, s: CifarSplit) => {
    const cols = new Uint8Array(3072 * s.size);
    for (let i = 0; i < s.size; i++) for (let p = 0; p < 3072; p++) cols[p * s.size + i] = s.data[i * 3072 + p]!;
    const t = new LuaTable();
    t.set('data', Tensor.fromStorage(new Storage('Byte', cols), 0, [3072, s.size]));
    t.set('labels', Tensor.fromStorage(new Storage('Byte', s.labels.map((l) => l - 1)), 0, [1, s.size]));
    t7.save(join(tb, file), t, { format: 'ascii' });
  };
  parts(d.train, 5).forEach((p, i) => write(`data_batch_${i + 1}.t7`, p));
  write('test_batch.t7', d.val);
}

/** <gen>/cifar10.t7 */
export function writeGenLayout(gen: string, d: CifarData): void {
  mkdirSync(gen, { recursive: true });
  writeGenCache(join(gen, 'cifar10.t7'), d);
}
