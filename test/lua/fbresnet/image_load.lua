-- image as fb.resnet.torch's datasets use it (own code): load (JPEG/PNG, depth, type),
-- hflip, crop (also by format), scale (size forms), rotate. Prints facts for vitest.
require 'torch'
require 'image'
local dir = arg[1]
local jpg = image.load(dir .. '/rgb444.jpg', 3, 'byte')
print('jpg', torch.type(jpg), jpg:size(1), jpg:size(2), jpg:size(3), jpg:sum())
local f = image.load(dir .. '/rgb444.jpg', 3, 'float')
print('float max <= 1', f:max() <= 1, torch.type(f))
local gray = image.load(dir .. '/gray8.png', 1, 'byte')
print('gray png dims', gray:dim(), gray:size(1), gray:size(2))
local g3 = image.load(dir .. '/gray8.png', 3, 'byte')
print('gray png as RGB', g3:size(1), (g3[1] - g3[3]):abs():sum())
local img = f:narrow(2, 1, 8):narrow(3, 1, 10)
local fl = image.hflip(img)
print('hflip', fl[2][3][1] == img[2][3][10], fl[1][8][10] == img[1][8][1])
local c = image.crop(img, 2, 3, 7, 8)
print('crop', c:size(2), c:size(3), c[3][1][1] == img[3][4][3])
local cc = image.crop(img, 'c', 4, 4)
print('crop c', cc[1][1][1] == img[1][3][4])
local s = image.scale(img, 20, 16, 'bicubic')
print('scale', s:size(2), s:size(3), s[1][16][20] == img[1][8][10])
local s2 = image.scale(img, 5)
print('scale max side', s2:size(2), s2:size(3))
local r = image.rotate(img, 0, 'bilinear')
print('rotate 0', (r - img):abs():max())
print('bad file', pcall(image.load, dir .. '/README.md'))
