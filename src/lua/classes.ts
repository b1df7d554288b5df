// Torch classes across the two languages.
//
// Every class (TypeScript or Lua) has one Lua class table ("metatable" in Torch's
// words) in mpelu.classes[name], chained to its parent's by setmetatable. A TS class's
// table holds its own prototype methods as Lua functions (non-virtual: what
// `parent.updateOutput(self, ...)` needs), so a method added from Lua to nn.Module (as
// nnlr does) is found by every instance and subclass. Instances of TS classes, and of
// Lua classes deriving from one, are the TS objects themselves (their state lives in
// TorchObject.fields); a Lua class deriving from a TS class is a generated JS subclass
// whose methods call the Lua overrides, so TS containers and training call them too.

import { lua, lauxlib, lit, pushString, type LuaState } from './fengari.js';
import { Multi, type Bridge, type ObjectKind } from './bridge.js';
import { TorchObject, type TorchClassFactory } from '../t7/torch_object.js';
import { LuaTable } from '../t7/lua_table.js';
import { Module } from '../nn/module.js';
import { loadedAs, moduleClass, registerModule, registeredModuleNames } from '../nn/registry.js';
import { Criterion } from '../nn/Criterion.js';
import '../nn/index.js'; // registers every module class

/* eslint-disable @typescript-eslint/no-explicit-any */

type Ctor = new (...args: any[]) => TorchObject;

/** Method names defined on `proto` itself (not accessors, not the constructor). */
function ownMethods(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter((k) => {
    if (k === 'constructor') return false;
    const d = Object.getOwnPropertyDescriptor(proto, k);
    return d !== undefined && typeof d.value === 'function';
  });
}

/** Method names along the whole prototype chain. */
function allMethods(proto: object | null): Set<string> {
  const out = new Set<string>();
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) for (const k of ownMethods(p)) out.add(k);
  return out;
}

/** What a module method returns, as Lua sees it. */
function moduleReturn(name: string, r: unknown): unknown {
  if ((name === 'getParameters' || name === 'parameters' || name === 'findModules') && Array.isArray(r)) return new Multi(r);
  return r;
}

function describe(x: unknown): string {
  if (x === undefined || x === null) return 'no value';
  if (x instanceof TorchObject) return x.className;
  return typeof x;
}

export class ClassSystem {
  private readonly byName = new Map<string, Ctor>();
  private readonly nameOf = new Map<object, string>();
  private classesRef = 0;

  /**
   * @param scope this runtime's .t7 claims (LuaRuntime.classScope): a built-in class a
   * script replaces is claimed here, not process-wide.
   */
  constructor(
    private readonly b: Bridge,
    private readonly scope: Map<string, TorchClassFactory> = new Map(),
  ) {
    this.byName.set('nn.Module', Module as unknown as Ctor);
    this.byName.set('nn.Criterion', Criterion as unknown as Ctor);
    for (const name of registeredModuleNames()) this.byName.set(name, moduleClass(name) as unknown as Ctor);
    for (const [name, cls] of this.byName) if (!this.nameOf.has(cls.prototype)) this.nameOf.set(cls.prototype, name);
  }

  /** The Torch name of the nearest named ancestor of a prototype. */
  private parentName(proto: object): string | undefined {
    for (let p = Object.getPrototypeOf(proto); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      const n = this.nameOf.get(p);
      if (n) return n;
    }
    return undefined;
  }

  /** Defines every TS class in Lua (mpelu.defineClass from lua/torch.lua) and keeps mpelu.classes. */
  install(mpelu: LuaTable | any, defineClass: (...a: unknown[]) => unknown): void {
    void mpelu;
    const done = new Set<string>();
    const define = (name: string) => {
      if (done.has(name)) return;
      done.add(name);
      const cls = this.byName.get(name)!;
      const parent = this.parentName(cls.prototype);
      if (parent) define(parent);
      const methods = new LuaTable();
      const names = new Set<string>();
      for (let p: object | null = cls.prototype; p && p !== Object.prototype && (p === cls.prototype || !this.nameOf.has(p)); p = Object.getPrototypeOf(p)) {
        for (const k of ownMethods(p)) names.add(k);
      }
      for (const k of names) {
        const fn = (cls.prototype as any)[k] as (...a: unknown[]) => unknown;
        methods.set(k, (self: unknown, ...args: unknown[]) => {
          if (!(self instanceof TorchObject)) throw new Error(`bad argument #1 to '${k}' (${name} expected, got ${describe(self)})`);
          return moduleReturn(k, fn.apply(self, args));
        });
      }
      methods.set('__init', (self: unknown, ...args: unknown[]) => {
        if (!(self instanceof TorchObject)) throw new Error(`bad argument #1 to '__init' (${name} expected, got ${describe(self)})`);
        const fresh = new cls(...args);
        for (const [k, v] of fresh.fields.entries()) self.fields.set(k, v);
      });
      defineClass(name, parent, methods, true);
    };
    for (const name of this.byName.keys()) define(name);
  }

  setClassesRef(ref: number): void {
    this.classesRef = ref;
  }

  isTS(name: string): boolean {
    return this.byName.has(name);
  }

