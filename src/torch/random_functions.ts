// The torch.* random functions (torch.manualSeed, torch.uniform, torch.randn, ...), with
// Torch's argument conventions: an optional result tensor first (for the tensor forms),
// then an optional Generator, then the numbers. Scalar forms return Lua numbers
// (doubles); tensor forms are made in the default tensor type, as torch.X dispatches to
// the default type's function.

import { Storage } from './storage.js';
import { Tensor, defaultTensorType } from './tensor.js';
import { Generator, RNG_STATE_BYTES, defaultGenerator, multinomialRow } from './random.js';

type Gen = Generator;
type SizeArg = number | number[] | Storage;

function takeGenerator(args: unknown[]): Gen {
  if (args[0] instanceof Generator) return args.shift() as Gen;
  return defaultGenerator();
}

function takeTensor(args: unknown[]): Tensor | undefined {
  if (args[0] instanceof Tensor) return args.shift() as Tensor;
  return undefined;
}

/** Torch's LongArg: sizes as numbers, one array, or a LongStorage. */
function sizesOf(args: unknown[], op: string): number[] {
  const first = args[0];
  const sizes = first instanceof Storage ? Array.from({ length: first.size() }, (_, i) => first.getNumber(i)) : Array.isArray(first) ? first : args;
  if (!sizes.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 0)) {
    throw new TypeError(`${op}: expected sizes as non-negative integers (numbers, an array or a LongStorage), got ${JSON.stringify(args)}`);
  }
  return sizes as number[];
}

function numberOr(v: unknown, dflt: number | undefined, op: string, name: string): number {
  if (v === undefined) {
    if (dflt === undefined) throw new TypeError(`${op}: missing argument ${name}`);
    return dflt;
  }
  if (typeof v !== 'number') throw new TypeError(`${op}: expected a number for ${name}, got ${typeof v}`);
  return v;
}

/**
 * A distribution with two parameters (uniform(a, b), normal(mean, stdv), ...; for
 * torch.random an integer in [1, 2^32], [1, b] or [a, b]): a number, or, when a tensor
 * comes first, that tensor filled in place and returned.
 */
export interface TwoParameterRandom {
  (a?: number, b?: number): number;
  (gen: Generator, a?: number, b?: number): number;
  (t: Tensor, a?: number, b?: number): Tensor;
  (t: Tensor, gen: Generator, a?: number, b?: number): Tensor;
}

/** A distribution with one parameter (exponential(lambda), geometric(p)). */
export interface OneParameterRandom {
  (x: number): number;
  (gen: Generator, x: number): number;
  (t: Tensor, x: number): Tensor;
  (t: Tensor, gen: Generator, x: number): Tensor;
}

/** torch.bernoulli: 0 or 1 with probability p (default 0.5); a tensor first is filled (p may be a tensor of probabilities). */
export interface BernoulliRandom {
  (p?: number): number;
  (gen: Generator, p?: number): number;
  (t: Tensor, p?: number | Tensor): Tensor;
  (t: Tensor, gen: Generator, p?: number | Tensor): Tensor;
}

/** torch.rand / torch.randn: a new tensor of the default type (or `res`) of the given sizes. */
export interface SizedRandom {
  (...sizes: number[]): Tensor;
  (sizes: number[] | Storage): Tensor;
  (gen: Generator, ...sizes: number[]): Tensor;
  (gen: Generator, sizes: number[] | Storage): Tensor;
  (res: Tensor, ...sizes: number[]): Tensor;
  (res: Tensor, sizes: number[] | Storage): Tensor;
  (res: Tensor, gen: Generator, ...sizes: number[]): Tensor;
  (res: Tensor, gen: Generator, sizes: number[] | Storage): Tensor;
}

/** torch.randperm: a random permutation of 1..n. */
export interface PermutationRandom {
  (n: number): Tensor;
  (gen: Generator, n: number): Tensor;
  (res: Tensor, n: number): Tensor;
  (res: Tensor, gen: Generator, n: number): Tensor;
}

/** torch.multinomial: n 1-based category indices per row of probabilities, as a LongTensor. */
export interface MultinomialRandom {
  (probs: Tensor, n: number, replacement?: boolean): Tensor;
  (gen: Generator, probs: Tensor, n: number, replacement?: boolean): Tensor;
  (res: Tensor, probs: Tensor, n: number, replacement?: boolean): Tensor;
  (res: Tensor, gen: Generator, probs: Tensor, n: number, replacement?: boolean): Tensor;
}

