// Tensors, storages and generators in Lua: Torch's indexing (t[1], t[{{1,2},3}],
// t[mask]), operators (+ - * / unary -, # ), every Tensor method with LongStorage sizes,
// and the torch.* constructors and functions.

import { lua, type LuaState } from './fengari.js';
import { LuaPlain, Multi, type Bridge, type ObjectKind } from './bridge.js';
import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { Generator } from '../torch/random.js';
import { torch } from '../torch/index.js';
import type { TensorType } from '../torch/types.js';
import { LuaTable } from '../t7/lua_table.js';
import { storageToString, tensorToString } from './tensor_format.js';
import { cdataOf } from './thnn.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A LongStorage holding sizes (what t:size() returns in Lua). */
export function longStorage(values: readonly number[]): Storage {
  const s = new Storage('Long', values.length);
  values.forEach((v, i) => s.setNumber(i, v));
  return s;
}

function storageValues(s: Storage): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.size(); i++) out.push(s.getNumber(i));
  return out;
}

/** Sizes given as numbers, a LongStorage or a table of numbers. */
export function sizeArgs(args: unknown[]): unknown[] {
  if (args.length >= 1 && args[0] instanceof Storage) return [...storageValues(args[0]), ...args.slice(1)];
  if (args.length === 1 && Array.isArray(args[0]) && args[0].every((x) => typeof x === 'number')) return args[0];
  return args;
}

/**
 * Tensor methods Lua does not see: the TS class's internal helpers, and unsqueeze, which
 * Torch7's tensors do not have (scripts test for it: type(t.unsqueeze) is nil in th).
 */
const hiddenMethods = new Set(
  ('real realBig roundFn readFn writeFn forEachNumber requireFloating checkCount fromSource caddFrom cextreme unary ' +
    'floatingUnary map1 map1K zip2 zip3 checkMask byteValues slices extremeAll extremeDim moment compare selectAlong ' +
    'indexPositions checkMatrices gemm randomTarget realArg toTF toTFNHWC setTF checkDim checkSameType checkInStorage ' +
    'elementIndex deviceDtype readsFromDevice deviceSlice gatherForDevice newTensor asTensor unsqueeze constructor').split(' '),
);

const sizeMethods = new Set(['resize', 'view', 'reshape', 'expand', 'zeros', 'ones', 'rand', 'randn', 'new']);

/** What a Tensor method returns, as Lua sees it. */
function tensorReturn(name: string, r: unknown): unknown {
  if ((name === 'size' || name === 'stride') && Array.isArray(r)) return longStorage(r as number[]);
  if (Array.isArray(r) && r.length > 0 && r.every((x) => x instanceof Tensor)) return new Multi(r);
  if (typeof r === 'bigint') return Number(r);
  return r;
}

/** Bounds of one index-table entry: a number selects, {a, b} / {a} / {} narrows. */
function subTensor(t: Tensor, spec: unknown[]): Tensor | number {
  let out = t;
  let d = 1;
  const dims = t.dim();
  if (spec.length > dims) throw new Error(`too many indices provided (${spec.length}) for a tensor of dimension ${dims}`);
  if (spec.length === dims && spec.every((x) => typeof x === 'number')) {
    return t.get(...(spec as number[]).map((x, i) => (x < 0 ? (t.size(i + 1) as number) + x + 1 : x)));
  }
  for (const s of spec) {
    const size = out.size(d) as number;
    if (typeof s === 'number') {
      out = out.select(d, s < 0 ? size + s + 1 : s);
      continue;
    }
    const range = Array.isArray(s) ? (s as number[]) : s instanceof LuaTable ? (s.toArray() as number[]) : [];
    let a = range[0] ?? 1;
    let b = range.length >= 2 ? range[1]! : range.length === 1 ? a : size;
    if (a < 0) a = size + a + 1;
    if (b < 0) b = size + b + 1;
    out = out.narrow(d, a, b - a + 1);
    d++;
  }
  return out;
}

function assign(view: Tensor, v: unknown): void {
  if (v instanceof Tensor) view.copy(v);
  else view.fill(Number(v));
}

