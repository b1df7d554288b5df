// View semantics against Torch7: sizes, strides, 1-based storage offsets, shared
// storages and writes through views. Expectations come from the real Torch7 fixtures
// in fixtures/torch7/serialization (views Torch7 built and described) and from Torch7's
// documented behaviour.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch, Tensor } from '../src/torch/index.js';

interface TensorDesc {
  kind: 'tensor';
  dim: number;
  size: number[];
  stride: number[];
  storageOffset_1based: number;
  nElement: number;
  values?: number[];
  storage?: { class: string; size: number };
}

function fixture(name: string): { object: { entries?: { key: { value: string }; value: TensorDesc }[] } & Partial<TensorDesc>; note: string } {
  return JSON.parse(readFileSync(new URL(`../fixtures/torch7/serialization/${name}.expected.json`, import.meta.url), 'utf8'));
}

function entry(name: string, key: string): TensorDesc {
  const e = fixture(name).object.entries!.find((x) => x.key.value === key);
  if (!e) throw new Error(`fixture ${name} has no entry ${key}`);
  return e.value;
}

function expectLayout(t: Tensor, d: TensorDesc): void {
  expect(t.dim()).toBe(d.dim);
  expect(t.size()).toEqual(d.size);
  expect(t.stride()).toEqual(d.stride);
  expect(t.storageOffset()).toBe(d.storageOffset_1based);
  expect(t.nElement()).toBe(d.nElement);
  if (d.values) expect(t.values()).toEqual(d.values);
}

describe('views match the layouts Torch7 produced (tensor_shared_storage fixture)', () => {
  // One DoubleStorage of 20 elements (1..20) viewed in several ways.
  const build = () => {
    const storage = torch.DoubleStorage(Array.from({ length: 20 }, (_, i) => i + 1));
    const base = torch.DoubleTensor(storage, 1, [4, 5]);
    return { storage, base };
  };

  it('base 4x5', () => {
    const { base } = build();
    expectLayout(base, entry('tensor_shared_storage', 'base'));
  });

  it('select(2, 3) is column 3', () => {
    const { base } = build();
    expectLayout(base.select(2, 3), entry('tensor_shared_storage', 'col3'));
  });

  it('narrow(1, 2, 2) is rows 2..3', () => {
    const { base } = build();
    expectLayout(base.narrow(1, 2, 2), entry('tensor_shared_storage', 'rows23'));
  });

  it('sub(2, 4, 2, 4) is the inner 3x3 block', () => {
    const { base } = build();
    expectLayout(base.sub(2, 4, 2, 4), entry('tensor_shared_storage', 'sub'));
    expectLayout(base.sub(2, -1, 2, -2), entry('tensor_shared_storage', 'sub'));
  });

  it('transpose(1, 2) and t()', () => {
    const { base } = build();
    expectLayout(base.transpose(1, 2), entry('tensor_shared_storage', 'transposed'));
    expectLayout(base.t(), entry('tensor_shared_storage', 'transposed'));
  });

  it('view(20)', () => {
    const { base } = build();
    expectLayout(base.view(20), entry('tensor_shared_storage', 'flat'));
    expectLayout(base.view(-1), entry('tensor_shared_storage', 'flat'));
  });

  it('custom sizes and strides through the storage constructor', () => {
    const { storage } = build();
    expectLayout(torch.DoubleTensor(storage, 3, [2, 3], [7, 2]), entry('tensor_shared_storage', 'custom'));
  });

  it('expand of a 1x5 row to 3x5 has stride 0', () => {
    const { base } = build();
    expectLayout(base.narrow(1, 1, 1).expand(3, 5), entry('tensor_shared_storage', 'expanded'));
  });

  it('every view shares the one storage, and writes go through', () => {
    const { storage, base } = build();
    const col3 = base.select(2, 3);
    const sub = base.sub(2, 4, 2, 4);
    const tr = base.t();
    for (const v of [col3, sub, tr, base.view(20), base.narrow(1, 2, 2)]) expect(v.storage()).toBe(storage);
    col3.fill(-1);
    expect(base.get(1, 3)).toBe(-1);
    expect(base.get(4, 3)).toBe(-1);
    expect(storage.getNumber(2)).toBe(-1); // element 3, 1-based
    sub.put(1, 1, 100); // row 2, column 2 of base
    expect(base.get(2, 2)).toBe(100);
    expect(tr.get(2, 2)).toBe(100);
    tr.put(5, 4, 42); // base (4, 5), the last element
    expect(storage.getNumber(19)).toBe(42);
    expect(base.isSetTo(base.t().t())).toBe(true);
  });
});

