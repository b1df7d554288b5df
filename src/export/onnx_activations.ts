// Converters of the activations: ReLU (Torch's Threshold), ELU, LeakyReLU, PReLU, SPELU
// and MPELU, as few ONNX nodes as each case allows.
//
// MPELU, y = x > 0 ? x : alpha (exp(beta x) - 1), uses two identities:
//   Celu(x; 1/b) = x > 0 ? x : (exp(b x) - 1) / b, and PRelu(z; s) = z > 0 ? z : s z,
// so with one beta b for all channels (b > 0) MPELU = PRelu(Celu(x; 1/b); alpha b): 2 nodes
// (1 node, Elu(alpha), when alpha is shared too and b = 1). Per-channel betas (all > 0):
// Elu(beta x) = beta x for x > 0, exp(beta x) - 1 otherwise, so
//   MPELU = PRelu(Elu(x * beta) * (1 / beta); alpha beta): Mul, Elu, Mul, PRelu, 4 nodes.
// A beta <= 0 anywhere takes the literal formula: Mul, Exp, Sub, Mul, Greater, Where.
// SPELU is MPELU with beta = 1.

import type { Module } from '../nn/index.js';
import { ExportError, type ModulePath } from './module_path.js';
import type { Flow, Value } from './onnx_graph.js';
import { baseName, numberField, registerConverter, requireRank, sameShape, tensorIn, type ConvertContext } from './onnx_convert.js';
import { requiredValues } from './onnx_layers.js';

registerConverter(['nn.ReLU', 'cudnn.ReLU'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  // nn.ReLU is Torch's Threshold(0, 0); cudnn.ReLU has no threshold/val fields.
  const threshold = numberField(m, 'threshold', at, 0);
  const val = numberField(m, 'val', at, 0);
  if (threshold === 0 && val === 0) return sameShape(ctx, 'Relu', [x.name], x, at);
  const base = baseName(at);
  const above = ctx.graph.node('Greater', [x.name, ctx.graph.floatConstant(`${base}.threshold`, [], [threshold])], `${base}/Greater`);
  return sameShape(ctx, 'Where', [above, x.name, ctx.graph.floatConstant(`${base}.val`, [], [val])], x, at);
});

registerConverter(['nn.ELU'], (m, x0, at, ctx) => sameShape(ctx, 'Elu', [tensorIn(x0, m, at).name], tensorIn(x0, m, at), at, { alpha: { float: numberField(m, 'alpha', at) } }));

registerConverter(['nn.LeakyReLU'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  return sameShape(ctx, 'LeakyRelu', [x.name], x, at, { alpha: { float: numberField(m, 'negval', at) } });
});

/** How a per-channel or shared parameter broadcasts over x: [C, 1, 1] on NCHW, [C] on N x C, [1] shared. */
interface ChannelParams {
  dims: number[];
  count: number;
}

function channelParams(m: Module, x: Value, at: ModulePath): ChannelParams {
  const n = numberField(m, 'nOutputPlane', at, 0);
  if (n === 0) return { dims: [1], count: 1 };
  requireRank(x, [2, 4], m, at);
  const c = x.shape[1];
  if (typeof c === 'number' && c !== n) throw new ExportError(m.className, at, `has ${n} channels, the input has ${c}`);
  return { dims: x.shape.length === 4 ? [n, 1, 1] : [n], count: n };
}

/** The first `count` values of a parameter (a shared one may hold more than it uses). */
function params(m: Module, name: string, at: ModulePath, count: number): number[] {
  const v = requiredValues(m, name, at);
  if (v.length < count) throw new ExportError(m.className, at, `${name} holds ${v.length} values, expected ${count}`);
  return v.slice(0, count);
}

registerConverter(['nn.PReLU'], (m, x0, at, ctx) => {
  const x = tensorIn(x0, m, at);
  const p = channelParams(m, x, at);
  const slope = ctx.graph.floatConstant(`${baseName(at)}.weight`, p.dims, params(m, 'weight', at, p.count));
  return sameShape(ctx, 'PRelu', [x.name, slope], x, at);
});

function allEqual(v: readonly number[]): boolean {
  return v.every((a) => a === v[0]);
}

/** y = x > 0 ? x : alpha (exp(beta x) - 1) in the fewest nodes (see the file comment). */
function exponentialUnit(m: Module, x: Value, at: ModulePath, ctx: ConvertContext, alpha: number[], beta: number[], p: ChannelParams): Value {
  const g = ctx.graph;
  const base = baseName(at);
  const constant = (what: string, v: number[]) => g.floatConstant(`${base}.${what}`, v.length === 1 ? [1] : p.dims, v);
  if (allEqual(beta) && beta[0]! > 0) {
    const b = beta[0]!;
    if (b === 1 && allEqual(alpha)) return sameShape(ctx, 'Elu', [x.name], x, at, { alpha: { float: alpha[0]! } });
    const e = b === 1 ? g.node('Elu', [x.name], `${base}/Elu`, { alpha: { float: 1 } }) : g.node('Celu', [x.name], `${base}/Celu`, { alpha: { float: 1 / b } });
    return sameShape(ctx, 'PRelu', [e, constant('alpha_beta', alpha.map((a) => a * b))], x, at);
  }
  if (beta.every((b) => b > 0)) {
    const scaled = g.node('Mul', [x.name, constant('beta', beta)], `${base}/Mul`);
    const e = g.node('Elu', [scaled], `${base}/Elu`, { alpha: { float: 1 } });
    const back = g.node('Mul', [e, constant('inv_beta', beta.map((b) => 1 / b))], `${base}/Mul`);
    return sameShape(ctx, 'PRelu', [back, constant('alpha_beta', alpha.map((a, i) => a * beta[i]!))], x, at);
  }
  const scaled = g.node('Mul', [x.name, constant('beta', beta)], `${base}/Mul`);
  const ex = g.node('Exp', [scaled], `${base}/Exp`);
  const em1 = g.node('Sub', [ex, g.floatConstant(`${base}.one`, [], [1])], `${base}/Sub`);
  const neg = g.node('Mul', [em1, constant('alpha', alpha)], `${base}/Mul`);
  const pos = g.node('Greater', [x.name, g.floatConstant(`${base}.zero`, [], [0])], `${base}/Greater`);
  return sameShape(ctx, 'Where', [pos, x.name, neg], x, at);
}

function mpeluLike(withBeta: boolean, m: Module, x0: Flow, at: ModulePath, ctx: ConvertContext): Value {
  const x = tensorIn(x0, m, at);
  const p = channelParams(m, x, at);
  const alpha = params(m, 'weight', at, p.count);
  const beta = withBeta ? params(m, 'bias', at, p.count) : new Array<number>(p.count).fill(1);
  return exponentialUnit(m, x, at, ctx, alpha, beta, p);
}

registerConverter(['nn.MPELU'], (m, x, at, ctx) => mpeluLike(true, m, x, at, ctx));
registerConverter(['nn.SPELU'], (m, x, at, ctx) => mpeluLike(false, m, x, at, ctx));
