// Modules to ONNX nodes, in evaluation mode. Each Torch class has a converter that takes
// the module, what flows into it (a tensor or a table) and its place in the model, adds
// nodes to the graph and returns what flows out. Containers recurse. A class without a
// converter is an ExportError naming the class and its path, never a guess.

import { UnknownModule, type Module } from '../nn/index.js';
import { ExportError, dottedPath, type ModulePath } from './module_path.js';
import type { Dim, Flow, OnnxGraph, Value } from './onnx_graph.js';

export interface ConvertContext {
  graph: OnnxGraph;
  /** Fold a SpatialBatchNormalization into the convolution right before it (in a Sequential). */
  foldBn: boolean;
}

/** Converts one module: adds its nodes and returns what flows out of it. */
export type Converter = (m: Module, x: Flow, at: ModulePath, ctx: ConvertContext) => Flow;

const converters = new Map<string, Converter>();

/** Claims Torch class names (e.g. 'nn.ReLU', 'cudnn.ReLU') for a converter. */
export function registerConverter(classNames: readonly string[], fn: Converter): void {
  for (const c of classNames) converters.set(c, fn);
}

/** The class names that export to ONNX. */
export function exportableClasses(): string[] {
  return [...converters.keys()].sort();
}

export function convertModule(m: Module, x: Flow, at: ModulePath, ctx: ConvertContext): Flow {
  const fn = converters.get(m.className);
  if (!fn) {
    const why = m instanceof UnknownModule
      ? 'mpelu does not implement this class, so it has no ONNX mapping'
      : 'this class has no ONNX mapping in mpelu';
    throw new ExportError(m.className, at, `${why} (exportable: ${exportableClasses().join(', ')})`);
  }
  return fn(m, x, at, ctx);
}

// ---- helpers the converters share --------------------------------------------------

/** The one tensor flowing into `m`, or an error saying a table came instead. */
export function tensorIn(x: Flow, m: Module, at: ModulePath): Value {
  if (Array.isArray(x)) throw new ExportError(m.className, at, `expects a tensor input, got a table of ${x.length} entries`);
  return x;
}

/** The input as a table of tensors. */
export function tableIn(x: Flow, m: Module, at: ModulePath): Flow[] {
  if (!Array.isArray(x)) throw new ExportError(m.className, at, `expects a table input, got a tensor of rank ${x.shape.length}`);
  return x;
}

/** A base name for values and initializers of the module at `at` ('model' for the root). */
export function baseName(at: ModulePath): string {
  return dottedPath(at) || 'model';
}

/** A number field of a module, or an ExportError. */
export function numberField(m: Module, name: string, at: ModulePath, fallback?: number): number {
  const v = m.fields.get(name);
  if (typeof v === 'number') return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new ExportError(m.className, at, `field '${name}' should be a number, found ${v === undefined ? 'nil' : typeof v}`);
}

/** Requires a rank, naming the module when it differs. */
export function requireRank(v: Value, ranks: readonly number[], m: Module, at: ModulePath): void {
  if (!ranks.includes(v.shape.length)) {
    throw new ExportError(m.className, at, `expects a ${ranks.join(' or ')}-d input (batch first), got rank ${v.shape.length} [${formatShape(v.shape)}]`);
  }
}

export function formatShape(s: readonly Dim[]): string {
  return s.map((d) => (d === null ? '?' : String(d))).join(', ');
}

/** A node whose output has the same shape as its input. */
export function sameShape(ctx: ConvertContext, op: string, inputs: readonly string[], x: Value, at: ModulePath, attrs = {}): Value {
  return { name: ctx.graph.node(op, inputs, `${baseName(at)}/${op}`, attrs), shape: x.shape.slice() };
}

// ---- containers ------------------------------------------------------------------

function isConvolution(m: Module | undefined): boolean {
  return m !== undefined && /^(nn|cudnn)\.SpatialConvolution$/.test(m.className);
}

function isBatchNorm(m: Module | undefined): boolean {
  return m !== undefined && /^(nn|cudnn)\.SpatialBatchNormalization$/.test(m.className);
}

/** Set by onnx_layers: a convolution with the batch normalization after it folded in. */
let convWithBn: ((conv: Module, bn: Module, x: Flow, at: ModulePath, bnAt: ModulePath, ctx: ConvertContext) => Flow) | undefined;
export function registerConvBnFolding(fn: NonNullable<typeof convWithBn>): void {
  convWithBn = fn;
}

registerConverter(['nn.Sequential'], (m, x, at, ctx) => {
  const kids = m.children();
  let y = x;
  for (let i = 0; i < kids.length; i++) {
    const child = kids[i]!;
    if (ctx.foldBn && convWithBn && isConvolution(child) && isBatchNorm(kids[i + 1])) {
      y = convWithBn(child, kids[i + 1]!, y, [...at, i + 1], [...at, i + 2], ctx);
      i++;
    } else {
      y = convertModule(child, y, [...at, i + 1], ctx);
    }
  }
  return y;
});

registerConverter(['nn.ConcatTable'], (m, x, at, ctx) => m.children().map((c, i) => convertModule(c, x, [...at, i + 1], ctx)));

registerConverter(['nn.ParallelTable'], (m, x, at, ctx) => {
  const xs = tableIn(x, m, at);
  const kids = m.children();
  if (xs.length < kids.length) throw new ExportError(m.className, at, `has ${kids.length} branches but its input table has ${xs.length} entries`);
  return kids.map((c, i) => convertModule(c, xs[i]!, [...at, i + 1], ctx));
});

registerConverter(['nn.Concat'], (m, x, at, ctx) => {
  const dimension = numberField(m, 'dimension', at);
  const parts = m.children().map((c, i) => tensorIn(convertModule(c, x, [...at, i + 1], ctx), c, [...at, i + 1]));
  if (parts.length === 0) throw new ExportError(m.className, at, 'has no modules to concatenate');
  const rank = parts[0]!.shape.length;
  const axis = dimension - 1;
  if (axis >= rank) throw new ExportError(m.className, at, `concatenates dimension ${dimension} of rank-${rank} outputs`);
  const shape = parts[0]!.shape.slice();
  shape[axis] = parts.every((p) => typeof p.shape[axis] === 'number') ? parts.reduce((s, p) => s + (p.shape[axis] as number), 0) : null;
  return { name: ctx.graph.node('Concat', parts.map((p) => p.name), `${baseName(at)}/Concat`, { axis }), shape };
});

registerConverter(['nn.CAddTable'], (m, x, at, ctx) => {
  const xs = tableIn(x, m, at).map((v) => tensorIn(v, m, at));
  if (xs.length === 0) throw new ExportError(m.className, at, 'got an empty table');
  let sum = xs[0]!;
  for (let i = 1; i < xs.length; i++) sum = sameShape(ctx, 'Add', [sum.name, xs[i]!.name], sum, at);
  return sum;
});

registerConverter(['nn.Identity'], (_m, x) => x);
