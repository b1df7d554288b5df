// Reading the Torch7 nn fixtures (fixtures/torch7/nn) and comparing tensors with them.

import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/torch/tensor.js';
import { LuaTable } from '../../src/t7/lua_table.js';
import { readT7 } from '../../src/t7/reader.js';
import { Module } from '../../src/nn/module.js';
import { normals } from './random_data.js';

const FIXTURES = new URL('../../fixtures/torch7/', import.meta.url);

/** torch.load of a file under fixtures/torch7/. */
export function loadFixture(relPath: string): unknown {
  return readT7(readFileSync(new URL(relPath, FIXTURES))).value;
}

export function fixtureText(relPath: string): string {
  return readFileSync(new URL(relPath, FIXTURES), 'latin1');
}

/** nn/module_<name>.t7 as a live module. */
export function loadModule<M extends Module = Module>(name: string): M {
  const m = loadFixture(`nn/module_${name}.t7`);
  if (!(m instanceof Module)) throw new Error(`nn/module_${name}.t7 did not load as a module (got ${String((m as { className?: string })?.className ?? m)})`);
  return m as M;
}

/** nn/io_<name>.t7: its string-keyed entries. */
export function loadIO(name: string): Map<string, unknown> {
  const t = loadFixture(`nn/io_${name}.t7`);
  if (!(t instanceof LuaTable)) throw new Error(`nn/io_${name}.t7 is not a table`);
  const out = new Map<string, unknown>();
  for (const [k, v] of t) out.set(String(k), v);
  return out;
}

export function ioTensor(io: Map<string, unknown>, key: string): Tensor {
  const v = io.get(key);
  if (!(v instanceof Tensor)) throw new Error(`fixture has no tensor '${key}'`);
  return v;
}

/** A fixture table of tensors (LuaTable) as an array. */
export function ioTable(io: Map<string, unknown>, key: string): Tensor[] {
  const v = io.get(key);
  if (!(v instanceof LuaTable)) throw new Error(`fixture has no table '${key}'`);
  return v.toArray() as Tensor[];
}


/** A deterministic standard-normal tensor (the suite's seeded generator, not Torch's). */
export function randn(type: 'Float' | 'Double', sizes: number[], seed: number): Tensor {
  const t = Tensor.create(type, sizes);
  (t.storage().mutableData() as Float64Array | Float32Array).set(normals(t.nElement(), seed));
  return t;
}

/** The same values as a channels-last device activation (how spatial modules hand them on). */
export function channelsLast(t: Tensor): Tensor {
  return Tensor.fromTF(t.toTFNHWC(), 'NHWC');
}

export const BACKENDS = ['cpu', 'wasm'] as const;