/** A scalar function with an optional generator, or a tensor fill when a tensor comes first. */
function scalarOrFill(
  op: 'uniform' | 'normal' | 'cauchy' | 'logNormal',
  defaults: [number, number],
  scalar: (g: Gen, a: number, b: number) => number,
): TwoParameterRandom {
  return ((...args: unknown[]): number | Tensor => {
    const t = takeTensor(args);
    const gen = takeGenerator(args);
    const a = numberOr(args[0], defaults[0], op, 'a');
    const b = numberOr(args[1], defaults[1], op, 'b');
    if (t) return t[op](gen, a, b);
    return scalar(gen, a, b);
  }) as TwoParameterRandom;
}

function toStateTensor(bytes: Uint8Array): Tensor {
  const t = Tensor.create('Byte', [bytes.length]);
  (t.storage().mutableData() as Uint8Array).set(bytes);
  return t;
}

function fromStateTensor(state: unknown): Uint8Array {
  if (!(state instanceof Tensor) || state.elementType !== 'Byte') {
    throw new TypeError('setRNGState: expected a torch.ByteTensor from getRNGState');
  }
  if (state.nElement() !== RNG_STATE_BYTES || !state.isContiguous()) {
    throw new RangeError(`setRNGState: RNG state is wrong size or not contiguous: expected ${RNG_STATE_BYTES} contiguous bytes, got ${state.nElement()}`);
  }
  const d = state.storage().data() as Uint8Array;
  return d.subarray(state.offset(), state.offset() + RNG_STATE_BYTES);
}

