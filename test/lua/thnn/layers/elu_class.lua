-- nn.ELU(alpha, inplace) as a Lua class on input.THNN.ELU_* (torch/nn's argument lists).
local ELU, parent = torch.class('nn.ELU', 'nn.Module')

function ELU:__init(alpha, inplace)
   parent.__init(self)
   self.alpha = alpha or 1
   self.inplace = inplace or false
   assert(type(self.alpha) == 'number' and type(self.inplace) == 'boolean')
end

function ELU:updateOutput(input)
   input.THNN.ELU_updateOutput(input:cdata(), self.output:cdata(), self.alpha, self.inplace or false)
   return self.output
end

function ELU:updateGradInput(input, gradOutput)
   input.THNN.ELU_updateGradInput(input:cdata(), gradOutput:cdata(), self.gradInput:cdata(),
      self.output:cdata(), self.alpha, self.inplace or false)
   return self.gradInput
end

function ELU:__tostring__()
   return string.format('%s (alpha:%f)', torch.type(self), self.alpha)
end
