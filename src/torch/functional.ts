// torch.* function forms of the tensor math: each returns a new tensor (of the first
// tensor argument's type) as Torch7's `torch.add(x, y)` etc. do, or a number for the
// full reductions.
import { Tensor, defaultTensorType } from './tensor.js';

type Scalar = number | bigint;

function fresh(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`expected a tensor as the first argument, got ${typeof t}`);
  return new Tensor(t.elementType);
}

function firstTensor(op: string, args: unknown[]): Tensor {
  const t = args.find((a): a is Tensor => a instanceof Tensor);
  if (!t) throw new TypeError(`torch.${op}: expected at least one tensor argument`);
  return t;
}

/** Sizes given as numbers or as one array (torch.zeros(2, 3) or torch.zeros({2, 3})). */
function sizesOf(args: (number | number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? args[0] : (args as number[]);
}

export const mathFunctions = {
  /** torch.add(t, value), torch.add(t, src), torch.add(t, value, src). */
  add: (t: Tensor, a: Scalar | Tensor, b?: Tensor): Tensor => (fresh(t).add as (...x: unknown[]) => Tensor)(t, a, ...(b === undefined ? [] : [b])),
  csub: (t: Tensor, a: Scalar | Tensor, b?: Tensor): Tensor => (fresh(t).csub as (...x: unknown[]) => Tensor)(t, a, ...(b === undefined ? [] : [b])),
  mul: (t: Tensor, v: Scalar): Tensor => fresh(t).mul(t, v),
  div: (t: Tensor, v: Scalar): Tensor => fresh(t).div(t, v),
  cmul: (a: Tensor, b: Tensor): Tensor => fresh(a).cmul(a, b),
  cdiv: (a: Tensor, b: Tensor): Tensor => fresh(a).cdiv(a, b),
  addcmul: (...args: (Scalar | Tensor)[]): Tensor => {
    const t = firstTensor('addcmul', args);
    return (fresh(t).addcmul as (...a: (Scalar | Tensor)[]) => Tensor)(...(args.filter((a) => a instanceof Tensor).length === 2 ? [t, ...args] : args));
  },
  addcdiv: (...args: (Scalar | Tensor)[]): Tensor => {
    const t = firstTensor('addcdiv', args);
    return (fresh(t).addcdiv as (...a: (Scalar | Tensor)[]) => Tensor)(...(args.filter((a) => a instanceof Tensor).length === 2 ? [t, ...args] : args));
  },
  pow: (t: Tensor, v: number): Tensor => fresh(t).pow(t, v),
  clamp: (t: Tensor, min: number, max: number): Tensor => fresh(t).clamp(t, min, max),
  cmax: (a: Tensor, b: Tensor | number): Tensor => fresh(a).cmax(a, b),
  cmin: (a: Tensor, b: Tensor | number): Tensor => fresh(a).cmin(a, b),
  neg: (t: Tensor): Tensor => fresh(t).neg(t),
  abs: (t: Tensor): Tensor => fresh(t).abs(t),
  sign: (t: Tensor): Tensor => fresh(t).sign(t),
  sqrt: (t: Tensor): Tensor => fresh(t).sqrt(t),
  exp: (t: Tensor): Tensor => fresh(t).exp(t),
  log: (t: Tensor): Tensor => fresh(t).log(t),
  log1p: (t: Tensor): Tensor => fresh(t).log1p(t),
  tanh: (t: Tensor): Tensor => fresh(t).tanh(t),
  sigmoid: (t: Tensor): Tensor => fresh(t).sigmoid(t),
  floor: (t: Tensor): Tensor => fresh(t).floor(t),
  ceil: (t: Tensor): Tensor => fresh(t).ceil(t),
  round: (t: Tensor): Tensor => fresh(t).round(t),
  cinv: (t: Tensor): Tensor => fresh(t).cinv(t),
  rsqrt: (t: Tensor): Tensor => fresh(t).rsqrt(t),
  sum: ((t: Tensor, dim?: number) => (dim === undefined ? t.sum() : t.sum(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): Tensor },
  mean: ((t: Tensor, dim?: number) => (dim === undefined ? t.mean() : t.mean(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): Tensor },
  max: ((t: Tensor, dim?: number) => (dim === undefined ? t.max() : t.max(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): [Tensor, Tensor] },
  min: ((t: Tensor, dim?: number) => (dim === undefined ? t.min() : t.min(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): [Tensor, Tensor] },
  prod: (t: Tensor): number => t.prod(),
  norm: ((t: Tensor, p = 2, dim?: number) => (dim === undefined ? t.norm(p) : t.norm(p, dim))) as { (t: Tensor, p?: number): number; (t: Tensor, p: number, dim: number): Tensor },
  std: ((t: Tensor, a?: number | boolean, b?: boolean) => (typeof a === 'number' ? t.std(a, b) : t.std(a))) as { (t: Tensor, biased?: boolean): number; (t: Tensor, dim: number, biased?: boolean): Tensor },
  var: ((t: Tensor, a?: number | boolean, b?: boolean) => (typeof a === 'number' ? t.var(a, b) : t.var(a))) as { (t: Tensor, biased?: boolean): number; (t: Tensor, dim: number, biased?: boolean): Tensor },
  dot: (a: Tensor, b: Tensor): number => a.dot(b),
  cumsum: (t: Tensor, dim = 1): Tensor => t.cumsum(dim),
  equal: (a: Tensor, b: Tensor): boolean => a.equal(b),
  numel: (t: Tensor): number => t.nElement(),
  eq: (a: Tensor, b: Tensor | Scalar): Tensor => a.eq(b),
  ne: (a: Tensor, b: Tensor | Scalar): Tensor => a.ne(b),
  gt: (a: Tensor, b: Tensor | Scalar): Tensor => a.gt(b),
  lt: (a: Tensor, b: Tensor | Scalar): Tensor => a.lt(b),
  ge: (a: Tensor, b: Tensor | Scalar): Tensor => a.ge(b),
  le: (a: Tensor, b: Tensor | Scalar): Tensor => a.le(b),
  sort: (t: Tensor, dim?: number, descending = false): [Tensor, Tensor] => t.sort(dim, descending),
  topk: (t: Tensor, k = 1, dim?: number, dir = false, sorted = false): [Tensor, Tensor] => t.topk(k, dim, dir, sorted),
  maskedSelect: (t: Tensor, mask: Tensor): Tensor => t.maskedSelect(mask),
  index: (t: Tensor, dim: number, index: Tensor): Tensor => t.indexSelect(dim, index),
  mm: (a: Tensor, b: Tensor): Tensor => fresh(a).mm(a, b),
  mv: (a: Tensor, v: Tensor): Tensor => fresh(a).mv(a, v),
  ger: (a: Tensor, b: Tensor): Tensor => fresh(a).ger(a, b),
  /** torch.addmm([beta,] M, [alpha,] m1, m2): a number before M is beta, after it alpha. */
  addmm: (...args: (number | Tensor)[]): Tensor => blasFunction('addmm', args),
  addmv: (...args: (number | Tensor)[]): Tensor => blasFunction('addmv', args),
  addr: (...args: (number | Tensor)[]): Tensor => blasFunction('addr', args),
  /** torch.cat(a, b, [dim]) or torch.cat([tensors], [dim]); dim defaults to the last. */
  cat: (...args: (Tensor | Tensor[] | number | undefined)[]): Tensor => {
    const list = Array.isArray(args[0]) ? (args[0] as Tensor[]) : (args.filter((a) => a instanceof Tensor) as Tensor[]);
    const dim = args.find((a): a is number => typeof a === 'number');
    if (list.length === 0) throw new TypeError('torch.cat: expected tensors to join');
    return new Tensor(list[0]!.elementType).cat(list, dim);
  },
  /** A tensor of the default type filled with zeros. */
  zeros: (...sizes: (number | number[])[]): Tensor => Tensor.create(defaultTensorType(), sizesOf(sizes)),
  /** A tensor of the default type filled with ones. */
  ones: (...sizes: (number | number[])[]): Tensor => Tensor.create(defaultTensorType(), sizesOf(sizes)).fill(1),
  /** Torch's torch.range(a, b, step): both ends included. */
  range: (a: number, b: number, step = 1): Tensor => {
    if (step === 0 || (b - a) / step < 0) throw new RangeError(`torch.range: cannot go from ${a} to ${b} in steps of ${step}`);
    const n = Math.floor((b - a) / step) + 1;
    const t = Tensor.create(defaultTensorType(), [n]);
    for (let i = 0; i < n; i++) t.put(i + 1, a + i * step);
    return t;
  },
  linspace: (a: number, b: number, n = 100): Tensor => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`torch.linspace: expected at least one point, got ${n}`);
    const t = Tensor.create(defaultTensorType(), [n]);
    if (n === 1) return t.fill(a);
    const step = (b - a) / (n - 1);
    for (let i = 0; i < n; i++) t.put(i + 1, a + i * step);
    return t;
  },
};

function blasFunction(op: 'addmm' | 'addmv' | 'addr', args: (number | Tensor)[]): Tensor {
  const tensors = args.filter((a): a is Tensor => a instanceof Tensor);
  if (tensors.length !== 3) throw new TypeError(`torch.${op}: expected ([beta,] M, [alpha,] a, b), got ${args.length} arguments with ${tensors.length} tensors`);
  const mIndex = args.indexOf(tensors[0]!);
  const before = args.slice(0, mIndex).filter((a): a is number => typeof a === 'number');
  const after = args.slice(mIndex + 1).filter((a): a is number => typeof a === 'number');
  const beta = before[0] ?? 1;
  const alpha = after[0] ?? 1;
  const M = tensors[0]!;
  return fresh(M)[op](beta, M, alpha, tensors[1]!, tensors[2]!);
}