export const randomFunctions = {
  /** torch.Generator(): a new generator seeded from the system's entropy. */
  Generator: (): Generator => new Generator(),

  /** torch.manualSeed([gen,] seed). */
  manualSeed(...args: [number] | [Generator, number]): void {
    const a = [...args] as unknown[];
    const gen = takeGenerator(a);
    gen.manualSeed(numberOr(a[0], undefined, 'manualSeed', 'seed'));
  },

  /** torch.seed([gen]): reseed from entropy; returns the seed. */
  seed(gen?: Generator): number {
    return (gen ?? defaultGenerator()).seed();
  },

  /** torch.initialSeed([gen]): the seed the generator was last seeded with. */
  initialSeed(gen?: Generator): number {
    return (gen ?? defaultGenerator()).initialSeed();
  },

  /** torch.getRNGState([gen]): a ByteTensor holding the generator (THGenerator's bytes). */
  getRNGState(gen?: Generator): Tensor {
    return toStateTensor((gen ?? defaultGenerator()).getState());
  },

  /** torch.setRNGState([gen,] state): returns state. */
  setRNGState(...args: [Tensor] | [Generator, Tensor]): Tensor {
    const a = [...args] as unknown[];
    const gen = takeGenerator(a);
    gen.setState(fromStateTensor(a[0]));
    return a[0] as Tensor;
  },

  /** torch.random([gen,] [a], [b]) -> number; torch.random(t, [gen,] [a], [b]) fills t. */
  random: ((...args: unknown[]): number | Tensor => {
    const t = takeTensor(args);
    const gen = takeGenerator(args);
    if (t) return t.random(gen, args[0] as number | undefined, args[1] as number | undefined);
    if (args[0] === undefined) return gen.random();
    if (args[1] === undefined) return gen.randomUpTo(numberOr(args[0], undefined, 'random', 'b'));
    return gen.randomRange(numberOr(args[0], undefined, 'random', 'a'), numberOr(args[1], undefined, 'random', 'b'));
  }) as TwoParameterRandom,

  /** torch.uniform([gen,] [a = 0], [b = 1]) -> a double in [a, b); torch.uniform(t, [gen,] [a], [b]) fills t. */
  uniform: scalarOrFill('uniform', [0, 1], (g, a, b) => g.uniform(a, b)),
  /** torch.normal([gen,] [mean = 0], [stdv = 1]) -> a number (Box-Muller, Torch7's exact draws); torch.normal(t, ...) fills t. */
  normal: scalarOrFill('normal', [0, 1], (g, a, b) => g.normal(a, b)),
  /** torch.cauchy([gen,] [median = 0], [sigma = 1]) -> a number; torch.cauchy(t, ...) fills t. */
  cauchy: scalarOrFill('cauchy', [0, 1], (g, a, b) => g.cauchy(a, b)),
  /** torch.logNormal([gen,] [mean = 1], [stdv = 2]) -> a number (mean and stdv of the log); torch.logNormal(t, ...) fills t. */
  logNormal: scalarOrFill('logNormal', [1, 2], (g, a, b) => g.logNormal(a, b)),

  /** torch.exponential([gen,] lambda) or torch.exponential(t, [gen,] lambda). */
  exponential: ((...args: unknown[]): number | Tensor => {
    const t = takeTensor(args);
    const gen = takeGenerator(args);
    const lambda = numberOr(args[0], undefined, 'exponential', 'lambda');
    return t ? t.exponential(gen, lambda) : gen.exponential(lambda);
  }) as OneParameterRandom,

  /** torch.geometric([gen,] p) or torch.geometric(t, [gen,] p). */
  geometric: ((...args: unknown[]): number | Tensor => {
    const t = takeTensor(args);
    const gen = takeGenerator(args);
    const p = numberOr(args[0], undefined, 'geometric', 'p');
    return t ? t.geometric(gen, p) : gen.geometric(p);
  }) as OneParameterRandom,

  /** torch.bernoulli([gen,] [p = 0.5]) -> 0 or 1; torch.bernoulli(t, [gen,] p) fills t. */
  bernoulli: ((...args: unknown[]): number | Tensor => {
    const t = takeTensor(args);
    const gen = takeGenerator(args);
    if (t) return t.bernoulli(gen, (args[0] as number | Tensor | undefined) ?? 0.5);
    return gen.bernoulli(numberOr(args[0], 0.5, 'bernoulli', 'p'));
  }) as BernoulliRandom,

  /** torch.rand([res,] [gen,] sizes...): uniform [0, 1) in the default tensor type. */
  rand: ((...args: unknown[]): Tensor => {
    const res = takeTensor(args) ?? new Tensor(defaultTensorType());
    const gen = takeGenerator(args);
    return res.rand(gen, ...sizesOf(args, 'rand'));
  }) as SizedRandom,

  /** torch.randn([res,] [gen,] sizes...): normal(0, 1) in the default tensor type. */
  randn: ((...args: unknown[]): Tensor => {
    const res = takeTensor(args) ?? new Tensor(defaultTensorType());
    const gen = takeGenerator(args);
    return res.randn(gen, ...sizesOf(args, 'randn'));
  }) as SizedRandom,

  /** torch.randperm([res,] [gen,] n): a permutation of 1..n in the default tensor type. */
  randperm: ((...args: unknown[]): Tensor => {
    const res = takeTensor(args) ?? new Tensor(defaultTensorType());
    const gen = takeGenerator(args);
    return res.randperm(gen, numberOr(args[0], undefined, 'randperm', 'n'));
  }) as PermutationRandom,

  /**
   * torch.multinomial([res,] [gen,] probs, n, [replacement = false]): a LongTensor of
   * 1-based category indices, one row per distribution (1-d probs give a 1-d result).
   */
  multinomial: ((...args: unknown[]): Tensor => {
    const first = takeTensor(args);
    const gen = takeGenerator(args);
    // With two tensors the first is the result; with one it is the distribution.
    const probsArg = args[0] instanceof Tensor ? (args.shift() as Tensor) : undefined;
    const probs = probsArg ?? first;
    const res = probsArg ? first : undefined;
    if (!probs || (probs.elementType !== 'Float' && probs.elementType !== 'Double')) {
      throw new TypeError('multinomial: expected a FloatTensor or DoubleTensor of probabilities');
    }
    if (probs.dim() !== 1 && probs.dim() !== 2) throw new RangeError(`multinomial: expected a 1-d or 2-d distribution, got ${probs.dim()} dims`);
    const n = numberOr(args[0], undefined, 'multinomial', 'n');
    const replacement = args[1] === true;
    const rows = probs.dim() === 1 ? 1 : probs.size(1);
    const cats = probs.dim() === 1 ? probs.size(1) : probs.size(2);
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`multinomial: cannot sample n_sample <= 0 samples (got ${n})`);
    if (!replacement && n > cats) throw new RangeError(`multinomial: cannot sample ${n} > ${cats} categories without replacement`);
    if (res && res.elementType !== 'Long') throw new TypeError(`multinomial: the result must be a torch.LongTensor, got a ${res.className()}`);
    const out = (res ?? new Tensor('Long')).resize(rows, n);
    const values = probs.values();
    const d = out.storage().mutableData() as BigInt64Array;
    for (let r = 0; r < rows; r++) {
      const row = Float64Array.from(values.slice(r * cats, (r + 1) * cats));
      const picks = multinomialRow(gen, row, n, replacement);
      for (let j = 0; j < n; j++) d[out.offset() + r * n + j] = BigInt(picks[j]! + 1);
    }
    return probs.dim() === 1 ? out.resize(n) : out;
  }) as MultinomialRandom,
};
