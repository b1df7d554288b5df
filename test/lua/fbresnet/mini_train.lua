-- A compact training program written for mpelu's tests (own code, not fb.resnet.torch's):
-- it does what fb.resnet.torch's main.lua + dataloader.lua + train.lua (the MPELU paper's)
-- + checkpoints.lua do, with the same packages used the same way -- a `threads` pool per
-- split whose threads seed their own generators (manualSeed + idx), `image.hflip` and
-- `image.crop` in the augmentation, nn.DataParallelTable for nGPU > 1, optim.sgd with
-- nnlr vectors, checkpoints as deepCopy(model):float():clearState() -- and the same
-- random draws in the same order, so on the fixture's data and flags it must print
-- what the real Torch7 run printed.
--
-- usage: mpelu run mini_train.lua CACHE SAVE nEpochs nGPU nThreads [resumeDir]
require 'torch'
require 'nn'
require 'optim'
require 'cunn'
require 'cudnn'
require 'nnlr'
require 'image'
local Threads = require 'threads'
Threads.serialization('threads.sharedserialize')

local cache, save, nEpochs, nGPU, nThreads, resume = arg[1], arg[2], tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5]), arg[6]
local seed, batchSize, depth, LR = 3, 16, 11, 0.1
torch.setdefaulttensortype('torch.FloatTensor')
torch.manualSeed(seed)
cutorch.manualSeedAll(seed)

-- ---- the MPELU nopre ResNet (bottleneck, stages 16/64/128/256), built in the paper's order ----
local alpha, beta = 0.25, 1
local function mpelu(n)
  return nn.MPELU(alpha, beta, n):learningRate('weight', 5):weightDecay('weight', 10)
    :learningRate('bias', 5):weightDecay('bias', 10)
end
local function unit(nIn, nOut, stride)
  local nb = nOut / 4
  local branch = nn.Sequential()
    :add(cudnn.SpatialConvolution(nIn, nb, 1, 1, stride, stride, 0, 0)):add(nn.SpatialBatchNormalization(nb)):add(mpelu(nb))
    :add(cudnn.SpatialConvolution(nb, nb, 3, 3, 1, 1, 1, 1)):add(nn.SpatialBatchNormalization(nb)):add(mpelu(nb))
    :add(cudnn.SpatialConvolution(nb, nOut, 1, 1, 1, 1, 0, 0))
  local shortcut = nIn == nOut and nn.Identity()
    or nn.Sequential():add(cudnn.SpatialConvolution(nIn, nOut, 1, 1, stride, stride, 0, 0))
  return nn.Sequential():add(nn.ConcatTable():add(branch):add(shortcut)):add(nn.CAddTable(true))
end
local function stage(nIn, nOut, count, stride)
  local s = nn.Sequential():add(unit(nIn, nOut, stride))
  for _ = 2, count do s:add(unit(nOut, nOut, 1)) end
  return s
end
local function buildModel()
  local n = (depth - 2) / 9
  local m = nn.Sequential()
  m:add(cudnn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1)):add(nn.SpatialBatchNormalization(16)):add(mpelu(16))
  m:add(stage(16, 64, n, 1)):add(stage(64, 128, n, 2)):add(stage(128, 256, n, 2))
  m:add(nn.SpatialBatchNormalization(256)):add(mpelu(256))
  m:add(cudnn.SpatialAveragePooling(8, 8, 1, 1)):add(nn.View(256):setNumInputDims(3)):add(nn.Linear(256, 10))
  for _, c in ipairs(m:findModules('cudnn.SpatialConvolution')) do
    c.weight:normal(0, math.sqrt(2 / (c.kW * c.kH * c.nOutputPlane) / (1 + alpha * alpha * beta * beta)))
    c.bias, c.gradBias = nil, nil
  end
  for _, b in ipairs(m:findModules('nn.SpatialBatchNormalization')) do b.weight:fill(1); b.bias:zero() end
  for _, l in ipairs(m:findModules('nn.Linear')) do l.bias:zero() end
  m:type('torch.CudaTensor')
  m:get(1).gradInput = nil
  return m
end

local function deepCopy(t)
  local copy = {}
  for k, v in pairs(t) do copy[k] = type(v) == 'table' and deepCopy(v) or v end
  if torch.typename(t) then torch.setmetatable(copy, torch.typename(t)) end
  return copy
end

local model, optimState, startEpoch
if resume then
  local latest = torch.load(paths.concat(resume, 'latest.t7'))
  model = torch.load(paths.concat(resume, latest.modelFile)):type('torch.CudaTensor')
  optimState = torch.load(paths.concat(resume, latest.optimFile))
  startEpoch = latest.epoch + 1
  print('resumed from epoch ' .. latest.epoch)
else
  model = buildModel()
  startEpoch = 1
end
if nGPU > 1 then
  local ids = {}
  for i = 1, nGPU do ids[i] = i end
  local dpt = nn.DataParallelTable(1, true):add(model, ids):threads(function() require 'cudnn' end)
  dpt.gradInput = nil
  model = dpt:type('torch.CudaTensor')
end
local criterion = nn.CrossEntropyCriterion():type('torch.CudaTensor')

