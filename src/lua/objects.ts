// The one metatable of light userdata (= every JS object Lua holds): each metamethod
// finds the object's kind and delegates to it.

import { lua, lauxlib, lit, pushString, type LuaState } from './fengari.js';
import type { Bridge, ObjectKind } from './bridge.js';
import { LuaTable } from '../t7/lua_table.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export function installObjectMetatable(b: Bridge): void {
  const L = b.L;
  // Handlers use the L they are called with: inside a coroutine that is the coroutine's state.
  const kindAt = (L: LuaState, idx: number): [any, ObjectKind | undefined] => {
    const obj = lua.lua_touserdata(L, idx);
    return [obj, b.kindOf(obj)];
  };
  const mt: Record<string, (L: LuaState) => number> = {
    __index: b.raw((L: LuaState) => {
      const [obj, kind] = kindAt(L, 1);
      if (kind?.index) return kind.index(L, obj);
      return genericIndex(b, obj);
    }),
    __newindex: b.raw((L: LuaState) => {
      const [obj, kind] = kindAt(L, 1);
      if (!kind?.newindex) throw new Error(`cannot set a field of a ${kind?.name ?? describeJs(obj)}`);
      kind.newindex(L, obj);
      return 0;
    }),
    __tostring: b.raw((L: LuaState) => {
      const [obj, kind] = kindAt(L, 1);
      pushString(L, kind?.tostring ? kind.tostring(obj) : describeJs(obj));
      return 1;
    }),
    __len: b.raw((L: LuaState) => {
      const [obj, kind] = kindAt(L, 1);
      if (!kind?.len) throw new Error(`attempt to get length of a ${kind?.name ?? 'userdata'} value`);
      return b.pushResult(kind.len(obj));
    }),
    __pairs: b.raw((L: LuaState) => {
      const [obj, kind] = kindAt(L, 1);
      if (!kind?.pairs) throw new Error(`bad argument #1 to 'pairs' (table expected, got ${kind?.name ?? 'userdata'})`);
      const it = kind.pairs(obj);
      lua.lua_pushcfunction(L, b.raw((L: LuaState) => {
        const r = it.next();
        if (r.done) {
          lua.lua_pushnil(L);
          return 1;
        }
        b.push(r.value[0]);
        b.push(r.value[1]);
        return 2;
      }));
      lua.lua_pushvalue(L, 1);
      lua.lua_pushnil(L);
      return 3;
    }),
    __call: b.raw((L: LuaState) => {
      const [obj, kind] = kindAt(L, 1);
      if (!kind?.call) throw new Error(`attempt to call a ${kind?.name ?? 'userdata'} value`);
      return kind.call(L, obj);
    }),
  };
  for (const op of ['add', 'sub', 'mul', 'div', 'mod', 'pow', 'unm', 'concat'] as const) {
    mt['__' + op] = b.raw((L: LuaState) => {
      const a = b.get(1);
      const c = b.get(2);
      const kindA = typeof a === 'object' ? b.kindOf(a) : undefined;
      const kindC = typeof c === 'object' ? b.kindOf(c) : undefined;
      const f = kindA?.arith?.[op] ?? kindC?.arith?.[op];
      if (!f) throw new Error(`attempt to perform arithmetic (${op}) on a ${(kindA ?? kindC)?.name ?? 'userdata'} value`);
      return b.pushResult(f(a, c));
    });
  }
  lua.lua_pushlightuserdata(L, null);
  lua.lua_createtable(L, 0, Object.keys(mt).length);
  for (const [name, fn] of Object.entries(mt)) {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, lit(name));
  }
  lua.lua_setmetatable(L, -2);
  lua.lua_pop(L, 1);
}

/** obj[key] for a plain JS object: its methods (called with obj as this) and properties. */
export function genericIndex(b: Bridge, obj: any): number {
  const key = b.get(2);
  if (typeof key !== 'string') return b.pushResult(null);
  const v = obj[key];
  if (typeof v === 'function') {
    lua.lua_pushcfunction(b.L, b.wrap((self: any, ...args: unknown[]) => v.apply(self, args)));
    return 1;
  }
  b.push(v);
  return 1;
}

export function describeJs(obj: unknown): string {
  if (obj === null) return 'null';
  return (obj as object)?.constructor?.name ?? typeof obj;
}

/** JS arrays (tables of activations) and LuaTables (field tables) as Lua tables. */
export function tableKinds(b: Bridge): ObjectKind[] {
  const arrayKind: ObjectKind = {
    name: 'table',
    luaType: 'table',
    matches: (o) => Array.isArray(o),
    index: (L, arr: unknown[]) => {
      const k = b.get(2);
      if (typeof k === 'number') b.push(arr[k - 1]);
      else if (k === 'n') b.push(undefined);
      else lua.lua_pushnil(L);
      return 1;
    },
    newindex: (_L, arr: unknown[]) => {
      const k = b.get(2);
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw new Error(`a table of activations takes integer keys, got ${String(k)}`);
      const v = b.get(3);
      if (v === undefined && k === arr.length) arr.pop();
      else arr[k - 1] = v;
    },
    len: (arr: unknown[]) => arr.length,
    pairs: (arr: unknown[]) => arr.map((v, i) => [i + 1, v] as [unknown, unknown]).filter(([, v]) => v !== undefined)[Symbol.iterator](),
    tostring: () => 'table',
  };
  const luaTableKind: ObjectKind = {
    name: 'table',
    luaType: 'table',
    matches: (o) => o instanceof LuaTable,
    index: (_L, t: LuaTable) => {
      b.push(t.get(b.get(2)));
      return 1;
    },
    newindex: (_L, t: LuaTable) => {
      const k = b.get(2);
      if (k === undefined) throw new Error('table index is nil');
      t.set(k, b.get(3));
    },
    len: (t: LuaTable) => t.length(),
    pairs: (t: LuaTable) => [...t.entries()][Symbol.iterator](),
    tostring: () => 'table',
  };
  return [arrayKind, luaTableKind];
}

export function typeName(b: Bridge, L: LuaState, idx: number): string {
  if (lua.lua_type(L, idx) === lua.LUA_TLIGHTUSERDATA) {
    const kind = b.kindOf(lua.lua_touserdata(L, idx));
    return kind?.luaType ?? 'userdata';
  }
  return String.fromCharCode(...lauxlib.luaL_typename(L, idx));
}