function isMask(x: unknown): x is Tensor {
  return x instanceof Tensor && x.className().endsWith('ByteTensor');
}

/** `fields`: values a tensor shows under a name (t.THNN), by the tensor. */
export function tensorKind(b: Bridge, fields = new Map<string, (t: Tensor) => unknown>()): ObjectKind {
  // t.new is the tensor type's constructor (Torch: x.new(3, 4) sizes, x:new() views x's storage).
  const newFns = new Map<TensorType, (L: LuaState) => number>();
  const newFor = (type: TensorType) => {
    let f = newFns.get(type);
    if (!f) {
      f = b.wrap((...args: unknown[]) => makeTensor(type, args));
      newFns.set(type, f);
    }
    return f;
  };
  const methods = new Map<string, (L: LuaState) => number>();
  const method = (name: string) => {
    let f = methods.get(name);
    if (!f) {
      f = b.wrap((self: any, ...args: unknown[]) => {
        if (!(self instanceof Tensor)) throw new Error(`bad argument #1 to '${name}' (torch.*Tensor expected, got ${self === undefined ? 'no value' : typeof self})`);
        const fn = (self as any)[name];
        if (sizeMethods.has(name)) args = sizeArgs(args);
        return tensorReturn(name, fn.apply(self, args));
      });
      methods.set(name, f);
    }
    return f;
  };
  const extra: Record<string, (self: Tensor, ...a: any[]) => unknown> = {
    cdata: (self) => cdataOf(self),
    isTensor: () => true,
    long: (self) => self.long(),
    totable: (self) => new LuaPlain(self.totable()),
    map2: (self, a: Tensor, c: Tensor, fn: (x: number, y: number, z: number) => unknown) => {
      const n = self.nElement();
      if (a.nElement() !== n || c.nElement() !== n) throw new Error(`map2: the three tensors should have the same number of elements (${n}, ${a.nElement()}, ${c.nElement()})`);
      const av = a.contiguous().values();
      const cv = c.contiguous().values();
      const sv = self.contiguous().values();
      const res = sv.map((x, i) => {
        const r = fn(x, av[i]!, cv[i]!);
        return r === undefined || r === null ? x : Number(r);
      });
      if (n > 0) self.copy(Tensor.fromArray(self.elementType, res).view(...(self.size() as number[])));
      return self;
    },
    repeatTensor: (self, ...reps: unknown[]) => repeatTensor(self, sizeArgs(reps) as number[]),
    permute: (self, ...dims: number[]) => {
      let out = self;
      const order = dims.slice();
      // a sequence of transpositions that puts dimension order[i] at i
      const cur = order.map((_, i) => i + 1);
      for (let i = 0; i < order.length; i++) {
        const j = cur.indexOf(order[i]!);
        if (j !== i) {
          out = out.transpose(i + 1, j + 1);
          [cur[i], cur[j]] = [cur[j]!, cur[i]!];
        }
      }
      return out;
    },
    nElement: (self) => self.nElement(),
    resize: (self, ...a) => self.resize(...(sizeArgs(a) as number[])),
    fill: (self, v) => self.fill(Number(v)),
  };
  const extraFns = new Map(Object.entries(extra).map(([k, f]) => [k, b.wrap(f)]));

  const symbol = { add: '+', sub: '-', mul: '*', div: '/' } as const;
  /** A Lua number operand (numbers and numeric strings, as lua_isnumber takes them). */
  const operand = (op: keyof typeof symbol, t: Tensor, v: unknown): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (typeof v === 'number' || !Number.isNaN(n)) return n;
    const what = v === undefined || v === null ? 'nil' : typeof v === 'object' ? 'table' : typeof v === 'boolean' ? 'boolean' : typeof v;
    throw new Error(`invalid arguments to '${symbol[op]}': ${t.className().replace('torch.', '')} and ${what} (expected a number or a tensor)`);
  };
  const binary = (op: 'add' | 'sub' | 'mul' | 'div') => (a: unknown, c: unknown): unknown => {
    if (a instanceof Tensor && c instanceof Tensor) {
      if (op === 'mul') return matmul(a, c);
      const r = a.clone();
      return op === 'add' ? r.add(c) : op === 'sub' ? r.add(-1, c) : r.cdiv(c);
    }
    if (a instanceof Tensor) {
      const n = operand(op, a, c);
      const r = a.clone();
      return op === 'add' ? r.add(n) : op === 'sub' ? r.add(-n) : op === 'mul' ? r.mul(n) : r.div(n);
    }
    const t = c as Tensor;
    const n = operand(op, t, a);
    if (op === 'add') return t.clone().add(n);
    if (op === 'sub') return t.clone().mul(-1).add(n);
    if (op === 'mul') return t.clone().mul(n);
    throw new Error('attempt to divide a number by a tensor');
  };

  return {
    name: 'tensor',
    matches: (o) => o instanceof Tensor,
    index: (L, t: Tensor) => {
      const kt = lua.lua_type(L, 2);
      if (kt === lua.LUA_TSTRING) {
        const key = b.get(2) as string;
        const f = key === 'new' ? newFor(t.elementType) : extraFns.get(key);
        if (f) lua.lua_pushcfunction(L, f);
        else if (typeof (t as any)[key] === 'function' && !hiddenMethods.has(key)) lua.lua_pushcfunction(L, method(key));
        else if (fields.has(key)) b.push(fields.get(key)!(t));
        else lua.lua_pushnil(L);
        return 1;
      }
      const k = b.get(2);
      if (typeof k === 'number') {
        const n = t.size(1) as number;
        const i = k < 0 ? n + k + 1 : k;
        if (t.dim() === 1) return b.pushResult(t.get(i));
        return b.pushResult(t.select(1, i));
      }
      if (isMask(k)) return b.pushResult(t.maskedSelect(k));
      if (k instanceof Tensor) return b.pushResult(t.index(1, k));
      if (Array.isArray(k) || k instanceof LuaTable) return b.pushResult(subTensor(t, Array.isArray(k) ? k : k.toArray()));
      lua.lua_pushnil(L);
      return 1;
    },
    newindex: (_L, t: Tensor) => {
      const k = b.get(2);
      const v = b.get(3);
      if (typeof k === 'number') {
        const n = t.size(1) as number;
        const i = k < 0 ? n + k + 1 : k;
        if (t.dim() === 1) t.put(i, Number(v));
        else assign(t.select(1, i), v);
        return;
      }
      if (isMask(k)) {
        if (v instanceof Tensor) maskedCopy(t, k, v);
        else t.maskedFill(k, Number(v));
        return;
      }
      if (Array.isArray(k) || k instanceof LuaTable) {
        const spec = Array.isArray(k) ? k : k.toArray();
        const view = subTensor(t, spec);
        if (typeof view === 'number') t.put(...(spec as number[]), Number(v));
        else assign(view, v);
        return;
      }
      throw new Error(`a tensor takes number or table indices, got ${typeof k}`);
    },
    tostring: (t: Tensor) => tensorToString(t),
    len: (t: Tensor) => longStorage(t.size() as number[]),
    arith: {
      add: binary('add'),
      sub: binary('sub'),
      mul: binary('mul'),
      div: binary('div'),
      unm: (a) => (a as Tensor).clone().mul(-1),
    },
  };
}

