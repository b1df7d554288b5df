// Small tensor helpers the nn modules share.
//
// Float tensors compute on tfjs; Double tensors compute on the host in float64 (so
// finite-difference checks run in double precision). These helpers move results into
// module fields with Torch's semantics:
//   - setOutput*: an output/gradInput buffer is refilled (its Storage object is kept,
//     so other references to the same Tensor see the new value; the old device tensor
//     is disposed by Storage.setDevice);
//   - assign*/accumulate*: a parameter or gradient is written IN PLACE into its view
//     (after getParameters it is a view of one flat storage, which must stay shared).

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { forEachStorageIndex, isContiguousLayout, product } from '../torch/layout.js';
import { LuaTable } from '../t7/lua_table.js';
import type { TensorType } from '../torch/types.js';

/** Which engine computes for a tensor of this type. */
export function engineOf(t: Tensor, where: string): 'tf' | 'host' {
  if (t.elementType === 'Float') return 'tf';
  if (t.elementType === 'Double') return 'host';
  throw new TypeError(`${where}: expected a torch.FloatTensor or torch.DoubleTensor, got a ${t.className()}`);
}

/** The tensor's values in logical row-major order, as float64. */
export function hostValues(t: Tensor): Float64Array {
  const n = t.nElement();
  const out = new Float64Array(n);
  if (n === 0) return out;
  const d = t.storage().data();
  if (d instanceof BigInt64Array) {
    forEachStorageIndex(t.size(), t.stride(), t.offset(), (i, k) => (out[k] = Number(d[i]!)));
  } else if (t.elementType === 'Half') {
    const vals = t.values();
    out.set(vals);
  } else {
    const a = d as Float64Array;
    if (t.isContiguous()) out.set(a.subarray(t.offset(), t.offset() + n));
    else forEachStorageIndex(t.size(), t.stride(), t.offset(), (i, k) => (out[k] = a[i]!));
  }
  return out;
}

/**
 * Refills an output buffer with host values: contiguous, the given sizes; the Storage
 * object is kept (grown if needed), as Torch's resize + write does.
 */
export function setOutputHost(t: Tensor, sizes: readonly number[], values: ArrayLike<number>): Tensor {
  const n = sizes.length === 0 ? 0 : product(sizes);
  if (values.length !== n) throw new RangeError(`setOutputHost: ${values.length} values for sizes [${sizes.join(', ')}]`);
  const s = t.storage();
  if (s.size() < n) s.resize(n);
  t.set(s, 1, sizes.slice());
  const d = t.storage().mutableData() as Float64Array;
  for (let k = 0; k < n; k++) d[k] = values[k]!;
  return t;
}

/** Refills an output buffer with a tfjs result (ownership of `x` passes to the buffer). */
export function setOutputTF(t: Tensor, x: tf.Tensor, layout: 'logical' | 'NHWC' = 'logical'): Tensor {
  if (t.elementType !== 'Float') throw new TypeError(`setOutputTF: the buffer is a ${t.className()}, expected a torch.FloatTensor`);
  t.setTF(x, layout);
  return t;
}

/** True when the view covers its whole storage, contiguously from the start. */
function coversStorage(t: Tensor): boolean {
  return t.offset() === 0 && t.isContiguous() && t.hasStorage() && t.storage().size() === t.nElement();
}

/** Writes `values` (logical order) into the elements of view `t`, in place. */
export function assignHost(t: Tensor, values: ArrayLike<number>): Tensor {
  if (values.length !== t.nElement()) throw new RangeError(`assign: ${values.length} values for a view of ${t.nElement()} elements`);
  const d = t.storage().mutableData() as Float64Array;
  forEachStorageIndex(t.size(), t.stride(), t.offset(), (i, k) => (d[i] = values[k]!));
  return t;
}

/**
 * Writes a tfjs value into view `t` in place (takes ownership of `x`). A view that
 * covers its storage swaps the device tensor; a view into a larger (flattened)
 * storage is written on the host, which costs one read of `x` but keeps the flat
 * storage shared and avoids copying all of it on the device.
 */
export function assignTF(t: Tensor, x: tf.Tensor): Tensor {
  if (x.size !== t.nElement()) {
    x.dispose();
    throw new RangeError(`assign: a value of ${x.size} elements for a view of ${t.nElement()} elements`);
  }
  if (coversStorage(t)) {
    t.storage().setDevice(x);
    return t;
  }
  const v = x.dataSync();
  x.dispose();
  return assignHost(t, v as Float32Array);
}

