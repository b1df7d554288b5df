-- image: torch/image's functions that fb.resnet.torch's datasets call, with its argument
-- forms; the kernels are mpelu's TypeScript ones (src/image), which reproduce image.c's
-- roundings. load decodes PNG losslessly and JPEG as libjpeg does (MozJPEG as WebAssembly).
require 'torch'

local native = require('mpelu.native').image
local image = {}

local function usage(name, forms)
  error('image.' .. name .. ': incorrect arguments; expected ' .. forms, 3)
end

local function isTensor(x) return torch.isTensor(x) end

-- image.hflip([dst,] src)
function image.hflip(a, b)
  if isTensor(a) and isTensor(b) then return native.hflip(b, a) end
  if not isTensor(a) then usage('hflip', 'hflip(src) or hflip(dst, src)') end
  return native.hflip(a)
end

-- image.crop([dst,] src, x1, y1, [x2, y2]) and image.crop([dst,] src, format, w, h)
function image.crop(...)
  local n = select('#', ...)
  local args = {...}
  local dst, src, x1, y1, x2, y2, format, w, h
  if n == 6 then dst, src, x1, y1, x2, y2 = unpack(args, 1, 6)
  elseif n == 5 and type(args[3]) == 'string' then dst, src, format, w, h = unpack(args, 1, 5)
  elseif n == 5 then src, x1, y1, x2, y2 = unpack(args, 1, 5)
  elseif n == 4 and type(args[2]) == 'string' then src, format, w, h = unpack(args, 1, 4)
  elseif n == 4 then dst, src, x1, y1 = unpack(args, 1, 4)
  elseif n == 3 then src, x1, y1 = unpack(args, 1, 3)
  else usage('crop', 'crop([dst,] src, x1, y1, [x2, y2]) or crop([dst,] src, format, width, height)') end
  if not isTensor(src) then usage('crop', 'an image tensor as src') end
  local iw, ih
  if src:nDimension() == 3 then iw, ih = src:size(3), src:size(2) else iw, ih = src:size(2), src:size(1) end
  if format then
    if format == 'c' then x1, y1 = math.floor((iw - w) / 2), math.floor((ih - h) / 2)
    elseif format == 'tl' then x1, y1 = 0, 0
    elseif format == 'tr' then x1, y1 = iw - w, 0
    elseif format == 'bl' then x1, y1 = 0, ih - h
    elseif format == 'br' then x1, y1 = iw - w, ih - h
    else error('crop format must be "c"|"tl"|"tr"|"bl"|"br"', 2) end
    x2, y2 = x1 + w, y1 + h
  end
  if x2 == nil then
    -- cropNoScale into dst's size
    if not dst then usage('crop', 'a destination when no end point is given') end
    local dw, dh = dst:size(dst:nDimension()), dst:size(dst:nDimension() - 1)
    dst:copy(native.crop(src, x1, y1, x1 + dw, y1 + dh))
    return dst
  end
  local out = native.crop(src, x1, y1, x2, y2)
  if dst then return native.scale(out, dst:size(dst:nDimension()), dst:size(dst:nDimension() - 1), 'bilinear', dst) end
  return out
end

-- image.scale(src, width, height, [mode]), image.scale(src, size, [mode]), image.scale(dst, src, [mode])
function image.scale(...)
  local n = select('#', ...)
  local args = {...}
  local dst, src, width, height, mode, size
  if n == 4 then src, width, height, mode = unpack(args, 1, 4)
  elseif n == 3 and type(args[3]) == 'string' then
    if type(args[2]) == 'string' or type(args[2]) == 'number' then src, size, mode = unpack(args, 1, 3)
    else dst, src, mode = unpack(args, 1, 3) end
  elseif n == 3 then src, width, height = unpack(args, 1, 3)
  elseif n == 2 then
    if type(args[2]) == 'string' or type(args[2]) == 'number' then src, size = unpack(args, 1, 2)
    else dst, src = unpack(args, 1, 2) end
  else usage('scale', 'scale(src, width, height, [mode]), scale(src, size, [mode]) or scale(dst, src, [mode])') end
  if size then
    local iw, ih
    if src:nDimension() == 3 then iw, ih = src:size(3), src:size(2) else iw, ih = src:size(2), src:size(1) end
    local omax = tonumber(size)
    if omax then
      local imax = math.max(iw, ih)
      height, width = ih * omax / imax, iw * omax / imax
    else
      width, height = size:match('(%d+)x(%d+)')
      if not width then
        local omin = tonumber(size:match('%^(%d+)'))
        if omin then
          local imin = math.min(iw, ih)
          height, width = ih * omin / imin, iw * omin / imin
        end
      end
      if not width then
        local scn, scd = size:match('%*(%d+)%/(%d+)')
        if scn and scd then height, width = ih * scn / scd, iw * scn / scd end
      end
      if not width then
        local sc = tonumber(size:match('%*(.+)'))
        if sc then height, width = ih * sc, iw * sc end
      end
    end
  end
  mode = mode or 'bilinear'
  if dst then
    return native.scale(src, dst:size(dst:nDimension()), dst:size(dst:nDimension() - 1), mode, dst)
  end
  if not width or not height then error('image.scale: could not find valid dest size', 2) end
  return native.scale(src, tonumber(width), tonumber(height), mode)
end

-- image.rotate([dst,] src, theta, [mode])
function image.rotate(...)
  local n = select('#', ...)
  local args = {...}
  local dst, src, theta, mode
  if n == 4 then dst, src, theta, mode = unpack(args, 1, 4)
  elseif n == 3 and type(args[2]) == 'number' then src, theta, mode = unpack(args, 1, 3)
  elseif n == 3 then dst, src, theta = unpack(args, 1, 3)
  elseif n == 2 then src, theta = unpack(args, 1, 2)
  else usage('rotate', 'rotate([dst,] src, theta, [mode])') end
  return native.rotate(src, theta, mode or 'simple', dst)
end

function image.rgb2y(src) return native.rgb2y(src) end

-- image.load(filename, [depth], [tensortype]): tensortype 'byte' | 'float' | 'double'
-- (default: the default tensor type's), depth 1 or 3 forces the channel count.
function image.load(filename, depth, tensortype)
  if type(filename) ~= 'string' then error('image.load: missing file name', 2) end
  if not tensortype then
    local t = torch.getdefaulttensortype()
    tensortype = (t == 'torch.DoubleTensor' and 'double') or (t == 'torch.ByteTensor' and 'byte') or 'float'
  end
  return native.toDepth(native.load(filename, tensortype), depth)
end
image.loadJPG = image.load
image.loadPNG = image.load

_G.image = image
return image