function matmul(a: Tensor, c: Tensor): unknown {
  if (a.dim() === 1 && c.dim() === 1) return a.dot(c);
  if (a.dim() === 2 && c.dim() === 1) return a.new().resize(a.size(1) as number).mv(a, c);
  if (a.dim() === 2 && c.dim() === 2) return a.new().resize(a.size(1) as number, c.size(2) as number).mm(a, c);
  throw new Error(`multiplication between ${a.dim()}D and ${c.dim()}D tensors not yet supported`);
}

function maskedCopy(t: Tensor, mask: Tensor, src: Tensor): void {
  const m = mask.values();
  const s = src.contiguous().values();
  const flat = t.dim() === 1 ? t : t.view(t.nElement());
  let j = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) flat.put(i + 1, s[j++]!);
}

export function storageKind(b: Bridge): ObjectKind {
  return {
    name: 'storage',
    matches: (o) => o instanceof Storage,
    index: (L, s: Storage) => {
      const k = b.get(2);
      if (typeof k === 'number') return b.pushResult(s.getNumber(k - 1));
      if (typeof k === 'string') {
        const extra: Record<string, (...a: any[]) => unknown> = {
          size: () => s.size(),
          totable: () => new LuaPlain(storageValues(s)),
          fill: (_self: unknown, v: number) => s.fill(v),
          resize: (_self: unknown, n: number) => s.resize(n),
          copy: (_self: unknown, src: Storage | Tensor) => {
            const vals = src instanceof Storage ? storageValues(src) : src.contiguous().values();
            vals.forEach((v, i) => s.setNumber(i, Number(v)));
            return s;
          },
          data: () => s,
        };
        const f = extra[k];
        if (f) {
          lua.lua_pushcfunction(L, b.wrap(f));
          return 1;
        }
        const m = (s as any)[k];
        if (typeof m === 'function') {
          lua.lua_pushcfunction(L, b.wrap((self: any, ...a: unknown[]) => m.apply(self, a)));
          return 1;
        }
      }
      lua.lua_pushnil(L);
      return 1;
    },
    newindex: (_L, s: Storage) => {
      s.setNumber(Number(b.get(2)) - 1, Number(b.get(3)));
    },
    len: (s: Storage) => s.size(),
    tostring: (s: Storage) => storageToString(s),
    pairs: (s: Storage) => storageValues(s).map((v, i) => [i + 1, v] as [unknown, unknown])[Symbol.iterator](),
  };
}

