// Every real Torch7 file under fixtures/torch7 and fixtures/torchfile loads with the
// content its notes state (the X.expected.json sidecars, torchfile's EXPECTED.md) and
// is written back byte-identically, from a path and from bytes, in its own mode.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import { compareWithDescription } from '../src/t7/compare.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { LuaFunction } from '../src/t7/lua_function.js';
import { TdsHash, TdsVec } from '../src/t7/tds.js';
import { TorchObject } from '../src/t7/torch_object.js';
import { Tensor } from '../src/torch/tensor.js';
import { Storage } from '../src/torch/storage.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

function t7Files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.t7')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const torch7Files = t7Files(join(FIXTURES, 'torch7'));
const torchfileFiles = t7Files(join(FIXTURES, 'torchfile'));
const rel = (p: string): string => p.slice(FIXTURES.length);

describe('fixtures present', () => {
  it('has the folders this codec is tested on', () => {
    const names = torch7Files.map(rel);
    expect(names.filter((n) => n.startsWith('torch7/serialization/')).length).toBe(99);
    expect(names).toContain('torch7/resnet/depth20/model_1.t7');
    expect(torchfileFiles.length).toBe(15);
  });
});

describe.each([...torch7Files, ...torchfileFiles].map((f) => [rel(f), f]))('%s', (_name, file) => {
  const bytes = readFileSync(file);
  const sidecarPath = file.replace(/\.t7$/, '.expected.json');
  const sidecar = (() => {
    try {
      return JSON.parse(readFileSync(sidecarPath, 'utf8')) as { object?: t7.Description; format?: string; longSize?: number; bytes?: number };
    } catch {
      return undefined;
    }
  })();

  it('loads with the content its sidecar states and writes back the same bytes', () => {
    const info = t7.loadWithInfo(file);
    expect(info.bytesRead).toBe(bytes.length);
    if (sidecar?.format) expect(info.format).toBe(sidecar.format);
    if (sidecar?.longSize) expect(info.longSize).toBe(sidecar.longSize);
    if (sidecar?.object) expect(compareWithDescription(sidecar.object, info.value)).toEqual([]);
    const out = t7.serialize(info.value, { format: info.format, longSize: info.longSize });
    expect(Buffer.compare(Buffer.from(out), bytes)).toBe(0);
  });

  it('loads the same from bytes as from the path', () => {
    const fromBytes = t7.loadWithInfo(new Uint8Array(bytes));
    const fromPath = t7.load(file);
    expect(t7.describe(fromBytes.value)).toEqual(t7.describe(fromPath));
    expect(Buffer.compare(Buffer.from(t7.serialize(fromBytes.value, { format: fromBytes.format })), bytes)).toBe(0);
  });
});

describe('ascii and binary twins (serialization/)', () => {
  const dir = join(FIXTURES, 'torch7/serialization');
  const twins = readdirSync(dir).filter((f) => f.endsWith('.ascii.t7'));
  it('has 47 twins', () => expect(twins.length).toBe(47));
  it.each(twins)('%s converts to its binary twin byte for byte, and back', (f) => {
    const asciiBytes = readFileSync(join(dir, f));
    const binBytes = readFileSync(join(dir, f.replace('.ascii.t7', '.t7')));
    const fromAscii = t7.load(asciiBytes, { format: 'ascii' });
    expect(Buffer.compare(Buffer.from(t7.serialize(fromAscii, { format: 'binary' })), binBytes)).toBe(0);
    const fromBinary = t7.load(binBytes);
    expect(Buffer.compare(Buffer.from(t7.serialize(fromBinary, { format: 'ascii' })), asciiBytes)).toBe(0);
  });
});

