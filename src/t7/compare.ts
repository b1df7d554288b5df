// Checks a decoded object against a sidecar description (fixtures/torch7/README.md):
// returns the list of differences, each with its path ([] when they agree).
// Table entries are matched by key, not by order; `ref` entries must resolve (in the
// decoded object) to the very same JS object; sums allow float64 reordering error.

import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { halfToNumber } from '../torch/types.js';
import type { Description } from './describe.js';
import { tensorStats } from './describe.js';
import { LuaFunction } from './lua_function.js';
import { LuaTable } from './lua_table.js';
import { parsePath, resolvePath } from './path.js';
import { TdsHash, TdsVec } from './tds.js';
import { TorchObject } from './torch_object.js';
import { luaStringBytes } from './writer.js';

export interface CompareOptions {
  /** Relative tolerance for sum/abssum (default 1e-9). */
  sumTolerance?: number;
  /** Relative tolerance for individual values, min and max (default 0: exact). */
  valueTolerance?: number;
}

/** The bytes a string is written as (so TS strings with wide chars compare as their UTF-8). */
function hexOf(s: string): string {
  return Buffer.from(luaStringBytes(s)).toString('hex');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function numberMatches(expected: unknown, actual: number | bigint, tol: number): boolean {
  if (typeof expected === 'string') {
    if (expected === 'nan') return typeof actual === 'number' && Number.isNaN(actual);
    if (expected === 'inf') return actual === Infinity;
    if (expected === '-inf') return actual === -Infinity;
    try {
      return BigInt(expected) === (typeof actual === 'bigint' ? actual : Number.isInteger(actual) ? BigInt(actual) : NaN);
    } catch {
      return false;
    }
  }
  if (typeof expected !== 'number') return false;
  const a = typeof actual === 'bigint' ? Number(actual) : actual;
  if (Object.is(expected, a)) return true;
  if (expected === a) return true; // 0 vs -0 inside tensors/sums
  return tol > 0 && Math.abs(a - expected) <= tol * Math.max(1, Math.abs(expected));
}

function sameArray(expected: unknown[], actual: number[]): boolean {
  return expected.length === actual.length && expected.every((e, i) => e === actual[i]);
}

/** The tables a torch object's fields or a container holds, as [key, value] pairs. */
function pairsOf(v: unknown): [unknown, unknown][] | null {
  if (v instanceof LuaTable) return [...v];
  if (v instanceof TorchObject) return [...v.fields];
  if (v instanceof TdsHash) return [...v.entries];
  if (v instanceof TdsVec) return v.values.map((x, i) => [i + 1, x]);
  if (Array.isArray(v)) return v.map((x, i) => [i + 1, x]);
  if (isPlainObject(v)) return Object.entries(v);
  return null;
}

export function compareWithDescription(expected: Description, actual: unknown, options: CompareOptions = {}): string[] {
  const sumTol = options.sumTolerance ?? 1e-9;
  const valTol = options.valueTolerance ?? 0;
  const diffs: string[] = [];
  const root = actual;

  const check = (exp: Description, act: unknown, path: string): void => {
    const bad = (what: string): void => {
      diffs.push(`${path || '$'}: ${what}`);
    };
    switch (exp.kind) {
      case 'nil':
        if (act !== undefined) bad(`expected nil, found ${String(act)}`);
        return;
      case 'boolean':
        if (act !== exp.value) bad(`expected ${exp.value}, found ${String(act)}`);
        return;
      case 'number':
        if (typeof act !== 'number') bad(`expected a number, found ${typeof act}`);
        else if (!numberMatches(exp.value, act, 0)) bad(`expected ${exp.value}, found ${act}`);
        return;
      case 'string':
        if (typeof act !== 'string') bad(`expected a string, found ${typeof act}`);
        else if (hexOf(act) !== exp.hex) bad(`expected hex ${String(exp.hex).slice(0, 80)}, found ${hexOf(act).slice(0, 80)}`);
        return;
      case 'ref': {
        let target: unknown;
        try {
          target = resolvePath(root, parsePath(exp.path as string));
        } catch (e) {
          bad(`reference ${exp.path} does not resolve: ${(e as Error).message}`);
          return;
        }
        if (target !== act) bad(`expected the same object as ${exp.path}, found a different one`);
        return;
      }
      case 'table':
      case 'object': {
        if (exp.kind === 'object') {
          const cls = act instanceof TorchObject || act instanceof TdsHash || act instanceof TdsVec ? act.className : undefined;
          if (cls === undefined) return bad(`expected an object of class ${exp.class}, found ${describeActual(act)}`);
          if (cls !== exp.class) bad(`expected class ${exp.class}, found ${cls}`);
          const ver = (act as { version: number | null }).version;
          if ('version' in exp && exp.version !== ver) bad(`expected version ${exp.version}, found ${ver}`);
        } else if (!(act instanceof LuaTable) && !Array.isArray(act) && !isPlainObject(act)) {
          return bad(`expected a table, found ${describeActual(act)}`);
        }
        const pairs = pairsOf(act)!.filter(([, v]) => v !== undefined);
        if (typeof exp.nEntries === 'number' && pairs.length !== exp.nEntries) bad(`expected ${exp.nEntries} entries, found ${pairs.length}`);
        for (const ent of (exp.entries ?? []) as { key: Description; value: Description }[]) {
          const k = ent.key;
          let match: [unknown, unknown] | undefined;
          let step: string;
          if (k.kind === 'string') {
            match = pairs.find(([key]) => typeof key === 'string' && hexOf(key) === k.hex);
            step = `[s:${k.value}]`;
          } else if (k.kind === 'number') {
            match = pairs.find(([key]) => typeof key === 'number' && numberMatches(k.value, key, 0));
            step = `[n:${k.value}]`;
          } else if (k.kind === 'boolean') {
            match = pairs.find(([key]) => key === k.value);
            step = `[b:${k.value}]`;
          } else if (k.kind === 'ref') {
            let target: unknown;
            try {
              target = resolvePath(root, parsePath(k.path as string));
            } catch {
              target = Symbol('unresolved');
            }
            match = pairs.find(([key]) => key === target);
            step = `[ref:${k.path}]`;
          } else {
            // a table or object key described in full: the first key of that kind that agrees
            match = pairs.find(([key]) => typeof key === 'object' && compareWithDescription(k, key, options).length === 0);
            step = `[${k.kind} key]`;
          }
          if (!match) {
            diffs.push(`${path || '$'}${step}: missing key`);
            continue;
          }
          check(ent.value, match[1], `${path || '$'}${step}`);
        }
        return;
      }
      case 'tensor': {
        if (!(act instanceof Tensor)) return bad(`expected a ${exp.class}, found ${describeActual(act)}`);
        if (act.className() !== exp.class) bad(`expected class ${exp.class}, found ${act.className()}`);
        if (act.dim() !== exp.dim) bad(`expected dim ${exp.dim}, found ${act.dim()}`);
        if (!sameArray(exp.size, act.size())) bad(`expected size [${exp.size}], found [${act.size()}]`);
        if (!sameArray(exp.stride, act.stride())) bad(`expected stride [${exp.stride}], found [${act.stride()}]`);
        if (exp.storageOffset_1based !== undefined && exp.storageOffset_1based !== act.storageOffset()) {
          bad(`expected storage offset ${exp.storageOffset_1based}, found ${act.storageOffset()}`);
        }
        if (exp.storage === null) {
          if (act.hasStorage()) bad('expected no storage, found one');
        } else if (exp.storage) {
          if (!act.hasStorage()) bad('expected a storage, found none');
          else {
            const s = act.storage();
            if (s.className() !== exp.storage.class) bad(`expected a ${exp.storage.class}, found a ${s.className()}`);
            if (s.size() !== exp.storage.size) bad(`expected storage size ${exp.storage.size}, found ${s.size()}`);
          }
        }
        if (exp.nElement !== act.nElement()) bad(`expected ${exp.nElement} elements, found ${act.nElement()}`);
        const st = tensorStats(act);
        if (st) {
          if ('sum' in exp && !numberMatches(exp.sum, st.sum, sumTol)) bad(`expected sum ${exp.sum}, found ${st.sum}`);
          if ('abssum' in exp && !numberMatches(exp.abssum, st.abssum, sumTol)) bad(`expected abssum ${exp.abssum}, found ${st.abssum}`);
          if ('min' in exp && !numberMatches(exp.min, st.min, valTol)) bad(`expected min ${exp.min}, found ${st.min}`);
          if ('max' in exp && !numberMatches(exp.max, st.max, valTol)) bad(`expected max ${exp.max}, found ${st.max}`);
          const vals = logicalValues(act, Math.max((exp.values ?? []).length, (exp.first ?? []).length));
          for (const key of ['first', 'values'] as const) {
            const list = exp[key] as unknown[] | undefined;
            if (!list) continue;
            const i = list.findIndex((e, j) => !numberMatches(e, vals[j]!, valTol));
            if (i >= 0) bad(`${key}[${i + 1}]: expected ${list[i]}, found ${vals[i]}`);
          }
        }
        return;
      }
      case 'storage': {
        if (!(act instanceof Storage)) return bad(`expected a ${exp.class}, found ${describeActual(act)}`);
        if (act.className() !== exp.class) bad(`expected class ${exp.class}, found ${act.className()}`);
        if (act.size() !== exp.size) bad(`expected size ${exp.size}, found ${act.size()}`);
        const d = act.data();
        const at = (i: number): number | bigint => {
          const v = d[i]!;
          return typeof v === 'bigint' ? v : act.type === 'Half' ? halfToNumber(v) : v;
        };
        if ('sum' in exp) {
          let sum = 0;
          for (let i = 0; i < act.size(); i++) sum += Number(at(i));
          if (!numberMatches(exp.sum, sum, sumTol)) bad(`expected sum ${exp.sum}, found ${sum}`);
        }
        const list = (exp.values ?? exp.first) as unknown[] | undefined;
        if (list) {
          const i = list.findIndex((e, j) => j >= act.size() || !numberMatches(e, at(j), valTol));
          if (i >= 0) bad(`element ${i + 1}: expected ${list[i]}, found ${i < act.size() ? at(i) : 'nothing'}`);
        }
        return;
      }
      case 'function': {
        if (!(act instanceof LuaFunction)) return bad(`expected a function, found ${describeActual(act)}`);
        if (act.bytecode.length !== exp.bytecodeLength) bad(`expected ${exp.bytecodeLength} bytes of bytecode, found ${act.bytecode.length}`);
        const magic = Buffer.from(act.bytecode.subarray(0, 4)).toString('hex');
        if (exp.bytecodeMagicHex !== undefined && magic !== exp.bytecodeMagicHex) bad(`expected bytecode magic ${exp.bytecodeMagicHex}, found ${magic}`);
        const ups = act.upvalueList();
        const expUps = (exp.upvalues ?? []) as { name: string; value: Description }[];
        if (ups.length !== expUps.length) bad(`expected ${expUps.length} upvalues, found ${ups.length}`);
        expUps.forEach((u, i) => {
          const a = ups.find((x) => x.name === u.name) ?? ups[i];
          if (!a) return;
          if (a.name !== u.name) bad(`upvalue ${i + 1}: expected name ${u.name}, found ${String(a.name)}`);
          check(u.value, a.value, `${path || '$'}[upvalue:${u.name}]`);
        });
        return;
      }
      default:
        bad(`unknown description kind ${exp.kind}`);
    }
  };

  check(expected, actual, '');
  return diffs;
}

function logicalValues(t: Tensor, n: number): (number | bigint)[] {
  if (n === 0) return [];
  if (t.elementType === 'Long') return t.bigValues().slice(0, n);
  return t.values().slice(0, n);
}

function describeActual(v: unknown): string {
  if (v === undefined) return 'nil';
  if (v instanceof Tensor || v instanceof Storage) return `a ${v.className()}`;
  if (v instanceof TorchObject) return `an object of class ${v.className}`;
  if (v instanceof LuaTable) return 'a table';
  return `a ${typeof v}`;
}
