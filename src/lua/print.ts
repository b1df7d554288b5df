// trepl's print: scalars followed by a TAB, tables and userdata on their own (tables
// printed recursively, four levels deep), a newline at the end unless the last
// argument was a table or userdata; print() writes nothing.

import { lua, lauxlib, lit, luaBytes, bytesString, type LuaState } from './fengari.js';
import type { Bridge } from './bridge.js';
import { Tensor } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import type { Output } from './output.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

function tostringAt(L: LuaState, idx: number): string {
  lauxlib.luaL_tolstring(L, idx);
  const s = bytesString(lua.lua_tolstring(L, -1));
  lua.lua_pop(L, 1);
  return s;
}

function shortObject(obj: unknown): string | undefined {
  if (obj instanceof Tensor) {
    const name = obj.className().replace(/^torch\./, '');
    return obj.nElement() === 0 && obj.dim() === 0 ? `${name} - empty` : `${name} - size: ${(obj.size() as number[]).join('x')}`;
  }
  if (obj instanceof Storage) return `${obj.className().replace(/^torch\./, '')} - size: ${obj.size()}`;
  return undefined;
}

export function installPrint(b: Bridge, out: Output): void {
  const w = (s: string) => out.writeString(s);
  // Each helper reads b.L when it runs: the stack of the thread that called print
  // (a coroutine's own state inside a coroutine), not the main thread's.

  const keyText = (idx: number): string => {
    const L = b.L;
    if (lua.lua_type(L, idx) === lua.LUA_TSTRING) return bytesString(lua.lua_tolstring(L, idx));
    return tostringAt(L, idx);
  };
  const valueText = (idx: number): string => {
    const L = b.L;
    const t = lua.lua_type(L, idx);
    if (t === lua.LUA_TSTRING) return `"${bytesString(lua.lua_tolstring(L, idx))}"`;
    if (t === lua.LUA_TLIGHTUSERDATA) {
      const s = shortObject(lua.lua_touserdata(L, idx));
      if (s) return s;
    }
    return tostringAt(L, idx);
  };

  // Sorted keys of the table at idx, pushed into a fresh Lua array at the top of the stack.
  const sortedKeys = (idx: number): number => {
    const L = b.L;
    idx = lua.lua_absindex(L, idx);
    const ints: number[] = [];
    let others = 0;
    lua.lua_createtable(L, 0, 0);
    const keys = lua.lua_gettop(L);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, idx) !== 0) {
      lua.lua_pop(L, 1);
      if (lua.lua_type(L, -1) === lua.LUA_TNUMBER && Number.isInteger(lua.lua_tonumber(L, -1))) ints.push(lua.lua_tonumber(L, -1));
      else {
        lua.lua_pushvalue(L, -1);
        lua.lua_rawseti(L, keys, 100000000 + ++others);
      }
    }
    ints.sort((a, c) => a - c);
    let n = 0;
    for (const k of ints) {
      lua.lua_pushnumber(L, k);
      lua.lua_rawseti(L, keys, ++n);
    }
    for (let i = 1; i <= others; i++) {
      lua.lua_rawgeti(L, keys, 100000000 + i);
      lua.lua_rawseti(L, keys, ++n);
    }
    return n;
  };

  const isPlainTable = (idx: number) => lua.lua_type(b.L, idx) === lua.LUA_TTABLE;

  const printTable = (idx: number, indent: string, depth: number): void => {
    const L = b.L;
    idx = lua.lua_absindex(L, idx);
    const n = sortedKeys(idx);
    const keys = lua.lua_gettop(L);
    if (n === 0 && depth === 0) {
      w('{}');
      lua.lua_pop(L, 1);
      return;
    }
    w(indent + '{\n');
    for (let i = 1; i <= n; i++) {
      lua.lua_rawgeti(L, keys, i);
      const k = keyText(-1);
      lua.lua_pushvalue(L, -1);
      lua.lua_rawget(L, idx);
      if (isPlainTable(-1)) {
        let empty = true;
        lua.lua_pushnil(L);
        if (lua.lua_next(L, -2) !== 0) {
          empty = false;
          lua.lua_pop(L, 2);
        }
        if (empty || depth + 1 >= 5) w(`${indent}  ${k} : {...}\n`);
        else {
          w(`${indent}  ${k} : \n`);
          printTable(-1, indent + '    ', depth + 1);
          w('\n');
        }
      } else w(`${indent}  ${k} : ${valueText(-1)}\n`);
      lua.lua_pop(L, 2);
    }
    w(indent + '}');
    lua.lua_pop(L, 1);
  };

  const print = (): number => {
    const L = b.L;
    const n = lua.lua_gettop(L);
    for (let i = 1; i <= n; i++) {
      const t = lua.lua_type(L, i);
      if (t === lua.LUA_TTABLE && !lauxlib.luaL_getmetafield(L, i, lit('__tostring'))) {
        printTable(i, '', 0);
        w('\n');
      } else if (t === lua.LUA_TTABLE || t === lua.LUA_TLIGHTUSERDATA || t === lua.LUA_TUSERDATA) {
        if (t === lua.LUA_TTABLE) lua.lua_pop(L, 1); // the __tostring field
        w(tostringAt(L, i) + '\n');
      } else {
        w(tostringAt(L, i) + '\t');
        if (i === n) w('\n');
      }
    }
    return 0;
  };
  lua.lua_pushcfunction(b.L, b.raw(print));
  lua.lua_setglobal(b.L, lit('print'));
  void luaBytes;
}