/** t += scale * x, in place (x is a tfjs value of t's logical shape; ownership passes). */
export function accumulateTF(t: Tensor, x: tf.Tensor, scale = 1): Tensor {
  if (coversStorage(t) && t.storage().onDevice()) {
    const sum = tf.tidy(() => tf.add(tf.reshape(t.storage().deviceTensor(), x.shape), scale === 1 ? x : tf.mul(x, scale)));
    x.dispose();
    t.storage().setDevice(sum);
    return t;
  }
  const v = x.dataSync();
  x.dispose();
  const d = t.storage().mutableData() as Float32Array;
  forEachStorageIndex(t.size(), t.stride(), t.offset(), (i, k) => (d[i] = d[i]! + scale * v[k]!));
  return t;
}

/**
 * A Float tensor's values as float32 on the host, for kernels that take parameters there
 * (backend/host_params.ts): a contiguous view is its storage's host array itself (read it,
 * never write it; a device-home storage is downloaded once), anything else a copy.
 */
export function hostFloat32(t: Tensor): Float32Array {
  const n = t.nElement();
  if (n === 0) return new Float32Array(0);
  const d = t.storage().data();
  if (t.isContiguous() && d instanceof Float32Array) return d.subarray(t.offset(), t.offset() + n);
  return Float32Array.from(hostValues(t));
}

/**
 * A contiguous Float tensor's values in its storage's host array, for a kernel to write in
 * place (the storage's device copy is dropped: the host becomes the truth); null otherwise.
 */
export function hostFloat32ForWrite(t: Tensor): Float32Array | null {
  if (t.elementType !== 'Float' || !t.isContiguous()) return null;
  const n = t.nElement();
  if (n === 0) return new Float32Array(0);
  const d = t.storage().mutableData();
  return d instanceof Float32Array ? d.subarray(t.offset(), t.offset() + n) : null;
}

/** The element-wise sum of equally shaped tfjs tensors (a binary add for two: faster than AddN on wasm). */
export function sumTF(xs: readonly tf.Tensor[]): tf.Tensor {
  if (xs.length === 1) return xs[0]!;
  return xs.length === 2 ? tf.add(xs[0]!, xs[1]!) : tf.addN(xs as tf.Tensor[]);
}

/** t += scale * values (host, float64 arithmetic, stored in t's type). */
export function accumulateHost(t: Tensor, values: ArrayLike<number>, scale = 1): Tensor {
  if (values.length !== t.nElement()) throw new RangeError(`accumulate: ${values.length} values for a view of ${t.nElement()} elements`);
  const d = t.storage().mutableData() as Float64Array;
  forEachStorageIndex(t.size(), t.stride(), t.offset(), (i, k) => (d[i] = d[i]! + scale * values[k]!));
  return t;
}

/** t:fill(v) in place, on whichever side is cheaper. */
export function fillTensor(t: Tensor, v: number): Tensor {
  if (t.nElement() === 0) return t;
  if (coversStorage(t) && t.storage().onDevice() && t.elementType === 'Float') {
    t.storage().setDevice(tf.fill([t.nElement()], v, 'float32'));
    return t;
  }
  if (coversStorage(t)) {
    t.storage().fill(v);
    return t;
  }
  const d = t.storage().mutableData() as Float64Array;
  // a contiguous view (a module's gradWeight in the flat getParameters vector): one fill
  if (t.isContiguous() && !(d instanceof BigInt64Array)) d.fill(v, t.offset(), t.offset() + t.nElement());
  else forEachStorageIndex(t.size(), t.stride(), t.offset(), (i) => (d[i] = v));
  return t;
}

/** dst:add(alpha, src) in place (dst and src of the same number of elements). */
export function addScaled(dst: Tensor, alpha: number, src: Tensor): Tensor {
  if (dst.nElement() !== src.nElement()) {
    throw new RangeError(`add: sizes do not match: ${dst.nElement()} elements vs ${src.nElement()}`);
  }
  if (dst.elementType === 'Float' && src.elementType === 'Float' && coversStorage(dst) && dst.storage().onDevice()) {
    return accumulateTF(dst, src.toTF(), alpha);
  }
  // On the host, Tensor.add rounds as Torch's THTensor_(cadd) does for the element type.
  return dst.add(alpha, src);
}

/** A new empty tensor of t's class (Torch's t.new()). */
export function newLike(t: Tensor): Tensor {
  const out = new Tensor(t.elementType);
  out.sourceClass = t.sourceClass;
  return out;
}

/** An empty tensor of the given type. */
export function emptyTensor(type: TensorType): Tensor {
  return new Tensor(type);
}