export function generatorKind(): ObjectKind {
  return { name: 'torch.Generator', matches: (o) => o instanceof Generator, tostring: () => 'torch.Generator' };
}

const tensorTypes: [string, TensorType][] = [
  ['Byte', 'Byte'], ['Char', 'Char'], ['Short', 'Short'], ['Int', 'Int'], ['Long', 'Long'], ['Float', 'Float'], ['Double', 'Double'], ['Half', 'Half'],
];

/** torch.XTensor(...) with Lua's argument forms. */
export function makeTensor(type: TensorType, args: unknown[]): Tensor {
  const first = args[0];
  if (first === undefined) return new Tensor(type);
  if (first instanceof Storage) {
    if (first.className().endsWith('LongStorage') && type !== 'Long' && args.length === 1) return Tensor.create(type, storageValues(first));
    const [, offset = 1, sizes, strides] = args as [Storage, number?, unknown?, unknown?];
    if (sizes === undefined) return new Tensor(type).set(first, offset);
    return new Tensor(type).set(first, offset, sizeList(sizes), strides === undefined ? undefined : sizeList(strides));
  }
  if (first instanceof Tensor) return new Tensor(type).set(first);
  if (Array.isArray(first)) return Tensor.fromArray(type, first as any);
  if (first instanceof LuaTable) return Tensor.fromArray(type, first.toArray() as any);
  return Tensor.create(type, args.map(Number));
}

function sizeList(x: unknown): number[] {
  if (x instanceof Storage) return storageValues(x);
  if (Array.isArray(x)) return x.map(Number);
  if (x instanceof LuaTable) return x.toArray().map(Number);
  throw new Error(`sizes should be a LongStorage or a table, got ${typeof x}`);
}

export function makeStorage(type: TensorType, args: unknown[]): Storage {
  const first = args[0];
  if (first === undefined) return new Storage(type, 0);
  if (Array.isArray(first) || first instanceof LuaTable) {
    const vals = Array.isArray(first) ? first : first.toArray();
    const s = new Storage(type, vals.length);
    vals.forEach((v, i) => s.setNumber(i, Number(v)));
    return s;
  }
  return new Storage(type, Number(first));
}

/** How many arguments each torch.f takes without a result tensor in front. */
const plainArity: Record<string, number> = {
  cmul: 2, cdiv: 2, mul: 2, div: 2, mm: 2, mv: 2, ger: 2, dot: 2, pow: 2, cmax: 2, cmin: 2, clamp: 3,
  abs: 1, exp: 1, log: 1, log1p: 1, sqrt: 1, tanh: 1, sigmoid: 1, floor: 1, ceil: 1, round: 1, neg: 1, sign: 1, cinv: 1, rsqrt: 1,
  csub: 2,
};

