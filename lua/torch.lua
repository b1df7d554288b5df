-- Torch's class system and the Lua-side parts of the torch package.
-- mpelu is the runtime's private table; js holds the TypeScript functions.
local mpelu, js = ...
local torch = mpelu.torch
local classes = {}
mpelu.classes = classes

local rawget, rawset, getmetatable, setmetatable = rawget, rawset, getmetatable, setmetatable
local jsIsObject = js.isObject
mpelu.isObject = jsIsObject

-- Walks a class table and its ancestors (rawget only).
local function classget(mt, k)
  while mt do
    local v = rawget(mt, k)
    if v ~= nil then return v end
    mt = getmetatable(mt)
  end
end
mpelu.classget = classget

local function instanceIndex(self, k)
  local mt = getmetatable(self)
  local hook = classget(mt, '__index__')
  if hook then
    local v, found = hook(self, k)
    if found then return v end
  end
  return classget(mt, k)
end

local function instanceNewindex(self, k, v)
  local hook = classget(getmetatable(self), '__newindex__')
  if hook and hook(self, k, v) then return end
  rawset(self, k, v)
end

local function instanceTostring(self)
  local mt = getmetatable(self)
  local f = classget(mt, '__tostring__')
  if f then return f(self) end
  return rawget(mt, '__typename')
end

local function instanceCall(self, ...)
  local f = classget(getmetatable(self), '__call__')
  if not f then error('attempt to call a ' .. tostring(rawget(getmetatable(self), '__typename')) .. ' value', 2) end
  return f(self, ...)
end

local function new(mt, ...)
  local name = rawget(mt, '__typename')
  local obj
  if rawget(mt, '__ts') then return js.construct(name, ...) end
  if rawget(mt, '__backed') then obj = js.blank(name) else obj = setmetatable({}, mt) end
  local init = classget(mt, '__init')
  if init then init(obj, ...) end
  return obj
end

-- Where a class's constructor lives: _G[name] or namespace[rest].
local function placeConstructor(name, ctor)
  local ns, short = name:match('^(.*)%.([^%.]+)$')
  local where = _G
  if ns then
    where = _G
    for part in ns:gmatch('[^%.]+') do
      where = rawget(where, part)
      if type(where) ~= 'table' then error(ns .. ' is an invalid module name', 0) end
    end
  else
    short = name
  end
  where[short] = ctor
end

-- Creates the class table of `name` (parent: another class name or nil).
function mpelu.defineClass(name, parentName, methods, ts)
  local mt = {}
  if methods then for k, f in pairs(methods) do mt[k] = f end end
  mt.__typename = name
  mt.__version = 1
  mt.__index = instanceIndex
  mt.__newindex = instanceNewindex
  mt.__tostring = instanceTostring
  mt.__call = instanceCall
  if ts then mt.__ts = true; mt.__backed = true end
  local parent = parentName and classes[parentName]
  if parent then
    setmetatable(mt, parent)
    if rawget(parent, '__backed') then mt.__backed = true end
  end
  classes[name] = mt
  local ctor = setmetatable({}, {__index = mt, __newindex = mt, __call = function(_, ...) return new(mt, ...) end})
  mpelu.constructors[name] = ctor
  return mt, ctor
end
mpelu.constructors = {}

local replacedBuiltins = {}

function torch.class(name, parentName, module)
  if type(parentName) == 'table' then parentName, module = nil, parentName end
  if type(name) ~= 'string' then error('bad argument #1 to \'class\' (string expected)', 2) end
  if classes[name] then
    -- A built-in (TypeScript) class may be defined again once from Lua, which replaces it,
    -- as the MPELU paper's nn.PReLU.lua replaces nn's own file. Anything else is Torch's error.
    if not rawget(classes[name], '__ts') or replacedBuiltins[name] then
      error(name .. ' has been already assigned a factory', 2)
    end
    replacedBuiltins[name] = true
  end
  if parentName ~= nil and classes[parentName] == nil then
    error('bad argument #2 (parent class name ' .. tostring(parentName) .. ' is not a class)', 2)
  end
  local ns = name:match('^(.*)%.[^%.]+$')
  if ns and not module then
    local where = _G
    for part in ns:gmatch('[^%.]+') do
      where = rawget(where, part)
      if type(where) ~= 'table' then
        error('while creating metatable ' .. name .. ': bad argument #1 (' .. ns .. ' is an invalid module name)', 2)
      end
    end
  end
  local parent = parentName and classes[parentName]
  if parent and rawget(parent, '__backed') then js.derive(name, parentName) end
  local mt, ctor = mpelu.defineClass(name, parentName)
  if module then module[name:match('([^%.]+)$')] = ctor else placeConstructor(name, ctor) end
  return mt, parent
end

local function typenameOf(obj)
  if jsIsObject(obj) then return js.typename(obj) end
  if type(obj) == 'table' then
    local mt = getmetatable(obj)
    if type(mt) == 'table' then return rawget(mt, '__typename') end
  end
end

function torch.typename(obj)
  return typenameOf(obj)
end

function torch.type(obj)
  local t = typenameOf(obj)
  if t then return t end
  return type(obj)
end

function torch.getmetatable(name)
  return classes[name]
end

function torch.isTypeOf(obj, cls)
  local target = cls
  if type(cls) == 'table' then
    target = rawget(cls, '__typename') or (getmetatable(cls) and rawget(getmetatable(cls), '__index') and rawget(getmetatable(cls).__index, '__typename'))
  end
  local name = typenameOf(obj)
  local mt = name and classes[name]
  while mt do
    if rawget(mt, '__typename') == target then return true end
    mt = getmetatable(mt)
  end
  if name and not classes[name] and type(target) == 'string' then
    return name == target or name:match(target) ~= nil
  end
  return false
end

function torch.factory(name)
  local mt = classes[name]
  if not mt then return nil end
  return function()
    if rawget(mt, '__backed') then return js.blank(name) end
    return setmetatable({}, mt)
  end
end

function torch.setmetatable(obj, name)
  local mt = type(name) == 'table' and name or classes[name]
  if not mt then error('bad argument #2 to \'setmetatable\' (unknown class ' .. tostring(name) .. ')', 2) end
  return setmetatable(obj, mt)
end

-- getmetatable of a bridged object is its class table (Torch's objects carry it).
local luaGetmetatable = getmetatable
_G.getmetatable = function(obj)
  if jsIsObject(obj) then
    local name = js.typename(obj)
    return name and classes[name] or nil
  end
  return luaGetmetatable(obj)
end

local luaRawget, luaRawset = rawget, rawset
_G.rawget = function(t, k)
  if jsIsObject(t) then return js.rawget(t, k) end
  return luaRawget(t, k)
end
_G.rawset = function(t, k, v)
  if jsIsObject(t) then js.rawset(t, k, v); return t end
  return luaRawset(t, k, v)
end

function torch.pointer(obj)
  return js.pointer(obj)
end

function torch.version(obj)
  -- a TypeScript object carries its class version (2 for nn.SpatialBatchNormalization)
  if jsIsObject(obj) then return js.version(obj) end
  local mt = getmetatable(obj)
  return mt and classget(mt, '__version')
end

function torch.include(pkg, file)
  dofile(mpelu.callerDir(2) .. '/' .. file)
end
