-- threads: torch/threads' pool API (Threads(N, init..., main), addjob, dojob, synchronize,
-- hasjob, acceptsjob, haserror, specific, terminate, serialization) for mpelu.
--
-- Decision (measured, see README "Run the paper's command"): the pool is emulated in the
-- one Lua state, not run on worker threads. fb.resnet.torch's loader spends ~1-2% of a
-- step on its jobs, so parallel loading could not pay for a second copy of the runtime
-- per worker. What a real pool thread has of its own, each emulated thread has too:
--   * its own random generator: a job runs with the thread's generator state swapped in
--     (torch.getRNGState/setRNGState), so torch.manualSeed(seed + idx) in an init
--     function seeds that thread only, and draws in jobs continue that thread's stream;
--     a fresh thread starts time-seeded (torch.seed()), as a new Torch state does;
--   * its own default tensor type (a fresh Torch state's: torch.DoubleTensor);
--   * its own torch.setnumthreads (OpenMP's count is per thread): a job's
--     torch.setnumthreads(1), as dataloader.lua's, holds for that thread's jobs only;
--   * its own globals: the job and init functions (and closures they create) see a
--     per-thread global table whose _G is itself; reads fall back to the main globals,
--     which hold the already-loaded packages (torch, nn, ...). Functions defined in other
--     files keep the main globals.
-- Jobs run when their results are collected (dojob), in the order they were added;
-- thread i takes jobs i, i+N, i+2N, ... (one schedule a real pool may produce; with
-- N = 1, the only one). Upvalues and arguments are passed by reference, as
-- threads.sharedserialize shares tensors and storages (tables are not deep-copied).
-- Errors are collected and raised as threads does: '[thread N callback] ...'.

local unpack = table.unpack or unpack

local threads = {}
local Threads = {}
Threads.__index = Threads
Threads.__serialize = 'threads.serialize'

local mainGlobals = _G

-- ---- per-thread contexts ---------------------------------------------------------

-- A closure whose single upvalue holds `value`; upvaluejoin points a function's _ENV at it.
local function holder(value)
  return function() return value end
end

local function envIndex(f)
  local i = 1
  while true do
    local name = debug.getupvalue(f, i)
    if name == nil then return nil end
    if name == '_ENV' then return i end
    i = i + 1
  end
end

-- A pool thread's collectgarbage(): in Torch7 it collects that thread's own small Lua heap
-- (dataloader.lua calls it after every batch). Here the thread's garbage is ordinary JS
-- objects and host arrays, which V8 reclaims by itself, and device copies are released by
-- the runtime's own pauses (src/lua/release.ts) whenever tfjs memory grows; a full
-- collection of the whole process per batch (what the main thread's collectgarbage() does)
-- cost more than a training step of a small network. So it only answers.
local realCollectgarbage = collectgarbage
local function threadCollectgarbage(opt, ...)
  opt = opt or 'collect'
  if opt == 'collect' then return 0 end
  if opt == 'step' then return true end
  return realCollectgarbage(opt, ...)
end

local function newContext(idx)
  local env = setmetatable({}, {__index = mainGlobals})
  env._G = env
  env.__threadid = idx
  env.collectgarbage = threadCollectgarbage
  -- A fresh Torch state is time-seeded; take such a state without disturbing the caller's.
  local saved = torch.getRNGState()
  torch.seed()
  local state = torch.getRNGState()
  torch.setRNGState(saved)
  return {idx = idx, env = env, rng = state, tensortype = 'torch.DoubleTensor'}
end

-- Runs f(...) as thread ctx: its globals, generator and default tensor type; returns
-- true and f's results, or false and the error message with a traceback.
local function runIn(ctx, f, ...)
  local envSlot = envIndex(f)
  local keep
  if envSlot then
    keep = holder(nil)
    debug.upvaluejoin(keep, 1, f, envSlot)       -- remember f's own _ENV cell
    debug.upvaluejoin(f, envSlot, holder(ctx.env), 1)
  end
  local mainRng = torch.getRNGState()
  local mainType = torch.getdefaulttensortype()
  local mainThreads = torch.getnumthreads()
  torch.setRNGState(ctx.rng)
  torch.setdefaulttensortype(ctx.tensortype)
  if ctx.numthreads then torch.setnumthreads(ctx.numthreads) end
  local res = table.pack(xpcall(f, debug.traceback, ...))
  ctx.rng = torch.getRNGState()
  ctx.tensortype = torch.getdefaulttensortype()
  local threadsNow = torch.getnumthreads()
  if ctx.numthreads or threadsNow ~= mainThreads then
    ctx.numthreads = threadsNow
    torch.setnumthreads(mainThreads)
  end
  torch.setRNGState(mainRng)
  torch.setdefaulttensortype(mainType)
  if envSlot then debug.upvaluejoin(f, envSlot, keep, 1) end
  return unpack(res, 1, res.n)
end

-- ---- the pool ------------------------------------------------------------------------

function Threads.serialization(name)
  if name then
    assert(type(name) == 'string', 'threads.serialization: a module name (string) expected')
    Threads.__serialize = name
  else
    return Threads.__serialize
  end
end

local function checkrunning(self)
  assert(self.__running, 'thread system is not running')
end

function Threads.new(N, ...)
  assert(type(N) == 'number' and N >= 1 and N == math.floor(N), 'threads.Threads: the number of threads must be a positive integer, got ' .. tostring(N))
  local self = setmetatable({N = N, queue = {}, errors = {}, endcallbacks = {n = 0}, contexts = {},
    nextThread = 0, __specific = true, __running = true}, Threads)
  for i = 1, N do self.contexts[i] = newContext(i) end
  local funcs = {...}
  if #funcs == 0 then funcs = {function() end} end
  local initres = {}
  for j = 1, #funcs do
    for i = 1, N do
      if j ~= #funcs then
        self:addjob(i, funcs[j], function() end, i)
      else
        self:addjob(i, funcs[j], function(...) table.insert(initres, {...}) end, i)
      end
    end
  end
  self:specific(false)
  return self, initres
end

function Threads:isrunning()
  return self.__running
end

function Threads:specific(flag)
  checkrunning(self)
  if flag == nil then return self.__specific end
  assert(type(flag) == 'boolean', 'boolean expected')
  self:synchronize()
  self.__specific = flag
end

-- A real pool's queue holds N jobs; beyond that addjob first runs jobs (dojob), as here.
function Threads:acceptsjob(idx)
  checkrunning(self)
  if self.__specific then
    assert(type(idx) == 'number' and idx >= 1 and idx <= self.N, 'thread index expected')
  end
  return #self.queue < self.N
end

function Threads:addjob(...)
  checkrunning(self)
  if #self.errors > 0 then self:synchronize() end
  local idx, callback, endcallback, first
  if self.__specific then
    idx = select(1, ...)
    assert(type(idx) == 'number' and idx >= 1 and idx <= self.N, 'thread index expected')
    callback, endcallback, first = select(2, ...), select(3, ...), 4
  else
    callback, endcallback, first = select(1, ...), select(2, ...), 3
    self.nextThread = self.nextThread % self.N + 1
    idx = self.nextThread
  end
  assert(type(callback) == 'function', 'function callback expected')
  assert(type(endcallback) == 'function' or endcallback == nil, 'function (or nil) endcallback expected')
  while not self:acceptsjob(idx) do self:dojob() end
  local args = table.pack(select(first, ...))
  table.insert(self.queue, {thread = idx, callback = callback, endcallback = endcallback or function() end, args = args})
  self.endcallbacks.n = self.endcallbacks.n + 1
end

function Threads:dojob()
  checkrunning(self)
  local job = table.remove(self.queue, 1)
  if not job then return end
  local res = table.pack(runIn(self.contexts[job.thread], job.callback, unpack(job.args, 1, job.args.n)))
  if res[1] then
    local ok, msg = xpcall(function() job.endcallback(unpack(res, 2, res.n)) end, debug.traceback)
    if not ok then table.insert(self.errors, string.format('[thread %d endcallback] %s', job.thread, msg)) end
  else
    table.insert(self.errors, string.format('[thread %d callback] %s', job.thread, tostring(res[2])))
  end
  self.endcallbacks.n = self.endcallbacks.n - 1
end

function Threads:haserror()
  checkrunning(self)
  return #self.errors > 0
end

function Threads:hasjob()
  checkrunning(self)
  return self.endcallbacks.n > 0
end

function Threads:synchronize()
  if not self.__running then return end
  while self:hasjob() do self:dojob() end
  if #self.errors > 0 then
    local msg = string.format('\n%s', table.concat(self.errors, '\n'))
    self.errors = {}
    error(msg)
  end
end

function Threads:terminate()
  if not self.__running then return end
  self:synchronize()
  self.__running = false
end

-- ---- the package table ---------------------------------------------------------------------

local ctor = setmetatable({}, {
  __index = Threads,
  __newindex = Threads,
  __call = function(_, ...) return Threads.new(...) end,
})

local function unavailable(name)
  return function()
    error('threads.' .. name .. ' is not available in mpelu: pool jobs run in the one Lua state (threads.Threads works)', 2)
  end
end

threads.Threads = ctor
threads.serialization = Threads.serialization
threads.Thread = unavailable('Thread')
threads.Mutex = unavailable('Mutex')
threads.Condition = unavailable('Condition')
-- `local Threads = require 'threads'; Threads(n, ...)` works too, as in torch/threads.
setmetatable(threads, getmetatable(ctor))

package.loaded['threads.threads'] = ctor
package.loaded['threads.sharedserialize'] = package.loaded['threads.sharedserialize'] or {}
package.loaded['threads.serialize'] = package.loaded['threads.serialize'] or {}

return threads
