-- nn.DataParallelTable as models/init.lua sets it up for -nGPU 2 (own code): two replicas
-- against two copies of the model run one after another on the halves of each batch,
-- over SGD steps. Prints the largest differences (0 expected) for the vitest suite.
require 'torch'
require 'nn'
require 'cunn'
require 'optim'
torch.setdefaulttensortype('torch.FloatTensor')
torch.manualSeed(11)

local model = nn.Sequential()
  :add(nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)):add(nn.SpatialBatchNormalization(4)):add(nn.MPELU(0.25, 1, 4))
  :add(nn.SpatialAveragePooling(6, 6, 1, 1)):add(nn.View(4):setNumInputDims(3)):add(nn.Linear(4, 3))
model:type('torch.CudaTensor')
local ref1, ref2 = model:clone(), model:clone()
local rp1, rg1 = ref1:getParameters()
local rp2, rg2 = ref2:getParameters()

local dpt = nn.DataParallelTable(1, true):add(model, {1, 2}):threads(function() require 'cunn' end)
dpt.gradInput = nil
dpt = dpt:type('torch.CudaTensor')
local params, gradParams = dpt:getParameters()
local crit, refCrit = nn.CrossEntropyCriterion(), nn.CrossEntropyCriterion()
local state = {learningRate = 0.1, momentum = 0.9, nesterov = true, dampening = 0, weightDecay = 1e-4}
local refState = {learningRate = 0.1, momentum = 0.9, nesterov = true, dampening = 0, weightDecay = 1e-4}
local input = cutorch.createCudaHostTensor()
print('host tensor', torch.type(input))
print(tostring(dpt):match('^DataParallelTable: 2 x') ~= nil)

local worst = 0
local function diff(a, b) return (a:float() - b:float()):abs():max() end
for step = 1, 3 do
  local x = torch.randn(7, 3, 6, 6)
  local y = torch.LongTensor(7):random(1, 3)
  input:resize(x:size()):copy(x)
  local out = dpt:forward(input):float()
  local loss = crit:forward(dpt.output, y)
  dpt:zeroGradParameters()
  crit:backward(dpt.output, y)
  dpt:backward(input, crit.gradInput)
  optim.sgd(function() return loss, gradParams end, params, state)

  rp2:copy(rp1)
  local o1 = ref1:forward(x:narrow(1, 1, 4))
  local o2 = ref2:forward(x:narrow(1, 5, 3))
  local refOut = torch.cat(o1, o2, 1)
  local refLoss = refCrit:forward(refOut, y)
  rg1:zero(); rg2:zero()
  local g = refCrit:backward(refOut, y)
  ref1:backward(x:narrow(1, 1, 4), g:narrow(1, 1, 4))
  ref2:backward(x:narrow(1, 5, 3), g:narrow(1, 5, 3))
  rg1:add(rg2)
  optim.sgd(function() return refLoss, rg1 end, rp1, refState)
  worst = math.max(worst, diff(out, refOut), math.abs(loss - refLoss), diff(params, rp1))
end
print(string.format('largest difference %.9g', worst))
local bn1, refBn1, refBn2 = dpt:get(1):get(2), ref1:get(2), ref2:get(2)
print(string.format('replica 1 running mean = first half %.9g, != second half %s', diff(bn1.running_mean, refBn1.running_mean),
  tostring(diff(bn1.running_mean, refBn2.running_mean) > 0)))
