// `mpelu inspect FILE.t7`: what a .t7 file holds. Torch objects print as their class
// and fields (nn modules in Torch's print(model) format through their __tostring__),
// tensors as type, sizes and min/max/mean/std, tables as a tree. --json gives the
// sidecar-format description; --path 'modules[2].weight' narrows to one object.

import { statSync } from 'node:fs';
import { UnknownModule } from '../nn/index.js';
import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { halfToNumber } from '../torch/types.js';
import { describe, tensorStats } from '../t7/describe.js';
import { loadWithInfo, type ReadOptions } from '../t7/index.js';
import { toPlainJson } from '../t7/plain_json.js';
import { storageToString, tensorToString } from '../torch/tensor_print.js';
import { LuaFunction } from '../t7/lua_function.js';
import { LuaTable } from '../t7/lua_table.js';
import { formatG } from '../t7/number_format.js';
import { formatPath, parsePath, resolvePath, type PathSegment } from '../t7/path.js';
import { TdsHash, TdsVec } from '../t7/tds.js';
import { TorchObject } from '../t7/torch_object.js';

export interface InspectOptions {
  /** true: the plain JSON (plain_json.ts); 'exact': the lossless sidecar description. */
  json?: boolean | 'exact';
  path?: string;
  /** Table levels to expand (default 6). */
  depth?: number;
  /** Entries shown per table (default 100). */
  maxEntries?: number;
  longSize?: 4 | 8;
  /** Read a binary file as big-endian whatever its first bytes say. */
  bigEndian?: boolean;
  /** Print every value of a tensor, however many (default: up to MAX_VALUES). */
  full?: boolean;
  /** List the fields of a module at the root instead of its one-line print. */
  fields?: boolean;
}

/** Tensors up to this many elements are printed value by value, as Torch does. */
export const MAX_VALUES = 1000;

function num(x: number): string {
  return formatG(x, 6);
}

function luaString(s: string, max = 200): string {
  const shown = s.length > max ? s.slice(0, max) : s;
  // printable ASCII as is, other bytes escaped the way Lua's %q does
  const body = shown.replace(/[\x00-\x1f"\\\x7f-\xff]/g, (c) => {
    if (c === '"') return '\\"';
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    return `\\${c.charCodeAt(0)}`;
  });
  return `"${body}"${s.length > max ? `... (${s.length} bytes)` : ''}`;
}

export function tensorSummary(t: Tensor): string {
  const sizes = t.size();
  const head = `${t.className()} of size ${sizes.length ? sizes.join('x') : '0 (no dimension)'}`;
  const extras: string[] = [];
  if (!t.hasStorage()) extras.push('no storage');
  else if (!t.isContiguous() || t.storageOffset() !== 1 || t.storage().size() !== t.nElement()) {
    extras.push(`view: stride ${t.stride().join('x') || '-'}, offset ${t.storageOffset()}, storage of ${t.storage().size()}`);
  }
  const st = tensorStats(t);
  if (st) extras.push(`min ${numOrBig(st.min)}, max ${numOrBig(st.max)}, mean ${num(st.mean)}, std ${num(st.std)}`);
  return extras.length ? `${head} [${extras.join('; ')}]` : head;
}

function numOrBig(v: number | bigint): string {
  return typeof v === 'bigint' ? v.toString() : num(v);
}

function storageSummary(s: Storage): string {
  const n = s.size();
  if (n === 0) return `${s.className()} of size 0`;
  const d = s.data();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i]!;
    const x = typeof v === 'bigint' ? Number(v) : s.type === 'Half' ? halfToNumber(v) : v;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return `${s.className()} of size ${n} [min ${num(min)}, max ${num(max)}, mean ${num(sum / n)}]`;
}

function keyText(k: unknown): string {
  if (typeof k === 'string') return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : luaString(k, 60);
  if (typeof k === 'number') return formatG(k, 14);
  if (typeof k === 'boolean') return `[${k}]`;
  if (k instanceof Tensor) return `[${k.className()}]`;
  return `[${k instanceof TorchObject ? k.className : 'table'}]`;
}

