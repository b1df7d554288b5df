-- Wrong calls of input.THNN.* and of the Lua layer classes: each is a Lua error whose
-- message starts with this file's name and the line of the call, and says what was wrong.
require 'nn'
local here = paths.dirname(paths.thisfile())
local check = dofile(here .. '/../fixtures/check.lua')

--- f() must fail with a message containing `text`, starting with `where` (default: this
--- file and the line where f is written, which is the line of the call).
local function expectError(text, f, what, where)
  check.count = check.count + 1
  local ok, err = pcall(f)
  local prefix = where or ('thnn_errors.lua:' .. debug.getinfo(f, 'S').linedefined .. ': ')
  if ok then
    check.failures[#check.failures + 1] = what .. ': no error'
    print('FAIL ' .. what .. ': no error')
  elseif not tostring(err):find(prefix, 1, true) or not tostring(err):find(text, 1, true) then
    check.failures[#check.failures + 1] = what .. ': got ' .. tostring(err)
    print('FAIL ' .. what .. ': got ' .. tostring(err))
  else
    print(what .. ': ' .. tostring(err):match('[%w_]+%.lua:.*'))
  end
end

local x = torch.FloatTensor(2, 3):fill(-1)
local out = torch.FloatTensor()
local w = torch.FloatTensor(3):fill(0.25)
local K = x.THNN

expectError("bad argument #1 to 'PReLU_updateOutput' (input: cdata<struct THFloatTensor *> expected, got a torch.FloatTensor: pass input:cdata())",
  function() K.PReLU_updateOutput(x, out:cdata(), w:cdata(), 3) end, 'a tensor where THNN takes t:cdata()')
expectError("bad argument #3 to 'PReLU_updateOutput' (weight: cdata<struct THFloatTensor *> expected, got cdata<struct THDoubleTensor *>)",
  function() K.PReLU_updateOutput(x:cdata(), out:cdata(), w:double():cdata(), 3) end, 'a DoubleTensor to a Float kernel')
expectError("bad argument #4 to 'PReLU_updateOutput' (nOutputPlane: number expected, got nil)",
  function() K.PReLU_updateOutput(x:cdata(), out:cdata(), w:cdata()) end, 'a missing number')
expectError("bad argument #5 to 'MPELU_updateOutput' (nOutputPlane: number expected, got string)",
  function() K.MPELU_updateOutput(x:cdata(), out:cdata(), w:cdata(), w:cdata(), '3') end, 'a string for a number')
expectError("bad argument #4 to 'ELU_updateOutput' (inplace: boolean expected, got table)",
  function() K.ELU_updateOutput(x:cdata(), out:cdata(), 1, {}) end, 'a table for a bool')
expectError("wrong number of arguments for 'PReLU_updateOutput': expected 4 (input, output, weight, nOutputPlane), got 5",
  function() K.PReLU_updateOutput(x:cdata(), out:cdata(), w:cdata(), 3, 1) end, 'too many arguments')
expectError("bad argument #4 to 'SpatialConvolutionMM_updateOutput' (bias: cdata<struct THFloatTensor *> or nil expected, got number)",
  function() K.SpatialConvolutionMM_updateOutput(x:cdata(), out:cdata(), w:cdata(), 1, out:cdata(), out:cdata(), 1, 1, 1, 1, 0, 0) end, 'a number for an optional tensor')
expectError("THNN.Tanh_updateOutput is not available in mpelu (it has PReLU_*, SPELU_*, MPELU_*, ELU_*, SpatialConvolutionMM_*, BatchNormalization_*)",
  function() K.Tanh_updateOutput(x:cdata(), out:cdata()) end, 'a THNN function mpelu does not have')
expectError("attempt to index field 'THNN' (a nil value)",
  function() torch.LongTensor(2).THNN.PReLU_updateOutput() end, 'a LongTensor has no THNN')
expectError("wrong number of input planes: expected 4 on dim 2, got 3",
  function() K.PReLU_updateOutput(x:cdata(), out:cdata(), w:cdata(), 4) end, 'nOutputPlane not the input planes')

-- errors inside a Lua layer class name the class file's line, also through a container
dofile(here .. '/layers/prelu_class.lua')
expectError('nn.PReLU has been already assigned a factory', function() dofile(here .. '/layers/prelu_class.lua') end,
  'defining nn.PReLU twice', here .. '/layers/prelu_class.lua:3: ')
local seq = nn.Sequential():add(nn.PReLU(0.25, 4))
expectError('wrong number of input planes: expected 4 on dim 2, got 3', function() seq:forward(torch.Tensor(2, 3):fill(-1)) end,
  'the Lua class inside Sequential: the THNN call line in the class file', here .. '/layers/prelu_class.lua:13: ')
expectError("bad argument #2 to 'PReLU_updateOutput' (output: cdata<struct THFloatTensor *> expected, got cdata<struct THDoubleTensor *>)",
  function() seq:forward(torch.FloatTensor(2, 4):fill(-1)) end, 'a Float input to a Double module', here .. '/layers/prelu_class.lua:13: ')

check.finish('thnn_errors')
