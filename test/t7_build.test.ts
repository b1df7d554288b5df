// Objects built in TypeScript are written as Torch7 writes them. Each case builds the
// object of a serialization/ fixture from scratch with the TS API, taking the values
// from the fixture's sidecar, then checks (1) the built object and its written-and-read
// copy against the sidecar description, and (2) where the object has a single possible
// byte order (no hash-ordered keys), the bytes of the binary and the ascii fixture.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import { compareWithDescription } from '../src/t7/compare.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { TorchObject } from '../src/t7/torch_object.js';
import { Storage } from '../src/torch/storage.js';
import { Tensor } from '../src/torch/tensor.js';
import { allocHost, numberToHalf, type TensorType } from '../src/torch/types.js';

const DIR = new URL('../fixtures/torch7/serialization/', import.meta.url).pathname;

interface Sidecar {
  note: string;
  object: t7.Description;
}
const sidecar = (name: string): Sidecar => JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as Sidecar;
const fixtureBytes = (file: string): Buffer => readFileSync(join(DIR, file));

/** A sidecar number (big integers and specials are strings there). */
const num = (v: unknown): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

/** The value of a sidecar entry by string key. */
function entry(desc: t7.Description, key: string): t7.Description {
  const e = (desc.entries as { key: t7.Description; value: t7.Description }[]).find((x) => x.key.value === key);
  if (!e) throw new Error(`sidecar has no entry ${key}`);
  return e.value;
}

function storageOf(type: TensorType, values: unknown[]): Storage {
  const data = allocHost(type, values.length);
  values.forEach((v, i) => {
    if (data instanceof BigInt64Array) data[i] = BigInt(v as string | number);
    else if (type === 'Half') data[i] = numberToHalf(num(v));
    else data[i] = num(v);
  });
  return new Storage(type, data);
}

/** A contiguous tensor of the sidecar's class, sizes and values. */
function tensorFrom(desc: t7.Description): Tensor {
  const type = /^torch\.(\w+)Tensor$/.exec(desc.class as string)![1] as TensorType;
  return Tensor.fromStorage(storageOf(type, desc.values as unknown[]), 0, desc.size as number[]);
}

function storageFrom(desc: t7.Description): Storage {
  const type = /^torch\.(\w+)Storage$/.exec(desc.class as string)![1] as TensorType;
  return storageOf(type, (desc.values ?? []) as unknown[]);
}

function range(from: number, n: number, step = 1): number[] {
  return Array.from({ length: n }, (_, i) => from + i * step);
}

type Case = { name: string; build: (d: t7.Description) => unknown; singleOrder: boolean };

