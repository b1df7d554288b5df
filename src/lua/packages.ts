// The packages a Torch script can require, wired to the TypeScript objects.

import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { lua, lauxlib, lit, toStr, type LuaState } from './fengari.js';
import type { Bridge } from './bridge.js';
import type { LuaRuntime } from './runtime.js';
import { luaDir } from './runtime.js';
import { generatorKind, storageKind, tensorKind, torchFunctions } from './torch_lib.js';
import { ClassSystem } from './classes.js';
import { Tensor } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { Generator } from '../torch/random.js';
import { TorchFile } from '../torch/file.js';
import { TorchObject } from '../t7/torch_object.js';
import { LuaTable } from '../t7/lua_table.js';
import { installTorchExtras } from './torch_extras.js';
import { installFbresnetPackages } from './fbresnet_packages.js';
import { installTHNN, TensorCData } from './thnn.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A Lua table built from JS functions and values (pushed on the stack). */
export function pushTable(b: Bridge, entries: Record<string, unknown>): void {
  const L = b.L;
  lua.lua_createtable(L, 0, Object.keys(entries).length);
  for (const [k, v] of Object.entries(entries)) {
    if (typeof v === 'function') lua.lua_pushcfunction(L, b.wrap(v as (...a: any[]) => unknown));
    else b.push(v);
    lua.lua_setfield(L, -2, lit(k));
  }
}

export function typenameOf(x: unknown): string | undefined {
  if (x instanceof Tensor) return `torch.${x.className().replace(/^torch\./, '')}`;
  if (x instanceof Storage) return `torch.${x.className().replace(/^torch\./, '')}`;
  if (x instanceof TorchObject) return x.className;
  if (x instanceof Generator) return 'torch.Generator';
  if (x instanceof TorchFile) return x.typename;
  return undefined;
}

/** Runs lua/NAME.lua with the given stack slots as `...`. */
export function runLuaFile(rt: LuaRuntime, name: string, slots: number[]): void {
  const L = rt.L;
  const path = join(luaDir, name);
  if (lauxlib.luaL_loadbuffer(L, readFileSync(path), null, lit('@' + path)) !== lua.LUA_OK) throw new Error(toStr(L, -1) ?? `cannot load ${path}`);
  for (const s of slots) lua.lua_pushvalue(L, s);
  rt.protectedCall(slots.length, 0);
}

export function installPackages(rt: LuaRuntime, mpelu: number): void {
  const b = rt.bridge;
  const L = b.L;
  const classes = new ClassSystem(b, rt.classScope);
  const tensorFields = new Map<string, (t: Tensor) => unknown>();
  b.kinds.push(tensorKind(b, tensorFields), storageKind(b), generatorKind(), classes.objectKind());

  // torch: the TS functions, then the Lua prelude adds the class system.
  pushTable(b, torchFunctions());
  lua.lua_pushvalue(L, -1);
  lua.lua_setglobal(L, lit('torch'));
  lua.lua_setfield(L, mpelu, lit('torch'));

  pushTable(b, {
    typename: (x: unknown) => typenameOf(x),
    derive: (name: string, parent: string) => classes.derive(name, parent),
    construct: (name: string, ...args: unknown[]) => classes.construct(name, args),
    blank: (name: string) => classes.blank(name),
    fromTable: (name: string, t: unknown) => {
      const o = classes.blank(name);
      if (t instanceof LuaTable) for (const [k, v] of t.entries()) o.fields.set(k, v);
      else if (Array.isArray(t)) t.forEach((v, i) => o.fields.set(i + 1, v));
      return o;
    },
    rawget: (t: any, k: unknown) => (t instanceof TorchObject ? t.fields.get(k) : t instanceof LuaTable ? t.get(k) : Array.isArray(t) && typeof k === 'number' ? t[k - 1] : undefined),
    rawset: (t: any, k: unknown, v: unknown) => {
      if (t instanceof TorchObject) t.fields.set(k, v);
      else if (t instanceof LuaTable) t.set(k, v);
      else if (Array.isArray(t) && typeof k === 'number') t[k - 1] = v;
    },
    version: (x: unknown) => (x instanceof TorchObject ? (x.version ?? undefined) : undefined),
    pointer: (x: unknown) => pointerOf(x instanceof TensorCData ? x.tensor : x),
  });
  lua.lua_pushcfunction(L, (L2: LuaState) => {
    lua.lua_pushboolean(L2, lua.lua_type(L2, 1) === lua.LUA_TLIGHTUSERDATA);
    return 1;
  });
  lua.lua_setfield(L, -2, lit('isObject'));
  const js = lua.lua_gettop(L);
  runLuaFile(rt, 'torch.lua', [mpelu, js]);
  lua.lua_pop(L, 1);

  lua.lua_getfield(L, mpelu, lit('classes'));
  classes.setClassesRef(lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
  lua.lua_getfield(L, mpelu, lit('defineClass'));
  const defineClass = b.get(-1) as (...a: unknown[]) => unknown;
  lua.lua_pop(L, 1);
  classes.install(null, defineClass);
  b.tableHook = (idx, seen) => {
    const L = b.L; // the calling thread's stack, not the main thread's
    if (!lua.lua_getmetatable(L, idx)) return undefined;
    lua.lua_pushstring(L, lit('__typename'));
    lua.lua_rawget(L, -2);
    const name = lua.lua_type(L, -1) === lua.LUA_TSTRING ? toStr(L, -1) : null;
    lua.lua_pop(L, 2);
    if (name === null) return undefined;
    const obj = classes.isBacked(name) ? classes.blank(name) : new TorchObject(name, 1);
    seen.set(lua.lua_topointer(L, idx), obj);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, idx) !== 0) {
      const k = b.get(-2, seen);
      if (k !== undefined) obj.fields.set(k, b.get(-1, seen));
      lua.lua_pop(L, 1);
    }
    return obj;
  };
  // Lua tables that carry a TS-backed class table (torch.setmetatable'd copies) become objects.
  installTorchExtras(rt, mpelu, classes);
  installFbresnetPackages(rt, mpelu);
  installTHNN(rt, mpelu, tensorFields, pointerOf);
}

const pointers = new WeakMap<object, number>();
let nextPointer = 0x10000;
function pointerOf(x: unknown): number {
  if (typeof x !== 'object' || x === null) return 0;
  let p = pointers.get(x);
  if (p === undefined) {
    p = nextPointer += 16;
    pointers.set(x, p);
  }
  return p;
}

export type { LuaState };