describe('serialization/ facts', () => {
  const load = (name: string): unknown => t7.load(join(FIXTURES, 'torch7/serialization', name));

  it('keeps NaN sign bits, -0 and the extremes exactly', () => {
    const t = load('number_specials.t7') as LuaTable;
    expect(Object.is(t.get('negzero'), -0)).toBe(true);
    expect(t.get('tiny')).toBe(5e-324);
    expect(t.get('big')).toBe(Number.MAX_VALUE);
    const nan = new DataView(new ArrayBuffer(8));
    nan.setFloat64(0, t.get('nan') as number, true);
    expect(nan.getUint32(4, true)).toBe(0xfff80000); // x86's 0/0, printed "-nan" in ascii
    // ascii mode prints them as glibc's %.17g does
    const ascii = Buffer.from(t7.serialize(t, { format: 'ascii' })).toString('latin1');
    for (const text of ['-nan', '-0', 'inf', '-inf', '4.9406564584124654e-324', '1.7976931348623157e+308', '9007199254740992']) {
      expect(ascii.split('\n')).toContain(text);
    }
    expect(t7.describe(t7.deserialize(t7.serialize(t, { format: 'ascii' })))).toEqual(t7.describe(t));
  });

  it('loads shared objects as one object and cycles as cycles', () => {
    const shared = load('tensor_shared_storage.t7') as LuaTable;
    const base = shared.get('base') as Tensor;
    for (const [, v] of shared) {
      const s = v instanceof Tensor ? v.storage() : v;
      expect(s).toBe(base.storage());
    }
    const cyc = load('table_cycle.t7') as LuaTable;
    expect(cyc.get('self')).toBe(cyc);
    expect((cyc.get('child') as LuaTable).get('parent')).toBe(cyc);
    const same = load('referenced_same_object.t7') as LuaTable;
    expect(same.get('b')).toBe(same.get('a'));
    expect((same.get('c') as Tensor).storage()).toBe((same.get('a') as Tensor).storage());
  });

  it('keeps class versions, including none', () => {
    const v3 = load('custom_class_version3.t7') as TorchObject;
    expect(v3.className).toBe('heldout.Versioned');
    expect(v3.version).toBe(3);
    const bytes = readFileSync(join(FIXTURES, 'torch7/serialization/custom_class_version3.t7'), 'latin1');
    expect(bytes).toContain('V 3');
  });

  it('keeps functions as opaque LuaJIT bytecode with their upvalues', () => {
    const f = load('function_upvalues.t7') as LuaFunction;
    expect(f).toBeInstanceOf(LuaFunction);
    expect(Buffer.from(f.bytecode.subarray(0, 3)).toString('hex')).toBe('1b4c4a');
    expect(f.upvalueList().map((u) => u.name).sort()).toEqual(['k', 'name', 't']);
  });

  it('reads the tensor with no storage and the empty-but-stored one apart', () => {
    const none = load('tensor_empty.t7') as Tensor;
    expect(none.hasStorage()).toBe(false);
    const stored = load('tensor_0dim_with_storage.t7') as Tensor;
    expect(stored.dim()).toBe(0);
    expect(stored.storage().size()).toBe(5);
  });
});

