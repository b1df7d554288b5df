// Releasing what a Lua script drops.
//
// Fengari has no __gc, and needs none for memory: a tensor Lua holds is a light
// userdata whose value is the JS Tensor, so when Lua drops it the Tensor and its
// Storage become unreachable JS objects. Host arrays then go with the JS garbage
// collector; a storage's device copy (a tfjs tensor) is disposed by the storage's
// FinalizationRegistry (src/torch/storage.ts). Objects TypeScript still holds (a
// module's weights, its output) stay reachable and are never released.
//
// The catch: V8 runs finalization callbacks only between tasks, never inside one long
// synchronous call, and a script is one call. So `mpelu run` runs a script as a
// resumable main thread: a count hook pauses it (lua_yield from the hook) once the
// tfjs tensors or bytes have grown by a margin since the last pause, and so does
// collectgarbage(); the driver then runs a full collection, lets the event loop run
// the finalizers, and resumes the script. Pauses happen only where Lua may yield
// (not inside a JS call that called back into Lua), so JS state is never mid-change.

import v8 from 'node:v8';
import vm from 'node:vm';
import { tf } from '../torch/tfjs_core.js';
import { lua, lit, toStr, type LuaState } from './fengari.js';

/** tfjs tensors (or bytes) a script may leave behind between two pauses. */
export const PAUSE_AFTER_TENSORS = 2000;
export const PAUSE_AFTER_BYTES = 64 * 1024 * 1024;
/** VM instructions between two looks at the tfjs counters. */
const HOOK_EVERY = 10000;

let gcFunction: (() => void) | null | undefined;

/** A full JS garbage collection (node's gc(), exposed at first use). */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFunction = exposed;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        gcFunction = vm.runInNewContext('gc') as () => void;
      } catch {
        gcFunction = null; // a runtime without it: collection happens when V8 decides
      }
    }
  }
  gcFunction?.();
}

function engineCounts(): { tensors: number; bytes: number } {
  const state = tf.engine().state;
  return { tensors: state.numTensors, bytes: state.numBytes };
}

/** The pause policy for one Lua state's main thread. */
export class Releaser {
  private mark = engineCounts();
  /** Set when the script was paused by us (not by a script's own coroutine.yield). */
  pausing = false;

  constructor(private readonly L: LuaState) {}

  /** True when enough device memory may have been dropped to be worth a collection. */
  private pressure(): boolean {
    const now = engineCounts();
    return now.tensors > this.mark.tensors + PAUSE_AFTER_TENSORS || now.bytes > this.mark.bytes + PAUSE_AFTER_BYTES;
  }

  /** Installs the count hook on the main thread (coroutines inherit it but never pause). */
  attach(): void {
    lua.lua_sethook(this.L, (L: LuaState) => {
      if (L !== this.L || !lua.lua_isyieldable(L) || !this.pressure()) return;
      this.pausing = true;
      lua.lua_yield(L, 0);
    }, lua.LUA_MASKCOUNT, HOOK_EVERY);
  }

  detach(): void {
    lua.lua_sethook(this.L, null, 0, 0);
  }

  /** collectgarbage('collect') from Lua: pause here when the script can be resumed later. */
  requestPause(L: LuaState): boolean {
    if (L !== this.L || !lua.lua_isyieldable(L)) return false;
    this.pausing = true;
    return true;
  }

  /** Collects, lets the finalizers run, and takes the new counts as the mark. */
  async release(): Promise<void> {
    this.pausing = false;
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
    this.mark = engineCounts();
  }
}

/**
 * collectgarbage(opt) as LuaJIT answers it: 'count' is the heap in KB; 'collect' (the
 * default) and 'step' run a full JS collection and, where the script can be paused,
 * pause it so the finalizers release dropped device copies before it goes on.
 */
export function installCollectGarbage(L: LuaState, releaser: Releaser): void {
  lua.lua_pushcfunction(L, (L2: LuaState) => {
    const opt = lua.lua_isnoneornil(L2, 1) ? 'collect' : toStr(L2, 1);
    if (opt === 'count') {
      lua.lua_pushnumber(L2, process.memoryUsage().heapUsed / 1024);
      return 1;
    }
    const result = (L3: LuaState) => {
      if (opt === 'step') lua.lua_pushboolean(L3, true);
      else lua.lua_pushinteger(L3, 0);
      return 1;
    };
    if (opt === 'collect' || opt === 'step') {
      collectGarbage();
      if (releaser.requestPause(L2)) return lua.lua_yieldk(L2, 0, 0, result);
    }
    return result(L2);
  });
  lua.lua_setglobal(L, lit('collectgarbage'));
}
