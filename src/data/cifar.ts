// CIFAR-10 / CIFAR-100 as fb.resnet.torch sees them: images as bytes N x 3 x 32 x 32
// (R, G, B planes, rows of 32) and 1-based labels. Three places they come from:
//  (a) the official binary releases: cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin
//      (per image 1 label byte 0..9 + 3072 pixel bytes), cifar-100-binary/{train,test}.bin
//      (1 coarse + 1 fine label byte + 3072 pixel bytes; the fine label is used, as
//      datasets/cifar100-gen.lua does);
//  (b) fb.resnet.torch's cache gen/<dataset>.t7 = {train = {data, labels}, val = {data, labels}}
//      (ByteTensors, labels already 1-based), which datasets/init.lua loads when present;
//  (c) the Torch ascii batches cifar-10-batches-t7/*.t7 ({data = ByteTensor 3072 x n,
//      labels = ByteTensor 1 x n}), which datasets/cifar10-gen.lua converts.
// As datasets/init.lua does, a missing cache is made from (a) or (c) and saved.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as t7 from '../t7/index.js';
import { LuaTable } from '../t7/lua_table.js';
import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { readFileSync } from 'node:fs';

/** The CIFAR data sets: 'cifar10' (10 classes) and 'cifar100' (100). */
export type CifarName = 'cifar10' | 'cifar100';

/** Bytes per CIFAR image: 3 x 32 x 32. */
export const IMAGE_BYTES = 3 * 32 * 32;

/** One split: bytes N x 3 x 32 x 32 and labels 1..nClasses. */
export interface CifarSplit {
  /** The images, N x 3 x 32 x 32 bytes (planes R, G, B). */
  data: Uint8Array;
  /** The 1-based labels, one per image. */
  labels: Uint8Array;
  /** N, the number of images. */
  size: number;
}

/** Both splits of a CIFAR data set. */
export interface CifarData {
  /** The 50000 training images. */
  train: CifarSplit;
  /** The 10000 test images (fb.resnet.torch's val). */
  val: CifarSplit;
  /** Where it was read from, for the log. */
  source: string;
}

/** A data set that cannot be found or read; the message says where it looked and what to do. */
export class DataError extends Error {
  /** Always 'DataError'. */
  override name = 'DataError';
}

/** The number of classes of each data set. */
export const CIFAR_CLASSES: Record<CifarName, number> = { cifar10: 10, cifar100: 100 };

/** The official releases (where --download fetches from, and what to extract into -data). */
export const CIFAR_RELEASES: Record<CifarName, { url: string; folder: string; train: string[]; test: string[]; labelBytes: number }> = {
  cifar10: {
    url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    folder: 'cifar-10-batches-bin',
    train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
    test: ['test_batch.bin'],
    labelBytes: 1,
  },
  cifar100: {
    url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
    folder: 'cifar-100-binary',
    train: ['train.bin'],
    test: ['test.bin'],
    labelBytes: 2,
  },
};

const T7_BATCHES = {
  folder: 'cifar-10-batches-t7',
  train: ['data_batch_1.t7', 'data_batch_2.t7', 'data_batch_3.t7', 'data_batch_4.t7', 'data_batch_5.t7'],
  test: ['test_batch.t7'],
};

function concatSplits(parts: CifarSplit[]): CifarSplit {
  const size = parts.reduce((s, p) => s + p.size, 0);
  const data = new Uint8Array(size * IMAGE_BYTES);
  const labels = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at * IMAGE_BYTES);
    labels.set(p.labels, at);
    at += p.size;
  }
  return { data, labels, size };
}

function checkLabels(split: CifarSplit, nClasses: number, where: string): void {
  for (let i = 0; i < split.size; i++) {
    const l = split.labels[i]!;
    if (l < 1 || l > nClasses) throw new DataError(`${where}: image ${i + 1} has label ${l}, expected 1..${nClasses}`);
  }
}

/** One official binary file: records of labelBytes + 3072 bytes; the last label byte is the class (0-based). */
export function readCifarBinaryFile(file: string, labelBytes: number): CifarSplit {
  const bytes = readFileSync(file);
  const record = labelBytes + IMAGE_BYTES;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new DataError(`${file}: ${bytes.length} bytes is not a whole number of ${record}-byte CIFAR records (${labelBytes} label byte(s) + 3072 pixels)`);
  }
  const size = bytes.length / record;
  const data = new Uint8Array(size * IMAGE_BYTES);
  const labels = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const at = i * record;
    labels[i] = bytes[at + labelBytes - 1]! + 1;
    data.set(bytes.subarray(at + labelBytes, at + record), i * IMAGE_BYTES);
  }
  return { data, labels, size };
}

function byteTensorBytes(t: unknown, sizes: number[] | null, where: string): Uint8Array {
  if (!(t instanceof Tensor) || t.elementType !== 'Byte') {
    throw new DataError(`${where}: expected a torch.ByteTensor, found ${t instanceof Tensor ? t.className() : typeof t}`);
  }
  if (sizes && (t.dim() !== sizes.length || sizes.some((s, i) => s >= 0 && t.size(i + 1) !== s))) {
    throw new DataError(`${where}: expected sizes ${sizes.map((s) => (s < 0 ? 'N' : s)).join('x')}, found ${t.size().join('x')}`);
  }
  const c = t.contiguous();
  const d = c.storage().data() as Uint8Array;
  return d.subarray(c.offset(), c.offset() + c.nElement());
}

function tableField(t: unknown, key: string, where: string): unknown {
  if (!(t instanceof LuaTable)) throw new DataError(`${where}: expected a table, found ${typeof t}`);
  const v = t.get(key);
  if (v === undefined) throw new DataError(`${where}: the table has no '${key}' field`);
  return v;
}

