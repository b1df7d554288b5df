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