describe('other fixture layouts', () => {
  it('a transposed 3x4 saved alone is 4x3 with strides (1, 4)', () => {
    const d = fixture('tensor_noncontiguous_alone').object as TensorDesc;
    const t = torch.FloatTensor(3, 4);
    t.view(12).copy(torch.FloatTensor(Array.from({ length: 12 }, (_, i) => i + 1)));
    const tr = t.transpose(1, 2);
    expectLayout(tr, d);
    expect(tr.isContiguous()).toBe(false);
  });

  it('narrow(1, 4, 3) of a 10-element tensor starts at storage offset 4', () => {
    const d = fixture('tensor_offset_view_alone').object as TensorDesc;
    const t = torch.DoubleTensor(Array.from({ length: 10 }, (_, i) => i + 1));
    const v = t.narrow(1, 4, 3);
    expectLayout(v, d);
    expect(v.storage().size()).toBe(d.storage!.size);
  });

  it('size-1 dims get the strides Torch computes', () => {
    const d = fixture('tensor_size1_dims').object as TensorDesc;
    const t = torch.DoubleTensor(1, 3, 1, 2);
    t.view(6).copy(torch.DoubleTensor([1, 2, 3, 4, 5, 6]));
    expectLayout(t, d);
    expect(t.isContiguous()).toBe(true);
  });

  it('resize to 0 elements gives nDimension 0 and keeps the storage', () => {
    const d = fixture('tensor_0dim_with_storage').object as TensorDesc;
    const t = torch.DoubleTensor(5).fill(3);
    t.resize(0);
    expectLayout(t, d);
    expect(t.storage().size()).toBe(5);
  });

  it('an empty tensor has no dimensions, no storage and storage offset 1', () => {
    const d = fixture('tensor_empty').object as TensorDesc;
    const t = torch.DoubleTensor();
    expectLayout(t, d);
    expect(t.hasStorage()).toBe(false);
    expect(torch.DoubleTensor(0).dim()).toBe(0);
  });
});

