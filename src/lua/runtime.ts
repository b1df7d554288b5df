// A Lua state that runs Torch7 scripts as `th` does: Fengari with the LuaJIT
// compatibility layer (compat/), trepl's print and require (lua/), and the torch, nn,
// optim, paths, ... packages bridged onto mpelu's TypeScript objects.

import { dirname, join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lua, lauxlib, lualib, lit, pushString, toStr, utf8Bytes, bytesString, type LuaState } from './fengari.js';
import { Bridge, LuaCallError, describeError, tracebackHandler } from './bridge.js';
import { installObjectMetatable, tableKinds } from './objects.js';
import { installPrint } from './print.js';
import { installStdlib, LuaExit } from './stdlib.js';
import { Output, outputHook } from './output.js';
import { installPackages } from './packages.js';
import { installBit } from './bit.js';
import { luaNumberString } from './cformat.js';
import { withTorchClassScope, type TorchClassFactory } from '../t7/torch_object.js';
import { Releaser, installCollectGarbage } from './release.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root (src/lua or dist/lua are two levels below it). */
export const packageRoot = resolve(here, '..', '..');
export const luaDir = join(packageRoot, 'lua');
export const compatDir = join(packageRoot, 'compat');

export interface RuntimeOptions {
  /** Receives stdout bytes (default: file descriptor 1). */
  stdout?: (b: Uint8Array) => void;
  /** Receives stderr text (default: process.stderr). */
  stderr?: (s: string) => void;
}

/** A script's failure: the Lua message (with file:line) and the Lua traceback. */
export class LuaScriptError extends Error {
  constructor(message: string, readonly traceback: string) {
    super(message);
  }
}

export class LuaRuntime {
  readonly L: LuaState;
  readonly bridge: Bridge;
  readonly out: Output;
  /** .t7 class claims of this runtime only (built-in classes its scripts replaced), active while it runs. */
  readonly classScope = new Map<string, TorchClassFactory>();
  readonly releaser: Releaser;
  private readonly errOut: (s: string) => void;