/** Torch's result-first call: torch.cmul(res, a, b), torch.add(res, a, b), ... */
function isResultFirst(name: string, args: unknown[]): boolean {
  if (!(args[0] instanceof Tensor)) return false;
  if (name === 'add') return args.length === 3 ? args[1] instanceof Tensor : args.length === 4;
  const n = plainArity[name];
  return n !== undefined && args.length > n;
}

/** Torch's repeatTensor: the tensor tiled sizes[i] times along each dimension. */
export function repeatTensor(t: Tensor, reps: number[]): Tensor {
  const sizes = t.size() as number[];
  const dims = Math.max(reps.length, sizes.length);
  const src = t.contiguous().view(...Array(dims - sizes.length).fill(1), ...sizes);
  const srcSizes = src.size() as number[];
  const full = reps.length < dims ? [...Array(dims - reps.length).fill(1), ...reps] : reps;
  const out = t.new().resize(...srcSizes.map((s, i) => s * full[i]!));
  const count = full.reduce((a, c) => a * c, 1);
  for (let k = 0; k < count; k++) {
    let rest = k;
    let view = out;
    for (let d = dims - 1; d >= 0; d--) {
      const idx = rest % full[d]!;
      rest = Math.floor(rest / full[d]!);
      view = view.narrow(d + 1, idx * srcSizes[d]! + 1, srcSizes[d]!);
    }
    view.copy(src);
  }
  return out;
}

/** The torch functions Lua calls as torch.f(...): TS's own, with Lua's returns. */
export function torchFunctions(): Record<string, (...a: any[]) => unknown> {
  const out: Record<string, (...a: any[]) => unknown> = {};
  const skip = new Set(['Tensor', 'isTensor', 'isStorage', 'setdefaulttensortype', 'getdefaulttensortype', 'Generator']);
  for (const [name, fn] of Object.entries(torch)) {
    if (skip.has(name) || typeof fn !== 'function' || /Tensor$|Storage$/.test(name)) continue;
    const f = fn as (...a: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      if (['zeros', 'ones', 'rand', 'randn'].includes(name)) args = sizeArgs(args);
      if (isResultFirst(name, args)) {
        const res = args[0] as Tensor;
        const r = f(...args.slice(1));
        if (r instanceof Tensor) {
          res.resizeAs(r).copy(r);
          return res;
        }
        return tensorReturn(name, r);
      }
      try {
        return tensorReturn(name, f(...args));
      } catch (e) {
        // Torch's result-first form: torch.add(res, a, b) writes a + b into res
        const res = args[0];
        if (!(res instanceof Tensor) || args.length < 2) throw e;
        let r: unknown;
        try {
          r = f(...args.slice(1));
        } catch {
          throw e;
        }
        if (!(r instanceof Tensor)) throw e;
        res.resizeAs(r).copy(r);
        return res;
      }
    };
  }
  for (const [short, type] of tensorTypes) {
    out[`${short}Tensor`] = (...args: unknown[]) => makeTensor(type, args);
    out[`${short}Storage`] = (...args: unknown[]) => makeStorage(type, args);
  }
  out.Tensor = (...args: unknown[]) => makeTensor(defaultTensorType(), args);
  out.Storage = (...args: unknown[]) => makeStorage(defaultTensorType(), args);
  out.isTensor = (x: unknown) => x instanceof Tensor;
  out.isStorage = (x: unknown) => x instanceof Storage;
  out.setdefaulttensortype = (name: string) => torch.setdefaulttensortype(name);
  out.getdefaulttensortype = () => torch.getdefaulttensortype();
  out.Generator = () => new Generator();
  out.eye = (n: number, m: number = n) => {
    const t = Tensor.create(defaultTensorType(), [n, m]).zero();
    for (let i = 1; i <= Math.min(n, m); i++) t.put(i, i, 1);
    return t;
  };
  return out;
}
