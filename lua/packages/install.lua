-- Wires issue 12's packages into the runtime (run once at start-up, see src/lua/fbresnet_packages.ts).
local mpelu, native = ...

package.loaded['mpelu.native'] = native
package.preload.image = nil
package.loaded.image = nil
-- lua/packages/?.lua after whatever is on the path (the script's folder goes first when it is added).
local here = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$')
package.path = package.path .. ';' .. here .. '/?.lua'

local cutorch = mpelu.cutorch
if cutorch then
  -- pinned host memory for DataParallelTable's input: an ordinary FloatTensor here
  cutorch.createCudaHostTensor = function(...) return torch.FloatTensor(...) end
end

-- torch.setnumthreads is Torch's CPU (OpenMP) thread count. Once cutorch is loaded the network
-- runs on the emulated GPU, which is mpelu's kernel threads, and a GPU run's setnumthreads never
-- slows its GPU: fb.resnet.torch's main.lua calls torch.setnumthreads(1) (for its CPU-side
-- loaders), which here would leave the kernels one thread. So after cutorch, the number is
-- kept for torch.getnumthreads and the kernels keep MPELU_THREADS or the core count.
local setnumthreads, getnumthreads = torch.setnumthreads, torch.getnumthreads
local cpuThreads
torch.setnumthreads = function(n)
  if rawget(_G, 'cutorch') == nil then return setnumthreads(n) end
  if type(n) ~= 'number' or n < 1 or n ~= math.floor(n) then
    error('setnumthreads: expected a whole number >= 1, got ' .. tostring(n), 2)
  end
  cpuThreads = n
end
torch.getnumthreads = function()
  if rawget(_G, 'cutorch') ~= nil and cpuThreads then return cpuThreads end
  return getnumthreads()
end

-- The -gen scripts' downloads: answered from local files, never from the network.
local execute = os.execute
os.execute = function(cmd)
  if type(cmd) == 'string' then
    local status, message = native.offlineDownload(cmd)
    if status then
      io.stderr:write(message, '\n')
      return status
    end
  end
  return execute(cmd)
end
