// The rest of the packages: nn / cudnn namespaces, save/load, Timer, optim, nnlr, the
// file-system helpers paths uses, and the Lua side in lua/packages.lua.

import { exportFunctions } from './export_package.js';
import { existsSync, mkdirSync, readdirSync, statSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join, normalize } from 'node:path';
import { lua, lauxlib, lit, type LuaState } from './fengari.js';
import type { LuaRuntime } from './runtime.js';
import type { ClassSystem } from './classes.js';
import { Multi } from './bridge.js';
import { pushTable, runLuaFile } from './packages.js';
import { luaDir } from './runtime.js';
import * as t7 from '../t7/index.js';
import { LuaTable } from '../t7/lua_table.js';
import { TorchObject } from '../t7/torch_object.js';
import { Tensor } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { DiskFile, MemoryFile, PipeFile, type TorchFile } from '../torch/file.js';
import { sgd } from '../optim/sgd.js';
import { getNumThreads, setNumThreads } from '../backend/threads.js';
import { getOptimConfig, learningRate, weightDecay, type Accessor } from '../optim/nnlr.js';
import { Module } from '../nn/module.js';
import { tf } from '../torch/tfjs_core.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

class Timer {
  private startWall = 0;
  private startCpu = process.cpuUsage();
  private accWall = 0;
  private accUser = 0;
  private accSys = 0;
  private running = false;
  constructor() {
    this.resume();
  }
  reset(): this {
    this.accWall = this.accUser = this.accSys = 0;
    if (this.running) {
      this.startWall = performance.now();
      this.startCpu = process.cpuUsage();
    }
    return this;
  }
  stop(): this {
    if (!this.running) return this;
    const cpu = process.cpuUsage(this.startCpu);
    this.accWall += performance.now() - this.startWall;
    this.accUser += cpu.user / 1000;
    this.accSys += cpu.system / 1000;
    this.running = false;
    return this;
  }
  resume(): this {
    if (this.running) return this;
    this.startWall = performance.now();
    this.startCpu = process.cpuUsage();
    this.running = true;
    return this;
  }
  time(): LuaTable {
    let wall = this.accWall;
    let user = this.accUser;
    let sys = this.accSys;
    if (this.running) {
      const cpu = process.cpuUsage(this.startCpu);
      wall += performance.now() - this.startWall;
      user += cpu.user / 1000;
      sys += cpu.system / 1000;
    }
    return LuaTable.fromRecord({ real: wall / 1000, user: user / 1000, sys: sys / 1000 });
  }
}

export function installTorchExtras(rt: LuaRuntime, mpelu: number, classes: ClassSystem): void {
  const b = rt.bridge;
  const L: LuaState = b.L;
  let revive: ((v: unknown) => unknown) | undefined;
  const withRevive = <T extends TorchFile | null>(f: T): T => {
    if (f) f.revive = (v) => (revive ? revive(v) : v);
    return f;
  };

  const fromLua = (v: unknown): unknown => v;
  pushTable(b, {
    // ---- serialization ----
    save: (file: string, obj: unknown, format = 'binary') => {
      t7.save(file, fromLua(obj), { format: format === 'ascii' ? 'ascii' : 'binary' } as any);
    },
    load: (file: string, format?: string) => {
      if (!existsSync(file)) throw new Error(`cannot open <${file}> in mode r  at /torch7/lib/TH/THDiskFile.c:673`);
      return t7.load(file, format ? ({ format } as any) : {});
    },
    serialize: (obj: unknown, format = 'binary') => {
      const bytes = t7.serialize(obj, { format: format === 'ascii' ? 'ascii' : 'binary' } as any);
      return Buffer.from(bytes).toString('latin1');
    },
    deserialize: (s: string, format?: string) => t7.deserialize(Buffer.from(s, 'latin1'), format ? ({ format } as any) : {}),
    Timer: () => new Timer(),
    // ---- torch.File (src/torch/file.ts); readObject gives Lua classes back their tables ----
    DiskFile: (name: string, mode = 'r', quiet?: boolean) => withRevive(DiskFile.open(String(name), String(mode), quiet === true)), // null: nil when quiet
    MemoryFile: (a?: Storage | string, mode?: string) => withRevive(new MemoryFile(a, mode)),
    PipeFile: (command: string, mode = 'r', quiet?: boolean) => withRevive(PipeFile.open(String(command), String(mode), quiet === true)),
    setFileRevive: (f: (v: unknown) => unknown) => {
      revive = f;
    },
    setnumthreads: (n: number) => setNumThreads(n),
    getnumthreads: () => getNumThreads(),
    // ---- optim / nnlr ----
    sgd: (opfunc: (x: Tensor) => unknown, x: Tensor, config: unknown, state: unknown) => {
      const cfg = config instanceof LuaTable ? config : new LuaTable();
      const st = state === 'same' ? cfg : state instanceof LuaTable ? state : new LuaTable();
      const r = sgd((p) => {
        const out = opfunc(p) as unknown[];
        return [Number(out[0]), out[1] as Tensor];
      }, x, cfg, st);
      return new Multi([r[0], LuaTable.fromArray(r[1]), cfg, st]);
    },
    learningRate: (m: Module, accessor: Accessor, value: number) => learningRate(m, accessor, value),
    weightDecay: (m: Module, accessor: Accessor, value: number) => weightDecay(m, accessor, value),
    getOptimConfig: (m: Module, lr: number, wd: number) => new Multi(getOptimConfig(m, lr, wd)),
    // ---- file system for paths ----
    filep: (p: string) => existsSync(p) && statSync(p).isFile(),
    dirp: (p: string) => existsSync(p) && statSync(p).isDirectory(),
    normalize: (p: string) => normalize(p),
    mkdir: (p: string) => {
      try {
        mkdirSync(p);
        return true;
      } catch {
        return false;
      }
    },
    rmall: (p: string) => {
      rmSync(p, { recursive: true, force: true });
      return true;
    },
    dir: (p: string) => {
      try {
        return LuaTable.fromArray(['.', '..', ...readdirSync(p)]);
      } catch {
        return undefined;
      }
    },
    home: () => homedir(),
    cwd: () => process.cwd(),
    tmpname: () => join(tmpdir(), `lua_${randomBytes(4).toString('hex')}`),
    isObjectClass: (name: string) => classes.isBacked(name),
    isTorchObject: (x: unknown) => x instanceof TorchObject,
    rename: (m: TorchObject, name: string) => {
      m.className = name;
    },
    backendName: () => tf.getBackend(),
    luaDir,
    ...exportFunctions(),
  });
  const js = lua.lua_gettop(L);
  runLuaFile(rt, 'packages.lua', [mpelu, js]);
  lua.lua_pop(L, 1);
  void lauxlib;
  void lit;
}