-- ---- data: one pool per split, jobs carrying the split's preprocessing ----
local info = torch.load(cache)
local mean, std = {125.3, 123.0, 113.9}, {63.0, 62.1, 66.7}
local function makeLoader(split)
  local data, labels = info[split].data, info[split].labels
  local function init() require 'image' end
  local function main(idx)
    torch.manualSeed(seed + idx)
    _G.data, _G.labels = data, labels
    _G.augment = split == 'train'
    return data:size(1)
  end
  local pool, sizes = Threads(nThreads, init, main)
  return {pool = pool, size = sizes[1][1]}
end
local loaders = {train = makeLoader('train'), val = makeLoader('val')}

local function batches(loader)
  local pool, size = loader.pool, loader.size
  local perm = torch.randperm(size)
  local idx, sample, n = 1, nil, 0
  local function enqueue()
    while idx <= size and pool:acceptsjob() do
      local indices = perm:narrow(1, idx, math.min(batchSize, size - idx + 1))
      pool:addjob(function(ind)
        local sz = ind:size(1)
        local input = torch.FloatTensor(sz, 3, 32, 32)
        local target = torch.IntTensor(sz)
        for i, k in ipairs(ind:totable()) do
          local img = _G.data[k]:float()
          for c = 1, 3 do img[c]:add(-mean[c]); img[c]:div(std[c]) end
          if _G.augment then
            if torch.uniform() < 0.5 then img = image.hflip(img) end
            local padded = img.new(3, 40, 40):zero()
            padded:narrow(2, 5, 32):narrow(3, 5, 32):copy(img)
            local x1, y1 = torch.random(0, 8), torch.random(0, 8)
            img = image.crop(padded, x1, y1, x1 + 32, y1 + 32)
          end
          input[i]:copy(img)
          target[i] = _G.labels[k]
        end
        return {input = input, target = target}
      end, function(s) sample = s end, indices)
      idx = idx + batchSize
    end
  end
  return function()
    enqueue()
    if not pool:hasjob() then return nil end
    pool:dojob()
    if pool:haserror() then pool:synchronize() end
    enqueue()
    n = n + 1
    return n, sample
  end
end

local function score(output, target)
  local _, pred = output:float():topk(5, 2, true, true)
  local correct = pred:eq(target:long():view(-1, 1):expandAs(pred))
  local b = output:size(1)
  return (1 - correct:narrow(2, 1, 1):sum() / b) * 100, (1 - correct:narrow(2, 1, 5):sum() / b) * 100
end

-- ---- training, as the paper's train.lua ----
optimState = optimState or {learningRate = LR, learningRateDecay = 0.0, momentum = 0.9, nesterov = true, dampening = 0.0, weightDecay = 1e-4}
local params, gradParams = model:getParameters()
local input = nGPU == 1 and torch.CudaTensor() or cutorch.createCudaHostTensor()
local target = torch.CudaLongTensor()
local best = math.huge
for epoch = startEpoch, nEpochs do
  optimState.learningRate = LR
  for _, m in pairs(model:findModules('nn.MPELU')) do m.__weightLearningRate = nil end  -- the paper's lr_mult (undefined)
  optimState.learningRates, optimState.weightDecays = model:getOptimConfig(optimState.learningRate, 1e-4)
  optimState.weightDecay = nil
  model:training()
  for n, s in batches(loaders.train) do
    input:resize(s.input:size()):copy(s.input)
    target:resize(s.target:size()):copy(s.target)
    local output = model:forward(input):float()
    local loss = criterion:forward(model.output, target)
    model:zeroGradParameters()
    criterion:backward(model.output, target)
    model:backward(input, criterion.gradInput)
    optim.sgd(function() return criterion.output, gradParams end, params, optimState)
    local top1, top5 = score(output, s.target)
    print(string.format('train %d %d loss %1.4f top1 %7.3f top5 %7.3f', epoch, n, loss, top1, top5))
  end
  model:evaluate()
  local t1, t5, N = 0, 0, 0
  for _, s in batches(loaders.val) do
    input:resize(s.input:size()):copy(s.input)
    target:resize(s.target:size()):copy(s.target)
    local output = model:forward(input):float()
    criterion:forward(model.output, target)
    local top1, top5 = score(output, s.target)
    local b = output:size(1)
    t1, t5, N = t1 + top1 * b, t5 + top5 * b, N + b
  end
  model:training()
  print(string.format('test %d top1 %7.3f top5 %7.3f', epoch, t1 / N, t5 / N))
  local m = torch.type(model) == 'nn.DataParallelTable' and model:get(1) or model
  m = deepCopy(m):float():clearState()
  torch.save(paths.concat(save, 'model_' .. epoch .. '.t7'), m)
  torch.save(paths.concat(save, 'optimState_' .. epoch .. '.t7'), optimState)
  torch.save(paths.concat(save, 'latest.t7'), {epoch = epoch, modelFile = 'model_' .. epoch .. '.t7', optimFile = 'optimState_' .. epoch .. '.t7'})
  best = math.min(best, t1 / N)
end
print(string.format('best top1 %6.3f', best))
