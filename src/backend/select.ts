// Picking the tfjs backend: tensorflow (tfjs-node-gpu / tfjs-node, optional native
// packages a user installs), else wasm, else cpu. See DESIGN.md decision 7.

import * as tf from '@tensorflow/tfjs-core';
import './cpu.js';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { patchTfjsKernels } from './tfjs_patches.js';
import { startWithSharedHeap, wasmHeapShared } from './wasm/shared_heap.js';
import { getNumThreads } from './threads.js';
import { BACKEND_NAMES, type BackendName, type BackendRequest } from './names.js';

export { BACKEND_NAMES, type BackendName, type BackendRequest };

/** The optional native packages, in the order auto tries them. */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export interface NativeProbe {
  name: string;
  found: boolean;
  version?: string;
  error?: string;
}

export interface BackendInfo {
  backend: BackendName;
  /** The name tfjs registered it under ('tensorflow', 'wasm', 'cpu'). */
  tfjsBackend: string;
  tfjsVersion: string;
  /** For tensorflow: the native package that was loaded. */
  nativePackage?: string;
  /** Threads the backend computes with (1 for cpu; wasm: mpelu's kernels on a shared heap, else XNNPACK's pool). */
  threads: number;
  /** wasm only: whether the heap is a shared memory (mpelu's kernels then use worker threads). */
  sharedHeap?: boolean;
  /** wasm only: which binary was loaded. */
  wasmBinary?: 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';
  /** wasm only: the folder the .wasm files are loaded from. */
  wasmPath?: string;
}

const require = createRequire(import.meta.url);


let current: BackendInfo | null = null;
let nativeLoaded: NativeProbe | null = null;
let wasmPathsSet = false;

