-- A small CIFAR model written the way fb.resnet.torch's model files are (a function of opt
-- returning the model; MSRA init of the convolutions, batch norm weight 1 / bias 0, Linear
-- bias 0), for `mpelu train -netType tiny_cifar_net.lua`. test/train_lua_model.test.ts
-- builds the same network in TypeScript and expects the same weights.
require 'nn'

local function createModel(opt)
   local nClasses = opt.dataset == 'cifar100' and 100 or 10
   local width = opt.depth
   local model = nn.Sequential()
   model:add(cudnn.SpatialConvolution(3, width, 3, 3, 1, 1, 1, 1))
   model:add(nn.SpatialBatchNormalization(width))
   model:add(cudnn.ReLU(true))
   model:add(cudnn.SpatialConvolution(width, width, 3, 3, 2, 2, 1, 1))
   model:add(nn.SpatialBatchNormalization(width))
   model:add(cudnn.ReLU(true))
   model:add(cudnn.SpatialAveragePooling(16, 16, 1, 1))
   model:add(nn.View(width):setNumInputDims(3))
   model:add(nn.Linear(width, nClasses))
   print(' | tiny net, width ' .. width .. ', ' .. nClasses .. ' classes')

   for _, v in pairs(model:findModules('cudnn.SpatialConvolution')) do
      v.weight:normal(0, math.sqrt(2 / (v.kW * v.kH * v.nOutputPlane)))
      v.bias = nil
      v.gradBias = nil
   end
   for _, v in pairs(model:findModules('nn.SpatialBatchNormalization')) do
      v.weight:fill(1)
      v.bias:zero()
   end
   model:get(#model.modules).bias:zero()
   model:type(opt.tensorType)
   model:get(1).gradInput = nil
   return model
end

return createModel
