// Torch's nn.Module.flatten: gathers tensors into one storage and makes every tensor a
// view of it, so an optimizer can update all parameters through one flat vector.
//
// Tensors that shared a storage keep sharing (each distinct storage is copied once,
// with its layout); regions of a storage that no tensor views are squeezed out when
// every tensor is compact, as Torch does.

import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { forEachStorageIndex, isContiguousLayout, product } from '../torch/layout.js';

/** True when the tensor occupies one gap-free region (strides sorted descending, zero strides dropped). */
function isCompact(sizes: readonly number[], strides: readonly number[]): boolean {
  const order = strides.map((s, i) => [s, sizes[i]!] as [number, number]).filter(([s]) => s > 0);
  order.sort((a, b) => b[0] - a[0]);
  return isContiguousLayout(
    order.map(([, n]) => n),
    order.map(([s]) => s),
  );
}

export function flattenParameters(parameters: readonly Tensor[]): Tensor {
  if (parameters.length === 0) return new Tensor(defaultTensorType());
  const first = parameters[0]!;
  const type = first.elementType;
  for (const p of parameters) {
    if (p.elementType !== type) {
      throw new TypeError(`getParameters: all parameters must have one type; found ${first.className()} and ${p.className()}`);
    }
  }

  // 1. Every distinct storage gets a 0-based base offset in the flat storage.
  const bases = new Map<Storage, number>();
  let nParameters = 0;
  const meta = parameters.map((p) => {
    const s = p.storage();
    if (!bases.has(s)) {
      bases.set(s, nParameters);
      nParameters += s.size();
    }
    return { offset: p.offset() + bases.get(s)!, size: p.size(), stride: p.stride() };
  });

  // 2-3. Mark which flat elements some tensor views, and check each view is compact.
  const used = new Uint8Array(nParameters);
  let compact = true;
  for (const m of meta) {
    // a contiguous view marks one range (the common case: 10M parameters in ms, not seconds)
    if (isContiguousLayout(m.size, m.stride)) used.fill(1, m.offset, m.offset + (m.size.length === 0 ? 0 : product(m.size)));
    else forEachStorageIndex(m.size, m.stride, m.offset, (i) => (used[i] = 1));
    compact = compact && isCompact(m.size, m.stride);
  }

  // 4. Copy each storage into its place.
  const flat = new Storage(type, nParameters);
  const flatData = flat.mutableData();
  for (const [s, base] of bases) {
    if (s.size() > 0) (flatData as Float64Array).set(s.data() as Float64Array, base);
  }

  // 6. Squeeze out the elements nobody views.
  let result = flat;
  let nUsed = 0;
  for (let i = 0; i < nParameters; i++) nUsed += used[i]!;
  if (nUsed !== nParameters) {
    if (!compact) throw new Error('getParameters: cannot gather tensors that are not compact');
    const compactIndex = new Int32Array(nParameters);
    for (let i = 0, seen = 0; i < nParameters; i++) {
      seen += used[i]!;
      compactIndex[i] = seen - 1; // 0-based position of element i among used ones
    }
    result = new Storage(type, nUsed);
    const out = result.mutableData() as Float64Array;
    const src = flatData as Float64Array;
    let k = 0;
    for (let i = 0; i < nParameters; i++) if (used[i]) out[k++] = src[i]!;
    for (const m of meta) m.offset = compactIndex[m.offset]!;
  }

  // 7. Every tensor becomes a view of the flat storage.
  parameters.forEach((p, i) => {
    const m = meta[i]!;
    p.set(result, m.offset + 1, m.size, m.stride);
  });
  const out = new Tensor(type).set(result, 1, [result.size()]);
  out.sourceClass = first.sourceClass;
  if (first.sourceClass) result.sourceClass = first.sourceClass.replace('Tensor', 'Storage');
  return out;
}
