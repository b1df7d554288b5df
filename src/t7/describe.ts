// A JSON description of a decoded .t7 object, in the format of the fixtures'
// sidecars (fixtures/torch7/README.md): what `mpelu inspect --json` prints and what
// compare.ts checks decoded objects against. Tensors also get mean and std.

import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { forEachStorageIndex } from '../torch/layout.js';
import { halfToNumber } from '../torch/types.js';
import { LuaFunction } from './lua_function.js';
import { LuaTable } from './lua_table.js';
import { TdsHash, TdsVec } from './tds.js';
import { TorchObject } from './torch_object.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
/** A one-object summary as `mpelu inspect` builds it: its kind (tensor, table, module, ...) and kind-specific details. */
export type Description = { kind: string } & Record<string, any>;

export interface TensorStats {
  n: number;
  sum: number;
  abssum: number;
  /** Exact for Long tensors (bigint) when beyond 2^53. */
  min: number | bigint;
  max: number | bigint;
  mean: number;
  /** Unbiased (n - 1), as Torch's std(). */
  std: number;
}

const TWO53 = 2 ** 53;

/** A JSON number, or a decimal string when it is an integer beyond 2^53. */
function jsonNumber(v: number | bigint): number | string {
  if (typeof v === 'bigint') return v >= -BigInt(TWO53) && v <= BigInt(TWO53) ? Number(v) : v.toString();
  return v;
}

/** Summary statistics over a tensor's elements (float64 sums, one pass for mean, one for std). */
export function tensorStats(t: Tensor): TensorStats | null {
  const n = t.nElement();
  if (n === 0 || !t.hasStorage()) return null;
  const d = t.storage().data();
  const half = t.elementType === 'Half';
  const long = d instanceof BigInt64Array;
  let sum = 0;
  let abssum = 0;
  let min = Infinity;
  let max = -Infinity;
  let bmin = 0n;
  let bmax = 0n;
  let nan = false;
  const sizes = t.size();
  const strides = t.stride();
  forEachStorageIndex(sizes, strides, t.offset(), (i, k) => {
    let x: number;
    if (long) {
      const b = (d as BigInt64Array)[i]!;
      if (k === 0 || b < bmin) bmin = b;
      if (k === 0 || b > bmax) bmax = b;
      x = Number(b);
    } else {
      x = half ? halfToNumber(d[i] as number) : (d[i] as number);
    }
    if (x !== x) nan = true;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    abssum += Math.abs(x);
  });
  const mean = sum / n;
  let sq = 0;
  forEachStorageIndex(sizes, strides, t.offset(), (i) => {
    const v = d[i]!;
    const x = typeof v === 'bigint' ? Number(v) : half ? halfToNumber(v) : v;
    sq += (x - mean) * (x - mean);
  });
  return {
    n,
    sum,
    abssum,
    min: long ? bmin : nan ? NaN : min,
    max: long ? bmax : nan ? NaN : max,
    mean,
    std: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
  };
}

