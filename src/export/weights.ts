// A model's parameters and buffers by name, to and from safetensors.
//
// Names follow the module's place in the model: `modules.3.modules.1.weight` keeps Torch's
// 1-based indices; with names 'pytorch' the same tensor is `2.0.weight`, what a
// torch.nn.Sequential-shaped PyTorch model calls it (0-based, no `modules.`), convolution
// weights are 4-d, and each batch normalization gets PyTorch's `num_batches_tracked`.

import { Tensor } from '../torch/index.js';
import type { Module } from '../nn/index.js';
import { mpeluVersion } from './onnx.js';
import { dottedPath, pytorchPath, walkModules, type ModulePath } from './module_path.js';
import { decodeSafetensors, encodeSafetensors, floatBytes, floatValues, type SafetensorsEntry } from './safetensors.js';

/**
 * safetensors tensor names: 'torch' module paths (1-based, `modules[3].weight` style) or 'pytorch'
 * Sequential names (0-based, `2.weight`).
 */
export type NameStyle = 'torch' | 'pytorch';

/** The tensor fields that are parameters or buffers (everything else is scratch). */
const TENSOR_FIELDS = ['weight', 'bias', 'running_mean', 'running_var', 'running_std'] as const;

/** A parameter or buffer of a model with its name in the exported file. */
export interface NamedTensor {
  /** The name in the file. */
  name: string;
  /** The module it belongs to. */
  module: Module;
  /** The module's 1-based path from the root. */
  path: ModulePath;
  /** Its field name ('weight', 'bias', 'running_mean', ...). */
  field: string;
  /** The tensor itself. */
  tensor: Tensor;
  /** The shape stored in the file (PyTorch's 4-d convolution weight for a 2-d Torch one). */
  shape: number[];
}

function isBatchNorm(m: Module): boolean {
  return /BatchNormalization$/.test(m.className);
}

function tensorName(path: ModulePath, field: string, style: NameStyle): string {
  const prefix = style === 'torch' ? dottedPath(path) : pytorchPath(path);
  return prefix ? `${prefix}.${field}` : field;
}

/** Every non-empty parameter/buffer tensor of the model, in module order. */
export function namedTensors(model: Module, style: NameStyle = 'torch'): NamedTensor[] {
  const out: NamedTensor[] = [];
  walkModules(model, (m, path) => {
    for (const field of TENSOR_FIELDS) {
      const t = m.fields.get(field);
      if (!(t instanceof Tensor) || t.nElement() === 0) continue;
      let shape = t.size();
      const f = m.fields;
      if (style === 'pytorch' && field === 'weight' && shape.length === 2 && typeof f.get('kH') === 'number' && typeof f.get('nInputPlane') === 'number') {
        shape = [shape[0]!, f.get('nInputPlane') as number, f.get('kH') as number, f.get('kW') as number];
      }
      out.push({ name: tensorName(path, field, style), module: m, path, field, tensor: t, shape });
    }
  });
  return out;
}

export interface SafetensorsExportOptions {
  names?: NameStyle;
  source?: string;
}

/** The safetensors file (as chunks) of every parameter and buffer. */
export function exportSafetensors(model: Module, options: SafetensorsExportOptions = {}): Uint8Array[] {
  const style = options.names ?? 'torch';
  const entries = new Map<string, SafetensorsEntry>();
  const classes: Record<string, string> = {};
  walkModules(model, (m, path) => {
    const key = style === 'torch' ? dottedPath(path) : pytorchPath(path);
    classes[key || '(root)'] = m.className;
    if (style === 'pytorch' && isBatchNorm(m)) {
      entries.set(tensorName(path, 'num_batches_tracked', style), { dtype: 'I64', shape: [], bytes: new Uint8Array(8) });
    }
  });
  for (const t of namedTensors(model, style)) {
    const dtype = t.tensor.elementType === 'Double' ? 'F64' : 'F32';
    entries.set(t.name, { dtype, shape: t.shape, bytes: floatBytes(t.tensor.values(), dtype) });
  }
  const metadata: Record<string, string> = {
    format: 'pt',
    'mpelu.version': mpeluVersion(),
    source: options.source ?? '(in memory)',
    names: style,
    indexing: style === 'torch'
      ? "Torch's 1-based module indices: modules.I is the I-th entry of a container's modules table, counted from 1"
      : 'torch.nn.Sequential names: 0-based child indices; num_batches_tracked (0) added for each batch normalization',
    'torch.class': model.className,
    'torch.modules': JSON.stringify(classes),
  };
  return encodeSafetensors(entries, metadata);
}

/** What importWeights filled. */
export interface ImportReport {
  /** Tensors filled from the file. */
  filled: number;
  /** The name style the file used. */
  names: NameStyle;
}

/**
 * Fills the model's parameters and buffers from safetensors bytes with the same names
 * (the file's metadata says torch or pytorch names). Every mismatch (missing, unexpected,
 * wrong shape or dtype) is listed in one error, and then nothing is changed.
 */
export function importSafetensors(model: Module, bytes: Uint8Array, where = 'safetensors'): ImportReport {
  const { tensors, metadata } = decodeSafetensors(bytes, where);
  const style: NameStyle = metadata.names === 'pytorch' ? 'pytorch' : 'torch';
  const expected = namedTensors(model, style);
  const problems: string[] = [];
  const values = new Map<NamedTensor, Float64Array>();
  const known = new Set(expected.map((e) => e.name));
  for (const e of expected) {
    const t = tensors.get(e.name);
    if (!t) {
      problems.push(`missing: ${e.name} (${e.module.className} ${e.field}, [${e.shape.join(', ')}])`);
      continue;
    }
    if (t.shape.join(',') !== e.shape.join(',')) {
      problems.push(`shape: ${e.name} is [${t.shape.join(', ')}] in the file, the model's ${e.module.className} ${e.field} is [${e.shape.join(', ')}]`);
      continue;
    }
    try {
      values.set(e, floatValues(t, e.name));
    } catch (err) {
      problems.push(`dtype: ${(err as Error).message}`);
    }
  }
  for (const name of tensors.keys()) {
    if (known.has(name)) continue;
    if (style === 'pytorch' && name.endsWith('num_batches_tracked')) continue;
    problems.push(`unexpected: ${name} is in the file but the model has no such tensor`);
  }
  if (problems.length > 0) {
    throw new Error(`${where}: ${problems.length} mismatch${problems.length === 1 ? '' : 'es'} with the model (${style} names), nothing imported:\n  ${problems.join('\n  ')}`);
  }
  for (const [e, v] of values) {
    const src = Tensor.create('Double', e.tensor.size());
    (src.storage().mutableData() as Float64Array).set(v);
    e.tensor.copy(src);
  }
  return { filled: values.size, names: style };
}
