// datasets/init.lua's M.create for CIFAR: the cache <gen>/<dataset>.t7 when it exists;
// otherwise the data set is read from -data (official binary release, or the Torch ascii
// batches), saved as the cache (as datasets/*-gen.lua do) and used. With --download and no
// data, the official binary release is fetched into -data first.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR_CLASSES, CIFAR_RELEASES, DataError, hasCifarFolder, missingDataMessage, readCifarFolder, readGenCache, writeGenCache, type CifarData, type CifarName } from './cifar.js';

/** Where openCifar looks for CIFAR: the gen cache first, then the raw data folder (downloaded on request). */
export interface OpenCifarOptions {
  /** 'cifar10' or 'cifar100'. */
  dataset: CifarName;
  /** -data: where the raw data set is (or is to be downloaded to). */
  data: string;
  /** -gen: the cache folder. */
  gen: string;
  /** Download the official release into `data` when neither the cache nor the folder has it (default false). */
  download?: boolean;
  /** Receives progress lines (default: none). */
  log?: (line: string) => void;
}

/** Fetches and extracts the official binary release into `dir` (needs network access and `tar`). */
export async function downloadCifar(dataset: CifarName, dir: string, log: (line: string) => void): Promise<void> {
  const { url } = CIFAR_RELEASES[dataset];
  mkdirSync(dir, { recursive: true });
  log(`=> Downloading ${dataset} from ${url}`);
  let bytes: Uint8Array;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw new DataError(`--download: could not fetch ${url} (${(e as Error).message}); download it by hand and extract it into ${dir}`);
  }
  const archive = join(dir, `.${dataset}-download.tar.gz`);
  writeFileSync(archive, bytes);
  try {
    execFileSync('tar', ['xzf', archive, '-C', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new DataError(`--download: could not extract ${archive} with tar (${(e as Error).message})`);
  } finally {
    rmSync(archive, { force: true });
  }
}

/** Fails early (before a model is built) when openCifar would find nothing and may not download. */
export function checkCifarAvailable(options: OpenCifarOptions): void {
  const cacheFile = join(options.gen, `${options.dataset}.t7`);
  if (existsSync(cacheFile) || (options.data !== '' && hasCifarFolder(options.dataset, options.data))) return;
  if (options.download && options.data !== '') return;
  throw new DataError(missingDataMessage(options.dataset, options.data, cacheFile));
}

/**
 * Both splits of a CIFAR data set, as fb.resnet.torch's datasets/cifar*-gen.lua makes them: from the
 * gen cache (gen/cifar10.t7, which Torch7 reads too), else read from the data folder (downloaded if
 * allowed) and cached. Fails with a DataError saying where it looked.
 */
export async function openCifar(options: OpenCifarOptions): Promise<CifarData> {
  const log = options.log ?? (() => undefined);
  const { dataset } = options;
  const nClasses = CIFAR_CLASSES[dataset];
  const cacheFile = join(options.gen, `${dataset}.t7`);
  if (existsSync(cacheFile)) return readGenCache(cacheFile, nClasses);

  const dataDir = options.data;
  let found = dataDir !== '' ? readCifarFolder(dataset, dataDir) : null;
  if (!found && options.download) {
    if (dataDir === '') throw new DataError('--download needs -data DIR (where to put the data set)');
    await downloadCifar(dataset, dataDir, log);
    found = readCifarFolder(dataset, dataDir);
  }
  if (!found) throw new DataError(missingDataMessage(dataset, dataDir, cacheFile));
  log(` | combining dataset into a single file (from ${found.source})`);
  log(` | saving ${dataset === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} dataset to ${cacheFile}`);
  mkdirSync(options.gen, { recursive: true });
  writeGenCache(cacheFile, found);
  return found;
}
