// Size/stride arithmetic shared by Tensor and its users.

/** Torch's THTensor_isContiguous: dims of size 1 are ignored. */
export function isContiguousLayout(sizes: readonly number[], strides: readonly number[]): boolean {
  let z = 1;
  for (let d = sizes.length - 1; d >= 0; d--) {
    if (sizes[d] !== 1) {
      if (strides[d] !== z) return false;
      z *= sizes[d]!;
    }
  }
  return true;
}

/** Row-major strides for `sizes`. */
export function contiguousStrides(sizes: readonly number[]): number[] {
  const strides = new Array<number>(sizes.length);
  let z = 1;
  for (let d = sizes.length - 1; d >= 0; d--) {
    strides[d] = z;
    z *= Math.max(sizes[d]!, 1);
  }
  return strides;
}

export function product(sizes: readonly number[]): number {
  let n = 1;
  for (const s of sizes) n *= s;
  return n;
}

/**
 * Calls fn(storageIndex, k) for every element in logical (row-major) order,
 * k counting from 0. Contiguous layouts take a single loop.
 */
export function forEachStorageIndex(
  sizes: readonly number[],
  strides: readonly number[],
  offset: number,
  fn: (storageIndex: number, k: number) => void,
): void {
  // A tensor with no dimensions is empty in Torch7 (product([]) would say 1).
  const n = sizes.length === 0 ? 0 : product(sizes);
  if (n === 0) return;
  if (isContiguousLayout(sizes, strides)) {
    for (let k = 0; k < n; k++) fn(offset + k, k);
    return;
  }
  const dims = sizes.length;
  const counter = new Array<number>(dims).fill(0);
  let index = offset;
  for (let k = 0; k < n; k++) {
    fn(index, k);
    for (let d = dims - 1; d >= 0; d--) {
      counter[d]!++;
      index += strides[d]!;
      if (counter[d]! < sizes[d]!) break;
      index -= strides[d]! * sizes[d]!;
      counter[d] = 0;
    }
  }
}

/** Storage indices of every element, in logical order. */
export function storageIndices(sizes: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const out = new Int32Array(sizes.length === 0 ? 0 : product(sizes));
  forEachStorageIndex(sizes, strides, offset, (i, k) => {
    out[k] = i;
  });
  return out;
}

/**
 * Storage indices of every element in logical (row-major) order, built with a
 * tight loop over the innermost dimension (the general path of the math kernels).
 */
export function indexArray(sizes: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const nd = sizes.length;
  const n = nd === 0 ? 0 : product(sizes);
  const out = new Int32Array(n);
  if (n === 0) return out;
  const last = nd - 1;
  const innerSize = sizes[last]!;
  const innerStride = strides[last]!;
  const counter = new Array<number>(nd).fill(0);
  let base = offset;
  let k = 0;
  for (;;) {
    for (let j = 0, p = base; j < innerSize; j++, p += innerStride) out[k++] = p;
    let d = last - 1;
    for (; d >= 0; d--) {
      counter[d]!++;
      base += strides[d]!;
      if (counter[d]! < sizes[d]!) break;
      base -= strides[d]! * sizes[d]!;
      counter[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}
