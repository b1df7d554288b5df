-- A layer written in Lua (torch.class deriving nn.Module) trained inside nn.Sequential
-- with getParameters and optim.sgd, then cloned, converted and saved. arg[1] = a file to
-- torch.save the trained net to (TypeScript reads it back).
require 'nn'
require 'optim'

-- y = x * w + b elementwise over the last dimension (a diagonal linear layer)
local Diag, parent = torch.class('nn.LuaDiag', 'nn.Module')
function Diag:__init(n)
  parent.__init(self)
  self.weight = torch.Tensor(n):fill(1)
  self.bias = torch.Tensor(n):zero()
  self.gradWeight = torch.Tensor(n):zero()
  self.gradBias = torch.Tensor(n):zero()
end
function Diag:updateOutput(input)
  local n = input:size(1)
  self.output:resizeAs(input):copy(input)
  self.output:cmul(self.weight:view(1, -1):expandAs(input))
  self.output:add(self.bias:view(1, -1):expandAs(input))
  return self.output
end
function Diag:updateGradInput(input, gradOutput)
  self.gradInput:resizeAs(gradOutput):copy(gradOutput):cmul(self.weight:view(1, -1):expandAs(gradOutput))
  return self.gradInput
end
function Diag:accGradParameters(input, gradOutput, scale)
  scale = scale or 1
  self.gradWeight:add(scale, torch.cmul(input, gradOutput):sum(1):view(-1))
  self.gradBias:add(scale, gradOutput:sum(1):view(-1))
end
function Diag:__tostring__()
  return 'nn.LuaDiag(' .. self.weight:size(1) .. ')'
end

torch.manualSeed(11)
local net = nn.Sequential():add(nn.Linear(3, 4)):add(nn.LuaDiag(4)):add(nn.Tanh and nn.Tanh() or nn.ReLU()):add(nn.Linear(4, 1))
print(net)
local params, grads = net:getParameters()
print('parameters', params:nElement())
-- the Lua layer's tensors are views into the flat vector now
print('weight is a view of params', net:get(2).weight:storage() == params:storage())
local x = torch.Tensor(16, 3):normal(0, 1)
local y = x:sum(2):mul(0.5)
local crit = nn.MSECriterion()
local config = {learningRate = 0.05, momentum = 0.9}
local first, last
for i = 1, 30 do
  local _, fs = optim.sgd(function()
    grads:zero()
    local out = net:forward(x)
    local loss = crit:forward(out, y)
    net:backward(x, crit:backward(out, y))
    return loss, grads
  end, params, config)
  first = first or fs[1]
  last = fs[1]
end
print('loss decreased', last < first / 4)
-- gradient of the Lua layer by finite differences at one weight
local m = net:get(2)
local function loss() return crit:forward(net:forward(x), y) end
grads:zero()
net:forward(x)
crit:forward(net.output, y)
net:backward(x, crit:backward(net.output, y))
local w = m.weight
local analytic = m.gradWeight[2]
local h = 1e-6
local w0 = w[2]
w[2] = w0 + h
local lp = loss()
w[2] = w0 - h
local lm = loss()
w[2] = w0
local numeric = (lp - lm) / (2 * h)
print('finite differences agree', math.abs(numeric - analytic) < 1e-5 * math.max(1, math.abs(numeric)))
local c = net:clone()
print('clone is a LuaDiag', torch.type(c:get(2)), c:get(2).weight:equal(m.weight), c:get(2).weight:storage() ~= m.weight:storage())
local f = net:clone():type('torch.FloatTensor')
print('float copy', torch.type(f:get(2).weight), torch.type(f:get(2).output))
print('float forward', f:forward(x:float()):size(1))
if arg[1] then
  torch.save(arg[1], net)
  local back = torch.load(arg[1])
  print('reloaded', torch.type(back:get(2)), back:forward(x):equal(net:forward(x)))
end
