-- nn.MPELU(alpha, beta, nOutputPlane): x > 0 ? x : alpha * (exp(beta * x) - 1), alpha in
-- weight and beta in bias, a Lua class on input.THNN.MPELU_* (the paper's argument lists).
local MPELU, parent = torch.class('nn.MPELU', 'nn.Module')

function MPELU:__init(alpha, beta, nOutputPlane)
   parent.__init(self)
   self.nOutputPlane = nOutputPlane or 0
   local n = nOutputPlane or 1
   self.weight = torch.Tensor(n):fill(alpha or 1)
   self.gradWeight = torch.Tensor(n)
   self.bias = torch.Tensor(n):fill(beta or 1)
   self.gradBias = torch.Tensor(n)
end

function MPELU:updateOutput(input)
   input.THNN.MPELU_updateOutput(input:cdata(), self.output:cdata(), self.weight:cdata(),
      self.bias:cdata(), self.nOutputPlane)
   return self.output
end

function MPELU:updateGradInput(input, gradOutput)
   input.THNN.MPELU_updateGradInput(input:cdata(), gradOutput:cdata(), self.gradInput:cdata(),
      self.weight:cdata(), self.bias:cdata(), self.nOutputPlane)
   return self.gradInput
end

function MPELU:accGradParameters(input, gradOutput, scale)
   for _, name in ipairs({'gradWeightBuf', 'gradWeightBuf2', 'gradBiasBuf', 'gradBiasBuf2'}) do
      self[name] = self[name] or input.new()
   end
   input.THNN.MPELU_accGradParameters(input:cdata(), gradOutput:cdata(), self.gradInput:cdata(),
      self.weight:cdata(), self.gradWeight:cdata(), self.gradWeightBuf:cdata(), self.gradWeightBuf2:cdata(),
      self.bias:cdata(), self.gradBias:cdata(), self.gradBiasBuf:cdata(), self.gradBiasBuf2:cdata(),
      self.nOutputPlane, scale or 1)
   return self.gradWeight, self.gradBias
end

function MPELU:clearState()
   nn.utils.clear(self, {'gradWeightBuf', 'gradWeightBuf2', 'gradBiasBuf', 'gradBiasBuf2'})
   return parent.clearState(self)
end

function MPELU:__tostring__()
   return string.format('%s(alpha=%f, beta=%f, channels=%d)', torch.type(self), self.weight[1], self.bias[1], self.nOutputPlane)
end
