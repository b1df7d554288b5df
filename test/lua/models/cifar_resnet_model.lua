-- A CIFAR ResNet model file in fb.resnet.torch's style (own code, written for the tests):
-- createModel(opt) with opt.depth = 6n+2, opt.shortcutType 'A' | 'B' | 'C', opt.dataset
-- 'cifar10' | 'cifar100'. Modules are made in the order fb's models/resnet.lua makes them,
-- then MSRA init of every convolution (no bias under cuDNN >= 4), batch norm weight 1 bias 0,
-- Linear bias 0, so a seeded build draws what that file draws.
require 'nn'
require 'cunn'
require 'cudnn'

local function createModel(opt)
  local shortcutType = opt.shortcutType or 'A'
  local planes = 16

  local function shortcut(nIn, nOut, stride)
    if shortcutType == 'C' or (shortcutType == 'B' and nIn ~= nOut) then
      return nn.Sequential()
        :add(cudnn.SpatialConvolution(nIn, nOut, 1, 1, stride, stride))
        :add(nn.SpatialBatchNormalization(nOut))
    elseif nIn ~= nOut then
      -- type A: subsample, then pad the new planes with zeros
      return nn.Sequential()
        :add(nn.SpatialAveragePooling(1, 1, stride, stride))
        :add(nn.Concat(2):add(nn.Identity()):add(nn.MulConstant(0)))
    end
    return nn.Identity()
  end

  local function block(nOut, stride)
    local nIn = planes
    planes = nOut
    local residual = nn.Sequential()
      :add(cudnn.SpatialConvolution(nIn, nOut, 3, 3, stride, stride, 1, 1))
      :add(nn.SpatialBatchNormalization(nOut))
      :add(cudnn.ReLU(true))
      :add(cudnn.SpatialConvolution(nOut, nOut, 3, 3, 1, 1, 1, 1))
      :add(nn.SpatialBatchNormalization(nOut))
    return nn.Sequential()
      :add(nn.ConcatTable():add(residual):add(shortcut(nIn, nOut, stride)))
      :add(nn.CAddTable(true))
      :add(cudnn.ReLU(true))
  end

  local function stage(nOut, count, stride)
    local s = nn.Sequential()
    for i = 1, count do s:add(block(nOut, i == 1 and stride or 1)) end
    return s
  end

  assert((opt.depth - 2) % 6 == 0, 'depth should be 6n+2')
  local n = (opt.depth - 2) / 6
  local classes = opt.dataset == 'cifar100' and 100 or 10
  local model = nn.Sequential()
    :add(cudnn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1))
    :add(nn.SpatialBatchNormalization(16))
    :add(cudnn.ReLU(true))
    :add(stage(16, n, 1))
    :add(stage(32, n, 2))
    :add(stage(64, n, 2))
    :add(cudnn.SpatialAveragePooling(8, 8, 1, 1))
    :add(nn.View(64):setNumInputDims(3))
    :add(nn.Linear(64, classes))

  for _, name in ipairs{'cudnn.SpatialConvolution', 'nn.SpatialConvolution'} do
    for _, conv in ipairs(model:findModules(name)) do
      conv.weight:normal(0, math.sqrt(2 / (conv.kW * conv.kH * conv.nOutputPlane)))
      if cudnn.version >= 4000 then
        conv.bias = nil
        conv.gradBias = nil
      else
        conv.bias:zero()
      end
    end
  end
  for _, name in ipairs{'cudnn.SpatialBatchNormalization', 'nn.SpatialBatchNormalization'} do
    for _, bn in ipairs(model:findModules(name)) do
      bn.weight:fill(1)
      bn.bias:zero()
    end
  end
  for _, linear in ipairs(model:findModules('nn.Linear')) do linear.bias:zero() end
  model:type(opt.tensorType or 'torch.FloatTensor')
  model:get(1).gradInput = nil
  return model
end

return createModel