describe('torchfile/ (EXPECTED.md)', () => {
  const load = (name: string): unknown => t7.load(join(FIXTURES, 'torchfile', name));

  it('hello=123 and list_table', () => {
    const h = load('hello=123.t7') as LuaTable;
    expect([...h]).toEqual([['hello', 123]]);
    const l = load('list_table.t7') as LuaTable;
    expect(l.size).toBe(4);
    expect(l.toArray()).toEqual(['hello', 'world', 'third item', 123]);
  });

  it('doubletensor and floattensor', () => {
    const d = load('doubletensor.t7') as Tensor;
    expect(d.className()).toBe('torch.DoubleTensor');
    expect(d.totable()).toEqual([[1, 2, 3], [4, 5, 6.9]]);
    const f = load('floattensor.t7') as Tensor;
    expect(f.className()).toBe('torch.FloatTensor');
    expect(f.values().reduce((a, b) => a + b, 0)).toBeCloseTo(12.97241666913, 5);
  });

  it('custom and recursive classes, the self-keyed table', () => {
    const c = load('custom_class.t7') as TorchObject;
    expect(c).toBeInstanceOf(TorchObject);
    expect(c.className).toBe('Blah');
    const r = load('recursive_class.t7') as TorchObject;
    expect(r.className).toBe('A');
    expect(r.fields.get('a')).toBe(r);
    const kv = load('recursive_kv_table.t7') as LuaTable;
    expect(kv.size).toBe(1);
    const [[k, v]] = [...kv] as [[unknown, unknown]];
    expect(k).toBe(kv);
    expect(v).toBe(kv);
  });

  it('functions', () => {
    for (const f of ['function.t7', 'function_upvals.t7']) {
      const fn = load(f) as LuaFunction;
      expect(fn).toBeInstanceOf(LuaFunction);
      expect(fn.bytecode[0]).toBe(0x1b);
    }
    expect((load('function_upvals.t7') as LuaFunction).upvalueList().length).toBeGreaterThan(0);
  });

  it('tds.Hash and tds.Vec', () => {
    const h = load('tds_hash.t7') as TdsHash;
    expect(h).toBeInstanceOf(TdsHash);
    expect(h.size).toBe(3);
    expect(h.get(1)).toBe(2);
    expect(h.get(10)).toBe(11);
    const v = load('tds_vec.t7') as TdsVec;
    expect(v).toBeInstanceOf(TdsVec);
    expect(v.values).toEqual([123, 456]);
  });

  it('nngraph node and gModule as generic objects', () => {
    const node = load('nngraph_node.t7') as TorchObject;
    expect(node.className).toBe('nngraph.Node');
    const g = load('gmodule_with_linear_identity.t7') as TorchObject;
    expect(g.className).toBe('nn.gModule');
    const classes = new Set<string>();
    const seen = new Set<unknown>();
    const visit = (v: unknown): void => {
      if (v === null || typeof v !== 'object' || seen.has(v)) return;
      seen.add(v);
      if (v instanceof TorchObject) {
        classes.add(v.className);
        visit(v.fields);
      } else if (v instanceof LuaTable) for (const [k, x] of v) (visit(k), visit(x));
    };
    visit(g);
    expect(classes).toContain('nn.Linear');
    expect(classes).toContain('nn.Identity');
  });

});

describe('storages and sharing survive a write', () => {
  it('a storage shared by several tensors is written once', () => {
    const shared = t7.load(join(FIXTURES, 'torch7/serialization/tensor_shared_storage.t7')) as LuaTable;
    const again = t7.deserialize(t7.serialize(shared)) as LuaTable;
    const storages = new Set([...again.values()].map((v) => (v instanceof Tensor ? v.storage() : v)));
    expect(storages.size).toBe(1);
    expect([...storages][0]).toBeInstanceOf(Storage);
  });
});

describe('rng/ (when present): the .t7 tables hold what the .txt lists in %.17g', () => {
  const dir = join(FIXTURES, 'torch7/rng');
  const files = (() => {
    try {
      return readdirSync(dir).filter((f) => f.endsWith('.t7'));
    } catch {
      return [];
    }
  })();
  it.each(files)('%s', (f) => {
    const table = t7.load(join(dir, f)) as LuaTable;
    const lines = readFileSync(join(dir, f.replace(/\.t7$/, '.txt')), 'utf8').trim().split('\n');
    let matched = 0;
    for (const line of lines) {
      const [name, ...nums] = line.trim().split(/\s+/) as [string, ...string[]];
      const v = table.get(name);
      if (v === undefined) continue;
      const got = v instanceof Tensor ? v.values() : (v as LuaTable).toArray();
      expect(got).toEqual(nums.map(Number));
      matched++;
    }
    expect(matched).toBe(lines.length);
  });
});