/** The text `mpelu inspect` prints for a value. */
export function inspectText(value: unknown, options: InspectOptions = {}): string {
  const maxDepth = options.depth ?? 6;
  const maxEntries = options.maxEntries ?? 100;
  const seen = new Map<object, string>();

  const show = (v: unknown, segs: PathSegment[], indent: string, depth: number): string => {
    // with options.fields the root module lists its fields instead of printing itself
    const expand = depth === 0 && options.fields === true;
    if (v === undefined || v === null) return 'nil';
    if (typeof v === 'number') return formatG(v, 14);
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'string') return luaString(v);
    if (typeof v !== 'object') return String(v);
    const at = seen.get(v);
    if (at !== undefined) return `<same as ${at || '(root)'}>`;
    seen.set(v, formatPath(segs));
    if (v instanceof Tensor) return tensorSummary(v);
    if (v instanceof Storage) return storageSummary(v);
    if (v instanceof LuaFunction) {
      const ups = v.upvalueList();
      const names = ups.map((u) => (typeof u.name === 'string' ? u.name : '?')).join(', ');
      const magic = v.bytecode[0] === 0x1b && v.bytecode[1] === 0x4c && v.bytecode[2] === 0x4a ? 'LuaJIT ' : '';
      return `function (${v.bytecode.length} bytes of ${magic}bytecode, not run; ${ups.length} upvalue${ups.length === 1 ? '' : 's'}${names ? `: ${names}` : ''})`;
    }
    const tostring = (v as { __tostring__?: unknown }).__tostring__;
    // A module class mpelu does not implement only knows its name: show its fields instead.
    if (typeof tostring === 'function' && !(v instanceof UnknownModule) && !expand) {
      return String(tostring.call(v)).replace(/\n/g, `\n${indent}`);
    }
    let title: string;
    let pairs: [unknown, unknown][];
    if (v instanceof TorchObject) {
      title = `${v.className}${v.version === null ? '' : ` (V ${formatG(v.version, 14)})`}`;
      if (expand && typeof tostring === 'function') title = String(tostring.call(v)).split('\n')[0]!;
      pairs = [...v.fields];
    } else if (v instanceof TdsHash) {
      title = `tds.Hash[${v.size}]`;
      pairs = [...v.entries];
    } else if (v instanceof TdsVec) {
      title = `tds.Vec[${v.length}]`;
      pairs = v.values.map((x, i) => [i + 1, x]);
    } else if (v instanceof LuaTable) {
      title = '';
      pairs = [...v];
    } else if (Array.isArray(v)) {
      title = '';
      pairs = v.map((x, i) => [i + 1, x]);
    } else {
      title = '';
      pairs = Object.entries(v as Record<string, unknown>);
    }
    const open = title ? `${title} {` : '{';
    if (pairs.length === 0) return `${open}}`;
    if (depth >= maxDepth) return `${open} ... ${pairs.length} entries }`;
    const inner = `${indent}  `;
    const lines = pairs.slice(0, maxEntries).map(([k, x]) => {
      const seg: PathSegment = typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean' ? k : { label: 'key' };
      return `${inner}${keyText(k)} : ${show(x, [...segs, seg], inner, depth + 1)}`;
    });
    if (pairs.length > maxEntries) lines.push(`${inner}... ${pairs.length - maxEntries} more entries`);
    return `${open}\n${lines.join('\n')}\n${indent}}`;
  };

  return show(value, [], '', 0);
}

/** A tensor or storage as Torch's print shows it, then mpelu's summary line; big ones only summarized. */
function valuesText(v: Tensor | Storage, full: boolean): string {
  const n = v instanceof Tensor ? v.nElement() : v.size();
  const summary = v instanceof Tensor ? tensorSummary(v) : storageSummary(v);
  if (v instanceof Tensor && !v.hasStorage()) return summary;
  if (n > MAX_VALUES && !full) return `${summary}\n(${n} values; --full prints them all as Torch's print does)`;
  return `${v instanceof Tensor ? tensorToString(v) : storageToString(v).replace(/^\n/, '')}\n${summary}`;
}

/** What `mpelu inspect` prints for a file ('-' for standard input). */
export function inspectFile(file: string, options: InspectOptions = {}): string {
  const read: ReadOptions = {};
  if (options.longSize) read.longSize = options.longSize;
  if (options.bigEndian) read.endianness = 'big';
  const info = loadWithInfo(file, read);
  let value = info.value;
  const keys = options.path ? parsePath(options.path) : [];
  if (keys.length) value = resolvePath(info.value, keys);
  const size = file === '-' ? info.bytesRead : statSync(file).size;
  if (options.json) {
    const binary = info.format === 'binary';
    const head = { file, bytes: size, format: info.format, longSize: binary ? info.longSize : undefined, endianness: binary ? info.endianness : undefined, path: options.path };
    if (options.json === 'exact') return JSON.stringify({ ...head, object: describe(value) }, null, 1);
    return JSON.stringify({ ...head, value: toPlainJson(value, { maxValues: options.full ? Infinity : MAX_VALUES }) }, null, 1);
  }
  const layout = info.format === 'binary' ? `, ${info.endianness === 'big' ? 'big-endian, ' : ''}${info.longSize}-byte longs` : '';
  const head = `${file}: ${info.format}${layout}, ${size} bytes${options.path ? `; ${formatPath(keys)}` : ''}`;
  if (value instanceof Tensor || value instanceof Storage) return `${head}\n${valuesText(value, options.full === true)}`;
  // --path to a module: its fields, th-style, under its print line
  return `${head}\n${inspectText(value, { ...options, fields: options.fields ?? keys.length > 0 })}`;
}
