-- nn.BatchNormalization (2-d input) and nn.SpatialBatchNormalization (4-d input) as Lua
-- classes on input.THNN.BatchNormalization_* (torch/nn's argument lists): the spatial one
-- replaces the built-in class, as nn's own SpatialBatchNormalization.lua derives it.
local THNN = require 'nn.THNN'
local BN, parent = torch.class('nn.BatchNormalization', 'nn.Module')
BN.__version = 2
BN.nDim = 2

function BN:__init(nOutput, eps, momentum, affine)
   parent.__init(self)
   self.affine = affine == nil and true or affine
   self.eps = eps or 1e-5
   self.train = true
   self.momentum = momentum or 0.1
   self.running_mean = torch.zeros(nOutput)
   self.running_var = torch.ones(nOutput)
   if self.affine then
      self.weight = torch.Tensor(nOutput):uniform()
      self.bias = torch.zeros(nOutput)
      self.gradWeight = torch.zeros(nOutput)
      self.gradBias = torch.zeros(nOutput)
   end
end

function BN:updateOutput(input)
   assert(input:dim() == self.nDim, string.format('only mini-batch supported (%dD tensor), got %dD tensor instead', self.nDim, input:dim()))
   self.save_mean = self.save_mean or input.new()
   self.save_mean:resizeAs(self.running_mean)
   self.save_std = self.save_std or input.new()
   self.save_std:resizeAs(self.running_var)
   input.THNN.BatchNormalization_updateOutput(input:cdata(), self.output:cdata(),
      THNN.optionalTensor(self.weight), THNN.optionalTensor(self.bias),
      self.running_mean:cdata(), self.running_var:cdata(), self.save_mean:cdata(), self.save_std:cdata(),
      self.train and input:size(1) > 1, self.momentum, self.eps)
   return self.output
end

local function backward(self, input, gradOutput, scale, gradInput, gradWeight, gradBias)
   assert(self.save_mean and self.save_std, 'must call :updateOutput() first')
   if gradInput then gradInput:resizeAs(gradOutput) end
   input.THNN.BatchNormalization_backward(input:cdata(), gradOutput:cdata(),
      THNN.optionalTensor(gradInput), THNN.optionalTensor(gradWeight), THNN.optionalTensor(gradBias),
      THNN.optionalTensor(self.weight), self.running_mean:cdata(), self.running_var:cdata(),
      self.save_mean:cdata(), self.save_std:cdata(), self.train and input:size(1) > 1, scale or 1, self.eps)
   return self.gradInput
end

function BN:backward(input, gradOutput, scale)
   return backward(self, input, gradOutput, scale, self.gradInput, self.gradWeight, self.gradBias)
end

function BN:updateGradInput(input, gradOutput)
   return backward(self, input, gradOutput, 1, self.gradInput)
end

function BN:accGradParameters(input, gradOutput, scale)
   return backward(self, input, gradOutput, scale, nil, self.gradWeight, self.gradBias)
end

function BN:__tostring__()
   return string.format('%s (%dD) (%d)', torch.type(self), self.nDim, self.running_mean:nElement())
end

local SBN = torch.class('nn.SpatialBatchNormalization', 'nn.BatchNormalization')
SBN.__version = 2
SBN.nDim = 4
