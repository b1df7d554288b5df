// Host arrays for parked device copies (Storage.park, nn/offload.ts), reused.
//
// A parked activation lives until its module writes a new output, which in a training loop
// is the next forward pass: the array it frees then is the right size for the same module's
// next park. Copying out of tfjs-wasm's heap into such an array costs ~0.22 ms per MB here;
// tfjs's dataSync makes a new array each time, ~0.33 ms per MB at 1 MB and 0.73 at 16 MB
// (fresh pages for every large array, then their collection): ResNet-1001 at batch 64 parks
// ~5 GB a step. Only the wasm backend reads its heap this way; tfjs-wasm copies uploaded
// values into its heap, so a pooled array is never held by a tensor there.

import { tf } from './tfjs_core.js';

/** Bytes the pool holds at most (poolCapBytes; settable for tests). */
const MAX_POOLED_BYTES = 512 * 1024 * 1024;
let poolCapBytes = MAX_POOLED_BYTES;

type ParkArray = Float32Array | Int32Array;

interface WasmHeapReader {
  typedArrayFromHeap(info: { dataId: object; shape: number[]; dtype: string }): ParkArray;
}

const free = new Map<string, ParkArray[]>();
let pooledBytes = 0;
/** Arrays this module handed out that are still in use (only those may come back). */
const handedOut = new WeakSet<ParkArray>();

function key(dtype: 'float32' | 'int32', length: number): string {
  return `${dtype} ${length}`;
}

/** Counters for tests and benchmarks: arrays reused and made, and the copies out of the wasm heap (bytes). */
export const parkedArrayCounts = { reused: 0, made: 0, heapCopies: 0, heapCopyBytes: 0 };

/** The values of a flat device tensor in a host array (on the wasm backend, a reused one). */
export function downloadForParking(t: tf.Tensor): ParkArray {
  const dtype = t.dtype;
  if (tf.getBackend() !== 'wasm' || (dtype !== 'float32' && dtype !== 'int32')) return t.dataSync() as ParkArray;
  const heap = (tf.backend() as unknown as WasmHeapReader).typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype });
  const list = free.get(key(dtype, t.size));
  let values = list?.pop();
  if (values) {
    pooledBytes -= values.byteLength;
    parkedArrayCounts.reused++;
  } else {
    values = dtype === 'float32' ? new Float32Array(t.size) : new Int32Array(t.size);
    parkedArrayCounts.made++;
  }
  values.set(heap);
  parkedArrayCounts.heapCopies++;
  parkedArrayCounts.heapCopyBytes += values.byteLength;
  handedOut.add(values);
  return values;
}

/**
 * The parked values to upload: the array itself where the backend copies what it is given
 * (wasm), a copy of a pooled array elsewhere (the cpu backend keeps the array by reference,
 * and the pool will hand it out again).
 */
export function parkedValuesForUpload(values: ParkArray): ParkArray {
  return handedOut.has(values) && tf.getBackend() !== 'wasm' ? values.slice() : values;
}

/** Gives back an array from downloadForParking whose parked copy was dropped (nothing else may hold it). */
export function releaseParkedArray(values: ParkArray): void {
  if (!handedOut.has(values)) return;
  handedOut.delete(values);
  if (values.byteLength > poolCapBytes) return;
  // full: what waits in the pool is older than this array (other sizes, say a last partial
  // batch's), and this one's size is the one parks ask for now
  if (pooledBytes + values.byteLength > poolCapBytes) clearParkedArrays();
  const k = key(values instanceof Float32Array ? 'float32' : 'int32', values.length);
  let list = free.get(k);
  if (!list) free.set(k, (list = []));
  list.push(values);
  pooledBytes += values.byteLength;
}

/** Lets the collector have every pooled array. */
export function clearParkedArrays(): void {
  free.clear();
  pooledBytes = 0;
}

/** The pool's cap in bytes (tests); returns the previous one. */
export function setParkedPoolCap(bytes: number): number {
  const was = poolCapBytes;
  poolCapBytes = bytes;
  return was;
}

/** Bytes of idle arrays in the pool now. */
export function pooledParkedBytes(): number {
  return pooledBytes;
}