const cases: Case[] = [
  { name: 'nil_toplevel', build: () => undefined, singleOrder: true },
  { name: 'boolean_true', build: (d) => d.value, singleOrder: true },
  { name: 'boolean_false', build: (d) => d.value, singleOrder: true },
  { name: 'number_integer', build: (d) => d.value, singleOrder: true },
  { name: 'number_pi', build: () => Math.PI, singleOrder: true },
  { name: 'number_negative_fraction', build: (d) => d.value, singleOrder: true },
  {
    name: 'number_specials',
    build: (d) => {
      const t = new LuaTable();
      for (const e of d.entries as { key: t7.Description; value: t7.Description }[]) t.set(e.key.value, num(e.value.value));
      return t;
    },
    singleOrder: false,
  },
  { name: 'string_empty', build: () => '', singleOrder: true },
  { name: 'string_nul', build: (d) => Buffer.from(d.hex as string, 'hex').toString('latin1'), singleOrder: true },
  { name: 'string_binary', build: () => String.fromCharCode(...range(0, 256)), singleOrder: true },
  // a JS string with characters above 255 is written as UTF-8
  { name: 'string_utf8', build: () => 'h\u00e9llo \u20ac \u{1F600}', singleOrder: true },
  { name: 'table_empty', build: () => new LuaTable(), singleOrder: true },
  {
    name: 'table_array',
    build: (d) => (d.entries as { value: t7.Description }[]).map((e) => e.value.value),
    singleOrder: true,
  },
  { name: 'table_nil_hole', build: () => new LuaTable().set(1, 1).set(3, 3).set('a', 'x'), singleOrder: true },
  {
    name: 'table_nested_keys',
    build: () =>
      new LuaTable()
        .set(false, 'key false')
        .set(true, 'key true')
        .set(-3, 'minus three')
        .set(1, 'one')
        .set(1.5, 'one and a half')
        .set(2, 'two')
        .set('', 'empty-string key')
        .set('key with spaces', 0.25)
        .set('name', 'root')
        .set('nested', { deeper: { deepest: [1, 2, { x: 'y' }] }, flag: false }),
    singleOrder: false,
  },
  {
    name: 'table_cycle',
    build: () => {
      const root = new LuaTable().set('name', 'root');
      const child = new LuaTable().set('name', 'child').set('parent', root);
      root.set('self', root).set('child', child).set('list', [root, child]);
      return root;
    },
    singleOrder: false,
  },
  {
    name: 'table_shared_subtable',
    build: () => {
      const a = [1, 2, 3];
      return { a, b: a, c: [a] };
    },
    singleOrder: false,
  },
  ...(['Byte', 'Char', 'Short', 'Int', 'Long', 'Float', 'Double', 'Half'] as const).flatMap((type): Case[] => [
    { name: `tensor_${type}`, build: tensorFrom, singleOrder: true },
    { name: `storage_${type}`, build: storageFrom, singleOrder: true },
  ]),
  { name: 'storage_empty', build: storageFrom, singleOrder: true },
  { name: 'tensor_1d', build: tensorFrom, singleOrder: true },
  { name: 'tensor_2d', build: tensorFrom, singleOrder: true },
  {
    name: 'tensor_4d',
    build: () => Tensor.fromStorage(new Storage('Float', Float32Array.from(range(0, 120), (i) => i * 0.1)), 0, [2, 3, 4, 5]),
    singleOrder: true,
  },
  { name: 'tensor_size1_dims', build: tensorFrom, singleOrder: true },
  {
    // the transpose of a 3x4 tensor holding 1..12
    name: 'tensor_noncontiguous_alone',
    build: () => Tensor.fromStorage(new Storage('Float', Float32Array.from(range(1, 12))), 0, [3, 4]).transpose(1, 2),
    singleOrder: true,
  },
  {
    // narrow(1, 4, 3) of 1..10: the whole storage is written
    name: 'tensor_offset_view_alone',
    build: () => Tensor.fromStorage(new Storage('Double', Float64Array.from(range(1, 10))), 0, [10]).narrow(1, 4, 3),
    singleOrder: true,
  },
  { name: 'tensor_empty', build: () => new Tensor('Double'), singleOrder: true },
  { name: 'tensor_empty_float', build: () => new Tensor('Float'), singleOrder: true },
  {
    name: 'tensor_0dim_with_storage',
    build: (d) => new Tensor('Double', new Storage('Double', d.storage.size as number), 0, []),
    singleOrder: false, // the storage's contents are not in the sidecar
  },
  {
    name: 'tensor_shared_storage',
    build: () => {
      const base = Tensor.fromStorage(new Storage('Double', Float64Array.from(range(1, 20))), 0, [4, 5]);
      const s = base.storage();
      return new LuaTable()
        .set('base', base)
        .set('rows23', base.narrow(1, 2, 2))
        .set('col3', base.select(2, 3))
        .set('transposed', base.t())
        .set('flat', base.view(20))
        .set('custom', Tensor.fromStorage(s, 2, [2, 3], [7, 2]))
        .set('expanded', base.select(1, 1).view(1, 5).expand(3, 5))
        .set('sub', base.narrow(1, 2, 3).narrow(2, 2, 3))
        .set('storage', s);
    },
    singleOrder: false,
  },
  {
    name: 'tensors_all_types_table',
    build: (d) => {
      const t = new LuaTable();
      for (const e of d.entries as { key: t7.Description; value: t7.Description }[]) t.set(e.key.value, tensorFrom(e.value));
      return t;
    },
    singleOrder: false,
  },
  {
    name: 'referenced_same_object',
    build: () => {
      const a = Tensor.fromStorage(new Storage('Float', Float32Array.from(range(1, 6))), 0, [2, 3]);
      const s1 = ['x'];
      return { a, b: a, c: a.narrow(2, 2, 2), s1, s2: s1 };
    },
    singleOrder: false,
  },
  {
    name: 'custom_class',
    build: () => new TorchObject('heldout.Point', 1, LuaTable.fromRecord({ tag: 'pt', x: 1.5, y: -2 })),
    singleOrder: false,
  },
  {
    name: 'custom_class_version3',
    build: () => new TorchObject('heldout.Versioned', 3, LuaTable.fromRecord({ a: 1 })),
    singleOrder: true,
  },
];

