// lua/packages/threads.lua on plain Fengari, with a `torch` table whose random functions
// are mpelu's own generator (src/torch/random.ts, Torch7's draws bit for bit): the pool's
// per-thread generators give Torch7's recorded streams (fixtures/torch7/rng), the main
// generator and default tensor type are left alone, each thread has its own globals,
// job closures keep their upvalues, errors come back as torch/threads words them.
// (test/fbresnet_lua.test.ts runs the same package inside `mpelu run`.)

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lua, lauxlib, lualib, to_luastring, to_jsstring } from 'fengari';
import { Generator, getRNGState, setRNGState, manualSeed, seed, uniform, setDefaultGenerator } from '../src/torch/random.js';

const PACKAGES = fileURLToPath(new URL('../lua/packages/', import.meta.url));

function torchUniforms(s: number): number[] {
  const text = readFileSync(new URL(`../fixtures/torch7/rng/rng_seed${s}.txt`, import.meta.url), 'latin1');
  return text.split('\n').find((l) => l.startsWith('uniform '))!.split(' ').slice(1).map(Number);
}

type L = ReturnType<typeof lauxlib.luaL_newstate>;

/** Runs Lua source with a minimal torch (mpelu's generator; states as handles) and returns what it printed. */
function runLua(source: string): string[] {
  setDefaultGenerator(new Generator());
  const states = new Map<number, Uint8Array>();
  let next = 1;
  let tensorType = 'torch.DoubleTensor';
  let numThreads = 2;
  const out: string[] = [];
  const Ls = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(Ls);
  const fns: Record<string, (L: L) => number> = {
    getRNGState: (L) => {
      states.set(next, getRNGState());
      lua.lua_pushinteger(L, next++);
      return 1;
    },
    setRNGState: (L) => {
      setRNGState(states.get(lua.lua_tointeger(L, 1))!);
      return 0;
    },
    manualSeed: (L) => {
      manualSeed(lua.lua_tonumber(L, 1));
      return 0;
    },
    seed: (L) => {
      lua.lua_pushnumber(L, seed());
      return 1;
    },
    uniform: (L) => {
      lua.lua_pushnumber(L, uniform());
      return 1;
    },
    getdefaulttensortype: (L) => {
      lua.lua_pushstring(L, to_luastring(tensorType));
      return 1;
    },
    setdefaulttensortype: (L) => {
      tensorType = to_jsstring(lua.lua_tostring(L, 1));
      return 0;
    },
    getnumthreads: (L) => {
      lua.lua_pushinteger(L, numThreads);
      return 1;
    },
    setnumthreads: (L) => {
      numThreads = lua.lua_tointeger(L, 1);
      return 0;
    },
  };
  lua.lua_createtable(Ls, 0, 0);
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushjsfunction(Ls, fn);
    lua.lua_setfield(Ls, -2, to_luastring(name));
  }
  lua.lua_setglobal(Ls, to_luastring('torch'));
  lua.lua_pushjsfunction(Ls, (L: L) => {
    const n = lua.lua_gettop(L);
    const parts: string[] = [];
    for (let i = 1; i <= n; i++) parts.push(to_jsstring(lauxlib.luaL_tolstring(L, i)));
    out.push(parts.join('\t'));
    return 0;
  });
  lua.lua_setglobal(Ls, to_luastring('print'));
  const chunk = `package.path = '${PACKAGES}?.lua;' .. package.path\n${source}`;
  if (lauxlib.luaL_loadstring(Ls, to_luastring(chunk)) !== lua.LUA_OK || lua.lua_pcall(Ls, 0, 0, 0) !== lua.LUA_OK) {
    throw new Error(to_jsstring(lua.lua_tostring(Ls, -1)));
  }
  return out;
}

