// The bridge between Lua values and the TypeScript objects.
//
// Every JS object Lua holds (a Tensor, a Storage, an nn module, a LuaTable field
// table, a JS array of activations) is a Lua light userdata whose value IS that JS
// object: no copies, identity and table keys work because Fengari compares light
// userdata with ===, and the JS garbage collector sees Lua's references. All light
// userdata share one metatable (Lua 5.3), which dispatches on the object's kind.

import { lua, lauxlib, luaBytes, bytesString, pushString, toStr, lit, type LuaState } from './fengari.js';
import { LuaTable } from '../t7/lua_table.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Several return values from a JS function called by Lua. */
export class Multi {
  constructor(readonly values: unknown[]) {}
}

/** A Lua error travelling through JS code: keeps the Lua error value (a registry ref). */
export class LuaCallError extends Error {
  constructor(message: string, readonly ref: number, readonly traceback: string) {
    super(message);
  }
}

/** A Lua function held by JS (a registry reference, released when the JS side drops it). */
export interface LuaFunctionHandle {
  (...args: unknown[]): unknown;
  luaRef: number;
}

export type JsFunction = (L: LuaState) => number;

/** A JS value Lua should get as real Lua tables (t:totable(), paths.dir, ...), not as a view. */
export class LuaPlain {
  constructor(readonly value: unknown) {}
}

/** Per-state bridge. */
export class Bridge {
  /** The state's main thread. */
  readonly main: LuaState;
  /**
   * The thread whose stack the bridge reads and writes: the one that called the JS
   * function now running (a coroutine's own state inside coroutine.wrap/resume), the
   * main thread otherwise. wrap() and raw() set it for the length of each call.
   */
  private current: LuaState;
  private readonly refs: FinalizationRegistry<number>;
  /** Handlers by object kind, installed by the libraries (tensor, storage, module, ...). */
  readonly kinds: ObjectKind[] = [];

  constructor(L: LuaState) {
    this.main = L;
    this.current = L;
    // Finalizers run while a script is paused (src/lua/release.ts), when the main thread's
    // stack must not be touched: references are released through a thread of their own.
    const releaseThread = lua.lua_newthread(L);
    lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.refs = new FinalizationRegistry((ref: number) => lauxlib.luaL_unref(releaseThread, lua.LUA_REGISTRYINDEX, ref));
  }

  /** The calling thread's state (see `current`). */
  get L(): LuaState {
    return this.current;
  }

  /** Runs fn with L as the current thread, restoring the previous one after (also on a Lua error). */
  private on<T>(L: LuaState, fn: () => T): T {
    const previous = this.current;
    this.current = L;
    try {
      return fn();
    } finally {
      this.current = previous;
    }
  }

  kindOf(obj: unknown): ObjectKind | undefined {
    for (const k of this.kinds) if (k.matches(obj)) return k;
    return undefined;
  }

  // ---- JS -> Lua ------------------------------------------------------------