describe.each(cases.map((c) => [c.name, c] as const))('built in TS: %s', (name, c) => {
  it('matches the sidecar before and after a write/read in both modes', () => {
    const side = sidecar(name);
    const value = c.build(side.object);
    expect(compareWithDescription(side.object, value)).toEqual([]);
    for (const format of ['binary', 'ascii'] as const) {
      const back = t7.deserialize(t7.serialize(value, { format }));
      expect(compareWithDescription(side.object, back)).toEqual([]);
    }
  });
});

describe.each(cases.filter((c) => c.singleOrder).map((c) => [c.name, c] as const))('built in TS, one byte order: %s', (name, c) => {
  it('gives the fixture bytes, binary and (where Torch wrote one) ascii', () => {
    const value = c.build(sidecar(name).object);
    expect(Buffer.compare(Buffer.from(t7.serialize(value)), fixtureBytes(`${name}.t7`))).toBe(0);
    if (existsSync(join(DIR, `${name}.ascii.t7`))) {
      expect(Buffer.compare(Buffer.from(t7.serialize(value, { format: 'ascii' })), fixtureBytes(`${name}.ascii.t7`))).toBe(0);
    }
  });
});

// Hash-ordered tables: same objects, indices and sharing give the same file size.
const sizeCases = cases.filter((c) => !c.singleOrder && c.name !== 'tensor_0dim_with_storage');
describe.each(sizeCases.map((c) => [c.name, c] as const))('built in TS, hash order: %s', (name, c) => {
  it('has the fixture size', () => {
    const value = c.build(sidecar(name).object);
    expect(t7.serialize(value).length).toBe(fixtureBytes(`${name}.t7`).length);
  });
});

