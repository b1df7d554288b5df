-- Builds the MPELU nopre ResNet from the Lua model file, as fb.resnet.torch's main does,
-- and reports what the vitest suite checks. arg[1] = depth, arg[2] = fixtures/torch7.
require 'nn'
require 'cudnn'  -- fb.resnet.torch's models/init.lua loads it before the model file
torch.setdefaulttensortype('torch.FloatTensor')
local depth = tonumber(arg[1])
local fixtures = arg[2]
torch.manualSeed(1)
local createModel = require('models/mpelu_nopre_model')
local model = createModel({depth = depth, tensorType = 'torch.FloatTensor'})
local params, gradParams = model:getParameters()
print('parameters', params:nElement(), torch.type(params))
print('gradInput of the stem', model:get(1).gradInput)
local lrs, wds = model:getOptimConfig(0.1, 1e-4)
print('nnlr aligned', lrs:nElement() == params:nElement(), wds:nElement() == params:nElement(), lrs:max(), wds:max())
-- forward and backward of a seeded batch, saved for the TypeScript side to compare
if arg[3] then
  torch.manualSeed(7)
  local input = torch.FloatTensor(2, 3, 32, 32):normal(0, 1)
  local gradOutput = torch.FloatTensor(2, 10):normal(0, 1)
  model:training()
  local output = model:forward(input)
  model:zeroGradParameters()
  model:backward(input, gradOutput)
  torch.save(arg[3], {output = output, gradParams = gradParams})
  print('saved')
end
if fixtures then
  local init = torch.load(fixtures .. '/resnet/depth20/model_init.t7')
  local ref = init:getParameters()
  print('weights equal model_init.t7', params:equal(ref))
  -- the trained checkpoint's values in this model: it prints as Torch printed model_1.t7
  local trained = torch.load(fixtures .. '/resnet/depth20/model_1.t7'):getParameters()
  params:copy(trained)
  cudnn.convert(model, nn)
  print(model)
end
