// LuaJIT's bit library: 32-bit operations with signed 32-bit results.

import type { Bridge } from './bridge.js';
import { pushTable } from './packages.js';
import { lua, lit } from './fengari.js';

const tobit = (x: unknown) => Number(x) | 0;

export function installBit(b: Bridge): void {
  const fold = (op: (a: number, c: number) => number) => (...xs: unknown[]) => xs.map(tobit).reduce(op);
  pushTable(b, {
    tobit: (x: unknown) => tobit(x),
    bnot: (x: unknown) => ~tobit(x),
    band: fold((a, c) => a & c),
    bor: fold((a, c) => a | c),
    bxor: fold((a, c) => a ^ c),
    lshift: (x: unknown, n: unknown) => tobit(x) << (tobit(n) & 31),
    rshift: (x: unknown, n: unknown) => (tobit(x) >>> (tobit(n) & 31)) | 0,
    arshift: (x: unknown, n: unknown) => tobit(x) >> (tobit(n) & 31),
    rol: (x: unknown, n: unknown) => {
      const v = tobit(x);
      const s = tobit(n) & 31;
      return (v << s) | (v >>> (32 - s)) | 0;
    },
    ror: (x: unknown, n: unknown) => {
      const v = tobit(x);
      const s = tobit(n) & 31;
      return (v >>> s) | (v << (32 - s)) | 0;
    },
    bswap: (x: unknown) => {
      const v = tobit(x);
      return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff);
    },
    tohex: (x: unknown, n: unknown = 8) => {
      let k = tobit(n);
      const upper = k < 0;
      if (upper) k = -k;
      const s = (tobit(x) >>> 0).toString(16).padStart(8, '0').slice(8 - Math.min(k, 8));
      return upper ? s.toUpperCase() : s;
    },
  });
  lua.lua_pushvalue(b.L, -1);
  lua.lua_setglobal(b.L, lit('bit'));
  lua.lua_getglobal(b.L, lit('package'));
  lua.lua_getfield(b.L, -1, lit('loaded'));
  lua.lua_pushvalue(b.L, -3);
  lua.lua_setfield(b.L, -2, lit('bit'));
  lua.lua_pop(b.L, 3);
}
