-- nn.SpatialConvolutionMM: a convolution whose weight is the 2-d (nOutputPlane,
-- nInputPlane*kH*kW) matrix, computed by input.THNN.SpatialConvolutionMM_*.
local THNN = require 'nn.THNN'
local Conv, parent = torch.class('nn.SpatialConvolutionMM', 'nn.Module')

function Conv:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
   parent.__init(self)
   self.nInputPlane, self.nOutputPlane = nInputPlane, nOutputPlane
   self.kW, self.kH = kW, kH
   self.dW, self.dH = dW or 1, dH or 1
   self.padW = padW or 0
   self.padH = padH or self.padW
   self.weight = torch.Tensor(nOutputPlane, nInputPlane * kH * kW)
   self.bias = torch.Tensor(nOutputPlane)
   self.gradWeight = torch.Tensor(nOutputPlane, nInputPlane * kH * kW)
   self.gradBias = torch.Tensor(nOutputPlane)
   self:reset()
end

function Conv:reset()
   local stdv = 1 / math.sqrt(self.kW * self.kH * self.nInputPlane)
   self.weight:uniform(-stdv, stdv)
   self.bias:uniform(-stdv, stdv)
end

function Conv:noBias()
   self.bias, self.gradBias = nil, nil
   return self
end

function Conv:updateOutput(input)
   self.finput = self.finput or input.new()
   self.fgradInput = self.fgradInput or input.new()
   input.THNN.SpatialConvolutionMM_updateOutput(input:cdata(), self.output:cdata(), self.weight:cdata(),
      THNN.optionalTensor(self.bias), self.finput:cdata(), self.fgradInput:cdata(),
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH)
   return self.output
end

function Conv:updateGradInput(input, gradOutput)
   if not self.gradInput then return end
   input.THNN.SpatialConvolutionMM_updateGradInput(input:cdata(), gradOutput:cdata(), self.gradInput:cdata(),
      self.weight:cdata(), self.finput:cdata(), self.fgradInput:cdata(),
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH)
   return self.gradInput
end

function Conv:accGradParameters(input, gradOutput, scale)
   input.THNN.SpatialConvolutionMM_accGradParameters(input:cdata(), gradOutput:cdata(), self.gradWeight:cdata(),
      THNN.optionalTensor(self.gradBias), self.finput:cdata(), self.fgradInput:cdata(),
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, scale or 1)
end

function Conv:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput')
   return parent.clearState(self)
end
