// Object paths: how errors name the place of a problem and how `mpelu inspect
// --path` selects an object. Syntax: `modules[3].weight`, `["key with spaces"]`,
// `[true]`; the fixtures' sidecar syntax `$[s:modules][n:3][s:weight]` is accepted too.
// A torch object's fields are addressed directly (`modules`, not `fields.modules`).

import { LuaTable } from './lua_table.js';
import { TorchObject } from './torch_object.js';
import { TdsHash, TdsVec } from './tds.js';
import { LuaFunction } from './lua_function.js';
import { Tensor } from '../torch/tensor.js';

/** A step: a table key, or a label for a place that is not a key (`<storage>`). */
export type PathSegment = string | number | boolean | { label: string };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatSegment(seg: PathSegment, first: boolean): string {
  if (typeof seg === 'object') return `${first ? '' : '.'}<${seg.label}>`;
  if (typeof seg === 'string') return IDENT.test(seg) ? `${first ? '' : '.'}${seg}` : `[${JSON.stringify(seg)}]`;
  return `[${String(seg)}]`;
}

/** An object path as `mpelu inspect --path` takes it, e.g. `modules[3].weight`, from its keys. */
export function formatPath(segs: readonly PathSegment[]): string {
  return segs.map((s, i) => formatSegment(s, i === 0)).join('');
}

/** Parses `a.b[3]["x y"][true]` or `$[s:a][n:3]` into keys. */
export function parsePath(text: string): (string | number | boolean)[] {
  const out: (string | number | boolean)[] = [];
  const s = text.trim();
  if (s === '' || s === '$') return out;
  let i = s[0] === '$' ? 1 : 0;
  const err = (why: string): never => {
    throw new SyntaxError(`bad object path '${text}' at character ${i + 1}: ${why}`);
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      const close = (() => {
        if (s[i + 1] === '"') {
          // JSON string key
          let j = i + 2;
          while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
          if (s[j + 1] !== ']') err('expected "]" after a quoted key');
          out.push(JSON.parse(s.slice(i + 1, j + 1)) as string);
          return j + 2;
        }
        const j = s.indexOf(']', i);
        if (j < 0) err('missing "]"');
        const inner = s.slice(i + 1, j);
        const typed = /^([snb]):(.*)$/s.exec(inner);
        if (typed) {
          const [, t, v] = typed as unknown as [string, string, string];
          if (t === 's') out.push(v);
          else if (t === 'n') out.push(Number(v));
          else out.push(v === 'true');
        } else if (inner === 'true' || inner === 'false') out.push(inner === 'true');
        else if (inner.trim() !== '' && !Number.isNaN(Number(inner))) out.push(Number(inner));
        else out.push(inner);
        return j + 1;
      })();
      i = close;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

/** One step into a decoded value; `found` is false when there is no such key. */
export function stepInto(value: unknown, key: string | number | boolean): { found: boolean; value: unknown } {
  let table: LuaTable | undefined;
  if (value instanceof TorchObject) table = value.fields;
  else if (value instanceof LuaTable) table = value;
  else if (value instanceof TdsHash) table = value.entries;
  if (table) return { found: table.has(key), value: table.get(key) };
  if (value instanceof TdsVec || Array.isArray(value)) {
    const arr = value instanceof TdsVec ? value.values : (value as unknown[]);
    const idx = typeof key === 'number' ? key - 1 : -1;
    return { found: Number.isInteger(idx) && idx >= 0 && idx < arr.length, value: arr[idx] };
  }
  if (value instanceof LuaFunction && key === 'upvalues') return { found: true, value: value.upvalues };
  if (value instanceof Tensor && key === 'storage' && value.hasStorage()) return { found: true, value: value.storage() };
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && typeof key === 'string') {
    return { found: Object.prototype.hasOwnProperty.call(value, key), value: (value as Record<string, unknown>)[key] };
  }
  return { found: false, value: undefined };
}

/** The keys of a value stepInto can take, in file order (null when it has none). */
export function keysOf(value: unknown): (string | number | boolean)[] | null {
  let table: LuaTable | undefined;
  if (value instanceof TorchObject) table = value.fields;
  else if (value instanceof LuaTable) table = value;
  if (table) return [...table.keys()].filter((k): k is string | number | boolean => typeof k !== 'object');
  if (value instanceof TdsHash) return [...value.entries.keys()].filter((k): k is string | number | boolean => typeof k !== 'object');
  if (value instanceof TdsVec || Array.isArray(value)) return (value instanceof TdsVec ? value.values : (value as unknown[])).map((_, i) => i + 1);
  if (value instanceof LuaFunction) return ['upvalues'];
  if (value instanceof Tensor) return value.hasStorage() ? ['storage'] : [];
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.keys(value);
  return null;
}

/** "[1] to [4], weight, bias": runs of consecutive integer keys shortened, at most 30 names. */
export function summarizeKeys(keys: readonly (string | number | boolean)[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < keys.length && parts.length < 30) {
    const k = keys[i]!;
    if (typeof k === 'number' && Number.isInteger(k)) {
      let j = i;
      while (j + 1 < keys.length && keys[j + 1] === (keys[j] as number) + 1) j++;
      parts.push(j - i >= 2 ? `[${k}] to [${keys[j]}]` : keys.slice(i, j + 1).map((x) => `[${x}]`).join(', '));
      i = j + 1;
    } else {
      parts.push(formatSegment(k, true));
      i++;
    }
  }
  if (i < keys.length) parts.push(`... ${keys.length - i} more`);
  return parts.join(', ');
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** Why `key` is not in `value`, with what is there. */
function missingKeyHint(value: unknown, key: string | number | boolean): string {
  const keys = keysOf(value);
  if (keys === null) return `it is ${value === undefined ? 'nil' : value instanceof Tensor ? `a ${value.className()}` : `a ${typeof value}`}, which has no keys`;
  if (keys.length === 0) return 'it is empty';
  const hints: string[] = [];
  if (key === 0 && keys.includes(1)) hints.push('indices start at 1, as in Lua');
  if (typeof key === 'number' && Number.isInteger(key) && key > 0) {
    const n = keys.filter((k) => typeof k === 'number').length;
    if (n > 0 && !keys.includes(key)) hints.push(`it has ${n} numbered entr${n === 1 ? 'y' : 'ies'}`);
  }
  if (typeof key === 'string') {
    const close = keys.filter((k): k is string => typeof k === 'string' && distance(k, key) <= Math.max(1, Math.floor(key.length / 3)));
    if (close.length) hints.push(`did you mean ${close.slice(0, 3).join(' or ')}?`);
    if (/^\d+$/.test(key) && keys.includes(Number(key))) hints.push(`numbered entries are written [${key}]`);
  }
  hints.push(`its keys: ${summarizeKeys(keys)}`);
  return hints.join('; ');
}

/** The value at `path` under `root`; throws naming the first missing step, with the keys that exist. */
export function resolvePath(root: unknown, path: string | (string | number | boolean)[]): unknown {
  const keys = typeof path === 'string' ? parsePath(path) : path;
  let cur = root;
  for (let i = 0; i < keys.length; i++) {
    const r = stepInto(cur, keys[i]!);
    if (!r.found) {
      const where = formatPath(keys.slice(0, i)) || '(root)';
      throw new RangeError(`no ${formatSegment(keys[i]!, true).replace(/^\./, '')} in ${where}: ${missingKeyHint(cur, keys[i]!)}`);
    }
    cur = r.value;
  }
  return cur;
}
