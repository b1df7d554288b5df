// The TypeScript side of `require 'mpelu.export'` (the Lua side is in lua/packages.lua):
// ONNX / safetensors export of a model and import of safetensors weights, as src/export.

import { LuaTable } from '../t7/lua_table.js';
import { Module } from '../nn/index.js';
import { exportModel, importWeights, type ExportFormat, type ExportOptions } from '../export/index.js';

function moduleArg(m: unknown, where: string): Module {
  if (!(m instanceof Module)) throw new Error(`${where}: expected an nn module as the first argument, got ${m === undefined ? 'nil' : typeof m}`);
  return m;
}

/** A Lua options table {inputShape = {3, 32, 32}, foldBn = true, names = 'pytorch', source = '...'}. */
function optionsFrom(t: unknown, where: string): ExportOptions {
  if (t === undefined || t === null) return {};
  if (!(t instanceof LuaTable)) throw new Error(`${where}: options should be a table, got ${typeof t}`);
  const shape = t.get('inputShape');
  let inputShape: number[] | undefined;
  // A Lua sequence arrives as a JS array (or a LuaTable when it has other keys).
  if (Array.isArray(shape)) inputShape = shape as number[];
  else if (shape instanceof LuaTable) inputShape = Array.from({ length: shape.length() }, (_, i) => shape.get(i + 1) as number);
  else if (shape !== undefined) throw new Error(`${where}: inputShape should be a table of sizes like {3, 32, 32}`);
  const names = t.get('names');
  if (names !== undefined && names !== 'torch' && names !== 'pytorch') throw new Error(`${where}: names should be 'torch' or 'pytorch', got ${String(names)}`);
  return { inputShape, foldBn: t.get('foldBn') === true, names: names as ExportOptions['names'], source: t.get('source') as string | undefined };
}

export function exportFunctions(): Record<string, (...args: never[]) => unknown> {
  return {
    exportModel: (model: unknown, file: string, format: ExportFormat | undefined, opts: unknown) => {
      const where = `mpelu.export.${format ?? 'export'}`;
      return exportModel(moduleArg(model, where), file, { ...optionsFrom(opts, where), format }).bytes;
    },
    importWeights: (model: unknown, file: string) => importWeights(moduleArg(model, 'mpelu.export.importWeights'), file).filled,
  };
}