/** Storage indices of the first `n` elements in logical (row-major) order. */
function firstIndices(sizes: readonly number[], strides: readonly number[], offset: number, n: number): number[] {
  const out: number[] = [];
  const counter = new Array<number>(sizes.length).fill(0);
  let index = offset;
  while (out.length < n) {
    out.push(index);
    let d = sizes.length - 1;
    for (; d >= 0; d--) {
      counter[d]!++;
      index += strides[d]!;
      if (counter[d]! < sizes[d]!) break;
      index -= strides[d]! * sizes[d]!;
      counter[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

function elementValues(t: Tensor, limit: number): (number | string)[] {
  const n = Math.min(limit, t.nElement());
  if (n === 0) return [];
  const d = t.storage().data();
  const half = t.elementType === 'Half';
  return firstIndices(t.size(), t.stride(), t.offset(), n).map((i) => {
    const v = d[i]!;
    return typeof v === 'bigint' ? jsonNumber(v) : half ? halfToNumber(v) : numberValue(v);
  });
}

function numberValue(x: number): number | string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return x;
}

function storageValues(s: Storage, limit: number): (number | string)[] {
  const d = s.data();
  const out: (number | string)[] = [];
  const n = Math.min(limit, s.size());
  for (let i = 0; i < n; i++) {
    const v = d[i]!;
    out.push(typeof v === 'bigint' ? jsonNumber(v) : s.type === 'Half' ? halfToNumber(v) : numberValue(v));
  }
  return out;
}

/** Sidecar order of table keys: booleans, numbers, strings, then anything else in file order. */
function keyRank(k: unknown): number {
  return typeof k === 'boolean' ? 0 : typeof k === 'number' ? 1 : typeof k === 'string' ? 2 : 3;
}

function compareKeys(a: unknown, b: unknown): number {
  const ra = keyRank(a);
  const rb = keyRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return Number(a) - Number(b);
  if (ra === 1) return (a as number) - (b as number);
  if (ra === 2) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  return 0;
}

function pathStep(k: unknown): string | null {
  if (typeof k === 'string') return `[s:${k}]`;
  if (typeof k === 'number') return `[n:${k}]`;
  if (typeof k === 'boolean') return `[b:${k}]`;
  return null;
}

export interface DescribeOptions {
  /** Tensors and storages with at most this many elements list them all (default 64). */
  maxValues?: number;
  /** How many leading values to list otherwise (default 8). */
  firstCount?: number;
  /** Add mean and std to tensor descriptions (default true). */
  stats?: boolean;
}

/** The sidecar-format description of `value` (shared objects after the first as refs). */
export function describe(value: unknown, options: DescribeOptions = {}): Description {
  const maxValues = options.maxValues ?? 64;
  const firstCount = options.firstCount ?? 8;
  const withStats = options.stats ?? true;
  const seen = new Map<object, string>();

  const entries = (pairs: Iterable<[unknown, unknown]>, path: string): { key: Description; value: Description }[] => {
    const list = [...pairs].filter(([, v]) => v !== undefined);
    list.sort((x, y) => compareKeys(x[0], y[0]));
    return list.map(([k, v]) => {
      const step = pathStep(k);
      return { key: desc(k, `${path}[key]`), value: desc(v, step === null ? `${path}[?]` : path + step) };
    });
  };

  const desc = (v: unknown, path: string): Description => {
    if (v === undefined || v === null) return { kind: 'nil' };
    if (typeof v === 'boolean') return { kind: 'boolean', value: v };
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { kind: 'number', special: true, value: numberValue(v) };
      if (Number.isInteger(v) && Math.abs(v) >= TWO53) return { kind: 'number', value: BigInt(v).toString() };
      return Number.isInteger(v) ? { kind: 'number', integer: true, value: v } : { kind: 'number', value: v };
    }
    if (typeof v === 'string') {
      const b = Buffer.from(v, 'latin1');
      return { kind: 'string', length: b.length, value: v, hex: b.toString('hex') };
    }
    if (typeof v !== 'object') return { kind: typeof v };
    const known = seen.get(v);
    if (known !== undefined) return { kind: 'ref', path: known };
    seen.set(v, path);
    if (v instanceof Tensor) {
      const d: Description = {
        kind: 'tensor',
        class: v.className(),
        dim: v.dim(),
        size: v.size(),
        stride: v.stride(),
        storageOffset_1based: v.storageOffset(),
        storage: v.hasStorage() ? { class: v.storage().className(), size: v.storage().size() } : null,
        nElement: v.nElement(),
      };
      const st = tensorStats(v);
      if (st) {
        Object.assign(d, { sum: st.sum, abssum: st.abssum, min: jsonNumber(st.min), max: jsonNumber(st.max) });
        if (typeof d.min === 'number') d.min = numberValue(d.min);
        if (typeof d.max === 'number') d.max = numberValue(d.max);
        if (withStats) Object.assign(d, { mean: st.mean, std: st.std });
        d.first = elementValues(v, firstCount);
        if (st.n <= maxValues) d.values = elementValues(v, maxValues);
      }
      return d;
    }
    if (v instanceof Storage) {
      const n = v.size();
      const d: Description = { kind: 'storage', class: v.className(), size: n };
      if (n > 0) {
        const data = v.data();
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const x = data[i]!;
          sum += typeof x === 'bigint' ? Number(x) : v.type === 'Half' ? halfToNumber(x) : x;
        }
        d.sum = sum;
        if (n <= maxValues) d.values = storageValues(v, n);
        else d.first = storageValues(v, firstCount);
      }
      return d;
    }
    if (v instanceof LuaFunction) {
      return {
        kind: 'function',
        bytecodeLength: v.bytecode.length,
        bytecodeMagicHex: Buffer.from(v.bytecode.subarray(0, 4)).toString('hex'),
        upvalues: v.upvalueList().map((u, i) => ({ name: u.name, value: desc(u.value, `${path}[upvalue:${i + 1}]`) })),
      };
    }
    if (v instanceof TorchObject) {
      const e = entries(v.fields, path);
      return { kind: 'object', class: v.className, version: v.version, nEntries: e.length, entries: e };
    }
    if (v instanceof TdsHash) {
      const e = entries(v.entries, path);
      return { kind: 'object', class: v.className, version: v.version, nEntries: e.length, entries: e };
    }
    if (v instanceof TdsVec) {
      const e = entries(v.values.map((x, i) => [i + 1, x] as [unknown, unknown]), path);
      return { kind: 'object', class: v.className, version: v.version, nEntries: e.length, entries: e };
    }
    if (v instanceof LuaTable) {
      const e = entries(v, path);
      return { kind: 'table', nEntries: e.length, entries: e };
    }
    if (Array.isArray(v)) {
      const e = entries(v.map((x, i) => [i + 1, x] as [unknown, unknown]), path);
      return { kind: 'table', nEntries: e.length, entries: e };
    }
    const e = entries(Object.entries(v as Record<string, unknown>), path);
    return { kind: 'table', nEntries: e.length, entries: e };
  };

  return desc(value, '$');
}
