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
  /** torch.csub(t, value), torch.csub(t, src), torch.csub(t, value, src): a new tensor t - value (* src). */
  csub: (t: Tensor, a: Scalar | Tensor, b?: Tensor): Tensor => (fresh(t).csub as (...x: unknown[]) => Tensor)(t, a, ...(b === undefined ? [] : [b])),
  /** torch.mul(t, value): a new tensor t * value (value converted to t's type first, as Torch does). */
  mul: (t: Tensor, v: Scalar): Tensor => fresh(t).mul(t, v),
  /** torch.div(t, value): a new tensor t / value (integer types truncate like C). */
  div: (t: Tensor, v: Scalar): Tensor => fresh(t).div(t, v),
  /** torch.cmul(a, b): a new tensor of element-wise products (same number of elements). */
  cmul: (a: Tensor, b: Tensor): Tensor => fresh(a).cmul(a, b),
  /** torch.cdiv(a, b): a new tensor of element-wise quotients (integer types truncate like C). */
  cdiv: (a: Tensor, b: Tensor): Tensor => fresh(a).cdiv(a, b),
  /** torch.addcmul(t, [value = 1,] t1, t2): a new tensor t + value * t1 * t2. */
  addcmul: (...args: (Scalar | Tensor)[]): Tensor => {
    const t = firstTensor('addcmul', args);
    return (fresh(t).addcmul as (...a: (Scalar | Tensor)[]) => Tensor)(...(args.filter((a) => a instanceof Tensor).length === 2 ? [t, ...args] : args));
  },
  /** torch.addcdiv(t, [value = 1,] t1, t2): a new tensor t + value * t1 / t2. */
  addcdiv: (...args: (Scalar | Tensor)[]): Tensor => {
    const t = firstTensor('addcdiv', args);
    return (fresh(t).addcdiv as (...a: (Scalar | Tensor)[]) => Tensor)(...(args.filter((a) => a instanceof Tensor).length === 2 ? [t, ...args] : args));
  },
  /** torch.pow(t, value): a new tensor t ^ value (floating types; Torch's special cases for 2, 3, ±0.5, -1, -2). */
  pow: (t: Tensor, v: number): Tensor => fresh(t).pow(t, v),
  /** torch.clamp(t, min, max): a new tensor with every element clamped into [min, max]. */
  clamp: (t: Tensor, min: number, max: number): Tensor => fresh(t).clamp(t, min, max),
  /** torch.cmax(a, b): a new tensor of the element-wise maximum with a tensor or a value. */
  cmax: (a: Tensor, b: Tensor | number): Tensor => fresh(a).cmax(a, b),
  /** torch.cmin(a, b): a new tensor of the element-wise minimum with a tensor or a value. */
  cmin: (a: Tensor, b: Tensor | number): Tensor => fresh(a).cmin(a, b),
  /** torch.neg(t): a new tensor -t. */
  neg: (t: Tensor): Tensor => fresh(t).neg(t),
  /** torch.abs(t): a new tensor |t|. */
  abs: (t: Tensor): Tensor => fresh(t).abs(t),
  /** torch.sign(t): a new tensor of 1, -1 or 0 by the sign of each element. */
  sign: (t: Tensor): Tensor => fresh(t).sign(t),
  /** torch.sqrt(t): a new tensor of square roots (floating types). */
  sqrt: (t: Tensor): Tensor => fresh(t).sqrt(t),
  /** torch.exp(t): a new tensor e^t (floating types). */
  exp: (t: Tensor): Tensor => fresh(t).exp(t),
  /** torch.log(t): a new tensor of natural logarithms (floating types). */
  log: (t: Tensor): Tensor => fresh(t).log(t),
  /** torch.log1p(t): a new tensor log(1 + t) (floating types). */
  log1p: (t: Tensor): Tensor => fresh(t).log1p(t),
  /** torch.tanh(t): a new tensor of hyperbolic tangents (floating types). */
  tanh: (t: Tensor): Tensor => fresh(t).tanh(t),
  /** torch.sigmoid(t): a new tensor 1 / (1 + e^-t) (floating types). */
  sigmoid: (t: Tensor): Tensor => fresh(t).sigmoid(t),
  /** torch.floor(t): a new tensor rounded down (floating types). */
  floor: (t: Tensor): Tensor => fresh(t).floor(t),
  /** torch.ceil(t): a new tensor rounded up (floating types). */
  ceil: (t: Tensor): Tensor => fresh(t).ceil(t),
  /** torch.round(t): a new tensor rounded half away from zero, like C's round() (floating types). */
  round: (t: Tensor): Tensor => fresh(t).round(t),
  /** torch.cinv(t): a new tensor 1 / t (floating types). */
  cinv: (t: Tensor): Tensor => fresh(t).cinv(t),
  /** torch.rsqrt(t): a new tensor 1 / sqrt(t) (floating types). */
  rsqrt: (t: Tensor): Tensor => fresh(t).rsqrt(t),
  /** torch.sum(t): the sum of all elements (accumulated in double); torch.sum(t, dim): sums along 1-based dim, which keeps size 1. */
  sum: ((t: Tensor, dim?: number) => (dim === undefined ? t.sum() : t.sum(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): Tensor },
  /** torch.mean(t): the mean of all elements; torch.mean(t, dim): along 1-based dim, kept with size 1 (floating types). */
  mean: ((t: Tensor, dim?: number) => (dim === undefined ? t.mean() : t.mean(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): Tensor },
  /** torch.max(t): the largest element (NaN wins); torch.max(t, dim): [values, indices (LongTensor, 1-based)] along dim. */
  max: ((t: Tensor, dim?: number) => (dim === undefined ? t.max() : t.max(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): [Tensor, Tensor] },
  /** torch.min(t): the smallest element (NaN wins); torch.min(t, dim): [values, indices (LongTensor, 1-based)] along dim. */
  min: ((t: Tensor, dim?: number) => (dim === undefined ? t.min() : t.min(dim))) as { (t: Tensor): number; (t: Tensor, dim: number): [Tensor, Tensor] },
  /** torch.prod(t): the product of all elements (accumulated in double). */
  prod: (t: Tensor): number => t.prod(),
  /** torch.norm(t, [p = 2]): the p-norm of all elements (p = 0 counts non-zeros); torch.norm(t, p, dim): along 1-based dim. */
  norm: ((t: Tensor, p = 2, dim?: number) => (dim === undefined ? t.norm(p) : t.norm(p, dim))) as { (t: Tensor, p?: number): number; (t: Tensor, p: number, dim: number): Tensor },
  /** torch.std(t, [biased = false]): the standard deviation of all elements (n - 1 unless biased); torch.std(t, dim, [biased]) along dim. */
  std: ((t: Tensor, a?: number | boolean, b?: boolean) => (typeof a === 'number' ? t.std(a, b) : t.std(a))) as { (t: Tensor, biased?: boolean): number; (t: Tensor, dim: number, biased?: boolean): Tensor },
  /** torch.var(t, [biased = false]): the variance of all elements (n - 1 unless biased); torch.var(t, dim, [biased]) along dim. */
  var: ((t: Tensor, a?: number | boolean, b?: boolean) => (typeof a === 'number' ? t.var(a, b) : t.var(a))) as { (t: Tensor, biased?: boolean): number; (t: Tensor, dim: number, biased?: boolean): Tensor },
  /** torch.dot(a, b): the sum of element-wise products (same element count), accumulated in double. */
  dot: (a: Tensor, b: Tensor): number => a.dot(b),
  /** torch.cumsum(t, [dim = 1]): a new tensor of cumulative sums along 1-based dim. */
  cumsum: (t: Tensor, dim = 1): Tensor => t.cumsum(dim),
  /** torch.equal(a, b): true when both have the same sizes and equal elements (NaN is never equal). */
  equal: (a: Tensor, b: Tensor): boolean => a.equal(b),
  /** torch.numel(t): the number of elements. */
  numel: (t: Tensor): number => t.nElement(),
  /** torch.eq(a, b): a ByteTensor, 1 where a's element equals b's (a tensor or a value), else 0. */
  eq: (a: Tensor, b: Tensor | Scalar): Tensor => a.eq(b),
  /** torch.ne(a, b): a ByteTensor, 1 where a's element differs from b's, else 0. */
  ne: (a: Tensor, b: Tensor | Scalar): Tensor => a.ne(b),
  /** torch.gt(a, b): a ByteTensor, 1 where a's element is greater than b's, else 0. */
  gt: (a: Tensor, b: Tensor | Scalar): Tensor => a.gt(b),
  /** torch.lt(a, b): a ByteTensor, 1 where a's element is less than b's, else 0. */
  lt: (a: Tensor, b: Tensor | Scalar): Tensor => a.lt(b),
  /** torch.ge(a, b): a ByteTensor, 1 where a's element is greater than or equal to b's, else 0. */
  ge: (a: Tensor, b: Tensor | Scalar): Tensor => a.ge(b),
  /** torch.le(a, b): a ByteTensor, 1 where a's element is less than or equal to b's, else 0. */
  le: (a: Tensor, b: Tensor | Scalar): Tensor => a.le(b),
  /** torch.sort(t, [dim = last], [descending = false]): [values, indices (LongTensor, 1-based)]; ties keep their order, NaN sorts largest. */
  sort: (t: Tensor, dim?: number, descending = false): [Tensor, Tensor] => t.sort(dim, descending),
  /** torch.topk(t, [k = 1], [dim = last], [dir = false], [sorted]): the k smallest (dir false) or largest along dim, as [values, indices (1-based)], sorted. */
  topk: (t: Tensor, k = 1, dim?: number, dir = false, sorted = false): [Tensor, Tensor] => t.topk(k, dim, dir, sorted),
  /** torch.maskedSelect(t, mask): a 1-d tensor of t's elements where the ByteTensor mask is 1. */
  maskedSelect: (t: Tensor, mask: Tensor): Tensor => t.maskedSelect(mask),
  /** torch.index(t, dim, index): a new tensor of the slices of t at the 1-based positions of a LongTensor along dim. */
  index: (t: Tensor, dim: number, index: Tensor): Tensor => t.indexSelect(dim, index),
  /** torch.mm(a, b): a new matrix a · b (2-d times 2-d). */
  mm: (a: Tensor, b: Tensor): Tensor => fresh(a).mm(a, b),
  /** torch.mv(m, v): a new vector m · v (2-d times 1-d). */
  mv: (a: Tensor, v: Tensor): Tensor => fresh(a).mv(a, v),
  /** torch.ger(a, b): a new matrix, the outer product of vectors a and b. */
  ger: (a: Tensor, b: Tensor): Tensor => fresh(a).ger(a, b),
  /** torch.addmm([beta,] M, [alpha,] m1, m2): a number before M is beta, after it alpha. */
  addmm: (...args: (number | Tensor)[]): Tensor => blasFunction('addmm', args),
  /** torch.addmv([beta,] v, [alpha,] m, x): a new vector beta * v + alpha * (m · x); a number before v is beta, after it alpha (both default 1). */
  addmv: (...args: (number | Tensor)[]): Tensor => blasFunction('addmv', args),
  /** torch.addr([beta,] M, [alpha,] a, b): a new matrix beta * M + alpha * (a ⊗ b); a number before M is beta, after it alpha (both default 1). */
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
  /** torch.linspace(a, b, [n = 100]): n points evenly spaced from a to b, both included, in the default tensor type. */
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
