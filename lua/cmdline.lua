-- torch.CmdLine: command-line options as Torch scripts declare them (fb.resnet.torch's
-- opts.lua): cmd:option('-name', default, help), cmd:parse(arg), -h/--help.
local mpelu = ...
local torch = mpelu.torch
local CmdLine = torch.class('torch.CmdLine')

function CmdLine:__init()
  self.options = {}
  self.arguments = {}
  self.helplines = {}
  self.dateformat = nil
end

function CmdLine:text(txt)
  table.insert(self.helplines, txt or '')
end

function CmdLine:option(name, default, help, type_)
  if not name:match('^%-') then error('option ' .. name .. ' should start with -', 2) end
  local key = name:gsub('^%-+', '')
  if self.options[key] then error('duplicate option ' .. name, 2) end
  self.options[key] = {name = name, default = default, help = help or '', type = type_ or type(default)}
  table.insert(self.helplines, self.options[key])
end

function CmdLine:argument(name, help, type_)
  local a = {name = name, help = help or '', type = type_ or 'string', argument = true}
  table.insert(self.arguments, a)
  table.insert(self.helplines, a)
end

function CmdLine:help(arg)
  local progname = (arg and arg[0]) or 'script'
  io.write('Usage: ', progname, ' [options]')
  for _, a in ipairs(self.arguments) do io.write(' <', a.name, '>') end
  io.write('\n')
  for _, line in ipairs(self.helplines) do
    if type(line) == 'string' then
      print(line)
    elseif line.argument then
      print(string.format('  %-20s %s', line.name, line.help))
    else
      local default = line.default
      if type(default) == 'string' then default = "'" .. default .. "'" end
      print(string.format('  %-20s %s [%s]', line.name, line.help, tostring(default)))
    end
  end
end

function CmdLine:error(msg)
  print('')
  io.stderr:write(msg, '\n')
  self:help()
  os.exit(1)
end

local function convert(opt, value)
  if opt.type == 'number' then
    local n = tonumber(value)
    if n == nil then error('option -' .. opt.name:gsub('^%-+', '') .. ' expects a number, got ' .. tostring(value), 0) end
    return n
  end
  return value
end

function CmdLine:parse(arg)
  arg = arg or {}
  local params = {}
  for k, opt in pairs(self.options) do params[k] = opt.default end
  local i = 1
  local nextArgument = 1
  while i <= #arg do
    local a = arg[i]
    if a == '-h' or a == '--help' then
      self:help(arg)
      os.exit(0)
    end
    local key = a:match('^%-%-?(.+)$')
    if key and not tonumber(a) then
      local opt = self.options[key]
      if not opt then self:error('unknown option ' .. a) end
      if opt.type == 'boolean' then
        params[key] = not opt.default
        i = i + 1
      else
        if arg[i + 1] == nil then self:error('option ' .. a .. ' expects a value') end
        params[key] = convert(opt, arg[i + 1])
        i = i + 2
      end
    else
      local spec = self.arguments[nextArgument]
      if not spec then self:error('unexpected argument ' .. a) end
      params[spec.name] = spec.type == 'number' and tonumber(a) or a
      nextArgument = nextArgument + 1
      i = i + 1
    end
  end
  for k = nextArgument, #self.arguments do self:error('missing argument: ' .. self.arguments[k].name) end
  return params
end

-- A string naming the non-default options (for log folders): prefix,key=value,...
function CmdLine:string(prefix, params, ignore)
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = k end
  table.sort(keys)
  local s = prefix
  for _, k in ipairs(keys) do
    local opt = self.options[k]
    if not (ignore and ignore[k]) and opt and params[k] ~= opt.default then
      print(k, params[k], opt.default)
      s = s .. ',' .. k .. '=' .. tostring(params[k])
    end
  end
  return s
end

function CmdLine:silent() self.silentio = true end
function CmdLine:addTime(name, format) self.dateformat = format or '%F %T' end
function CmdLine:log(file, params)
  local f = io.open(file, 'w')
  if f then
    for k, v in pairs(params or {}) do f:write(k, ' = ', tostring(v), '\n') end
    f:close()
  end
end
