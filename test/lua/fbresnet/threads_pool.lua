-- A threads pool used as fb.resnet.torch's dataloader.lua uses it (own code):
-- init functions with upvalues, per-thread globals (_G.dataset), per-thread generators
-- seeded in the init function, jobs carrying upvalues and arguments, end callbacks,
-- two pools side by side, errors. Prints one line per fact for the vitest suite.
require 'torch'
local Threads = require 'threads'
Threads.serialization('threads.sharedserialize')
torch.setdefaulttensortype('torch.FloatTensor')

fbtest = {}
local Dataset = torch.class('fbtest.Dataset')
function Dataset:__init(name, n) self.name = name; self.data = torch.range(1, n) end
function Dataset:get(i) return self.data[i] end
function Dataset:size() return self.data:size(1) end

-- Seeds 1 and 123 are the ones fixtures/torch7/rng recorded Torch7's draws for.
local seeds = {1, 123}
local function makePool(dataset)
  local function init() require 'torch' end
  local function main(idx)
    torch.manualSeed(seeds[idx])
    _G.dataset = dataset
    return dataset:size(), idx
  end
  return Threads(2, init, main)
end

torch.manualSeed(42)
local mainFirst = torch.uniform()
torch.manualSeed(42)

local train, sizes = makePool(fbtest.Dataset('train', 10))
local val = makePool(fbtest.Dataset('val', 3))
print('init results', sizes[1][1], sizes[1][2], sizes[2][1], sizes[2][2])
print('main generator untouched', torch.uniform() == mainFirst)
print('main default tensor type', torch.getdefaulttensortype())
print('globals stay in the threads', dataset == nil)

local scale = 10  -- an upvalue of every job
local out = {}
for j = 1, 6 do
  train:addjob(
    function(k)
      return k, __threadid, torch.uniform(), _G.dataset.name, _G.dataset:get(k) * scale, torch.getdefaulttensortype()
    end,
    function(k, tid, u, name, v, tt) out[#out + 1] = string.format('job %d thread %d uniform %.17g %s %g %s', k, tid, u, name, v, tt) end,
    j)
end
train:synchronize()
for _, l in ipairs(out) do print(l) end
val:addjob(function() return _G.dataset.name, _G.dataset:size() end, function(n, s) print('val pool sees', n, s) end)
val:synchronize()
print('hasjob after synchronize', train:hasjob())

-- dataloader.lua's loop: enqueue while the pool accepts, dojob, results in order.
local got = {}
local idx = 1
local function enqueue()
  while idx <= 4 and train:acceptsjob() do
    train:addjob(function(i) return i * 2 end, function(r) got[#got + 1] = r end, idx)
    idx = idx + 1
  end
end
enqueue()
while train:hasjob() do train:dojob(); enqueue() end
print('loop results', table.concat(got, ' '))

-- errors are collected and raised by synchronize, naming the thread
train:addjob(function() error('bad sample') end)
local ok, err = pcall(function() train:synchronize() end)
print('error raised', not ok, err:match('%[thread %d callback%][^\n]*bad sample') ~= nil)
print('Mutex', pcall(function() return require('threads').Mutex() end))
train:terminate()
print('running after terminate', train:isrunning())