/** One Torch ascii batch of cifar-10-batches-t7: {data = ByteTensor 3072 x n, labels = ByteTensor 1 x n} (labels 0-based). */
export function readTorchBatchFile(file: string): CifarSplit {
  let table: unknown;
  try {
    table = t7.load(file);
  } catch (e) {
    throw new DataError(`${file}: not a readable Torch file (${(e as Error).message})`);
  }
  const dataT = tableField(table, 'data', file) as Tensor;
  const bytes = byteTensorBytes(dataT, [IMAGE_BYTES, -1], `${file} data`);
  const size = dataT.size(2);
  const rawLabels = byteTensorBytes(tableField(table, 'labels', file), null, `${file} labels`);
  if (rawLabels.length !== size) throw new DataError(`${file}: ${rawLabels.length} labels for ${size} images`);
  // data:t(): image i is column i
  const data = new Uint8Array(size * IMAGE_BYTES);
  for (let p = 0; p < IMAGE_BYTES; p++) {
    const row = p * size;
    for (let i = 0; i < size; i++) data[i * IMAGE_BYTES + p] = bytes[row + i]!;
  }
  const labels = new Uint8Array(size);
  for (let i = 0; i < size; i++) labels[i] = rawLabels[i]! + 1;
  return { data, labels, size };
}

/** fb.resnet.torch's cache file gen/<dataset>.t7. */
export function readGenCache(file: string, nClasses: number): CifarData {
  let table: unknown;
  try {
    table = t7.load(file);
  } catch (e) {
    throw new DataError(`${file}: not a readable Torch file (${(e as Error).message})`);
  }
  const split = (name: 'train' | 'val'): CifarSplit => {
    const s = tableField(table, name, file);
    const where = `${file} ${name}`;
    const data = byteTensorBytes(tableField(s, 'data', where), [-1, 3, 32, 32], `${where}.data`);
    const labels = byteTensorBytes(tableField(s, 'labels', where), [-1], `${where}.labels`);
    const size = data.length / IMAGE_BYTES;
    if (labels.length !== size) throw new DataError(`${where}: ${labels.length} labels for ${size} images`);
    const out = { data: data.slice(), labels: labels.slice(), size };
    checkLabels(out, nClasses, where);
    return out;
  };
  return { train: split('train'), val: split('val'), source: file };
}

function splitTable(s: CifarSplit): LuaTable {
  const t = new LuaTable();
  t.set('data', Tensor.fromStorage(new Storage('Byte', s.data.slice()), 0, [s.size, 3, 32, 32]));
  t.set('labels', Tensor.fromStorage(new Storage('Byte', s.labels.slice()), 0, [s.size]));
  return t;
}

/** Writes the cache as datasets/*-gen.lua does: {train = {data, labels}, val = {data, labels}} (atomically). */
export function writeGenCache(file: string, data: CifarData): void {
  const top = new LuaTable();
  top.set('train', splitTable(data.train));
  top.set('val', splitTable(data.val));
  t7.save(file, top);
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** The folder holding `files` among dir itself and dir/folder, or null. */
function findFolder(dir: string, folder: string, files: string[]): string | null {
  for (const d of [join(dir, folder), dir]) if (files.every((f) => isFile(join(d, f)))) return d;
  return null;
}

/** CIFAR from the official binary release or the Torch ascii batches under `dir` (or dir/<release folder>), or null. */
export function readCifarFolder(dataset: CifarName, dir: string): CifarData | null {
  const release = CIFAR_RELEASES[dataset];
  const bin = findFolder(dir, release.folder, [...release.train, ...release.test]);
  const nClasses = CIFAR_CLASSES[dataset];
  if (bin) {
    const read = (files: string[]) => concatSplits(files.map((f) => readCifarBinaryFile(join(bin, f), release.labelBytes)));
    const out = { train: read(release.train), val: read(release.test), source: bin };
    checkLabels(out.train, nClasses, bin);
    checkLabels(out.val, nClasses, bin);
    return out;
  }
  if (dataset === 'cifar10') {
    const tb = findFolder(dir, T7_BATCHES.folder, [...T7_BATCHES.train, ...T7_BATCHES.test]);
    if (tb) {
      const read = (files: string[]) => concatSplits(files.map((f) => readTorchBatchFile(join(tb, f))));
      const out = { train: read(T7_BATCHES.train), val: read(T7_BATCHES.test), source: tb };
      checkLabels(out.train, nClasses, tb);
      checkLabels(out.val, nClasses, tb);
      return out;
    }
  }
  return null;
}

/** True when `dir` (or dir/<release folder>) holds a complete binary release or set of Torch batches. */
export function hasCifarFolder(dataset: CifarName, dir: string): boolean {
  const release = CIFAR_RELEASES[dataset];
  if (findFolder(dir, release.folder, [...release.train, ...release.test])) return true;
  return dataset === 'cifar10' && findFolder(dir, T7_BATCHES.folder, [...T7_BATCHES.train, ...T7_BATCHES.test]) !== null;
}

/** What to put where, for the error when nothing is found (one line). */
export function missingDataMessage(dataset: CifarName, dataDir: string, cacheFile: string): string {
  const r = CIFAR_RELEASES[dataset];
  const base = dataDir || '<-data>';
  const batches = dataset === 'cifar10' ? `, or the Torch ascii batches in ${join(base, T7_BATCHES.folder)}/` : '';
  return (
    `${dataset === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} not found: no cache ${cacheFile} and no data set in -data ${dataDir === '' ? "'' (not given)" : dataDir}; ` +
    `put the official binary release in ${join(base, r.folder)}/ (${[...r.train, ...r.test].join(', ')}; from ${r.url})${batches}, or add --download`
  );
}
