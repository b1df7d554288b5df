// Export a Torch model to ONNX or safetensors, and import safetensors weights back.
//
//   import { exporter } from 'mpelu';
//   exporter.export(model, 'model.onnx', { inputShape: [3, 32, 32], foldBn: true });
//   exporter.export(model, 'model.safetensors', { names: 'pytorch' });
//   exporter.importWeights(model, 'model.safetensors');   // fills the model in place
//
// Files are written atomically (temporary file + rename).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Module } from '../nn/index.js';
import { writeFileAtomic } from '../t7/index.js';
import { exportOnnx, type OnnxExportOptions } from './onnx.js';
import { exportSafetensors, importSafetensors, type ImportReport, type NameStyle } from './weights.js';

export { exportOnnx, ONNX_OPSET, ONNX_IR_VERSION, type OnnxExportOptions } from './onnx.js';
export { exportSafetensors, importSafetensors, namedTensors, type NameStyle, type ImportReport, type NamedTensor } from './weights.js';
export { decodeSafetensors, encodeSafetensors, SafetensorsError } from './safetensors.js';
export { ExportError, classCensus } from './module_path.js';
export { exportableClasses } from './onnx_convert.js';

/** The formats mpelu export writes. */
export type ExportFormat = 'onnx' | 'safetensors';

/** Options of exportModel. */
export interface ExportOptions extends OnnxExportOptions {
  /** Default: from the file name's extension (.onnx, .safetensors). */
  format?: ExportFormat;
  /** safetensors tensor names: Torch's module paths (default) or PyTorch Sequential names. */
  names?: NameStyle;
}

/** What exportModel wrote. */
export interface ExportReport {
  /** The format written. */
  format: ExportFormat;
  /** The file's size in bytes. */
  bytes: number;
}

/** The format a file name asks for, or an error saying which names are known. */
export function formatOf(file: string): ExportFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.safetensors') return 'safetensors';
  throw new Error(`export: cannot tell the format of '${file}' (expected a .onnx or .safetensors file name, or give the format)`);
}

/** Writes `model` to `file` as ONNX (evaluation mode) or safetensors (every parameter and buffer). */
export function exportModel(model: Module, file: string, options: ExportOptions = {}): ExportReport {
  if (!(model instanceof Module)) throw new TypeError(`export: expected an nn module, got ${model === null ? 'nil' : typeof model}`);
  const format = options.format ?? formatOf(file);
  const chunks = format === 'onnx' ? [exportOnnx(model, options)] : exportSafetensors(model, { names: options.names, source: options.source });
  writeFileAtomic(file, chunks);
  return { format, bytes: chunks.reduce((s, c) => s + c.byteLength, 0) };
}

export { exportModel as export };

/** Fills `model`'s parameters and buffers from a safetensors file (or its bytes); see importSafetensors. */
export function importWeights(model: Module, weights: string | Uint8Array): ImportReport {
  if (!(model instanceof Module)) throw new TypeError(`import-weights: expected an nn module, got ${model === null ? 'nil' : typeof model}`);
  const bytes = typeof weights === 'string' ? fs.readFileSync(weights) : weights;
  return importSafetensors(model, bytes, typeof weights === 'string' ? weights : 'safetensors');
}