  push(v: unknown): void {
    const L = this.L;
    if (v === undefined || v === null) lua.lua_pushnil(L);
    else if (typeof v === 'number') lua.lua_pushnumber(L, v);
    else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
    else if (typeof v === 'string') pushString(L, v);
    else if (typeof v === 'bigint') lua.lua_pushnumber(L, Number(v));
    else if (typeof v === 'function' && typeof (v as LuaFunctionHandle).luaRef === 'number') lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, (v as LuaFunctionHandle).luaRef);
    else if (typeof v === 'function') lua.lua_pushcfunction(L, this.wrap((...args) => (v as (...a: unknown[]) => unknown)(...args)));
    else if (v instanceof LuaValueRef) lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, v.ref);
    else if (v instanceof LuaPlain) this.pushPlain(v.value);
    else {
      const kind = this.kindOf(v);
      if (kind?.push) kind.push(v);
      else lua.lua_pushlightuserdata(L, v);
    }
  }

  /** Arrays and LuaTables as real Lua tables (recursively); anything else as push(). */
  pushPlain(v: unknown): void {
    const L = this.L;
    if (Array.isArray(v)) {
      lua.lua_createtable(L, v.length, 0);
      v.forEach((x, i) => {
        this.pushPlain(x);
        lua.lua_rawseti(L, -2, i + 1);
      });
    } else if (v instanceof LuaTable) {
      lua.lua_createtable(L, 0, v.size);
      for (const [k, x] of v.entries()) {
        this.push(k);
        this.pushPlain(x);
        lua.lua_rawset(L, -3);
      }
    } else this.push(v);
  }

  /** Pushes a JS function result: Multi spreads, undefined is no value. */
  pushResult(r: unknown): number {
    if (r instanceof Multi) {
      for (const v of r.values) this.push(v);
      return r.values.length;
    }
    if (r === undefined) return 0;
    this.push(r);
    return 1;
  }

  // ---- Lua -> JS ------------------------------------------------------------

  /**
   * The JS value of stack slot idx. Tables become JS arrays (when they are sequences)
   * or LuaTables, recursively (a table met twice is converted once); functions become
   * callable handles.
   */
  get(idx: number, seen = new Map<unknown, unknown>()): unknown {
    const L = this.L;
    switch (lua.lua_type(L, idx)) {
      case lua.LUA_TNIL:
      case lua.LUA_TNONE:
        return undefined;
      case lua.LUA_TNUMBER:
        return lua.lua_tonumber(L, idx);
      case lua.LUA_TBOOLEAN:
        return lua.lua_toboolean(L, idx);
      case lua.LUA_TSTRING:
        return bytesString(lua.lua_tolstring(L, idx));
      case lua.LUA_TLIGHTUSERDATA:
        return lua.lua_touserdata(L, idx);
      case lua.LUA_TFUNCTION:
        return this.functionHandle(idx);
      case lua.LUA_TTABLE:
        return this.tableToJS(idx, seen);
      default:
        return this.valueRef(idx);
    }
  }

  /** Arguments from..top as JS values. */
  args(from = 1): unknown[] {
    const n = lua.lua_gettop(this.L);
    const out: unknown[] = [];
    for (let i = from; i <= n; i++) out.push(this.get(i));
    return out;
  }

  tableToJS(idx: number, seen: Map<unknown, unknown>): unknown {
    const L = this.L;
    idx = lua.lua_absindex(L, idx);
    const key = lua.lua_topointer(L, idx);
    if (seen.has(key)) return seen.get(key);
    const hook = this.tableHook?.(idx, seen);
    if (hook !== undefined) return hook;
    // A sequence 1..n (nothing else) is a JS array; anything else a LuaTable.
    const n = lua.lua_rawlen(L, idx);
    let count = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, idx) !== 0) {
      count++;
      lua.lua_pop(L, 1);
    }
    if (count === n && n > 0) {
      const arr: unknown[] = [];
      seen.set(key, arr);
      for (let i = 1; i <= n; i++) {
        lua.lua_rawgeti(L, idx, i);
        arr.push(this.get(-1, seen));
        lua.lua_pop(L, 1);
      }
      return arr;
    }
    const t = new LuaTable();
    seen.set(key, t);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, idx) !== 0) {
      const k = this.get(-2, seen);
      const v = this.get(-1, seen);
      if (k !== undefined) t.set(k, v);
      lua.lua_pop(L, 1);
    }
    return t;
  }

  /** Set by the class library: converts instances of pure-Lua torch classes. */
  tableHook?: (idx: number, seen: Map<unknown, unknown>) => unknown;

  functionHandle(idx: number): LuaFunctionHandle {
    const L = this.L;
    lua.lua_pushvalue(L, idx);
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    const f = ((...args: unknown[]) => {
      const r = this.callRef(ref, args);
      return r.length <= 1 ? r[0] : r;
    }) as LuaFunctionHandle;
    f.luaRef = ref;
    this.refs.register(f, ref);
    return f;
  }

  valueRef(idx: number): LuaValueRef {
    const L = this.L;
    lua.lua_pushvalue(L, idx);
    const ref = new LuaValueRef(lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
    this.refs.register(ref, ref.ref);
    return ref;
  }

  // ---- calls ------------------------------------------------------------------

  /** Calls the Lua function in registry slot `ref`; a Lua error becomes a LuaCallError. */
  callRef(ref: number, args: unknown[]): unknown[] {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    return this.callTop(args);
  }

  /** Calls the function on top of the stack with args; returns its results. */
  callTop(args: unknown[]): unknown[] {
    const L = this.L;
    const base = lua.lua_gettop(L) - 1;
    lua.lua_pushcfunction(L, tracebackHandler);
    lua.lua_insert(L, base + 1);
    for (const a of args) this.push(a);
    const status = lua.lua_pcall(L, args.length, lua.LUA_MULTRET, base + 1);
    if (status !== lua.LUA_OK) {
      // The handler left {message, traceback}: keep the original error value.
      lua.lua_rawgeti(L, -1, 1);
      const message = toStr(L, -1) ?? describeError(L, -1);
      const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
      lua.lua_rawgeti(L, -1, 2);
      const tb = toStr(L, -1) ?? '';
      lua.lua_settop(L, base);
      throw new LuaCallError(message, ref, tb);
    }
    const n = lua.lua_gettop(L) - (base + 1);
    const out: unknown[] = [];
    for (let i = 1; i <= n; i++) out.push(this.get(base + 1 + i));
    lua.lua_settop(L, base);
    return out;
  }

  /**
   * A Lua-callable function around fn(args). A JS exception becomes a Lua error with the
   * caller's file:line; a Lua error that crossed JS is re-raised with its own value.
   */
  wrap(fn: (...args: any[]) => unknown, from = 1): JsFunction {
    return (L: LuaState) =>
      this.on(L, () => {
        let r: unknown;
        try {
          r = fn(...this.args(from));
        } catch (e) {
          this.raise(e);
        }
        return this.pushResult(r);
      });
  }

  /** Raw variant: fn gets the state; exceptions are converted the same way. */
  raw(fn: (L: LuaState) => number): JsFunction {
    return (L: LuaState) =>
      this.on(L, () => {
        try {
          return fn(L);
        } catch (e) {
          this.raise(e);
        }
      });
  }

  raise(e: unknown): never {
    const L = this.L;
    if (!(e instanceof Error)) throw e; // Fengari's own longjmp: let it through
    if (e.name === 'LuaExit') {
      lua.lua_pushlightuserdata(L, e);
      lua.lua_error(L);
    }
    if (e instanceof LuaCallError) {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, e.ref);
      lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, e.ref);
      lua.lua_error(L);
    }
    lauxlib.luaL_where(L, 1);
    pushString(L, jsErrorMessage(e));
    lua.lua_concat(L, 2);
    lua.lua_error(L);
    throw e; // not reached
  }

  setGlobalFunction(name: string, fn: (...args: any[]) => unknown): void {
    lua.lua_pushcfunction(this.L, this.wrap(fn));
    lua.lua_setglobal(this.L, lit(name));
  }

  /** t[name] = fn on the table at idx. */
  setFunction(idx: number, name: string, fn: JsFunction): void {
    const L = this.L;
    idx = lua.lua_absindex(L, idx);
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, idx, lit(name));
  }
}

