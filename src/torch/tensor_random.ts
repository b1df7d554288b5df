// Random fills (the generator lives in random.ts): random, uniform, normal, bernoulli,
// geometric, exponential, cauchy, logNormal, rand, randn, randperm.
//
// Torch's TH_TENSOR_APPLY order: one draw per element in logical row-major order.
// Each method takes an optional Generator first, like Torch (default: torch's).
// Float tensors receive their real-typed arguments rounded to float first (the Lua
// wrapper reads them as `float`), then compute in double and round the result.

import { TensorBlas } from './tensor_blas.js';
import { writeElement } from './tensor_elementwise.js';
import { indexArray } from './layout.js';
import type { TensorType } from './types.js';
import { Generator, defaultGenerator, fillNormal, fillUniform, fillWith, randpermValues, type FillTarget } from './random.js';
import type { Tensor } from './tensor.js';

/** Part of Tensor's class chain: random fills with Torch7's draws, in Torch7's order. */
export abstract class TensorRandom extends TensorBlas {
  /** t:random([gen,] [a], [b]): integers in [a, b], [1, b], or the type's full default range. */
  random(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, a, b] = splitGenerator(args);
    const t = this.randomTarget('random', false);
    if (a === undefined) {
      const mod = DEFAULT_RANDOM_MODULUS[this.elementType];
      if (this.elementType === 'Long') fillWith(t, () => gen.random());
      else fillWith(t, () => gen.random() % mod);
      return this;
    }
    if (b === undefined) {
      const hi = Math.trunc(a);
      if (!(hi > 0)) throw new RangeError(`random: upper bound must be strictly positive, got ${a}`);
      fillWith(t, () => (gen.random() % hi) + 1);
      return this;
    }
    const lo = Math.trunc(a);
    const hi = Math.trunc(b);
    if (!(hi >= lo)) throw new RangeError(`random: upper bound must be larger than lower bound, got [${a}, ${b}]`);
    const span = hi + 1 - lo;
    const floating = this.elementType === 'Float' || this.elementType === 'Double';
    fillWith(t, () => {
      const v = (gen.random() % span) + lo;
      // C adds in unsigned long: a negative sum wraps to 2^64 + v before a Float/Double cast.
      return floating && v < 0 ? Number(2n ** 64n + BigInt(v)) : v;
    });
    return this;
  }

  /** t:uniform([gen,] [a = 0], [b = 1]): doubles in [a, b) rounded to the element type. */
  uniform(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, a = 0, b = 1] = splitGenerator(args);
    fillUniform(this.randomTarget('uniform', true), gen, this.realArg(a), this.realArg(b));
    return this;
  }

  /** t:normal([gen,] [mean = 0], [stdv = 1]). */
  normal(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, mean = 0, stdv = 1] = splitGenerator(args);
    fillNormal(this.randomTarget('normal', true), gen, this.realArg(mean), this.realArg(stdv));
    return this;
  }

  /** t:bernoulli([gen,] [p = 0.5]) with a number, or with a Float/Double tensor of probabilities. */
  bernoulli(...args: [(number | Tensor)?] | [Generator, (number | Tensor)?]): this {
    const [gen, p = 0.5] = splitGenerator(args);
    const t = this.randomTarget('bernoulli', false);
    if (typeof p === 'number') {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be >= 0 and <= 1, got ${p}`);
      fillWith(t, () => gen.bernoulli(p));
      return this;
    }
    if (p.elementType !== 'Float' && p.elementType !== 'Double') {
      throw new TypeError(`bernoulli: expected a number or a FloatTensor/DoubleTensor of probabilities, got a ${p.className()}`);
    }
    if (p.nElement() !== t.n) throw new RangeError(`bernoulli: the tensor has ${t.n} elements but p has ${p.nElement()}`);
    const probs = p.values();
    let k = 0;
    fillWith(t, () => gen.bernoulli(probs[k++]!));
    return this;
  }

  /** t:geometric([gen,] p): integers >= 1. */
  geometric(...args: [number] | [Generator, number]): this {
    const [gen, p] = splitGenerator<[number]>(args);
    fillWith(this.randomTarget('geometric', false), () => gen.geometric(p));
    return this;
  }

  /** t:exponential([gen,] lambda). */
  exponential(...args: [number] | [Generator, number]): this {
    const [gen, lambda] = splitGenerator<[number]>(args);
    const l = this.realArg(lambda);
    fillWith(this.randomTarget('exponential', true), () => gen.exponential(l));
    return this;
  }

  /** t:cauchy([gen,] [median = 0], [sigma = 1]). */
  cauchy(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, median = 0, sigma = 1] = splitGenerator(args);
    const m = this.realArg(median);
    const s = this.realArg(sigma);
    fillWith(this.randomTarget('cauchy', true), () => gen.cauchy(m, s));
    return this;
  }

  /** t:logNormal([gen,] [mean = 1], [stdv = 2]). */
  logNormal(...args: [number?, number?] | [Generator, number?, number?]): this {
    const [gen, mean = 1, stdv = 2] = splitGenerator(args);
    const m = this.realArg(mean);
    const s = this.realArg(stdv);
    fillWith(this.randomTarget('logNormal', true), () => gen.logNormal(m, s));
    return this;
  }

  /** t:rand([gen,] sizes...): resize, then uniform on [0, 1). */
  rand(...args: number[] | [Generator, ...number[]]): this {
    const [gen, ...sizes] = splitGenerator(args);
    this.resize(...(sizes as number[]));
    return this.uniform(gen, 0, 1);
  }

  /** t:randn([gen,] sizes...): resize, then normal(0, 1). */
  randn(...args: number[] | [Generator, ...number[]]): this {
    const [gen, ...sizes] = splitGenerator(args);
    this.resize(...(sizes as number[]));
    return this.normal(gen, 0, 1);
  }

  /** t:randperm([gen,] n): a random permutation of 1..n (Torch's Fisher-Yates). */
  randperm(...args: [number] | [Generator, number]): this {
    const [gen, n] = splitGenerator<[number]>(args);
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`randperm: n must be a strictly positive integer, got ${n}`);
    if (this.elementType === 'Half') throw new TypeError('randperm: torch.HalfTensor has no random functions in Torch7');
    this.resize(n);
    const v = randpermValues(gen, n);
    const d = this.storage().mutableData();
    for (let i = 0; i < n; i++) writeElement(d, this.elementType, this.offset_ + i, v[i]!);
    return this;
  }

  /** Where a random fill writes, in TH_TENSOR_APPLY order. */
  private randomTarget(op: string, floatingOnly: boolean): FillTarget {
    if (this.elementType === 'Half') throw new TypeError(`${op}: torch.HalfTensor has no random functions in Torch7`);
    if (floatingOnly && this.elementType !== 'Float' && this.elementType !== 'Double') {
      throw new TypeError(`${op}: defined for FloatTensor and DoubleTensor only, got a ${this.className()}`);
    }
    const n = this.nElement();
    const data = n === 0 ? this.storage().data() : this.storage().mutableData();
    const order = this.isContiguous() ? null : indexArray(this.sizes_, this.strides_, this.offset_);
    return { data, order, offset: this.offset_, n };
  }

  /** A Lua number passed to a `real` argument of this tensor's C function. */
  private realArg(v: number): number {
    return this.elementType === 'Float' ? Math.fround(v) : v;
  }

}

/** Splits Torch's optional leading Generator off an argument list. */
function splitGenerator<T extends unknown[]>(args: T | [Generator, ...T]): [Generator, ...T] {
  if (args[0] instanceof Generator) return args as [Generator, ...T];
  return [defaultGenerator(), ...(args as T)];
}

/** t:random() with no bounds: THRandom_random modulo the type's range (TH's per-type choice). */
const DEFAULT_RANDOM_MODULUS: Record<TensorType, number> = {
  Byte: 256,
  Char: 128,
  Short: 32768,
  Int: 2 ** 31,
  Long: 2 ** 63,
  Float: 2 ** 24 + 1,
  Double: 2 ** 53 + 1,
  Half: 1,
};

