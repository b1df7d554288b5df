// Counts what a training step moves between host and device on the active tfjs backend:
// uploads (backend.write of host values), downloads (read / readSync, and activations parked
// by a copy out of the wasm heap: src/torch/parked_arrays.ts), blocking reads
// (readSync: dataSync and friends) and transposes of weight-sized tensors (the Transpose
// kernel on an input no larger than the model's largest parameter tensor: activations of
// a batch are far larger). Wraps the backend's methods and the Transpose kernel once.

import * as tf from '@tensorflow/tfjs-core';
import { parkedArrayCounts } from '../../src/torch/parked_arrays.js';

export interface TransferCounts {
  uploads: number;
  uploadBytes: number;
  downloads: number;
  downloadBytes: number;
  blockingReads: number;
  transposes: number;
  weightSizedTransposes: number;
}

const counts: TransferCounts = zero();
let weightLimit = 0;
let installed = false;

function zero(): TransferCounts {
  return { uploads: 0, uploadBytes: 0, downloads: 0, downloadBytes: 0, blockingReads: 0, transposes: 0, weightSizedTransposes: 0 };
}

function bytesOf(values: unknown): number {
  return ArrayBuffer.isView(values) ? values.byteLength : Array.isArray(values) ? values.length * 4 : 0;
}

/** Starts counting on the active backend; transposes of at most `largestParameter` elements count as weight-sized. */
export function installTransferCounters(largestParameter: number): void {
  weightLimit = largestParameter;
  if (installed) return;
  installed = true;
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const write = backend['write']!.bind(backend);
  backend['write'] = (values: unknown, ...rest: unknown[]) => {
    if (values != null) {
      counts.uploads++;
      counts.uploadBytes += bytesOf(values);
    }
    return write(values, ...rest);
  };
  const readSync = backend['readSync']!.bind(backend);
  backend['readSync'] = (...args: unknown[]) => {
    const v = readSync(...args);
    counts.downloads++;
    counts.blockingReads++;
    counts.downloadBytes += bytesOf(v);
    return v;
  };
  const read = backend['read']!.bind(backend);
  backend['read'] = async (...args: unknown[]) => {
    const v = await read(...args);
    counts.downloads++;
    counts.downloadBytes += bytesOf(v);
    return v;
  };
  const name = tf.getBackend();
  const kernel = tf.getKernel('Transpose', name);
  if (kernel) {
    tf.unregisterKernel('Transpose', name);
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        const x = (args.inputs as { x: tf.TensorInfo }).x;
        counts.transposes++;
        if (tf.util.sizeFromShape(x.shape) <= weightLimit) counts.weightSizedTransposes++;
        return kernel.kernelFunc(args);
      },
    });
  }
}

/** The parked-array copies already counted. */
const heapCopiesSeen = { count: 0, bytes: 0 };

/** The counts since the last call (and restarts them). */
export function takeTransferCounts(): TransferCounts {
  const out = { ...counts };
  out.downloads += parkedArrayCounts.heapCopies - heapCopiesSeen.count;
  out.downloadBytes += parkedArrayCounts.heapCopyBytes - heapCopiesSeen.bytes;
  heapCopiesSeen.count = parkedArrayCounts.heapCopies;
  heapCopiesSeen.bytes = parkedArrayCounts.heapCopyBytes;
  Object.assign(counts, zero());
  return out;
}

export function formatTransferCounts(c: TransferCounts): string {
  const mb = (b: number) => (b / 1e6).toFixed(2);
  return `uploads ${c.uploads} (${mb(c.uploadBytes)} MB), downloads ${c.downloads} (${mb(c.downloadBytes)} MB), ` +
    `blocking reads ${c.blockingReads}, weight-sized transposes ${c.weightSizedTransposes} (of ${c.transposes})`;
}