  /** True when `name` is a TS class or a Lua class deriving from one. */
  isBacked(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * torch.class(name, parent) with a TS-backed parent: a generated JS subclass whose
   * methods call the Lua overrides first (so TS callers see them), registered for .t7.
   * A name that is a built-in class (the paper's nn.PReLU / nn.SPELU / nn.MPELU files)
   * replaces it in this runtime only.
   */
  derive(name: string, parentName: string): void {
    const replacing = this.byName.has(name);
    const Parent = this.byName.get(parentName);
    if (!Parent) throw new Error(`${parentName} is not a TS-backed class`);
    const parentProto = Parent.prototype as any;
    const sys = this;
    const Derived = class extends (Parent as any) {} as unknown as Ctor;
    for (const m of allMethods(parentProto)) {
      Object.defineProperty(Derived.prototype, m, {
        configurable: true,
        writable: true,
        value: function (this: TorchObject, ...args: unknown[]) {
          const r = sys.callOverride(this, m, args);
          if (r !== undefined) return r.length <= 1 ? r[0] : r;
          return parentProto[m].apply(this, args);
        },
      });
    }
    this.byName.set(name, Derived);
    this.nameOf.set(Derived.prototype, name);
    if (replacing) this.scope.set(name, loadedAs(Derived as any));
    else registerModule(name, Derived as any);
  }

  /** A fresh instance of TS-backed class `name` (no constructor run: __init does that). */
  blank(name: string): TorchObject {
    const cls = this.byName.get(name)!;
    const o = Object.create(cls.prototype) as TorchObject;
    o.className = name;
    o.version = 1;
    o.fields = new LuaTable();
    return o;
  }

  /** new Cls(...args) for a TS class. */
  construct(name: string, args: unknown[]): TorchObject {
    return new (this.byName.get(name)!)(...args);
  }

  /**
   * Calls the Lua method `m` of obj's class when a Lua class between obj's class and
   * the first TS class defines it; undefined when none does.
   */
  callOverride(obj: TorchObject, m: string, args: unknown[]): unknown[] | undefined {
    const L = this.b.L;
    const top = lua.lua_gettop(L);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.classesRef);
    pushString(L, obj.className);
    lua.lua_rawget(L, -2);
    while (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
      pushString(L, '__ts');
      lua.lua_rawget(L, -2);
      const ts = lua.lua_toboolean(L, -1);
      lua.lua_pop(L, 1);
      if (ts) break;
      pushString(L, m);
      lua.lua_rawget(L, -2);
      if (lua.lua_type(L, -1) === lua.LUA_TFUNCTION) {
        lua.lua_replace(L, top + 1);
        lua.lua_settop(L, top + 1);
        return this.b.callTop([obj, ...args]);
      }
      lua.lua_pop(L, 1);
      if (!lua.lua_getmetatable(L, -1)) break;
      lua.lua_remove(L, -2);
    }
    lua.lua_settop(L, top);
    return undefined;
  }

  /** Pushes the value `key` from obj's class chain (classget), or nil. */
  pushClassValue(L: LuaState, className: string, keyIdx: number): void {
    keyIdx = lua.lua_absindex(L, keyIdx);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.classesRef);
    pushString(L, className);
    lua.lua_rawget(L, -2);
    lua.lua_remove(L, -2);
    while (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
      lua.lua_pushvalue(L, keyIdx);
      lua.lua_rawget(L, -2);
      if (!lua.lua_isnil(L, -1)) {
        lua.lua_remove(L, -2);
        return;
      }
      lua.lua_pop(L, 1);
      if (!lua.lua_getmetatable(L, -1)) {
        lua.lua_pop(L, 1);
        lua.lua_pushnil(L);
        return;
      }
      lua.lua_remove(L, -2);
    }
    lua.lua_pop(L, 1);
    lua.lua_pushnil(L);
  }

  /** How TorchObjects (modules, criterions, Lua-derived classes) behave in Lua. */
  objectKind(): ObjectKind {
    const b = this.b;
    const callMeta = (L: LuaState, obj: TorchObject, name: string, args: unknown[]): unknown[] | undefined => {
      pushString(L, name);
      this.pushClassValue(L, obj.className, -1);
      lua.lua_remove(L, -2);
      if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) {
        lua.lua_pop(L, 1);
        return undefined;
      }
      return b.callTop([obj, ...args]);
    };
    return {
      name: 'table',
      luaType: 'table',
      matches: (o) => o instanceof TorchObject,
      index: (L, obj: TorchObject) => {
        const k = b.get(2);
        if (k !== undefined && obj.fields.has(k)) {
          b.push(obj.fields.get(k));
          return 1;
        }
        this.pushClassValue(L, obj.className, 2);
        return 1;
      },
      newindex: (_L, obj: TorchObject) => {
        const k = b.get(2);
        if (k === undefined) throw new Error('table index is nil');
        obj.fields.set(k, b.get(3));
      },
      tostring: (obj: TorchObject) => {
        const r = callMeta(b.L, obj, '__tostring__', []);
        if (r !== undefined) return String(r[0]);
        return obj.className;
      },
      pairs: (obj: TorchObject) => [...obj.fields.entries()][Symbol.iterator](),
      len: (obj: TorchObject) => obj.fields.length(),
      call: (L, obj: TorchObject) => {
        const args = b.args(2);
        const r = callMeta(L, obj, '__call__', args);
        if (r === undefined) throw new Error(`attempt to call a ${obj.className} value`);
        for (const v of r) b.push(v);
        return r.length;
      },
    };
  }
}

export { lauxlib };