describe('Torch7 documented view behaviour', () => {
  const seq = (n: number) => torch.DoubleTensor(Array.from({ length: n }, (_, i) => i + 1));

  it('unfold: windows as a new last dim', () => {
    const x = seq(7);
    const u = x.unfold(1, 2, 1);
    expect(u.size()).toEqual([6, 2]);
    expect(u.stride()).toEqual([1, 1]);
    expect(u.totable()).toEqual([[1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7]]);
    const v = x.unfold(1, 2, 2);
    expect(v.size()).toEqual([3, 2]);
    expect(v.stride()).toEqual([2, 1]);
    expect(v.totable()).toEqual([[1, 2], [3, 4], [5, 6]]);
    v.select(1, 2).fill(0);
    expect(x.values()).toEqual([1, 2, 0, 0, 5, 6, 7]);
  });

  it('unfold of a 2-d tensor along dim 2', () => {
    const x = torch.DoubleTensor(3, 4);
    x.view(12).copy(seq(12));
    const u = x.unfold(2, 3, 1);
    expect(u.size()).toEqual([3, 2, 3]);
    expect(u.stride()).toEqual([4, 1, 1]);
    expect(u.select(1, 2).totable()).toEqual([[5, 6, 7], [6, 7, 8]]);
  });

  it('expand: size-1 dims get stride 0, writes land in the one element', () => {
    const x = torch.DoubleTensor([[1], [2], [3]]);
    const e = x.expand(3, 4);
    expect(e.size()).toEqual([3, 4]);
    expect(e.stride()).toEqual([1, 0]);
    expect(e.totable()).toEqual([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
    e.put(2, 4, 9);
    expect(x.values()).toEqual([1, 9, 3]);
    // Torch7 sets stride 0 on every size-1 dim, even one that stays size 1.
    expect(torch.DoubleTensor(1, 3).expand(1, 3).stride()).toEqual([0, 1]);
    expect(x.expandAs(torch.DoubleTensor(3, 2)).stride()).toEqual([1, 0]);
    expect(() => x.expand(4, 4)).toThrow(RangeError);
    expect(() => x.expand(2, 3, 4)).toThrow(/expected 2 sizes/);
  });

  it('squeeze and unsqueeze', () => {
    const x = torch.DoubleTensor(2, 1, 2, 1, 2);
    expect(x.squeeze().size()).toEqual([2, 2, 2]);
    expect(x.squeeze().stride()).toEqual([4, 2, 1]);
    expect(x.squeeze(2).size()).toEqual([2, 2, 1, 2]);
    expect(x.squeeze(1).size()).toEqual([2, 1, 2, 1, 2]);
    expect(torch.DoubleTensor(1, 1).squeeze().size()).toEqual([1]);
    const y = torch.DoubleTensor(3, 4);
    const u = y.unsqueeze(2);
    expect(u.size()).toEqual([3, 1, 4]);
    expect(u.stride()).toEqual([4, 4, 1]);
    expect(y.unsqueeze(1).stride()).toEqual([12, 4, 1]);
    expect(y.unsqueeze(3).size()).toEqual([3, 4, 1]);
    expect(y.unsqueeze(3).stride()).toEqual([4, 1, 1]);
    expect(u.storage()).toBe(y.storage());
  });

  it('contiguous: itself when contiguous, a copy otherwise', () => {
    const x = torch.DoubleTensor(2, 3);
    expect(x.contiguous()).toBe(x);
    const t = x.t();
    expect(t.isContiguous()).toBe(false);
    const c = t.contiguous();
    expect(c).not.toBe(t);
    expect(c.isContiguous()).toBe(true);
    expect(c.stride()).toEqual([2, 1]);
    expect(c.storage()).not.toBe(x.storage());
    // size-1 dims are ignored by isContiguous, as in TH
    expect(torch.DoubleTensor(storageOf(6), 1, [3, 1, 2], [2, 99, 1]).isContiguous()).toBe(true);
  });

  it('view needs a contiguous tensor; viewAs copies sizes', () => {
    const x = torch.DoubleTensor(2, 6);
    expect(x.view(3, 4).size()).toEqual([3, 4]);
    expect(x.view(3, -1).size()).toEqual([3, 4]);
    expect(x.viewAs(torch.DoubleTensor(4, 3)).size()).toEqual([4, 3]);
    expect(() => x.t().view(12)).toThrow(/not contiguous/);
    expect(() => x.view(5, 2)).toThrow(RangeError);
  });

  it('resize keeps a view with the same sizes, grows the storage, never shrinks it', () => {
    const x = torch.DoubleTensor(3, 4);
    const t = x.t();
    t.resize(4, 3);
    expect(t.stride()).toEqual([1, 4]); // unchanged: same sizes
    const y = torch.DoubleTensor(2, 2);
    y.resize(3, 3);
    expect(y.stride()).toEqual([3, 1]);
    expect(y.storage().size()).toBe(9);
    y.resize(2);
    expect(y.storage().size()).toBe(9);
    const z = torch.DoubleTensor(3).fill(7);
    z.resizeAs(torch.FloatTensor(2, 2));
    expect(z.size()).toEqual([2, 2]);
    expect(z.get(1, 1)).toBe(7); // existing storage contents stay
  });

  it('set: views another tensor, a storage with offset/sizes/strides, or nothing', () => {
    const s = storageOf(10);
    const a = torch.DoubleTensor().set(s, 3, [2, 2], [4, 1]);
    expect(a.values()).toEqual([3, 4, 7, 8]);
    expect(a.storageOffset()).toBe(3);
    const b = torch.DoubleTensor().set(a);
    expect(b.isSetTo(a)).toBe(true);
    b.put(1, 1, 0);
    expect(a.get(1, 1)).toBe(0);
    expect(torch.DoubleTensor().set(s).size()).toEqual([10]);
    b.set();
    expect(b.dim()).toBe(0);
    expect(b.hasStorage()).toBe(false);
    expect(() => torch.DoubleTensor().set(s, 8, [2, 2], [4, 1])).toThrow(/storage of size 10/);
    expect(() => torch.FloatTensor().set(s)).toThrow(TypeError);
  });

  it('clone copies into a fresh contiguous storage', () => {
    const x = torch.DoubleTensor([[1, 2], [3, 4]]);
    const c = x.t().clone();
    expect(c.totable()).toEqual([[1, 3], [2, 4]]);
    expect(c.stride()).toEqual([2, 1]);
    c.fill(0);
    expect(x.values()).toEqual([1, 2, 3, 4]);
  });

  it('copy between views of different shapes with the same element count', () => {
    const x = torch.DoubleTensor(2, 3).zero();
    x.t().copy(torch.DoubleTensor([1, 2, 3, 4, 5, 6]));
    expect(x.totable()).toEqual([[1, 3, 5], [2, 4, 6]]);
    // overlapping copy within one storage reads before writing
    const y = seq(6);
    y.narrow(1, 2, 5).copy(y.narrow(1, 1, 5));
    expect(y.values()).toEqual([1, 1, 2, 3, 4, 5]);
    const z = seq(4);
    z.copy(z.view(2, 2).t());
    expect(z.values()).toEqual([1, 3, 2, 4]);
    expect(() => x.copy(seq(5))).toThrow(/expected a source of 6 elements/);
  });

  it('errors name the operation, what was expected and what was found', () => {
    const x = torch.DoubleTensor(3, 4);
    expect(() => x.narrow(3, 1, 1)).toThrow(/narrow: dimension 3 out of range for a 2-d tensor/);
    expect(() => x.narrow(1, 3, 2)).toThrow(/narrow: dimension 1 has size 3; cannot take 2 from index 3/);
    expect(() => x.select(1, 0)).toThrow(/select: index 0 out of range for dimension 1 of size 3/);
    expect(() => seq(3).select(1, 1)).toThrow(/cannot select on a vector/);
    expect(() => x.get(4, 1)).toThrow(/index 4 out of range/);
    expect(() => x.get(1)).toThrow(/expected 2 indices, got 1/);
    expect(() => x.transpose(0, 1)).toThrow(RangeError);
    expect(() => seq(3).t()).toThrow(/expected a 2-d tensor/);
    expect(() => x.unfold(2, 5, 1)).toThrow(RangeError);
  });
});

function storageOf(n: number) {
  return torch.DoubleStorage(Array.from({ length: n }, (_, i) => i + 1));
}
