// -netType FILE.lua: a Torch model definition run on mpelu's Lua runtime, as fb.resnet.torch's
// models/init.lua runs models/<netType>.lua: with nn, cunn and cudnn required, the file
// returns a function createModel(opt) that builds and returns the model. The opt table is
// main.lua's (dataset, depth, shortcutType, tensorType = 'torch.CudaTensor', ...). The
// model's draws come from the same generator as the built-in models, so a Lua file written
// like the built-in model gives the same weights.

import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { Module } from '../nn/index.js';
import { getDefaultTensorType, setDefaultTensorType } from '../torch/tensor.js';
import { OptionError, type TrainOptions } from './options.js';

function luaLiteral(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '0/0';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return `"${[...v].map((c) => (/[\w .,:/+-]/.test(c) ? c : `\\${c.charCodeAt(0)}`)).join('')}"`;
  return 'nil';
}

/** The `opt` table as Lua source (options with plain values; lrSteps and notes left out). */
export function luaOptTable(opt: TrainOptions): string {
  const entries = Object.entries(opt).filter(([, v]) => ['number', 'boolean', 'string'].includes(typeof v));
  return `{${entries.map(([k, v]) => `${k} = ${luaLiteral(v)}`).join(', ')}}`;
}

export async function createLuaModel(file: string, opt: TrainOptions, print: (s: string) => void): Promise<Module> {
  if (!existsSync(file)) throw new OptionError(`-netType ${file}: no such model file`);
  const { LuaRuntime, LuaScriptError } = await import('../lua/runtime.js');
  const { lua } = await import('../lua/fengari.js');
  const path = resolve(file);
  print(`=> Creating model from file: ${file}`);
  const previous = getDefaultTensorType();
  setDefaultTensorType('torch.FloatTensor'); // main.lua's
  const rt = new LuaRuntime();
  try {
    rt.addScriptDir(dirname(path));
    rt.runString(
      `require 'nn'; require 'cunn'; require 'cudnn'\n` +
        `local createModel = dofile(${luaLiteral(path)})\n` +
        `if type(createModel) ~= 'function' then error('the file should return a function createModel(opt), it returned a ' .. type(createModel), 0) end\n` +
        `__mpelu_model = createModel(${luaOptTable(opt)})`,
      `=${file}`,
    );
    rt.flush();
    lua.lua_getglobal(rt.L, new TextEncoder().encode('__mpelu_model'));
    const model = rt.bridge.get(-1);
    lua.lua_pop(rt.L, 1);
    if (!(model instanceof Module)) throw new OptionError(`-netType ${file}: createModel(opt) should return an nn module, it returned ${model === undefined ? 'nil' : typeof model}`);
    return model.float();
  } catch (e) {
    rt.flush();
    if (e instanceof LuaScriptError) throw new Error(`-netType ${file}: ${e.message}`);
    throw e;
  } finally {
    setDefaultTensorType(previous);
  }
}
