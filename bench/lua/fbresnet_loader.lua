-- The CIFAR data path of fb.resnet.torch's dataloader.lua + datasets/cifar10.lua +
-- transforms.lua (own code, same operations): a threads pool whose jobs build batches of
-- 64 with ColorNormalize, HorizontalFlip (image.hflip) and RandomCrop(32, 4) (zero pad,
-- image.crop). Prints images/s of the loader alone.
require 'torch'
require 'image'
local Threads = require 'threads'
Threads.serialization('threads.sharedserialize')
torch.setdefaulttensortype('torch.FloatTensor')
local nImages, batchSize, nThreads = tonumber(arg[1] or 2048), 64, tonumber(arg[2] or 2)
torch.manualSeed(1)
local data = torch.ByteTensor(nImages, 3, 32, 32):random(0, 255)
local labels = torch.ByteTensor(nImages):random(1, 10)
local mean, std = {125.3, 123.0, 113.9}, {63.0, 62.1, 66.7}
local function preprocess(img)
  img = img:clone()
  for c = 1, 3 do img[c]:add(-mean[c]); img[c]:div(std[c]) end
  if torch.uniform() < 0.5 then img = image.hflip(img) end
  local padded = img.new(3, 40, 40):zero()
  padded:narrow(2, 5, 32):narrow(3, 5, 32):copy(img)
  local x1, y1 = torch.random(0, 8), torch.random(0, 8)
  return image.crop(padded, x1, y1, x1 + 32, y1 + 32)
end
local pool = Threads(nThreads, function() require 'image' end, function(idx) torch.manualSeed(1 + idx); _G.data, _G.labels, _G.pre = data, labels, preprocess end)
local timer = torch.Timer()
local perm = torch.randperm(nImages)
local n = 0
for i = 1, nImages, batchSize do
  local indices = perm:narrow(1, i, math.min(batchSize, nImages - i + 1))
  pool:addjob(function(ind)
    local sz = ind:size(1)
    local batch = torch.FloatTensor(sz, 3, 32, 32)
    local target = torch.IntTensor(sz)
    for k, idx in ipairs(ind:totable()) do
      batch[k]:copy(_G.pre(_G.data[idx]:float()))
      target[k] = _G.labels[idx]
    end
    return {input = batch, target = target}
  end, function(s) n = n + s.input:size(1) end, indices)
end
pool:synchronize()
local t = timer:time().real
print(string.format('loader: %d images in %.2f s = %.0f images/s (%d pool threads, batches of %d)', n, t, n / t, nThreads, batchSize))