/** A Lua value JS holds without converting it (threads, full userdata, pure tables kept by ref). */
export class LuaValueRef {
  constructor(readonly ref: number) {}
}

/** How one kind of JS object behaves in Lua (tensor, storage, module, table, ...). */
export interface ObjectKind {
  name: string;
  matches(obj: unknown): boolean;
  /** Optional special push (default: light userdata). */
  push?(obj: unknown): void;
  index?(L: LuaState, obj: any): number;
  newindex?(L: LuaState, obj: any): void;
  tostring?(obj: any): string;
  len?(obj: any): unknown;
  pairs?(obj: any): Iterator<[unknown, unknown]>;
  call?(L: LuaState, obj: any): number;
  luaType?: 'table' | 'userdata' | 'cdata';
  arith?: Partial<Record<'add' | 'sub' | 'mul' | 'div' | 'unm' | 'mod' | 'pow' | 'concat', (a: unknown, b: unknown) => unknown>>;
}

/** msgh for pcall: {error value, traceback}. */
export function tracebackHandler(L: LuaState): number {
  lua.lua_createtable(L, 2, 0);
  lua.lua_pushvalue(L, 1);
  lua.lua_rawseti(L, -2, 1);
  lauxlib.luaL_traceback(L, L, null, 1);
  lua.lua_rawseti(L, -2, 2);
  return 1;
}

export function describeError(L: LuaState, idx: number): string {
  if (lua.lua_isnil(L, idx)) return 'nil';
  if (lauxlib.luaL_callmeta(L, idx, lit('__tostring'))) {
    const s = toStr(L, -1);
    lua.lua_pop(L, 1);
    if (s !== null) return s;
  }
  return `(error object is a ${bytesString(lauxlib.luaL_typename(L, idx))} value)`;
}

export function jsErrorMessage(e: Error): string {
  return e.message;
}

export { luaBytes };
