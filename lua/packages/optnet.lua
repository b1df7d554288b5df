-- optnet (fmassa/optimize-net) for mpelu: accepted, and reported once.
--
-- optnet saves GPU memory by making modules' output/gradInput tensors share storages
-- that are never live at the same time. mpelu's activations are tfjs tensors that each
-- module owns and releases itself, so there is no storage to share: optimizeMemory
-- changes nothing but marks the network as optnet does (net.__memoryOptimized, which
-- checkpoints carry and fb.resnet.torch's models/init.lua clears on resume).
--
-- Numerics: optnet's own analysis runs the sample input (zeros) through the network in
-- training mode, which multiplies each batch norm's running variance by 0.9 per pass
-- (running means stay 0, parameters and the random generator are untouched). That
-- difference is gone, below float precision, after the first epoch's updates of the
-- running statistics; training steps use batch statistics and do not see it at all.

local optnet = {}
local reported = false

local function report()
  if reported then return end
  reported = true
  io.stderr:write('mpelu: optnet.optimizeMemory accepted: mpelu\'s activations are owned and released by each module (tfjs), '
    .. 'so there are no buffers to share; the network is marked as optimized and computes exactly as before\n')
end

function optnet.optimizeMemory(net, input, opts)
  opts = opts or {}
  assert(type(net) == 'table' or type(net) == 'userdata', 'optnet.optimizeMemory: a network expected')
  if net.__memoryOptimized then
    print('Skipping memory optimization. Network is already optimized for ' .. tostring(net.__memoryOptimized) .. ' mode.')
    return
  end
  report()
  net.__memoryOptimized = opts.mode or 'inference'
end

function optnet.removeOptimization(net)
  net.__memoryOptimized = nil
end

return optnet
