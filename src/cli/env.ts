// `mpelu env`: which backend computes, with which versions and threads, and which
// optional native packages (tfjs-node-gpu / tfjs-node) were found.

import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo, probeNativePackages, type BackendInfo, type NativeProbe } from '../backend/select.js';
import { TFJS_PATCHED_KERNELS } from '../backend/tfjs_patches.js';
import { relaxedMaddActive } from '../backend/wasm/relaxed_simd.js';
import { FUSED, fusedKernelsEnabled, wasmSimdActive } from '../backend/fused/register.js';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export interface EnvReport {
  mpelu: string | null;
  node: string;
  platform: string;
  backend: BackendInfo;
  requested: string;
  packages: Record<string, string | null>;
  native: NativeProbe[];
  /** The wasm binary's features; only when wasm is the backend in use. */
  wasmFlags?: { simd: boolean; multithread: boolean; relaxedSimd: boolean };
  /** Kernels mpelu adds or replaces on the backend in use. */
  kernelsAdded: Readonly<Record<string, readonly string[]>>;
  fusedKernels: { enabled: boolean; active: string[]; wasmSimd: boolean };
}

export async function collectEnv(requested = process.env.MPELU_BACKEND ?? 'auto'): Promise<EnvReport> {
  const backend = await initBackendInfo(requested);
  const active = tf.getBackend();
  return {
    mpelu: versionOf('mpelu') ?? readOwnVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    backend,
    requested,
    packages: {
      '@tensorflow/tfjs-core': tf.version_core,
      '@tensorflow/tfjs-backend-cpu': versionOf('@tensorflow/tfjs-backend-cpu'),
      '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
    },
    native: probeNativePackages(),
    // what the backend in use can do, not another backend's features
    wasmFlags:
      backend.backend === 'wasm'
        ? {
            simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
            multithread: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
            relaxedSimd: relaxedMaddActive(),
          }
        : undefined,
    kernelsAdded: Object.fromEntries(Object.entries(TFJS_PATCHED_KERNELS).filter(([name]) => name === active)),
    fusedKernels: {
      enabled: fusedKernelsEnabled(),
      active: Object.values(FUSED).filter((k) => tf.getKernel(k, active) !== undefined),
      wasmSimd: wasmSimdActive(),
    },
  };
}

function readOwnVersion(): string | null {
  try {
    // dist/cli/env.js or src/cli/env.ts -> package.json two levels up
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

/** Where the thread count comes from, as `mpelu env` prints it. */
function threadSource(b: EnvReport['backend']): string {
  if (b.backend !== 'wasm') return '';
  if (!b.sharedHeap) return ' (shared heap off: MPELU_SHARED_HEAP=0; mpelu\'s kernels on one thread)';
  const env = process.env.MPELU_THREADS;
  return env ? ` (MPELU_THREADS=${env}; mpelu's kernels on a shared heap)` : ` (the core count; MPELU_THREADS or torch.setnumthreads change it)`;
}

export function formatEnv(r: EnvReport): string {
  const b = r.backend;
  const lines = [
    `mpelu          ${r.mpelu ?? 'unknown'}`,
    `node           ${r.node} (${r.platform})`,
    `backend        ${b.backend}${r.requested !== 'auto' ? ` (requested: ${r.requested})` : ' (auto)'}`,
    `threads        ${b.threads}${threadSource(b)}`,
  ];
  if (b.backend === 'wasm') {
    lines.push(`wasm binary    ${b.wasmBinary}${b.wasmPath ? ` from ${b.wasmPath}` : ''}`);
  }
  if (b.nativePackage) lines.push(`native         ${b.nativePackage}`);
  if (r.wasmFlags) {
    const f = r.wasmFlags;
    lines.push(`wasm features  simd ${f.simd ? 'yes' : 'no'}, multithread ${f.multithread ? 'yes' : 'no'}, ` +
      `relaxed simd (fused multiply-add in mpelu's convolutions) ${f.relaxedSimd ? 'on (MPELU_RELAXED_SIMD=0 turns it off)' : 'off'}`);
  }
  lines.push('packages');
  for (const [name, v] of Object.entries(r.packages)) lines.push(`  ${name.padEnd(32)} ${v ?? 'not found'}`);
  lines.push('optional native packages');
  for (const p of r.native) lines.push(`  ${p.name.padEnd(32)} ${p.found ? `found ${p.version ?? ''}`.trim() : 'not installed'}`);
  const added = Object.entries(r.kernelsAdded);
  lines.push(`kernels added or replaced by mpelu${added.length ? '' : `: none on ${b.backend}`}`);
  for (const [be, ks] of added) lines.push(`  ${be.padEnd(6)} ${ks.join(', ')}`);
  lines.push(`fused kernels  ${r.fusedKernels.enabled ? (r.fusedKernels.active.length ? r.fusedKernels.active.join(', ') : `none on ${b.backend} (tfjs composites)`) : 'disabled'}`);
  if (b.backend === 'wasm' && r.fusedKernels.enabled) {
    lines.push(`               run as ${r.fusedKernels.wasmSimd ? 'WebAssembly SIMD (MPELU_WASM_SIMD=0 turns it off)' : 'JS loops (WebAssembly SIMD off or unavailable)'}`);
  }
  return lines.join('\n');
}
