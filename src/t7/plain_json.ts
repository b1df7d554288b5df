// The JSON `mpelu inspect --json` prints: a decoded .t7 value as a person would write it,
// for jq. Lua tables with keys 1..n are arrays, other tables objects (keys as text, file
// order kept); torch objects are objects of their fields plus "__class" (and
// "__version"); numbers are JSON numbers (NaN and infinities as "nan", "inf", "-inf");
// tensors are {type, size, stride, offset, values?} with values flat in row-major order
// (Long values beyond 2^53 as decimal strings, only those); a value met a second time
// (shared, or a cycle) is {"$ref": "its first path"}. Lossy by design: --json=exact
// (describe.ts) keeps bytes, key types and exact integers.

import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { halfToNumber } from '../torch/types.js';
import { LuaFunction } from './lua_function.js';
import { LuaTable } from './lua_table.js';
import { formatPath, type PathSegment } from './path.js';
import { TdsHash, TdsVec } from './tds.js';
import { TorchObject } from './torch_object.js';

export type PlainJson = null | boolean | number | string | PlainJson[] | { [key: string]: PlainJson };

export interface PlainJsonOptions {
  /** Tensors and storages with at most this many elements carry their values (default 1000; Infinity for all). */
  maxValues?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A Lua string (one char per byte): its UTF-8 text when the bytes are UTF-8, else the chars as they are. */
function text(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x80-\xff]/.test(s)) return s;
  try {
    return utf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}

function num(x: number): number | string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return x;
}

function bigOrNumber(b: bigint): number | string {
  return b >= -(2n ** 53n) && b <= 2n ** 53n ? Number(b) : b.toString();
}

function keyText(k: unknown): string {
  if (typeof k === 'string') return text(k);
  if (typeof k === 'number') return String(num(k));
  if (typeof k === 'boolean') return String(k);
  if (k instanceof Tensor) return `<${k.className()}>`;
  if (k instanceof TorchObject) return `<${k.className}>`;
  return '<table>';
}

function isSequence(keys: unknown[]): boolean {
  return keys.length > 0 && keys.every((k, i) => k === i + 1);
}

/** The plain JSON form of a decoded .t7 value. */
export function toPlainJson(root: unknown, options: PlainJsonOptions = {}): PlainJson {
  const maxValues = options.maxValues ?? 1000;
  const seen = new Map<object, string>();

  const pairsJson = (pairs: [unknown, unknown][], segs: PathSegment[]): PlainJson => {
    const keys = pairs.map(([k]) => k);
    if (isSequence(keys)) return pairs.map(([k, v]) => walk(v, [...segs, k as number]));
    const out: { [key: string]: PlainJson } = {};
    for (const [k, v] of pairs) {
      const seg: PathSegment = typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean' ? k : { label: 'key' };
      out[keyText(k)] = walk(v, [...segs, seg]);
    }
    return out;
  };

  const walk = (v: unknown, segs: PathSegment[]): PlainJson => {
    if (v === undefined || v === null) return null;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return num(v);
    if (typeof v === 'string') return text(v);
    if (typeof v === 'bigint') return bigOrNumber(v);
    if (typeof v !== 'object') return String(v);
    const first = seen.get(v);
    if (first !== undefined) return { $ref: first || '(root)' };
    seen.set(v, formatPath(segs));
    if (v instanceof Tensor) {
      const out: { [key: string]: PlainJson } = {
        type: v.className(),
        size: v.size(),
        stride: v.stride(),
        offset: v.storageOffset(),
      };
      if (v.hasStorage() && v.nElement() <= maxValues) {
        out.values = v.elementType === 'Long' ? v.bigValues().map(bigOrNumber) : Array.from(v.values() as ArrayLike<number>, num);
      }
      return out;
    }
    if (v instanceof Storage) {
      const out: { [key: string]: PlainJson } = { type: v.className(), size: v.size() };
      if (v.size() <= maxValues) {
        const d = v.data();
        out.values = Array.from(d as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? bigOrNumber(x) : num(v.type === 'Half' ? halfToNumber(x) : x)));
      }
      return out;
    }
    if (v instanceof LuaFunction) {
      return { function: { bytecodeBytes: v.bytecode.length, upvalues: walk(v.upvalues, [...segs, 'upvalues']) } };
    }
    if (v instanceof TorchObject) {
      const fields = pairsJson([...v.fields], segs);
      const head: { [key: string]: PlainJson } = { __class: v.className };
      if (v.version !== null) head.__version = num(v.version);
      return Array.isArray(fields) || fields === null || typeof fields !== 'object' ? { ...head, fields } : { ...head, ...fields };
    }
    if (v instanceof LuaTable) return pairsJson([...v], segs);
    if (v instanceof TdsHash) return pairsJson([...v.entries], segs);
    if (v instanceof TdsVec) return v.values.map((x, i) => walk(x, [...segs, i + 1]));
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...segs, i + 1]));
    return pairsJson(Object.entries(v as Record<string, unknown>), segs);
  };

  return walk(root, []);
}