/** The folder holding the wasm backend's .wasm binaries (inside node_modules; nothing is fetched). */
export function wasmBinaryDir(): string {
  // The package's main entry lives in its dist folder, next to the binaries.
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Whether an optional native package can be resolved (without loading it). */
export function probeNativePackages(): NativeProbe[] {
  return NATIVE_PACKAGES.map((name) => {
    try {
      require.resolve(name);
      return { name, found: true, version: packageVersion(name) };
    } catch (e) {
      return { name, found: false, error: (e as Error).message.split('\n')[0] };
    }
  });
}

/** Loads the first native package that works; it registers the 'tensorflow' backend. */
async function loadNative(): Promise<NativeProbe | null> {
  if (nativeLoaded) return nativeLoaded;
  const failures: string[] = [];
  for (const name of NATIVE_PACKAGES) {
    try {
      // A variable specifier keeps bundlers and tsc from requiring the optional package.
      const spec: string = name;
      await import(spec);
      if (tf.findBackendFactory('tensorflow') == null) {
        failures.push(`${name}: loaded but registered no 'tensorflow' backend`);
        continue;
      }
      nativeLoaded = { name, found: true, version: packageVersion(name) };
      return nativeLoaded;
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  lastNativeFailures = failures;
  return null;
}

let lastNativeFailures: string[] = [];

function prepareWasm(): void {
  if (wasmPathsSet || !isNode()) return;
  // The node bundle already looks next to itself; setting the path explicitly makes the
  // location visible in `mpelu env` and survives bundling. A trailing slash is required.
  const dir = wasmBinaryDir();
  tfwasm.setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
  wasmPathsSet = true;
}

async function trySet(name: string): Promise<boolean> {
  const set = async () => {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok;
  };
  try {
    return await set();
  } catch {
    return false;
  }
}

/** MPELU_SHARED_HEAP=0 keeps tfjs-wasm's heap unshared (and mpelu's kernels on one thread). */
function sharedHeapWanted(): boolean {
  return isNode() && process.env.MPELU_SHARED_HEAP !== '0' && typeof SharedArrayBuffer !== 'undefined';
}

/**
 * Re-registers tfjs-wasm's backend factory so that whoever starts it (initBackend,
 * tf.setBackend, tf.ready) gets a shared heap (shared_heap.ts): once, before it starts.
 */
function shareWasmHeapWhenStarted(): void {
  if (!sharedHeapWanted()) return;
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
    registryFactory: Record<string, { factory: () => tf.KernelBackend | Promise<tf.KernelBackend>; priority: number }>;
  };
  const entry = engine.registryFactory?.['wasm'];
  if (!entry || engine.registry?.['wasm']) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => startWithSharedHeap(async () => entry.factory()), entry.priority);
}
shareWasmHeapWhenStarted();

function describe(backend: BackendName): BackendInfo {
  const info: BackendInfo = {
    backend,
    tfjsBackend: tf.getBackend(),
    tfjsVersion: tf.version_core,
    threads: 1,
  };
  if (backend === 'tensorflow' && nativeLoaded) info.nativePackage = nativeLoaded.name;
  if (backend === 'tensorflow') {
    // libtensorflow uses its own intra-op pool; it defaults to the core count.
    info.threads = Number(process.env.TF_NUM_INTRAOP_THREADS) || (isNode() ? osCores() : 1);
  }
  if (backend === 'wasm') {
    // tfjs-wasm's own kernels run on one thread in Node; mpelu's split over getNumThreads()
    // when the heap is shared
    info.sharedHeap = wasmHeapShared(tf.backend());
    info.threads = info.sharedHeap ? getNumThreads() : tfwasm.getThreadsCount();
    const flags = tf.env();
    const simd = flags.getBool('WASM_HAS_SIMD_SUPPORT');
    const mt = flags.getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    info.wasmBinary = simd && mt ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
    if (isNode()) info.wasmPath = wasmBinaryDir();
  }
  return info;
}

function osCores(): number {
  try {
    return (require('node:os') as typeof import('node:os')).availableParallelism();
  } catch {
    return 1;
  }
}

/**
 * Selects and initialises the tfjs backend. `auto` tries tensorflow (the optional
 * native packages), then wasm, then cpu; an explicit name fails if it cannot start.
 * Idempotent: calling again with the same request returns the same backend.
 */
export async function initBackend(name: string = process.env.MPELU_BACKEND ?? 'auto'): Promise<BackendName> {
  return (await initBackendInfo(name)).backend;
}

/** initBackend, returning the full description (backend, versions, threads). */
export async function initBackendInfo(name: string = process.env.MPELU_BACKEND ?? 'auto'): Promise<BackendInfo> {
  const request = name.trim().toLowerCase() as BackendRequest;
  if (!BACKEND_NAMES.includes(request)) {
    throw new Error(`initBackend: unknown backend '${name}' (from ${name === process.env.MPELU_BACKEND ? 'MPELU_BACKEND' : 'the argument'}); expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  patchTfjsKernels();
  if (current && (request === 'auto' || request === current.backend) && tf.getBackend() === current.tfjsBackend) {
    return current;
  }
  if (request === 'tensorflow' || request === 'auto') {
    const native = await loadNative();
    if (native && (await trySet('tensorflow'))) return (current = describe('tensorflow'));
    if (request === 'tensorflow') {
      const why = native ? `'${native.name}' loaded but the tensorflow backend failed to start` : lastNativeFailures.join('; ');
      throw new Error(`initBackend: backend 'tensorflow' is not available: install ${NATIVE_PACKAGES.join(' or ')} (${why})`);
    }
  }
  if (request === 'wasm' || request === 'auto') {
    prepareWasm();
    if (await trySet('wasm')) return (current = describe('wasm'));
    if (request === 'wasm') {
      throw new Error(`initBackend: backend 'wasm' failed to initialise (binaries looked for in ${isNode() ? wasmBinaryDir() : 'the configured wasm path'})`);
    }
  }
  if (await trySet('cpu')) return (current = describe('cpu'));
  throw new Error(`initBackend: backend 'cpu' failed to initialise`);
}

/** The backend initBackend chose last, or null before the first call. */
export function backendInfo(): BackendInfo | null {
  if (current && tf.getBackend() !== current.tfjsBackend) {
    // Someone switched with tf.setBackend (e.g. forEachBackend): describe what is active.
    const active = tf.getBackend() as BackendName;
    return BACKEND_NAMES.includes(active) ? describe(active) : current;
  }
  return current;
}

/** Backends that can start here, in auto's order of preference. */
export async function availableBackends(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  const before = tf.getBackend();
  patchTfjsKernels();
  if ((await loadNative()) && (await trySet('tensorflow'))) out.push('tensorflow');
  prepareWasm();
  if (await trySet('wasm')) out.push('wasm');
  if (await trySet('cpu')) out.push('cpu');
  if (before) await trySet(before);
  return out;
}

/**
 * Runs `fn` once per backend with that backend active (tf.setBackend), restoring the
 * previous backend afterwards. Names that cannot start are skipped unless `strict`.
 * For test suites: `forEachBackend(['cpu', 'wasm'], async (name) => { ... })`.
 */
export async function forEachBackend(
  names: readonly BackendName[],
  fn: (name: BackendName) => void | Promise<void>,
  options: { strict?: boolean } = {},
): Promise<void> {
  patchTfjsKernels();
  const before = tf.getBackend();
  try {
    for (const name of names) {
      if (name === 'wasm') prepareWasm();
      if (name === 'tensorflow' && !(await loadNative())) {
        if (options.strict) throw new Error(`forEachBackend: backend 'tensorflow' is not installed`);
        continue;
      }
      if (!(await trySet(name))) {
        if (options.strict) throw new Error(`forEachBackend: backend '${name}' failed to initialise`);
        continue;
      }
      await fn(name);
    }
  } finally {
    if (before) await trySet(before);
  }
}

/** The backends test suites run on: cpu and wasm (tensorflow too when installed and MPELU_TEST_TENSORFLOW=1). */
export function testBackends(): BackendName[] {
  const names: BackendName[] = ['cpu', 'wasm'];
  if (process.env.MPELU_TEST_TENSORFLOW === '1') names.push('tensorflow');
  return names;
}
