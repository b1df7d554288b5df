-- The packages Torch scripts require, on top of the TypeScript bridge:
-- nn, cudnn, cunn, cutorch, optim, nnlr, paths, xlua, sys, and torch's Lua-side
-- helpers (CmdLine, save/load of Lua class instances, Timer).
local mpelu, js = ...
local torch = mpelu.torch
local classes = mpelu.classes

-- ---- namespaces of the TS classes: nn.X, cudnn.X ----
nn = nn or {}
cudnn = cudnn or {}
local namespaces = {nn = nn, cudnn = cudnn}
for name, ctor in pairs(mpelu.constructors) do
  local ns, short = name:match('^(%w+)%.(.+)$')
  if ns and namespaces[ns] then namespaces[ns][short] = ctor end
end
local nnTable = nn
local cudnnTable = cudnn
nn = nil  -- scripts get nn from require 'nn' (th does not preload it)

-- cudnn: the CPU twins; settings a model file writes
cudnn.version = 7605
cudnn.fastest = false
cudnn.benchmark = false
cudnn.verbose = false
function cudnn.convert(model, dst)
  -- the classes compute alike here: converting is renaming
  local from, to = 'nn.', 'cudnn.'
  if dst == nnTable then from, to = 'cudnn.', 'nn.' end
  local function walk(m)
    local name = torch.typename(m)
    if name and name:sub(1, #from) == from and classes[to .. name:sub(#from + 1)] then
      m.__mpelu_rename = to .. name:sub(#from + 1)
      js.rename(m, to .. name:sub(#from + 1))
    end
    if m.modules then for _, c in ipairs(m.modules) do walk(c) end end
  end
  walk(model)
  return model
end

local cutorch = {
  manualSeed = function(s) torch.manualSeed(s) end,
  manualSeedAll = function(s) torch.manualSeed(s) end,
  synchronize = function() end,
  synchronizeAll = function() end,
  getDeviceCount = function() return 1 end,
  setDevice = function() end,
  getDevice = function() return 1 end,
  getMemoryUsage = function() return 0, 0 end,
  getDeviceProperties = function() return {name = 'mpelu (' .. js.backendName() .. ')', totalGlobalMem = 0, freeGlobalMem = 0} end,
  seed = function() return torch.seed() end,
  initialSeed = function() return torch.initialSeed() end,
}
torch.CudaTensor = torch.FloatTensor
torch.CudaStorage = torch.FloatStorage
torch.CudaLongTensor = torch.LongTensor

-- ---- optim ----
local optim = {}
function optim.sgd(opfunc, x, config, state)
  local cfg = config or {}
  local st = state or cfg
  local xNew, fs, cfgOut, stOut = js.sgd(opfunc, x, cfg, st == cfg and 'same' or st)
  for k, v in pairs(cfgOut) do cfg[k] = v end
  if st ~= cfg then for k, v in pairs(stOut) do st[k] = v end end
  local out = {}
  for i, f in ipairs(fs) do out[i] = f end
  return xNew, out
end

-- ---- nnlr: methods on every module, as the nnlr package adds them ----
local nnlr = {}
local Module = classes['nn.Module']
function Module:learningRate(accessor, value) return js.learningRate(self, accessor, value) end
function Module:weightDecay(accessor, value) return js.weightDecay(self, accessor, value) end
function Module:getOptimConfig(baseLR, baseWD) return js.getOptimConfig(self, baseLR, baseWD) end

-- ---- torch helpers ----
torch.Timer = js.Timer
torch.DiskFile, torch.MemoryFile, torch.PipeFile = js.DiskFile, js.MemoryFile, js.PipeFile
js.setFileRevive(function(v) return mpelu.revive(v) end)
torch.serialize = js.serialize
torch.deserialize = function(s, format) return mpelu.revive(js.deserialize(s, format)) end
torch.save = function(file, obj, format, referenced) js.save(file, obj, format) end
torch.load = function(file, format) return mpelu.revive(js.load(file, format)) end
torch.setnumthreads = function(n) js.setnumthreads(n) end   -- mpelu's wasm kernel threads
torch.getnumthreads = function() return js.getnumthreads() end
torch.setheaptracking = function() end
torch.updateerrorhandlers = function() end

-- Pure-Lua class instances and plain tables come back from a file as Lua tables.
function mpelu.revive(v, seen)
  seen = seen or {}
  if type(v) ~= 'table' or not mpelu.isObject(v) then return v end
  if seen[v] then return seen[v] end
  local name = torch.typename(v)
  if name and js.isObjectClass(name) then return v end   -- TS-backed: the object itself
  if js.isTorchObject(v) and not classes[name] then return v end  -- unknown class: opaque object
  local t = {}
  seen[v] = t
  for k, x in pairs(v) do t[mpelu.revive(k, seen)] = mpelu.revive(x, seen) end
  if name then setmetatable(t, classes[name]) end
  return t
end

-- ---- torch.CmdLine ----
function mpelu.runPrelude(name) assert(loadfile(js.luaDir .. '/' .. name))(mpelu) end
mpelu.runPrelude('cmdline.lua')

-- ---- paths ----
paths = {}
function paths.concat(...)
  local parts = {...}
  local out
  for _, p in ipairs(parts) do
    if p:sub(1, 1) == '/' or out == nil then out = p
    else out = out:gsub('/+$', '') .. '/' .. p end
  end
  if out == nil then return js.cwd() end
  if out:sub(1, 1) ~= '/' then out = js.cwd() .. '/' .. out end
  out = js.normalize(out)
  if #out > 1 then out = out:gsub('/+$', '') end
  return out
end
paths.filep = js.filep
paths.dirp = js.dirp
function paths.mkdir(p) return js.mkdir(p) end
function paths.rmdir(p) return os.remove(p) ~= nil end
paths.rmall = function(p, yes) if yes == 'yes' then return js.rmall(p) end return false end
function paths.dirname(p)
  local d = p:match('^(.*)/[^/]*$')
  if d == nil then return '.' end
  if d == '' then return '/' end
  return d
end
function paths.basename(p, ext)
  local base = p:gsub('/+$', ''):match('([^/]*)$')
  if ext then
    local e = base:match('%.([^%.]*)$')
    if e == ext or ext == e then base = base:sub(1, #base - #e - 1) end
  end
  return base
end
function paths.extname(p)
  local base = paths.basename(p)
  return base:match('%.([^%.]*)$')
end
function paths.dir(p)
  local t = js.dir(p)
  if not t then return nil end
  local out = {}
  for i = 1, #t do out[i] = t[i] end
  return out
end
function paths.files(p, filter)
  local list = paths.dir(p) or {}
  local i = 0
  return function()
    while true do
      i = i + 1
      local f = list[i]
      if f == nil then return nil end
      if not filter or (type(filter) == 'function' and filter(f)) or (type(filter) == 'string' and f:find(filter)) then return f end
    end
  end
end
-- Entries of folder p (no '.' or '..') for which test(fullpath) holds.
local function iterEntries(p, test)
  local it = paths.files(p)
  return function()
    while true do
      local f = it()
      if f == nil then return nil end
      if f ~= '.' and f ~= '..' and test(paths.concat(p, f)) then return f end
    end
  end
end
function paths.iterfiles(p) return iterEntries(p, paths.filep) end
function paths.iterdirs(p) return iterEntries(p, paths.dirp) end
paths.home = js.home()
paths.cwd = js.cwd
paths.tmpname = function() return os.tmpname() end
paths.uname = function() return 'Linux' end
-- as in paths: the system's name when it is that system, else nil (not false)
local function systemIs(name) if paths.uname():find(name, 1, true) then return name end end
paths.is_win = function() return systemIs('Windows') end
paths.is_mac = function() return systemIs('Darwin') end
paths.execdir = function() return '/usr/local/bin' end
function paths.thisfile(arg, depth)
  local src = debug.getinfo((depth or 1) + 1, 'S').source
  local file = src:sub(1, 1) == '@' and src:sub(2) or nil
  if file and arg then return paths.concat(paths.dirname(file), arg) end
  return file and paths.concat(file)
end
function paths.dofile(f, ...)
  local dir = mpelu.callerDir(2)
  return dofile(f:sub(1, 1) == '/' and f or dir .. '/' .. f)
end
function paths.require(name) return require(name) end
function paths.findprogram() return nil end

-- ---- xlua, sys ----
local xlua = {}
function xlua.progress(done, total)
  if done >= total then io.write('\r', string.rep(' ', 60), '\r') end
end
function xlua.require(name) local ok, m = pcall(require, name); return ok and m or nil end
function xlua.print(...) print(...) end
local sys = {}
sys.clock = os.clock
sys.time = function() return os.time() end
sys.sleep = function(s) os.execute('sleep ' .. tonumber(s)) end
sys.execute = function(cmd) local f = io.popen and io.popen(cmd); if f then local s = f:read('*a'); f:close(); return s end end
sys.uname = function() return 'linux' end
sys.COLORS = setmetatable({}, {__index = function() return '' end})
sys.tic = function() mpelu.ticTimer = torch.Timer() end
sys.toc = function() return mpelu.ticTimer and mpelu.ticTimer:time().real or 0 end

-- ---- package table ----
local function provide(name, value)
  package.preload[name] = function() return value end
end
provide('nn', nnTable)
provide('cunn', nnTable)
provide('cutorch', cutorch)
provide('optim', optim)
provide('nnlr', nnlr)
provide('xlua', xlua)
provide('sys', sys)
provide('dok', {})
-- mpelu.export: the model to ONNX or safetensors, safetensors weights back (src/export)
provide('mpelu.export', {
  export = function(model, path, opt) return js.exportModel(model, path, nil, opt) end,
  onnx = function(model, path, opt) return js.exportModel(model, path, 'onnx', opt) end,
  safetensors = function(model, path, opt) return js.exportModel(model, path, 'safetensors', opt) end,
  importWeights = function(model, path) return js.importWeights(model, path) end,
})
provide('image', nil)
package.preload.image = nil
package.loaded.torch = torch
package.loaded.paths = paths
package.loaded.sys = sys
package.loaded.xlua = xlua
xlua_ = nil
_G.sys = sys
_G.xlua = xlua
mpelu.cutorch = cutorch
mpelu.nn = nnTable
-- `require 'nn'` makes the global nn (and cunn/cudnn the globals they define)
local plainPreload = package.preload
plainPreload.nn = function() nn = nnTable; return nnTable end
plainPreload.cunn = function() nn = nnTable; cutorch = cutorch or mpelu.cutorch; _G.cutorch = mpelu.cutorch; return nnTable end
plainPreload.cutorch = function() _G.cutorch = mpelu.cutorch; return mpelu.cutorch end
plainPreload.cudnn = function() nn = nn or nnTable; _G.cudnn = cudnnTable; return cudnnTable end
plainPreload.optim = function() _G.optim = optim; return optim end
plainPreload.nnlr = function() nn = nn or nnTable; return nnlr end
cudnn = nil
