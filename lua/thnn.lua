-- require 'nn.THNN' as torch/nn's THNN.lua provides it (optionalTensor, NULL, getState,
-- kernels, runKernel), the kernel tables' clear error for a THNN function mpelu does not
-- have, and nn.utils.clear (what the layer classes' clearState calls).
local mpelu, js = ...
local nn = mpelu.nn

local THNN = {}
THNN.NULL = nil -- LuaJIT's ffi.NULL is nil: a nil argument is a NULL pointer
function THNN.getState() return nil end
function THNN.optionalTensor(t) return t and t:cdata() or THNN.NULL end
THNN.kernels = {['torch.FloatTensor'] = js.float, ['torch.DoubleTensor'] = js.double}
THNN.kernels['torch.CudaTensor'] = js.float

function THNN.runKernel(f, type, ...)
  local ftable = THNN.kernels[type]
  if not ftable then error('Unsupported tensor type: ' .. tostring(type), 2) end
  ftable[f](...)
end

local missing = {
  __index = function(_, name)
    error(string.format("THNN.%s is not available in mpelu (it has %s)", tostring(name), js.implemented), 2)
  end,
}
setmetatable(js.float, missing)
setmetatable(js.double, missing)

package.preload['nn.THNN'] = function() return THNN end

nn.utils = nn.utils or {}
-- nn.utils.clear(self, 'a', 'b') or (self, {'a', 'b'}): empties tensor fields, resets tables, drops the rest.
if not nn.utils.clear then
  function nn.utils.clear(self, ...)
    local names = {...}
    if type(names[1]) == 'table' then names = names[1] end
    for _, name in ipairs(names) do
      local v = self[name]
      if torch.isTensor(v) then v:set()
      elseif type(v) == 'table' then self[name] = {}
      elseif v ~= nil then self[name] = nil end
    end
    return self
  end
end
