// The packages fb.resnet.torch needs beyond the runtime's own (issue 12): `threads`,
// `image` and `optnet` from lua/packages/ (found on package.path after the script's
// folder), image's TypeScript kernels as package.loaded['mpelu.native'].image,
// cutorch.createCudaHostTensor, and os.execute that never downloads a data set
// (src/datasets/offline_download.ts: the -gen scripts' `curl URL | tar xz -C gen/`).

import type { LuaRuntime } from './runtime.js';
import { runLuaFile, pushTable } from './packages.js';
import { lua, lit } from './fengari.js';
import { imageNative } from '../image/native.js';
import { offlineDownload } from '../datasets/offline_download.js';
import { Multi } from './bridge.js';

export function installFbresnetPackages(rt: LuaRuntime, mpelu: number): void {
  const L = rt.L;
  pushTable(rt.bridge, {
    offlineDownload: (cmd: string) => {
      const o = offlineDownload(String(cmd), process.cwd());
      return o ? new Multi([o.status, o.message]) : null;
    },
  });
  const native = lua.lua_gettop(L);
  pushTable(rt.bridge, imageNative);
  lua.lua_setfield(L, native, lit('image'));
  runLuaFile(rt, 'packages/install.lua', [mpelu, native]);
  lua.lua_pop(L, 1);
}