/** A copy of a storage in another element type. */
export function convertStorage(s: Storage, type: TensorType): Storage {
  const out = new Storage(type, s.size());
  if (s.size() > 0) Tensor.fromStorage(out, 0, [s.size()]).copy(Tensor.fromStorage(s, 0, [s.size()]));
  return out;
}

/** A table read from a file is a LuaTable; tables made here are JS arrays. Both as an array. */
export function asArray<T>(x: unknown, where: string): T[] {
  if (Array.isArray(x)) return x as T[];
  if (x instanceof LuaTable) return x.toArray() as T[];
  throw new TypeError(`${where}: expected a table, got ${describe(x)}`);
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x instanceof Tensor) return `a ${x.className()} of sizes [${x.size().join(', ')}]`;
  if (Array.isArray(x)) return `a table of ${x.length} entries`;
  if (x instanceof LuaTable) return `a table of ${x.size} entries`;
  if (x === undefined || x === null) return 'nil';
  if (typeof x === 'object' && 'className' in (x as object)) return `a ${(x as { className: string }).className}`;
  return `a ${typeof x} (${String(x)})`;
}

/** Checks that x is a tensor; the error names the module and what was found. */
export function expectTensor(x: unknown, where: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${where}: expected a tensor, got ${describe(x)}`);
  return x;
}

export function sizesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

export { isContiguousLayout };

/**
 * C = A·B on the host in float64. A is m×k (or k×m when transA), B is k×n (or n×k
 * when transB), both logical row-major arrays; the result is m×n row-major.
 */
export function hostMatmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transA = false, transB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * m + i]! : a[i * k + p]!;
      if (av === 0) continue;
      const row = i * n;
      if (transB) for (let j = 0; j < n; j++) c[row + j] += av * b[j * k + p]!;
      else {
        const brow = p * n;
        for (let j = 0; j < n; j++) c[row + j] += av * b[brow + j]!;
      }
    }
  }
  return c;
}

/** The physical order tfjs values are exchanged in: logical (row-major) or NHWC for channels-last 4-d. */
export type Layout = 'logical' | 'NHWC';

/** NHWC when every tensor's values lie channels-last on the device (Tensor.isChannelsLast); else logical. */
export function commonLayout(ts: readonly Tensor[]): Layout {
  if (ts.length === 0) return 'logical';
  return ts.every((t) => t.isChannelsLast()) ? 'NHWC' : 'logical';
}

/** A new tfjs tensor of t's values in the given physical order (the caller owns it). */
export function toTFLayout(t: Tensor, layout: Layout): tf.Tensor {
  return layout === 'NHWC' ? t.toTFNHWC() : t.toTF();
}

/**
 * When view `t` covers its whole storage contiguously, makes x (ownership passes) the
 * storage's device copy and returns true: x in logical order, or for 'NHWC' a 4-d NHWC
 * value of the storage's NCHW images (the storage remembers that order). Otherwise false.
 */
export function replaceStorageTF(t: Tensor, x: tf.Tensor, layout: Layout): boolean {
  if (!coversStorage(t) || x.size !== t.nElement()) return false;
  const [, h, w, c] = x.shape as number[];
  t.storage().setDevice(x, layout === 'NHWC' ? { c: c!, h: h!, w: w! } : null);
  return true;
}

/**
 * Writes a tfjs value (in `layout` order, ownership passes) into view `t` in place,
 * keeping t's storage (and everything else that views it).
 */
export function assignTFLayout(t: Tensor, x: tf.Tensor, layout: Layout): Tensor {
  if (replaceStorageTF(t, x, layout)) return t;
  const logical = layout === 'NHWC' ? tf.tidy(() => tf.transpose(x, [0, 3, 1, 2])) : x;
  if (logical !== x) x.dispose();
  return assignTF(t, logical);
}

/** Makes buffer `out` stop sharing `input`'s storage (before it is refilled), as a fresh empty tensor would. */
export function detachFrom(out: Tensor, input: Tensor): void {
  if (out.hasStorage() && input.hasStorage() && out.storage() === input.storage()) out.set();
}

/** A 1-based NCHW dim as a tfjs axis of the given layout. */
export function axisOf(dim: number, nDim: number, layout: Layout): number {
  if (layout === 'NHWC') return [0, 3, 1, 2][dim - 1]!;
  if (dim < 1 || dim > nDim) throw new RangeError(`dimension ${dim} out of range for a ${nDim}-d tensor`);
  return dim - 1;
}