describe('writer details', () => {
  it('writes a storage shared by tensors once and numbers objects as Torch does', () => {
    const s = new Storage('Float', new Float32Array([1, 2, 3, 4]));
    const a = Tensor.fromStorage(s, 0, [4]);
    const b = Tensor.fromStorage(s, 1, [2]);
    const bytes = t7.serialize([a, b]);
    // table #1, tensor a #2, its storage #3, tensor b #4 whose storage is a reference to #3
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getInt32(4, true)).toBe(1);
    const back = t7.deserialize(bytes) as LuaTable;
    expect((back.get(1) as Tensor).storage()).toBe((back.get(2) as Tensor).storage());
    expect(Buffer.from(bytes).toString('latin1').split('torch.FloatStorage').length - 1).toBe(1);
  });

  it('referenced = false writes shared objects in full every time', () => {
    const shared = [1, 2];
    const bytes = t7.serialize({ a: shared, b: shared }, { referenced: false });
    const back = t7.deserialize(bytes) as LuaTable;
    expect(back.get('a')).not.toBe(back.get('b'));
    expect((back.get('b') as LuaTable).toArray()).toEqual([1, 2]);
  });

  it('keeps CUDA class names unless converted', () => {
    const s = new Storage('Float', new Float32Array([1, 2]));
    s.sourceClass = 'torch.CudaStorage';
    const t = Tensor.fromStorage(s, 0, [2]);
    t.sourceClass = 'torch.CudaTensor';
    const bytes = t7.serialize(t);
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).toContain('torch.CudaTensor');
    expect(text).toContain('torch.CudaStorage');
    const back = t7.deserialize(bytes) as Tensor;
    expect(back.className()).toBe('torch.CudaTensor');
    expect(back.elementType).toBe('Float');
    expect(back.storage().className()).toBe('torch.CudaStorage');
    expect(Buffer.compare(Buffer.from(t7.serialize(back)), Buffer.from(bytes))).toBe(0);
    for (const [cls, type] of [['torch.CudaHalfTensor', 'Half'], ['torch.CudaDoubleTensor', 'Double'], ['torch.CudaLongTensor', 'Long']] as const) {
      const st = new Storage(type, allocHost(type, 1));
      st.sourceClass = cls.replace('Tensor', 'Storage');
      const x = Tensor.fromStorage(st, 0, [1]);
      x.sourceClass = cls;
      const y = t7.deserialize(t7.serialize(x)) as Tensor;
      expect([y.className(), y.elementType, y.storage().className()]).toEqual([cls, type, cls.replace('Tensor', 'Storage')]);
    }
  });

  it('writes 4-byte longs on request and reads them back by detection', () => {
    const value = t7.load(join(DIR, 'longsize8_b64.t7'));
    const b4 = t7.serialize(value, { longSize: 4 });
    const b8 = t7.serialize(value);
    expect(b4.length).toBeLessThan(b8.length);
    const info = t7.loadWithInfo(b4);
    expect(info.longSize).toBe(4);
    expect(compareWithDescription(sidecar('longsize8_b64').object, info.value)).toEqual([]);
    expect(Buffer.compare(Buffer.from(t7.serialize(info.value, { longSize: 4 })), Buffer.from(b4))).toBe(0);
    expect(t7.loadWithInfo(b8).longSize).toBe(8);
    const big = Tensor.fromStorage(new Storage('Long', new BigInt64Array([1n << 40n])), 0, [1]);
    expect(() => t7.serialize(big, { longSize: 4 })).toThrow(/does not fit in a 4-byte long/);
  });

  it('stops at maxDepth, and past the JS stack, with a T7WriteError', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100000; i++) deep = [deep];
    expect(() => t7.serialize(deep)).toThrow(/nested deeper than 1500 levels/);
    expect(() => t7.serialize(deep, { maxDepth: 1e9 })).toThrow(t7.T7WriteError);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(t7.deserialize(t7.serialize(cycle))).toBeInstanceOf(LuaTable);
    expect(() => t7.serialize(cycle, { referenced: false })).toThrow(/nested deeper than 1500 levels/);
  });

  it('names what it cannot write and where', () => {
    expect(() => t7.serialize({ model: { f: () => 1 } })).toThrow(/cannot write a JavaScript function.*model\.f/);
    expect(() => t7.serialize(new LuaTable().set('x', new Map()))).toThrow(t7.T7WriteError);
  });

  it('saves atomically and never leaves a temporary file behind', async () => {
    const { mkdtempSync, readdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 't7-save-'));
    try {
      const file = join(dir, 'x.t7');
      writeFileSync(file, 'old');
      t7.save(file, { a: 1 });
      expect((t7.load(file) as LuaTable).get('a')).toBe(1);
      expect(() => t7.save(file, { f: Symbol('no') })).toThrow();
      expect((t7.load(file) as LuaTable).get('a')).toBe(1);
      expect(readdirSync(dir)).toEqual(['x.t7']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
