-- require as Torch's th (trepl) does it:
--  * a name starting with '.' is a file relative to the CALLING file's folder, run with
--    dofile semantics (no caching, package.loaded untouched), returning what it returns;
--  * an absolute name ('/abs/path/file') is that file (with or without '.lua');
--  * other names: package.preload, then package.path (dots become '/'); if that fails,
--    './name' is tried before the first error is raised.
local mpelu = ...

local function callerDir(level)
  local info = debug.getinfo(level + 1, 'S')
  local src = info and info.source or ''
  if src:sub(1, 1) == '@' then
    local dir = src:sub(2):match('^(.*)/[^/]*$')
    if dir then return dir end
    return '.'
  end
  return '.'
end
mpelu.callerDir = callerDir

-- a file that opens and reads (a folder opens but does not read)
local function readable(path)
  local f = io.open(path, 'r')
  if not f then return false end
  local ok = pcall(f.read, f, 0)
  f:close()
  return ok
end

local function searchPreload(name)
  local f = package.preload[name]
  if f then return f, ':preload:' end
  return "\n\tno field package.preload['" .. name .. "']"
end

local function searchPath(name)
  local errs = {}
  local file = name:gsub('%.', '/')
  for template in package.path:gmatch('[^;]+') do
    local path = template:gsub('%?', (file:gsub('%%', '%%%%')))
    if readable(path) then
      local f, err = loadfile(path)
      if not f then error("error loading module '" .. name .. "' from file '" .. path .. "':\n\t" .. err, 0) end
      return f, path
    end
    errs[#errs + 1] = "\n\tno file '" .. path .. "'"
  end
  return table.concat(errs)
end

local function searchAbsolute(name)
  if name:sub(1, 1) ~= '/' then return nil end
  for _, path in ipairs({name, name .. '.lua', name .. '/init.lua'}) do
    if readable(path) then
      local f, err = loadfile(path)
      if not f then error("error loading module '" .. name .. "' from file '" .. path .. "':\n\t" .. err, 0) end
      return f, path
    end
  end
  return "\n\tno file '" .. name .. ".lua'"
end

package.loaders = {searchPreload, searchAbsolute, searchPath}

local sentinel = function() end
-- The module's value, or nil and the "not found" message.
local function plainRequire(name)
  local loaded = package.loaded[name]
  if loaded ~= nil then return loaded end
  local msg = {}
  for _, searcher in ipairs(package.loaders) do
    local loader, extra = searcher(name)
    if type(loader) == 'function' then
      package.loaded[name] = sentinel
      local ok, res = pcall(loader, name, extra)
      if not ok then package.loaded[name] = nil; error(res, 0) end
      if res ~= nil then package.loaded[name] = res end
      if package.loaded[name] == sentinel then package.loaded[name] = true end
      return package.loaded[name]
    elseif type(loader) == 'string' then
      msg[#msg + 1] = loader
    end
  end
  return nil, "module '" .. name .. "' not found:" .. table.concat(msg)
end

function require(name)
  if type(name) ~= 'string' then
    error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
  end
  if name:sub(1, 1) == '.' then
    -- NAME.lua, then NAME itself, then NAME/init.lua (whose absence is the error)
    local path = callerDir(2) .. '/' .. name
    if readable(path .. '.lua') then return dofile(path .. '.lua') end
    if readable(path) then return dofile(path) end
    return dofile(path .. '/init.lua')
  end
  local value, notFound = plainRequire(name)
  if notFound == nil then return value end
  local path = './' .. name .. '.lua'
  if readable(path) then return dofile(path) end
  error(notFound, 2)
end

-- dofile/loadfile with LuaJIT's messages for a missing file.
local luaDofile, luaLoadfile = dofile, loadfile
function dofile(path)
  if path ~= nil and not readable(path) then error('cannot open ' .. path .. ': No such file or directory', 0) end
  return luaDofile(path)
end
function loadfile(path, ...)
  if path ~= nil and not readable(path) then return nil, 'cannot open ' .. path .. ': No such file or directory' end
  return luaLoadfile(path, ...)
end

-- os.exit unwinds everything: pcall, xpcall and coroutines pass it on.
local isExit = mpelu.isExit
local luaPcall, luaXpcall, luaResume = pcall, xpcall, coroutine.resume
-- Lua 5.3 words runtime errors "attempt to index a nil value (local 't')"; LuaJIT says
-- "attempt to index local 't' (a nil value)".
local function luajitMessage(msg)
  if type(msg) ~= 'string' then return msg end
  return (msg:gsub("attempt to (.-) an? ([%w ]-) value %((%w+) '(.-)'%)", "attempt to %1 %3 '%4' (a %2 value)"))
end
mpelu.luajitMessage = luajitMessage
local function passExit(ok, ...)
  if not ok then
    if isExit((...)) then error((...), 0) end
    return ok, luajitMessage((...)), select(2, ...)
  end
  return ok, ...
end
function pcall(f, ...) return passExit(luaPcall(f, ...)) end
function xpcall(f, handler, ...)
  return passExit(luaXpcall(f, function(e)
    if isExit(e) then return e end
    return handler(luajitMessage(e))
  end, ...))
end
function coroutine.resume(co, ...) return passExit(luaResume(co, ...)) end
-- mpelu runs a script as a resumable main thread (src/lua/release.ts): a yield from it
-- is still an error, as in th.
local luaYield, running = coroutine.yield, coroutine.running
function coroutine.yield(...)
  if select(2, running()) then error('attempt to yield from outside a coroutine', 2) end
  return luaYield(...)
end
