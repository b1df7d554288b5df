// Loads Fengari (Lua 5.3 in JS) with the number semantics Torch scripts expect from LuaJIT.
//
// LuaJIT has one number type (double) and prints it with "%.14g"; Fengari has 32-bit
// integers that wrap and prints floats as "18.0". Two hooks, installed before Fengari's
// own modules read them: numbers print with %.14g (no ".0", "1e+15", "inf", "nan"), and
// numerals in source and in string->number conversions become floats, so arithmetic
// a script writes never meets a wrapping 32-bit integer.

import { createRequire, Module } from 'node:module';
import { luaNumberString } from './cformat.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const require = createRequire(import.meta.url);

// LUA_COMPAT_FLOATSTRING: Fengari then prints integer-valued floats without ".0".
const previousConf = process.env.FENGARICONF;
process.env.FENGARICONF = JSON.stringify({ LUA_COMPAT_FLOATSTRING: true });
require('fengari/src/defs.js'); // loads luaconf in Fengari's own order
const luaconf = require('fengari/src/luaconf.js');
if (previousConf === undefined) delete process.env.FENGARICONF;
else process.env.FENGARICONF = previousConf;
luaconf.lua_number2str = (n: number) => luaNumberString(n);

// Two lines of Fengari's source are changed as Node loads them (its modules call each
// other through module-local bindings, so patching exports would not reach these). If
// someone loaded Fengari before us, they keep Lua 5.3's behaviour. package.json pins
// fengari exactly (0.1.5) so a release with other source text cannot arrive unnoticed.
const adaptations = new Map<string, [string, string]>([
  // LuaJIT names a builtin that gets a bad argument '?' when the call site gives no name
  // (called by pcall, or as a tail call); Lua 5.3 looks its global name up ('string.rep').
  [require.resolve('fengari/src/lauxlib.js'), ['ar.name = pushglobalfuncname(L, ar) ? lua_tostring(L, -1) : to_luastring("?");', 'ar.name = to_luastring("?");']],
  // A statement that is neither a call nor an assignment (`syntax error here`): LuaJIT
  // expects the assignment's '='; Lua 5.3 says "syntax error".
  [require.resolve('fengari/src/lparser.js'), ['check_condition(ls, v.v.k === expkind.VCALL, to_luastring("syntax error", true));', 'check_condition(ls, v.v.k === expkind.VCALL, to_luastring("\'=\' expected", true));']],
]);
const moduleProto = Module.prototype as any;
const compile = moduleProto._compile;
moduleProto._compile = function (content: string, filename: string) {
  const change = adaptations.get(filename);
  if (change) {
    if (!content.includes(change[0])) throw new Error(`fengari: ${filename} no longer has the line mpelu adapts (src/lua/fengari.ts): ${change[0]}`);
    content = content.replace(change[0], change[1]);
  }
  return compile.call(this, content, filename);
};
const fengari = require('fengari');
moduleProto._compile = compile;
const lobject = require('fengari/src/lobject.js');
const str2num = lobject.luaO_str2num;
lobject.luaO_str2num = (s: Uint8Array, o: any): number => {
  const r = str2num(s, o);
  if (r !== 0 && o.ttisinteger()) {
    // Hex numerals wrap in Lua 5.3 (0xffffffff is -1); LuaJIT reads them as doubles.
    const text = String.fromCharCode(...s.subarray(0, r - 1)).trim().toLowerCase();
    const hex = /^(-?)0x([0-9a-f]+)$/.exec(text);
    o.setfltvalue(hex ? (hex[1] ? -1 : 1) * parseInt(hex[2], 16) : o.value);
  }
  return r;
};

export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;
export type LuaState = any;

/** JS string (one char per byte, as .t7 strings are) -> Lua bytes. */
export function luaBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Lua bytes -> JS string, one char per byte. */
export function bytesString(b: Uint8Array): string {
  if (b.length <= 64) {
    // method names and keys, converted on every call: a plain loop is ~5x faster than the spread
    let short = '';
    for (let i = 0; i < b.length; i++) short += String.fromCharCode(b[i]!);
    return short;
  }
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** UTF-8 text (source, messages) -> Lua bytes. */
export function utf8Bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function pushString(L: LuaState, s: string): void {
  lua.lua_pushstring(L, luaBytes(s));
}

/** The string at idx (bytes as chars), or null when it is not a string or number. */
export function toStr(L: LuaState, idx: number): string | null {
  const b = lua.lua_tolstring(L, idx);
  return b === null || b === undefined ? null : bytesString(b);
}

/** A literal name (ASCII) for lua_getfield/setfield. */
export function lit(s: string): Uint8Array {
  return fengari.to_luastring(s);
}