describe('the threads package (lua/packages/threads.lua)', () => {
  it("gives each pool thread its own generator, seeded in the init function: Torch7's streams for seeds 1 and 123", () => {
    const out = runLua(`
      local Threads = require 'threads'
      Threads.serialization('threads.sharedserialize')
      torch.setdefaulttensortype('torch.FloatTensor')
      local seeds = {1, 123}
      local data = {name = 'train', values = {10, 20, 30, 40, 50, 60}}
      torch.manualSeed(42)
      local pool, res = Threads(2, function() end, function(idx)
        torch.manualSeed(seeds[idx])
        _G.dataset = data                 -- an upvalue, kept in the thread's own globals
        return #data.values, idx
      end)
      print('init', res[1][1], res[1][2], res[2][2])
      print('main', string.format('%.17g', torch.uniform()))
      print('main globals', dataset == nil, torch.getdefaulttensortype())
      local factor = 2                    -- an upvalue of every job
      for j = 1, 6 do
        pool:addjob(function(k)
          return k, __threadid, torch.uniform(), _G.dataset.values[k] * factor, torch.getdefaulttensortype()
        end, function(k, tid, u, v, tt) print('job', k, tid, string.format('%.17g', u), v, tt) end, j)
      end
      pool:synchronize()
    `);
    expect(out[0]).toBe('init\t6\t1\t2');
    // torch.manualSeed(42) then one uniform on the main generator, untouched by the pool.
    manualSeed(42);
    expect(Number(out[1]!.split('\t')[1])).toBe(uniform());
    expect(out[2]).toBe('main globals\ttrue\ttorch.FloatTensor');
    const u1 = torchUniforms(1);
    const u123 = torchUniforms(123);
    const jobs = out.slice(3);
    expect(jobs).toHaveLength(6);
    jobs.forEach((l, i) => {
      const [, k, tid, u, v, tt] = l.split('\t');
      const thread = (i % 2) + 1;
      expect([Number(k), Number(tid)]).toEqual([i + 1, thread]);
      expect(Number(u)).toBe((thread === 1 ? u1 : u123)[Math.floor(i / 2)]);
      expect(Number(v)).toBe((i + 1) * 20);
      expect(tt).toBe('torch.DoubleTensor'); // a fresh Torch thread's default type
    });
  });

  it("runs dataloader.lua's loop: acceptsjob bounds the queue, dojob returns results in order, two pools keep their own globals", () => {
    const out = runLua(`
      local Threads = require 'threads'
      local function pool(name) return Threads(1, function(idx) _G.name = name end) end
      local a, b = pool('train'), pool('val')
      local got, idx, queued = {}, 1, 0
      local function enqueue()
        while idx <= 5 and a:acceptsjob() do
          a:addjob(function(i) return i * i, _G.name end, function(r, n) got[#got + 1] = r .. n end, idx)
          idx = idx + 1
          queued = math.max(queued, a.endcallbacks.n)
        end
      end
      enqueue()
      while a:hasjob() do a:dojob(); enqueue() end
      print(table.concat(got, ' '), queued)
      b:addjob(function() return _G.name end, function(n) print('b', n) end)
      b:synchronize()
      print('hasjob', a:hasjob(), b:hasjob())
    `);
    expect(out).toEqual(['1train 4train 9train 16train 25train\t1', 'b\tval', 'hasjob\tfalse\tfalse']);
  });

  it('collects job errors and raises them at synchronize as torch/threads words them; refuses what it cannot do', () => {
    const out = runLua(`
      local threads = require 'threads'
      local pool = threads.Threads(2)
      pool:addjob(function() error('bad sample 7') end)
      pool:addjob(function() return 1 end, function() error('bad callback') end)
      print('haserror before', pool:haserror())
      local ok, err = pcall(function() pool:synchronize() end)
      print(ok, err:match('%[thread 1 callback%][^\\n]*bad sample 7') ~= nil, err:match('%[thread 2 endcallback%][^\\n]*bad callback') ~= nil)
      print('haserror after', pool:haserror())
      print(pcall(threads.Mutex))
      print(pcall(threads.Threads, 0))
      pool:terminate()
      print(pcall(function() pool:addjob(function() end) end))
    `);
    expect(out[0]).toBe('haserror before\tfalse');
    expect(out[1]).toBe('false\ttrue\ttrue');
    expect(out[2]).toBe('haserror after\tfalse');
    expect(out[3]).toMatch(/^false\t.*threads.Mutex is not available in mpelu/);
    expect(out[4]).toMatch(/^false\t.*the number of threads must be a positive integer, got 0/);
    expect(out[5]).toMatch(/^false\t.*thread system is not running/);
  });

  it("restores a job function's own globals after it ran in a thread", () => {
    const out = runLua(`
      local Threads = require 'threads'
      marker = 'main'
      local function f() return marker end
      local pool = Threads(1, function() marker = 'thread' end)
      pool:addjob(f, function(m) print('in thread', m) end)
      pool:synchronize()
      print('in main', f())
    `);
    expect(out).toEqual(['in thread\tthread', 'in main\tmain']);
  });

  it("keeps a pool thread's torch.setnumthreads to that thread, as OpenMP's count is per thread (dataloader.lua sets 1)", () => {
    const out = runLua(`
      local Threads = require 'threads'
      local pool = Threads(2, function() end, function(idx) if idx == 1 then torch.setnumthreads(1) end end)
      print('main after init', torch.getnumthreads())
      for i = 1, 4 do pool:addjob(function() return __threadid, torch.getnumthreads() end, function(id, n) print('thread', id, n) end) end
      pool:synchronize()
      print('main after jobs', torch.getnumthreads())
    `);
    expect(out).toEqual(['main after init\t2', 'thread\t1\t1', 'thread\t2\t2', 'thread\t1\t1', 'thread\t2\t2', 'main after jobs\t2']);
  });

  it("answers a pool thread's collectgarbage() without collecting the whole process (dataloader.lua calls it per batch)", () => {
    const out = runLua(`
      local calls = 0
      -- the runtime's collectgarbage (plain Fengari has no lua_gc): counts its calls
      collectgarbage = function(opt) calls = calls + 1; return opt == 'count' and 42 or 0 end
      local Threads = require 'threads'
      local pool = Threads(1)
      pool:addjob(function() return collectgarbage(), collectgarbage('step'), type(collectgarbage('count')) end, function(a, b, c) print(a, b, c) end)
      pool:synchronize()
      print('main collections', calls)
    `);
    expect(out).toEqual(['0\ttrue\tnumber', 'main collections\t1']);
  });
});
