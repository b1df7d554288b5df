// An ONNX graph under construction: nodes, float32 initializers, unique names, and the
// static shapes the exporter knows (a symbolic batch dimension, possibly symbolic
// spatial sizes). Encoding is onnx-proto's (protobufjs), never a hand-written encoder.

import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

/** A dimension: a number, a symbol (ONNX dim_param, e.g. 'batch') or unknown (null). */
export type Dim = number | string | null;

/** A tensor flowing through the graph: its ONNX value name and what is known of its shape. */
export interface Value {
  name: string;
  shape: Dim[];
}

/** What flows between modules: a tensor, or a table of them (Torch's Lua tables). */
export type Flow = Value | Flow[];

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

/** The kinds of attribute the exporter writes (ints are the default for numbers). */
function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.FLOATS, floats: v.floats };
}

export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();

  /** `base` or `base_2`, `base_3`, ... whichever is still free. */
  uniqueName(base: string): string {
    let name = base;
    for (let k = 2; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Claims a name chosen elsewhere (the graph input). */
  reserve(name: string): void {
    if (this.names.has(name)) throw new Error(`ONNX export: the name '${name}' is used twice`);
    this.names.add(name);
  }

  /** A float32 initializer; values are rounded to float32 here. */
  floatConstant(base: string, dims: readonly number[], values: ArrayLike<number>): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new Error(`ONNX export: ${base} holds ${values.length} values, expected ${n} for dims [${dims.join(', ')}]`);
    const data = Float32Array.from(values);
    const name = this.uniqueName(base);
    this.initializers.push({
      name,
      dims: dims.slice(),
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** An int64 initializer (shapes for Reshape). */
  int64Constant(base: string, values: readonly number[]): string {
    const name = this.uniqueName(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Adds one node and returns its output's name (unique, built from `outBase`). */
  node(opType: string, inputs: readonly string[], outBase: string, attrs: Record<string, AttrValue> = {}): string {
    const out = this.uniqueName(outBase);
    this.nodes.push({
      opType,
      name: out,
      input: inputs.slice(),
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }
}

/** A ValueInfoProto for a float tensor of the given (partly symbolic) shape. */
export function floatValueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) },
      },
    },
  };
}

/** The bytes of a model proto. */
export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`ONNX export: internal error building the model proto: ${err}`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Reads a model back (tests and `inspect`-style checks). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
