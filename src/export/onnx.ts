// A Torch model (its evaluation-mode computation) as an ONNX model.
//
// Opset 17 with IR version 8: the newest opset that Debian's python3-onnx (1.12) can
// check and that onnx-proto's schema (ONNX 1.10's IR 8) describes; ONNX Runtime runs
// it, and it already has every operator the exporter needs (BatchNormalization-15,
// PRelu-16, Celu-12, Softmax/LogSoftmax-13 with a single axis, Reshape-14). The input is
// NCHW float32 with a symbolic batch dimension ('batch').

import { createRequire } from 'node:module';
import { Module } from '../nn/index.js';
import './onnx_layers.js';
import './onnx_activations.js';
import { convertModule } from './onnx_convert.js';
import { classCensus, walkModules } from './module_path.js';
import { OnnxGraph, encodeModel, floatValueInfo, type Dim, type Flow, type Value } from './onnx_graph.js';

/** The ONNX operator set the exporter writes. */
export const ONNX_OPSET = 17;
/** The ONNX IR version the exporter writes. */
export const ONNX_IR_VERSION = 8;

/** Options of the ONNX export. */
export interface OnnxExportOptions {
  /** One sample's sizes, e.g. [3, 32, 32] (the batch is symbolic). Default: [C, 'height', 'width'] with C from the first convolution. */
  inputShape?: readonly number[];
  /** Fold each SpatialBatchNormalization into the convolution right before it. */
  foldBn?: boolean;
  /** Where the model came from (stored in the metadata). */
  source?: string;
}

/** mpelu's own version (from package.json). */
export function mpeluVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The input's shape: the batch dim is symbolic; without inputShape, so are height and width. */
function inputShapeOf(model: Module, inputShape: readonly number[] | undefined): Dim[] {
  if (inputShape) {
    if (inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new RangeError(`ONNX export: the input shape should be positive integers (one sample's sizes, e.g. 3x32x32), got [${inputShape.join(', ')}]`);
    }
    return ['batch', ...inputShape];
  }
  let channels: number | undefined;
  walkModules(model, (m) => {
    const n = m.fields.get('nInputPlane');
    if (channels === undefined && typeof n === 'number') channels = n;
  });
  if (channels === undefined) {
    throw new Error('ONNX export: the model has no convolution to tell its input channels; give one sample\'s input size (--input, e.g. 3x32x32 or 784)');
  }
  return ['batch', channels, 'height', 'width'];
}

function flatten(f: Flow): Value[] {
  return Array.isArray(f) ? f.flatMap(flatten) : [f];
}

/** The ONNX bytes of `model` in evaluation mode. */
export function exportOnnx(model: Module, options: OnnxExportOptions = {}): Uint8Array {
  if (!(model instanceof Module)) throw new TypeError(`ONNX export: expected an nn module, got ${model === null ? 'nil' : typeof model}`);
  const graph = new OnnxGraph();
  const input: Value = { name: 'input', shape: inputShapeOf(model, options.inputShape) };
  graph.reserve(input.name);
  const result = flatten(convertModule(model, input, [], { graph, foldBn: options.foldBn === true }));
  // Outputs are named output (output1, output2, ... for a table): the producing node's
  // output is renamed when nothing else reads it, otherwise an Identity node gives the name
  // (a model may return its input, or one value twice).
  const consumed = new Set(graph.nodes.flatMap((n) => n.input ?? []));
  const renamed = new Map<string, string>();
  const outputs = result.map((v, i) => {
    const name = graph.uniqueName(result.length === 1 ? 'output' : `output${i + 1}`);
    const producer = graph.nodes.find((n) => n.output?.[0] === v.name);
    if (producer && !consumed.has(v.name) && !renamed.has(v.name)) {
      renamed.set(v.name, name);
      producer.output = [name];
      return { name, shape: v.shape };
    }
    graph.nodes.push({ opType: 'Identity', name, input: [renamed.get(v.name) ?? v.name], output: [name] });
    return { name, shape: v.shape };
  });
  const census = classCensus(model);
  const version = mpeluVersion();
  const metadata: Record<string, string> = {
    'mpelu.version': version,
    source: options.source ?? '(in memory)',
    'torch.class': model.className,
    'torch.class_census': JSON.stringify(census),
    'torch.module_paths': "node names start with the module's place in the model: modules.I.modules.J (Torch's 1-based indices)",
    input: `NCHW float32 [${input.shape.join(', ')}]`,
    mode: 'evaluation (batch normalization uses the running statistics, dropout is off)',
    'fold_bn': String(options.foldBn === true),
  };
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'mpelu',
    producerVersion: version,
    docString: `Exported by mpelu ${version} from ${metadata.source} (${model.className}).`,
    graph: {
      name: 'mpelu_export',
      node: graph.nodes,
      initializer: graph.initializers,
      input: [floatValueInfo(input)],
      output: outputs.map(floatValueInfo),
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}
