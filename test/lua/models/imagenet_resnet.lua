-- An ImageNet ResNet in fb.resnet.torch's style, written for mpelu's tests: the original
-- (facebookarchive/fb.resnet.torch models/resnet.lua and preresnet.lua) is never committed.
-- opt.depth 18/34 use two 3x3 convolutions per unit, 50/101/152 a 1x1-3x3-1x1 bottleneck;
-- a 1x1 convolution + batch norm shortcut where the shape changes (shortcut type B);
-- opt.preact puts batch norm and ReLU before each convolution (pre-activation units).
local nn = require 'nn'
require 'cunn'

local Conv = cudnn.SpatialConvolution
local BN = nn.SpatialBatchNormalization
local ReLU = cudnn.ReLU

local function createModel(opt)
  local preact = opt.preact
  local units = ({[18] = {{2, 2, 2, 2}, false}, [34] = {{3, 4, 6, 3}, false},
                  [50] = {{3, 4, 6, 3}, true}, [101] = {{3, 4, 23, 3}, true},
                  [152] = {{3, 8, 36, 3}, true}})[opt.depth]
  assert(units, 'imagenet_resnet: no network of depth ' .. tostring(opt.depth))
  local counts, bottleneck = units[1], units[2]
  local expansion = bottleneck and 4 or 1
  local planesIn = 64

  local function shortcut(nIn, nOut, stride)
    if nIn == nOut and stride == 1 then return nn.Identity() end
    local s = nn.Sequential():add(Conv(nIn, nOut, 1, 1, stride, stride))
    if not preact then s:add(BN(nOut)) end
    return s
  end

  local first = true
  local function unit(planes, stride)
    local nIn, nOut = planesIn, planes * expansion
    planesIn = nOut
    local body = nn.Sequential()
    -- the first unit's input is already batch-normed and rectified by the stem
    local skipPreact = first
    first = false
    local function conv(a, b, k, s, p)
      if preact and not skipPreact then body:add(BN(a)):add(ReLU(true)) end
      skipPreact = false
      body:add(Conv(a, b, k, k, s, s, p, p))
      if not preact then body:add(BN(b)) end
    end
    if bottleneck then
      conv(nIn, planes, 1, 1, 0); if not preact then body:add(ReLU(true)) end
      conv(planes, planes, 3, stride, 1); if not preact then body:add(ReLU(true)) end
      conv(planes, nOut, 1, 1, 0)
    else
      conv(nIn, planes, 3, stride, 1); if not preact then body:add(ReLU(true)) end
      conv(planes, planes, 3, 1, 1)
    end
    local block = nn.Sequential()
      :add(nn.ConcatTable():add(body):add(shortcut(nIn, nOut, stride)))
      :add(nn.CAddTable(true))
    if not preact then block:add(ReLU(true)) end
    return block
  end

  local model = nn.Sequential()
  model:add(Conv(3, 64, 7, 7, 2, 2, 3, 3)):add(BN(64)):add(ReLU(true))
  model:add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
  for stage, planes in ipairs({64, 128, 256, 512}) do
    for i = 1, counts[stage] do model:add(unit(planes, (i == 1 and stage > 1) and 2 or 1)) end
  end
  if preact then model:add(BN(planesIn)):add(ReLU(true)) end
  model:add(nn.SpatialAveragePooling(7, 7, 1, 1))
  model:add(nn.View(planesIn):setNumInputDims(3))
  model:add(nn.Linear(planesIn, 1000))

  -- fb.resnet.torch's initialisation: He-normal convolutions without bias (cudnn >= 4),
  -- batch norm weight 1 and bias 0, a zero classifier bias
  for _, name in ipairs({'cudnn.SpatialConvolution', 'nn.SpatialConvolution'}) do
    for _, v in pairs(model:findModules(name)) do
      v.weight:normal(0, math.sqrt(2 / (v.kW * v.kH * v.nOutputPlane)))
      if cudnn.version >= 4000 then v.bias, v.gradBias = nil, nil else v.bias:zero() end
    end
  end
  for _, v in pairs(model:findModules('nn.SpatialBatchNormalization')) do
    v.weight:fill(1)
    v.bias:zero()
  end
  model:get(#model.modules).bias:zero()
  return model
end

return createModel
