-- Lua 5.1 / LuaJIT 2.1 names for Fengari's Lua 5.3, as Torch7 scripts use them.
-- Loaded by mpelu's runtime before any script (the bit library, newproxy and the
-- number formatting live on the TypeScript side).

_VERSION = 'Lua 5.1'
unpack = table.unpack
loadstring = load -- a string's own text is its chunk name in both
math.pow = function(x, y) return x ^ y end
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = math.ldexp or function(m, e) return m * 2.0 ^ e end
math.frexp = math.frexp or function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = math.floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
for _, f in ipairs({'cosh', 'sinh', 'tanh'}) do
  math[f] = math[f] or ({
    cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end,
    sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end,
    tanh = function(x) local a, b = math.exp(x), math.exp(-x); return (a - b) / (a + b) end,
  })[f]
end
math.atan2 = math.atan2 or function(y, x) return math.atan(y, x) end
math.mod = nil
-- math.floor/ceil give doubles as LuaJIT's do: src/lua/stdlib.ts
table.getn = function(t) return #t end
table.maxn = function(t)
  local m = 0
  for k in pairs(t) do if type(k) == 'number' and k > m then m = k end end
  return m
end
table.setn = function() error("'setn' is obsolete") end
string.gfind = string.gmatch
rawlen = nil
math.tointeger = nil
utf8 = nil

-- Function environments: a function's globals are its _ENV upvalue in Lua 5.3.
local function envIndex(f)
  local i = 1
  while true do
    local name = debug.getupvalue(f, i)
    if name == '_ENV' then return i end
    if not name then return nil end
    i = i + 1
  end
end
local function fenvTarget(f, level)
  if type(f) == 'number' then
    if f == 0 then return nil end
    local info = debug.getinfo(f + level, 'f')
    if not info then error('bad argument #1 to \'getfenv\' (invalid level)', level + 1) end
    return info.func
  end
  return f
end
function getfenv(f)
  f = fenvTarget(f or 1, 2)
  if f == nil then return _G end
  local i = envIndex(f)
  if not i then return _G end
  local _, env = debug.getupvalue(f, i)
  return env
end
function setfenv(f, t)
  f = fenvTarget(f, 2)
  if f == nil then error('setfenv(0) is not supported by mpelu', 2) end
  local i = envIndex(f)
  if i then debug.upvaluejoin(f, i, function() return t end, 1) end
  return f
end

-- Old-style packages: module(name, ...) makes the rest of the file write into a table.
function module(name, ...)
  local M = package.loaded[name]
  if type(M) ~= 'table' then
    M = _G
    for part in name:gmatch('[^%.]+') do
      local nxt = rawget(M, part)
      if nxt == nil then nxt = {}; rawset(M, part, nxt) end
      M = nxt
    end
    package.loaded[name] = M
  end
  if M._NAME == nil then
    M._M = M
    M._NAME = name
    M._PACKAGE = name:match('^(.*%.)[^%.]*$') or ''
  end
  for _, option in ipairs({...}) do option(M) end
  setfenv(2, M)
  return M
end
function package.seeall(M)
  local mt = getmetatable(M) or {}
  mt.__index = _G
  setmetatable(M, mt)
end
package.loaders = package.searchers
package.searchers = nil

jit = {version = 'LuaJIT 2.1.0-beta3', version_num = 20100, os = 'Linux', arch = 'x64',
  on = function() end, off = function() end, flush = function() end, status = function() return false end,
  opt = {start = function() end}}

-- newproxy(true): an object with its own metatable (LuaJIT's undocumented helper).
function newproxy(withMeta)
  local p = {}
  if withMeta == true then setmetatable(p, {}) elseif type(withMeta) == 'table' then setmetatable(p, getmetatable(withMeta)) end
  return p
end
package.cpath = './?.so;/usr/local/lib/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so'