  constructor(options: RuntimeOptions = {}) {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    lualib.luaL_openlibs(L);
    this.bridge = new Bridge(L);
    this.releaser = new Releaser(L);
    this.out = new Output(1, options.stdout);
    this.errOut = options.stderr ?? ((s) => (outputHook.stderr ? outputHook.stderr(s) : process.stderr.write(s)));
    // JS exceptions that escape a wrapper become Lua errors with their message.
    lua.lua_atnativeerror(L, (L2: LuaState) => {
      const e = lua.lua_touserdata(L2, -1) as Error;
      pushString(L2, e instanceof Error ? `${e instanceof RangeError && /call stack/.test(e.message) ? 'stack overflow' : e.message}` : String(e));
      return 1;
    });
    this.bridge.kinds.push(...tableKinds(this.bridge));
    installObjectMetatable(this.bridge);
    installStdlib(this.bridge, this.out, (s) => this.errOut(s), luaNumberString);
    installCollectGarbage(L, this.releaser);
    installPrint(this.bridge, this.out);
    installBit(this.bridge);
    this.runFile(join(compatDir, 'luajit.lua'));
    lua.lua_createtable(L, 0, 0);
    const mpelu = lua.lua_gettop(L);
    lua.lua_pushvalue(L, mpelu);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, lit('mpelu'));
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      lua.lua_pushboolean(L2, lua.lua_touserdata(L2, 1) instanceof LuaExit);
      return 1;
    });
    lua.lua_setfield(L, mpelu, lit('isExit'));
    // Lua's own xpcall (before require.lua wraps it): the resumable runs' outer frame.
    lua.lua_getglobal(L, lit('xpcall'));
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, lit('mpelu.xpcall'));
    this.runFile(join(luaDir, 'require.lua'), [mpelu]);
    installPackages(this, mpelu);
    lua.lua_pop(L, 1);
  }

  /** Runs a Lua file with the values at the given stack slots as its `...`. */
  private runFile(path: string, argSlots: number[] = []): void {
    const L = this.L;
    if (lauxlib.luaL_loadbuffer(L, readFileSync(path), null, lit('@' + path)) !== lua.LUA_OK) {
      throw new Error(toStr(L, -1) ?? `cannot load ${path}`);
    }
    for (const s of argSlots) lua.lua_pushvalue(L, s);
    this.protectedCall(argSlots.length, 0);
  }

  /** Calls the function below nargs arguments; a Lua error becomes a LuaScriptError. */
  protectedCall(nargs: number, nresults: number): void {
    const L = this.L;
    const base = lua.lua_gettop(L) - nargs;
    lua.lua_pushcfunction(L, tracebackHandler);
    lua.lua_insert(L, base);
    const status = withTorchClassScope(this.classScope, () => lua.lua_pcall(L, nargs, nresults, base));
    lua.lua_remove(L, base);
    if (status !== lua.LUA_OK) this.throwError();
  }

  /**
   * protectedCall for a whole script: the main thread runs resumably (xpcall inside
   * lua_resume), pausing where release.ts says so, so that tensors the script dropped
   * are released while it runs. No results are kept.
   */
  async protectedCallAsync(nargs: number): Promise<void> {
    const L = this.L;
    const fn = lua.lua_gettop(L) - nargs;
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, lit('mpelu.xpcall'));
    lua.lua_insert(L, fn);
    lua.lua_pushcfunction(L, tracebackHandler);
    lua.lua_insert(L, fn + 2);
    const below = fn - 1;
    this.releaser.attach();
    try {
      const resume = (n: number) => withTorchClassScope(this.classScope, () => lua.lua_resume(L, null, n));
      let status = resume(nargs + 2);
      while (status === lua.LUA_YIELD) {
        if (!this.releaser.pausing) {
          // only a script's own coroutine.yield at top level gets here (require.lua stops it first)
          lua.lua_settop(L, below);
          throw new LuaScriptError('attempt to yield from outside a coroutine', '');
        }
        await this.releaser.release();
        status = resume(0);
      }
      if (status !== lua.LUA_OK) {
        const msg = toStr(L, -1) ?? 'error in error handling';
        lua.lua_settop(L, below);
        throw new LuaScriptError(msg, '');
      }
      // xpcall's results: true, ... or false, {error value, traceback}
      if (lua.lua_toboolean(L, below + 1)) {
        lua.lua_settop(L, below);
        return;
      }
      lua.lua_settop(L, below + 2);
      lua.lua_remove(L, below + 1);
      this.throwError(true);
    } finally {
      this.releaser.detach();
    }
  }

  /** The {error value, traceback} table on top (from tracebackHandler) as the error to throw. */
  private throwError(underXpcall = false): never {
    const L = this.L;
    lua.lua_rawgeti(L, -1, 1);
    const value = lua.lua_touserdata(L, -1);
    if (value instanceof LuaExit) {
      lua.lua_pop(L, 2);
      throw value;
    }
    const message = lua.lua_type(L, -1) === lua.LUA_TSTRING || lua.lua_type(L, -1) === lua.LUA_TNUMBER ? toStr(L, -1)! : describeError(L, -1);
    lua.lua_rawgeti(L, -2, 2);
    let tb = toStr(L, -1) ?? '';
    if (underXpcall) tb = tb.replace(/\n\t\[JS\]: in \?$/, ''); // the resumable run's own xpcall frame
    lua.lua_pop(L, 3);
    throw new LuaScriptError(message, tb);
  }

  /** Loads a chunk from source text (name as Lua shows it, e.g. '=(command line)'). */
  load(source: string | Uint8Array, chunkName: string): void {
    const L = this.L;
    const bytes = typeof source === 'string' ? utf8Bytes(source) : source;
    if (lauxlib.luaL_loadbuffer(L, bytes, null, lit(chunkName)) !== lua.LUA_OK) {
      const msg = toStr(L, -1) ?? 'syntax error';
      lua.lua_pop(L, 1);
      throw new LuaScriptError(msg, '');
    }
  }

  /** Sets the global `arg` table (arg[0] = script, arg[1..] = args, arg[-1] = the interpreter). */
  setArgs(script: string, args: readonly string[]): void {
    const L = this.L;
    lua.lua_createtable(L, args.length, 2);
    pushString(L, 'mpelu');
    lua.lua_rawseti(L, -2, -1);
    pushString(L, script);
    lua.lua_rawseti(L, -2, 0);
    args.forEach((a, i) => {
      lua.lua_pushstring(L, utf8Bytes(a));
      lua.lua_rawseti(L, -2, i + 1);
    });
    lua.lua_setglobal(L, lit('arg'));
  }

  /** Adds the script's folder to package.path (th finds a script's modules from ./). */
  addScriptDir(dir: string): void {
    const L = this.L;
    lua.lua_getglobal(L, lit('package'));
    lua.lua_getfield(L, -1, lit('path'));
    const path = toStr(L, -1) ?? '';
    lua.lua_pop(L, 1);
    pushString(L, `${dir}/?.lua;${dir}/?/init.lua;${path}`);
    lua.lua_setfield(L, -2, lit('path'));
    lua.lua_pop(L, 1);
  }

  /** Runs a script file as `th FILE` does (dofile: `...` is empty). */
  runScript(file: string): void {
    this.loadScript(file);
    this.protectedCall(0, 0);
  }

  /** runScript, releasing what the script drops while it runs (release.ts). */
  async runScriptAsync(file: string): Promise<void> {
    this.loadScript(file);
    await this.protectedCallAsync(0);
  }

  /** runString, releasing what the code drops while it runs. */
  async runStringAsync(source: string, chunkName = '=(command line)'): Promise<void> {
    this.load(source, chunkName);
    await this.protectedCallAsync(0);
  }

  private loadScript(file: string): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new LuaScriptError(`cannot open ${file}`, '');
    }
    if (bytes[0] === 0x23) {
      // a '#!' first line is skipped, as lua does
      const nl = bytes.indexOf(10);
      bytes = Buffer.concat([Buffer.from('--'), bytes.subarray(0, nl < 0 ? bytes.length : nl), nl < 0 ? Buffer.alloc(0) : bytes.subarray(nl)]);
    }
    this.load(bytes, '@' + file);
  }

  /** Runs source text (mpelu run -e). */
  runString(source: string, chunkName = '=(command line)'): void {
    this.load(source, chunkName);
    this.protectedCall(0, 0);
  }

  /** require(name), for `mpelu run -l name`. */
  require(name: string): void {
    const L = this.L;
    lua.lua_getglobal(L, lit('require'));
    pushString(L, name);
    this.protectedCall(1, 0);
  }

  /** Evaluates one line for the prompt: as an expression first (results printed), else as a statement. */
  evalLine(source: string): void {
    const L = this.L;
    const asExpr = lauxlib.luaL_loadbuffer(L, utf8Bytes('return ' + source), null, lit('=stdin'));
    if (asExpr !== lua.LUA_OK) {
      lua.lua_pop(L, 1);
      this.load(source, '=stdin');
    }
    const top = lua.lua_gettop(L) - 1;
    this.protectedCall(0, lua.LUA_MULTRET);
    const n = lua.lua_gettop(L) - top;
    if (n > 0) {
      lua.lua_getglobal(L, lit('print'));
      lua.lua_insert(L, top + 1);
      this.protectedCall(n, 0);
    }
  }

  flush(): void {
    this.out.flush();
  }

  stderr(s: string): void {
    this.out.flush();
    this.errOut(s);
  }
}

export { LuaCallError, LuaExit, bytesString, existsSync };
