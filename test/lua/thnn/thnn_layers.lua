-- Lua layer classes on input.THNN.* (layers/*.lua, written in the MPELU paper's style),
-- loaded with dofile over the built-in classes. Checks: exactly the built-ins' numbers,
-- Torch7's fixtures, finite differences, loading and cloning as the Lua class, the MPELU
-- ResNet built on them, and the errors of wrong arguments.
-- usage: mpelu run thnn_layers.lua FIXTURES (= fixtures/torch7)
require 'nn'
require 'nnlr'
require 'cudnn' -- the ResNet model file uses cudnn's names
local here = paths.dirname(paths.thisfile())
local check = dofile(here .. '/../fixtures/check.lua')
local NN = arg[1] .. '/nn/'
local LAYERS = here .. '/layers/'

-- ---- inputs, the run protocol ---------------------------------------------------------

local function randn(typ, seed, ...)
  torch.manualSeed(seed)
  return torch.DoubleTensor(...):normal():type(typ)
end

--- forward/backward in training (backward scale 0.5), updateGradInput + accGradParameters
--- (scale 2), then evaluate: every result, cloned.
local function protocol(m, x, g)
  local r = {}
  m:training()
  r.output = m:forward(x:clone()):clone()
  m:zeroGradParameters()
  r.gradInput = m:backward(x:clone(), g:clone(), 0.5):clone()
  local _, grads = m:parameters()
  for i, t in ipairs(grads or {}) do r['grad' .. i] = t:clone() end
  m:zeroGradParameters()
  m:forward(x:clone())
  r.updateGradInput = m:updateGradInput(x:clone(), g:clone()):clone()
  m:accGradParameters(x:clone(), g:clone(), 2)
  for i, t in ipairs(grads or {}) do r['acc' .. i] = t:clone() end
  m:evaluate()
  r.output_evaluate = m:forward(x:clone()):clone()
  r.gradInput_evaluate = m:backward(x:clone(), g:clone()):clone()
  return r
end

local function copyParams(from, to)
  local p1 = from:parameters() or {}
  local p2 = to:parameters() or {}
  check.equal(#p2, #p1, torch.type(to) .. ': number of parameter tensors')
  for i = 1, #p1 do to:parameters()[i]:copy(p1[i]:view(p2[i]:size())) end
  if from.running_mean then to.running_mean:copy(from.running_mean); to.running_var:copy(from.running_var) end
end

-- Each case: the built-in module and the Lua one (same constructor where the forms agree).
local cases = {
  {'PReLU per channel, 4-d', {2, 3, 4, 5}, function(lua) return nn.PReLU(0.3, 3) end},
  {'PReLU shared, 2-d', {4, 6}, function(lua) return lua and nn.PReLU(0.3) or nn.PReLU(0.3, 0) end},
  {'PReLU per channel, 3-d', {2, 3, 7}, function(lua) return nn.PReLU(0.2, 3) end},
  {'SPELU per channel, 4-d', {2, 3, 4, 4}, function(lua) local m = nn.SPELU(0.5, 3); m.weight:copy(torch.Tensor({0.2, 0.7, 1.3})); return m end},
  {'SPELU shared, 2-d', {3, 5}, function(lua) return lua and nn.SPELU(0.6) or nn.SPELU(0.6, 0) end},
  {'MPELU per channel, 4-d', {2, 3, 4, 4}, function(lua)
    local m = nn.MPELU(0.25, 1, 3); m.weight:copy(torch.Tensor({0.1, 0.25, 2})); m.bias:copy(torch.Tensor({0.5, 1, 3})); return m end},
  {'MPELU shared, 2-d', {4, 5}, function(lua) return lua and nn.MPELU(0.4, 1.5) or nn.MPELU(0.4, 1.5, 0) end},
  {'MPELU per channel, 1-d', {3}, function(lua) return nn.MPELU(0.7, 0.9, 3) end},
  {'ELU alpha 0.7', {2, 3, 4, 4}, function(lua) return nn.ELU(0.7) end},
  {'ELU in place', {2, 3, 4, 4}, function(lua) return nn.ELU(1, true) end},
  {'SpatialConvolution 3x3 pad 1', {2, 3, 5, 5}, function(lua)
    return lua and nn.SpatialConvolutionMM(3, 4, 3, 3, 1, 1, 1, 1) or nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1) end},
  {'SpatialConvolution 3x3 stride 2 no bias, 3-d', {3, 7, 6}, function(lua)
    local m = lua and nn.SpatialConvolutionMM(3, 5, 3, 3, 2, 2, 1, 1) or nn.SpatialConvolution(3, 5, 3, 3, 2, 2, 1, 1)
    return m:noBias() end},
  {'SpatialConvolution 1x1', {2, 4, 3, 3}, function(lua)
    return lua and nn.SpatialConvolutionMM(4, 6, 1, 1) or nn.SpatialConvolution(4, 6, 1, 1) end},
  {'SpatialBatchNormalization', {4, 3, 3, 3}, function(lua) return nn.SpatialBatchNormalization(3) end},
  {'SpatialBatchNormalization without affine', {3, 2, 2, 3}, function(lua) return nn.SpatialBatchNormalization(2, 1e-3, 0.2, false) end},
}

local types = {'torch.FloatTensor', 'torch.DoubleTensor'}

-- ---- 1. the built-in classes' results ---------------------------------------------------

local reference = {}
for ci, c in ipairs(cases) do
  for ti, typ in ipairs(types) do
    torch.manualSeed(100 + ci)
    local m = c[3](false):type(typ)
    local x = randn(typ, 10 * ci + ti, table.unpack(c[2]))
    local g = randn(typ, 10 * ci + ti + 5, table.unpack(m:forward(x:clone()):size():totable()))
    reference[ci .. typ] = {module = m:clone(), x = x, g = g, results = protocol(m, x, g)}
  end
end
local builtinPReLU = nn.PReLU(0.1, 2)

-- The MPELU nopre ResNet-20 (test/lua/models, arg[2]): parameters, output and gradients of one step.
local function resnetRun()
  local createModel = dofile(arg[2] .. '/mpelu_nopre_model.lua')
  torch.manualSeed(1)
  local model = createModel({depth = 20, tensorType = 'torch.FloatTensor'})
  torch.manualSeed(9)
  local input = torch.FloatTensor(2, 3, 32, 32):normal()
  local gradOutput = torch.FloatTensor(2, 10):normal()
  local params, gradParams = model:getParameters()
  model:training()
  model:zeroGradParameters()
  local output = model:forward(input):clone()
  model:backward(input, gradOutput)
  return {params = params:clone(), output = output, grads = gradParams:clone()}
end
local resnetReference = arg[2] and resnetRun()

-- ---- 2. dofile the Lua classes; count their THNN calls ---------------------------------

-- (the files have names of their own, so they are not mistaken for the paper's or nn's files)
for _, f in ipairs({'prelu', 'spelu', 'mpelu', 'elu', 'conv_mm', 'batchnorm'}) do
  dofile(LAYERS .. f .. '_class.lua')
end
local calls = {}
for _, typ in ipairs(types) do
  local K = torch[typ:match('torch%.(.*)')]().THNN
  for name, f in pairs(K) do
    calls[name] = calls[name] or 0
    K[name] = function(...) calls[name] = calls[name] + 1; return f(...) end
  end
end
local function callCount(prefix)
  local n = 0
  for name, k in pairs(calls) do if name:sub(1, #prefix) == prefix then n = n + k end end
  return n
end

check.equal(torch.type(nn.PReLU(0.1, 2)), 'nn.PReLU', 'the Lua nn.PReLU keeps the name')
check.truthy(nn.PReLU(0.1, 2).gradWeightBuf == nil, 'a fresh Lua nn.PReLU has no buffers yet')
check.equal(type(torch.FloatTensor(1):cdata()), 'cdata', "type(t:cdata())")
check.truthy(torch.LongTensor(1).THNN == nil, 'LongTensor has no THNN')
check.truthy(torch.FloatTensor(1).THNN ~= torch.DoubleTensor(1).THNN, 'one kernel table per type')
local THNN = require 'nn.THNN'
check.truthy(THNN.optionalTensor(nil) == nil and THNN.NULL == nil, 'THNN.optionalTensor(nil) is NULL (nil)')
check.truthy(THNN.kernels['torch.FloatTensor'] == torch.FloatTensor().THNN, 'THNN.kernels by type name')

-- ---- 3. the Lua classes give exactly the built-ins' numbers -------------------------------

for ci, c in ipairs(cases) do
  for _, typ in ipairs(types) do
    local ref = reference[ci .. typ]
    local m = c[3](true):type(typ)
    copyParams(ref.module, m)
    local before = callCount('')
    local r = protocol(m, ref.x, ref.g)
    check.truthy(callCount('') > before, c[1] .. ' (' .. typ .. '): ran through THNN')
    for k, want in pairs(ref.results) do
      local got = r[k]
      if k:match('^grad%d') or k:match('^acc%d') then
        got = got and got:view(want:size())
      end
      check.close(got, want, 0, string.format('%s (%s) %s = built-in', c[1], typ, k))
    end
  end
end
check.truthy(builtinPReLU.forward ~= nil, 'a built-in instance made before dofile still runs')
check.close(builtinPReLU:forward(torch.Tensor({{-1, 2}})), torch.Tensor({{-0.1, 2}}), 0, 'built-in PReLU made before dofile')

-- The paper's mpeluTorch branch also passes the output to MPELU_updateGradInput and
-- MPELU_accGradParameters (7 and 14 arguments): the same results as the master branch's forms.
for _, typ in ipairs(types) do
  local T = torch[typ:match('torch%.(.*)')]
  local x, g = randn(typ, 301, 2, 3, 4), randn(typ, 302, 2, 3, 4)
  local w, b = T({0.2, 0.5, 1.5}), T({0.5, 1, 2})
  local K, out = x.THNN, T()
  K.MPELU_updateOutput(x:cdata(), out:cdata(), w:cdata(), b:cdata(), 3)
  local gi6, gi7 = T(), T()
  K.MPELU_updateGradInput(x:cdata(), g:cdata(), gi6:cdata(), w:cdata(), b:cdata(), 3)
  K.MPELU_updateGradInput(x:cdata(), out:cdata(), g:cdata(), gi7:cdata(), w:cdata(), b:cdata(), 3)
  check.close(gi7, gi6, 0, 'MPELU_updateGradInput with the output (' .. typ .. ')')
  local gw13, gb13, gw14, gb14 = T(3):zero(), T(3):zero(), T(3):zero(), T(3):zero()
  local buf = function() return T():cdata() end
  K.MPELU_accGradParameters(x:cdata(), g:cdata(), gi6:cdata(), w:cdata(), gw13:cdata(), buf(), buf(), b:cdata(), gb13:cdata(), buf(), buf(), 3, 0.5)
  K.MPELU_accGradParameters(x:cdata(), out:cdata(), g:cdata(), gi6:cdata(), w:cdata(), gw14:cdata(), buf(), buf(), b:cdata(), gb14:cdata(), buf(), buf(), 3, 0.5)
  check.close(gw14, gw13, 0, 'MPELU_accGradParameters with the output: gradWeight (' .. typ .. ')')
  check.close(gb14, gb13, 0, 'MPELU_accGradParameters with the output: gradBias (' .. typ .. ')')
  check.truthy(gw13:abs():sum() > 0 and gb13:abs():sum() > 0, 'MPELU_accGradParameters accumulates (' .. typ .. ')')
end

-- ---- 4. Torch7's fixtures through the Lua classes ----------------------------------------

local function io(name) return torch.load(NN .. 'io_' .. name .. '.t7') end

for _, name in ipairs({'PReLU_shared', 'PReLU_channel', 'SPELU_channel', 'MPELU_shared', 'MPELU_channel', 'MPELU_channel_random', 'ELU', 'ELU_alpha0.7'}) do
  for _, typ in ipairs(types) do
    local what = name .. ' (' .. typ .. ', Lua class)'
    check.run(what, function()
      local d = io(name)
      local m = torch.load(NN .. 'module_' .. name .. '.t7'):type(typ)
      local x, g = d.input:type(typ), d.gradOutput:type(typ)
      local before = callCount('')
      m:training()
      check.close(m:forward(x), d.output, 1e-5, what .. ' output (training)')
      check.truthy(callCount('') > before, what .. ': loaded as the Lua class (THNN called)')
      m:evaluate()
      check.close(m:forward(x), d.output_evaluate, 1e-5, what .. ' output (evaluate)')
      m:training()
      m:forward(x)
      m:zeroGradParameters()
      check.close(m:backward(x, g), d.gradInput, 1e-5, what .. ' gradInput')
      if d.gradWeight then check.close(m.gradWeight, d.gradWeight, 1e-5, what .. ' gradWeight') end
      if d.gradBias then check.close(m.gradBias, d.gradBias, 1e-5, what .. ' gradBias') end
      if d.gradWeight then
        m:zeroGradParameters()
        m:accGradParameters(x, g, 2)
        check.close(m.gradWeight, d.gradWeight * 2, 1e-5, what .. ' accGradParameters(scale 2)')
      end
      check.close(x, d.input:type(typ), 0, what .. ' input unchanged')
    end)
  end
end

for _, name in ipairs({'SpatialConvolution', 'SpatialConvolution_1x1', 'SpatialConvolution_nobias_stride2'}) do
  for _, typ in ipairs(types) do
    local what = name .. ' (' .. typ .. ', Lua nn.SpatialConvolutionMM)'
    check.run(what, function()
      local d = io(name)
      local ref = torch.load(NN .. 'module_' .. name .. '.t7')
      local m = nn.SpatialConvolutionMM(ref.nInputPlane, ref.nOutputPlane, ref.kW, ref.kH, ref.dW, ref.dH, ref.padW, ref.padH)
      if not ref.bias then m:noBias() end
      m:type(typ)
      m.weight:copy(ref.weight:view(ref.nOutputPlane, -1))
      if ref.bias then m.bias:copy(ref.bias) end
      local x, g = d.input:type(typ), d.gradOutput:type(typ)
      check.close(m:forward(x), d.output, 1e-5, what .. ' output')
      m:zeroGradParameters()
      check.close(m:backward(x, g), d.gradInput, 1e-5, what .. ' gradInput')
      check.close(m.gradWeight:view(d.gradWeight:size()), d.gradWeight, 1e-5, what .. ' gradWeight')
      if d.gradBias then check.close(m.gradBias, d.gradBias, 1e-5, what .. ' gradBias') end
      check.truthy(m.finput ~= nil and m.fgradInput ~= nil, what .. ' keeps finput/fgradInput fields')
    end)
  end
end

for _, typ in ipairs(types) do
  local what = 'SpatialBatchNormalization (' .. typ .. ', Lua class)'
  check.run(what, function()
    local d = io('SpatialBatchNormalization')
    local m = torch.load(NN .. 'module_SpatialBatchNormalization.t7'):type(typ)
    check.equal(tostring(m), 'nn.SpatialBatchNormalization (4D) (4)', what .. ' prints with the Lua __tostring__')
    local x, g = d.input:type(typ), d.gradOutput:type(typ)
    local e = torch.load(NN .. 'module_SpatialBatchNormalization.t7'):type(typ)
    check.batchNormFixture(d, m, e, x, g, what)
  end)
end

-- ---- 5. finite differences (double precision) --------------------------------------------

--- d/dv of sum(module:forward(x) .* g) by central differences, for every element of v.
local function numeric(m, x, g, v)
  local eps = 1e-6
  local out = v.new(v:size())
  local flat, res = v:view(-1), out:view(-1)
  for i = 1, flat:nElement() do
    local keep = flat[i]
    flat[i] = keep + eps
    local up = m:forward(x:clone()):clone():cmul(g):sum()
    flat[i] = keep - eps
    local down = m:forward(x:clone()):clone():cmul(g):sum()
    flat[i] = keep
    res[i] = (up - down) / (2 * eps)
  end
  return out
end

local fd = {
  {'PReLU', {2, 3, 2, 2}, function() local m = nn.PReLU(0.3, 3); m.weight:copy(torch.Tensor({0.1, 0.5, 2})); return m end},
  {'SPELU', {2, 3, 2, 2}, function() local m = nn.SPELU(0.5, 3); m.weight:copy(torch.Tensor({0.2, 0.7, 1.3})); return m end},
  {'MPELU', {2, 3, 2, 2}, function() local m = nn.MPELU(0.5, 1, 3); m.bias:copy(torch.Tensor({0.5, 1, 2})); return m end},
  {'MPELU shared', {3, 4}, function() return nn.MPELU(0.5, 1.5) end},
  {'ELU', {2, 3, 2, 2}, function() return nn.ELU(0.7) end},
  {'SpatialConvolutionMM', {2, 2, 4, 4}, function() return nn.SpatialConvolutionMM(2, 3, 3, 3, 2, 2, 1, 1) end},
  {'SpatialBatchNormalization (training)', {3, 2, 2, 2}, function() local m = nn.SpatialBatchNormalization(2); m.weight:uniform(0.5, 1.5); m.bias:uniform(-1, 1); return m end},
  {'SpatialBatchNormalization (evaluate)', {3, 2, 2, 2}, function()
    local m = nn.SpatialBatchNormalization(2); m.running_mean:uniform(-1, 1); m.running_var:uniform(0.5, 2); m:evaluate(); return m end},
  {'BatchNormalization 2-d', {5, 3}, function() local m = nn.BatchNormalization(3); m.weight:uniform(0.5, 1.5); return m end},
}
for i, c in ipairs(fd) do
  torch.manualSeed(200 + i)
  local m = c[3]():double()
  local x = torch.DoubleTensor(table.unpack(c[2])):normal()
  local g = m:forward(x:clone()):clone():normal()
  m:zeroGradParameters()
  m:forward(x:clone())
  local gi = m:backward(x:clone(), g):clone()
  local params, grads = m:parameters()
  local want = {}
  for k, p in ipairs(params or {}) do want[k] = numeric(m, x, g, p) end
  local xx = x:clone()
  check.close(gi, numeric(m, xx, g, xx), 1e-6, c[1] .. ': gradInput by finite differences', 1)
  for k, gk in ipairs(grads or {}) do check.close(gk, want[k], 1e-6, c[1] .. ': gradParameter ' .. k .. ' by finite differences', 1) end
end

-- ---- 6. loading, cloning, saving keep the Lua class ----------------------------------------

local m = nn.MPELU(0.3, 1.2, 3)
local x = torch.randn(2, 3, 2, 2)
local before = callCount('MPELU')
local c = m:clone()
c:forward(x)
check.truthy(callCount('MPELU') > before, 'clone of a Lua nn.MPELU is the Lua class')
local file = os.tmpname()
torch.save(file, nn.Sequential():add(m))
local back = torch.load(file)
os.remove(file)
before = callCount('MPELU')
check.close(back:forward(x), m:forward(x), 0, 'saved and loaded Lua nn.MPELU: same output')
check.truthy(callCount('MPELU') >= before + 2, 'the loaded nn.MPELU is the Lua class')
check.equal(tostring(back:get(1)), 'nn.MPELU(alpha=0.300000, beta=1.200000, channels=3)', 'the Lua __tostring__')
m:clearState()
check.truthy(m.gradWeightBuf == nil or m.gradWeightBuf:nElement() == 0, 'clearState empties the THNN buffers (nn.utils.clear)')

-- ---- 7. the MPELU ResNet (depth 20) on the Lua nn.MPELU: exactly the built-in numbers ----
if resnetReference then
  local n0 = callCount('MPELU')
  local got = resnetRun()
  check.truthy(callCount('MPELU') > n0, 'ResNet-20 on the Lua nn.MPELU calls THNN.MPELU_*')
  for _, k in ipairs({'params', 'output', 'grads'}) do
    check.close(got[k], resnetReference[k], 0, 'ResNet-20 ' .. k .. ': Lua nn.MPELU = built-in')
  end
end

check.finish('thnn_layers')
