// The argument forms of Torch's overloaded methods (add, addcmul, addmm, ...) and how
// arguments are described in error messages.

import { isTensor } from './tensor_base.js';
import type { Tensor } from './tensor.js';

export function describeArg(v: unknown): string {
  if (isTensor(v)) return `a ${v.className()} of sizes [${v.size().join(', ')}]`;
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  return `${typeof v} ${String(v)}`;
}

export function isScalar(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** add/csub argument forms -> [result base or null, value, src or null]. */
export function parseAddArgs(op: string, args: unknown[]): [Tensor | null, number | bigint, Tensor | null] {
  const [a, b, c] = args;
  if (args.length === 1 && isScalar(a)) return [null, a, null];
  if (args.length === 1 && isTensor(a)) return [null, 1, a];
  if (args.length === 2 && isScalar(a) && isTensor(b)) return [null, a, b];
  if (args.length === 2 && isTensor(a) && isScalar(b)) return [a, b, null];
  if (args.length === 2 && isTensor(a) && isTensor(b)) return [a, 1, b];
  if (args.length === 3 && isTensor(a) && isScalar(b) && isTensor(c)) return [a, b, c];
  throw new TypeError(`${op}: expected (value), (tensor), (value, tensor), (tensor, value), (tensor, tensor) or (tensor, value, tensor), got (${args.map(describeArg).join(', ')})`);
}

/** addcmul/addcdiv argument forms -> [result base (self unless given), value, t1, t2]. */
export function parseAddcArgs(op: string, args: unknown[], self: Tensor): [Tensor, number | bigint, Tensor, Tensor] {
  const tensors = args.filter((x): x is Tensor => isTensor(x));
  const scalars = args.filter(isScalar);
  const ok =
    tensors.length + scalars.length === args.length &&
    (tensors.length === 2 || tensors.length === 3) &&
    scalars.length <= 1 &&
    (scalars.length === 0 || args[args.length - 3] === scalars[0]);
  if (!ok) throw new TypeError(`${op}: expected ([tensor,] [value,] tensor1, tensor2), got (${args.map(describeArg).join(', ')})`);
  const base = tensors.length === 3 ? tensors[0]! : self;
  return [base, scalars[0] ?? 1, tensors[tensors.length - 2]!, tensors[tensors.length - 1]!] as [Tensor, number | bigint, Tensor, Tensor];
}

/**
 * Torch7's method forms of addmm/addmv/addr -> [beta, M, alpha, a, b]:
 * (a, b), (alpha, a, b), (M, a, b), (M, alpha, a, b), (beta, alpha, a, b), (beta, M, alpha, a, b).
 */
export function parseBlasArgs(op: string, args: unknown[], self: Tensor): [number, Tensor, number, Tensor, Tensor] {
  const tensors = args.filter((x): x is Tensor => isTensor(x));
  const numbers = args.filter((x): x is number => typeof x === 'number');
  const last2Tensors = args.length >= 2 && isTensor(args[args.length - 1]) && isTensor(args[args.length - 2]);
  if (tensors.length + numbers.length !== args.length || tensors.length < 2 || tensors.length > 3 || numbers.length > 2 || !last2Tensors) {
    throw new TypeError(`${op}: expected ([beta,] [M,] [alpha,] a, b), got (${args.map(describeArg).join(', ')})`);
  }
  const M = tensors.length === 3 ? tensors[0]! : self;
  const [beta, alpha] = numbers.length === 2 ? [numbers[0]!, numbers[1]!] : [1, numbers[0] ?? 1];
  return [beta, M, alpha, tensors[tensors.length - 2]!, tensors[tensors.length - 1]!];
}

