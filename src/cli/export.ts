// The work of `mpelu export` and `mpelu import-weights` (declared in commands/export.ts):
// load the .t7 model, export or import, write atomically, never over an input.

import * as path from 'node:path';
import { Module } from '../nn/index.js';
import { load, save } from '../t7/index.js';
import { exportModel, formatOf, importWeights, type ExportFormat, type ImportReport, type NameStyle } from '../export/index.js';
import { UsageError } from './errors.js';

export interface ExportFileOptions {
  input?: number[];
  foldBn?: boolean;
  names?: NameStyle;
  format?: ExportFormat;
}

function sameFile(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** The model in a .t7 file, or an error saying what the file holds instead. */
export function loadModel(file: string): Module {
  const model = load(file);
  if (!(model instanceof Module)) {
    const what = model !== null && typeof model === 'object' ? ((model as { className?: string }).className ?? model.constructor.name) : typeof model;
    throw new Error(`${file}: expected an nn module (a model), found ${what}`);
  }
  return model;
}

export function exportFile(model: string, out: string, opts: ExportFileOptions): { format: ExportFormat; bytes: number; seconds: number } {
  if (sameFile(model, out)) throw new UsageError(`export: the output ${out} is the input model; choose another file`);
  let format: ExportFormat;
  try {
    format = opts.format ?? formatOf(out);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (format === 'onnx' && opts.names) throw new UsageError('export: --names applies to safetensors output, not ONNX');
  if (format === 'safetensors' && (opts.input || opts.foldBn)) throw new UsageError('export: --input and --fold-bn apply to ONNX output, not safetensors');
  const m = loadModel(model);
  const t0 = performance.now();
  const r = exportModel(m, out, { format, inputShape: opts.input, foldBn: opts.foldBn, names: opts.names, source: path.basename(model) });
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

export function importWeightsFile(model: string, weights: string, out: string): ImportReport {
  if (sameFile(model, out) || sameFile(weights, out)) throw new UsageError(`import-weights: the output ${out} is one of the inputs; choose another file`);
  const m = loadModel(model);
  const r = importWeights(m, weights);
  save(out, m);
  return r;
}
