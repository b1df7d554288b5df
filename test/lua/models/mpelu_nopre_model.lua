-- An MPELU nopre bottleneck ResNet for CIFAR written the way fb.resnet.torch model files
-- are (the shape of the MPELU paper's mpelu-preactivation-nopre.lua): cudnn names, nnlr
-- multipliers on every MPELU, ConvInit/BNInit, then model:type(opt.tensorType).
local nn = require 'nn'
require 'cunn'
require 'nnlr'

local Convolution = cudnn.SpatialConvolution
local Avg = cudnn.SpatialAveragePooling
local SBatchNorm = nn.SpatialBatchNormalization

local alpha, beta = 0.25, 1

local function MPELU(channels)
  return nn.MPELU(alpha, beta, channels)
    :learningRate('weight', 5):weightDecay('weight', 10)
    :learningRate('bias', 5):weightDecay('bias', 10)
end

local function createModel(opt)
  local depth = opt.depth
  local iChannels

  -- a 1x1 convolution when the number of planes changes, else the identity
  local function shortcut(nInputPlane, nOutputPlane, stride)
    if nInputPlane ~= nOutputPlane then
      return nn.Sequential():add(Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride))
    end
    return nn.Identity()
  end

  local function bottleneck(n, stride)
    local nInputPlane = iChannels
    iChannels = n * 4
    local s = nn.Sequential()
    s:add(Convolution(nInputPlane, n, 1, 1, stride, stride, 0, 0))
    s:add(SBatchNorm(n))
    s:add(MPELU(n))
    s:add(Convolution(n, n, 3, 3, 1, 1, 1, 1))
    s:add(SBatchNorm(n))
    s:add(MPELU(n))
    s:add(Convolution(n, n * 4, 1, 1, 1, 1, 0, 0))
    return nn.Sequential()
      :add(nn.ConcatTable():add(s):add(shortcut(nInputPlane, n * 4, stride)))
      :add(nn.CAddTable(true))
  end

  local function layer(block, features, count, stride)
    local s = nn.Sequential()
    for i = 1, count do
      s:add(block(features, i == 1 and stride or 1))
    end
    return s
  end

  local model = nn.Sequential()
  assert((depth - 2) % 9 == 0, 'depth should be 9n+2 (e.g., 164 or 1001)')
  local n = (depth - 2) / 9
  iChannels = 16
  print(' | ResNet-' .. depth .. ' CIFAR-10')
  model:add(Convolution(3, 16, 3, 3, 1, 1, 1, 1))
  model:add(SBatchNorm(16))
  model:add(MPELU(16))
  model:add(layer(bottleneck, 16, n, 1))
  model:add(layer(bottleneck, 32, n, 2))
  model:add(layer(bottleneck, 64, n, 2))
  model:add(SBatchNorm(iChannels))
  model:add(MPELU(iChannels))
  model:add(Avg(8, 8, 1, 1))
  model:add(nn.View(iChannels):setNumInputDims(3))
  model:add(nn.Linear(iChannels, 10))

  local function ConvInit(name)
    for k, v in pairs(model:findModules(name)) do
      local n = v.kW * v.kH * v.nOutputPlane
      v.weight:normal(0, math.sqrt(2 / n / (1 + alpha * alpha * beta * beta)))
      if cudnn.version >= 4000 then
        v.bias = nil
        v.gradBias = nil
      else
        v.bias:zero()
      end
    end
  end
  local function BNInit(name)
    for k, v in pairs(model:findModules(name)) do
      v.weight:fill(1)
      v.bias:zero()
    end
  end

  ConvInit('cudnn.SpatialConvolution')
  ConvInit('nn.SpatialConvolution')
  BNInit('fbnn.SpatialBatchNormalization')
  BNInit('cudnn.SpatialBatchNormalization')
  BNInit('nn.SpatialBatchNormalization')
  for k, v in pairs(model:findModules('nn.Linear')) do
    v.bias:zero()
  end
  model:type(opt.tensorType)

  if opt.cudnn == 'deterministic' then
    model:apply(function(m) if m.setMode then m:setMode(1, 1, 1) end end)
  end

  model:get(1).gradInput = nil
  return model
end

return createModel
