// Torch7's random number generator (TH's THRandom), bit for bit.
//
// Facts from torch7 814ea4a (lib/TH/THRandom.c, generic/THTensorRandom.c, TensorMath.lua):
// - MT19937 with Knuth's seeding of the 624-word state from the low 32 bits of the seed;
//   `left` starts at 1 so the first draw twists the state.
// - uniform draws ONE 32-bit word: u = word / 2^32 in [0, 1), then u * (b - a) + a.
// - normal is Box-Muller on two uniforms with a cache: the first call draws x, y, keeps
//   rho = sqrt(-2 log(1 - y)) and returns rho cos(2πx); the next call returns
//   rho sin(2πx) (with the mean/stdv of THAT call). Only manualSeed (and setRNGState)
//   clear the cache; uniform and random draws leave it alone.
// - bernoulli(p) is (u <= p); geometric, exponential, cauchy, logNormal as in THRandom.c.
// - random(a, b) = word % (b + 1 - a) + a, random(b) = word % b + 1, random() = word.
// log, sin and cos are glibc's (libm.ts), so normal() matches Torch7's doubles bit for bit;
// cauchy (tan) and logNormal (exp) use V8's Math and can differ in the last bit.
// This file is independent of Tensor: the tensor's random fills (tensor_random.ts) call into it.

import type { HostArray } from './types.js';
import { glibcCos, glibcLog, glibcSin } from './libm.js';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const TWO_POW_32 = 4294967296;
const TWO_PI = 2 * Math.PI; // 2.*M_PI in C: an exact doubling, then times x

/** sizeof(THGenerator) on x86_64 Linux (8-byte unsigned long); getRNGState's ByteTensor size. */
export const RNG_STATE_BYTES = 5048;

export class Generator {
  private readonly state = new Uint32Array(N);
  private left = 1;
  private next = 0;
  private seeded = false;
  /** The seed as C's unsigned long holds it (64 bits). */
  private initialSeed_ = 0n;
  private normalX = 0;
  private normalY = 0;
  private normalRho = 0;
  private normalIsValid = false;

  /** A generator seeded from the system's entropy, as THGenerator_new does. */
  constructor(seed?: number | bigint) {
    if (seed === undefined) this.seed();
    else this.manualSeed(seed);
  }

  /** Reseeds from the system's entropy (Torch reads /dev/urandom); returns the seed as Lua sees it. */
  seed(): number {
    const words = new Uint32Array(2);
    globalThis.crypto.getRandomValues(words);
    const s = (BigInt(words[1]!) << 32n) | BigInt(words[0]!);
    this.manualSeed(s);
    return this.initialSeed();
  }

  /** THRandom_manualSeed: resets everything (normal cache included), then seeds the state. */
  manualSeed(seed: number | bigint): this {
    const s = typeof seed === 'bigint' ? seed : toLong(seed, 'manualSeed');
    this.initialSeed_ = BigInt.asUintN(64, s);
    this.normalX = this.normalY = this.normalRho = 0;
    this.normalIsValid = false;
    this.next = 0;
    const st = this.state;
    st[0] = Number(this.initialSeed_ & 0xffffffffn);
    for (let j = 1; j < N; j++) {
      const prev = st[j - 1]!;
      st[j] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + j) >>> 0;
    }
    this.left = 1;
    this.seeded = true;
    return this;
  }

  /** The seed of the last (manual) seeding, as a Lua number (C long). */
  initialSeed(): number {
    return Number(BigInt.asIntN(64, this.initialSeed_));
  }

  /** The exact 64-bit seed. */
  initialSeedBig(): bigint {
    return this.initialSeed_;
  }

  private twist(): void {
    const st = this.state;
    let kk = 0;
    for (; kk < N - M; kk++) {
      const y = (st[kk]! & UPPER) | (st[kk + 1]! & LOWER);
      st[kk] = st[kk + M]! ^ (y >>> 1) ^ (st[kk + 1]! & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      const y = (st[kk]! & UPPER) | (st[kk + 1]! & LOWER);
      st[kk] = st[kk + M - N]! ^ (y >>> 1) ^ (st[kk + 1]! & 1 ? MATRIX_A : 0);
    }
    const y = (st[N - 1]! & UPPER) | (st[0]! & LOWER);
    st[N - 1] = st[M - 1]! ^ (y >>> 1) ^ (st[0]! & 1 ? MATRIX_A : 0);
    this.left = N;
    this.next = 0;
  }

  /** THRandom_random: a uniform 32-bit unsigned integer. */
  random(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** [0, 1) from one 32-bit word (Torch7 uses 32 bits, not 53). */
  uniformUnit(): number {
    return this.random() * (1 / TWO_POW_32);
  }

  /** THRandom_uniform: [a, b). */
  uniform(a = 0, b = 1): number {
    return this.uniformUnit() * (b - a) + a;
  }

  /** THRandom_normal (Box-Muller with the cached second value). */
  normal(mean = 0, stdv = 1): number {
    if (!(stdv > 0)) throw new RangeError(`normal: standard deviation must be strictly positive, got ${stdv}`);
    if (!this.normalIsValid) {
      this.normalX = this.uniformUnit();
      this.normalY = this.uniformUnit();
      this.normalRho = Math.sqrt(-2 * glibcLog(1.0 - this.normalY));
      this.normalIsValid = true;
      return this.normalRho * glibcCos(TWO_PI * this.normalX) * stdv + mean;
    }
    this.normalIsValid = false;
    return this.normalRho * glibcSin(TWO_PI * this.normalX) * stdv + mean;
  }

  exponential(lambda: number): number {
    return (-1 / lambda) * glibcLog(1 - this.uniformUnit());
  }

  cauchy(median = 0, sigma = 1): number {
    return median + sigma * Math.tan(Math.PI * (this.uniformUnit() - 0.5));
  }

  logNormal(mean = 1, stdv = 2): number {
    if (!(stdv > 0)) throw new RangeError(`logNormal: standard deviation must be strictly positive, got ${stdv}`);
    return Math.exp(this.normal(mean, stdv));
  }

  /** THRandom_geometric: an integer >= 1 (C int). */
  geometric(p: number): number {
    if (!(p > 0 && p < 1)) throw new RangeError(`geometric: p must be > 0 and < 1, got ${p}`);
    return (Math.trunc(glibcLog(1 - this.uniformUnit()) / glibcLog(p)) + 1) | 0;
  }

  /** THRandom_bernoulli: 1 with probability p. */
  bernoulli(p = 0.5): number {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be >= 0 and <= 1, got ${p}`);
    return this.uniformUnit() <= p ? 1 : 0;
  }

  /** torch.random(a, b): an integer in [a, b] (a and b are C longs). */
  randomRange(a: number, b: number): number {
    const lo = toLong(a, 'random');
    const hi = toLong(b, 'random');
    if (!(hi >= lo)) throw new RangeError(`random: upper bound must be larger than lower bound, got [${a}, ${b}]`);
    return Number(BigInt.asIntN(64, BigInt(this.random()) % (hi + 1n - lo) + lo));
  }

  /** torch.random(b): an integer in [1, b]. */
  randomUpTo(b: number): number {
    const hi = toLong(b, 'random');
    if (!(hi > 0n)) throw new RangeError(`random: upper bound must be strictly positive, got ${b}`);
    return Number(BigInt(this.random()) % hi) + 1;
  }

  /** The generator as getRNGState's bytes: THGenerator's memory layout on x86_64 Linux. */
  getState(): Uint8Array {
    const bytes = new Uint8Array(RNG_STATE_BYTES);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(0, this.initialSeed_, true);
    v.setInt32(8, this.left, true);
    v.setInt32(12, this.seeded ? 1 : 0, true);
    v.setBigUint64(16, BigInt(this.next), true);
    for (let j = 0; j < N; j++) v.setUint32(24 + 8 * j, this.state[j]!, true);
    v.setFloat64(5016, this.normalX, true);
    v.setFloat64(5024, this.normalY, true);
    v.setFloat64(5032, this.normalRho, true);
    v.setInt32(5040, this.normalIsValid ? 1 : 0, true);
    return bytes;
  }

  /** setRNGState: takes bytes from getState (or a Torch7 getRNGState / torch.Generator on x86_64). */
  setState(bytes: Uint8Array): this {
    if (bytes.length !== RNG_STATE_BYTES) {
      throw new RangeError(`setRNGState: RNG state is wrong size: expected ${RNG_STATE_BYTES} bytes, got ${bytes.length}`);
    }
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const left = v.getInt32(8, true);
    const seeded = v.getInt32(12, true);
    const next = v.getBigUint64(16, true);
    if (seeded !== 1 || left <= 0 || left > N || next > BigInt(N)) {
      throw new RangeError(`setRNGState: invalid RNG state (seeded ${seeded}, left ${left}, next ${next}; expected seeded 1, 0 < left <= ${N}, next <= ${N})`);
    }
    this.initialSeed_ = v.getBigUint64(0, true);
    this.left = left;
    this.seeded = true;
    this.next = Number(next);
    for (let j = 0; j < N; j++) this.state[j] = Number(v.getBigUint64(24 + 8 * j, true) & 0xffffffffn);
    this.normalX = v.getFloat64(5016, true);
    this.normalY = v.getFloat64(5024, true);
    this.normalRho = v.getFloat64(5032, true);
    this.normalIsValid = v.getInt32(5040, true) !== 0;
    return this;
  }

  /** An independent generator in the same state (THGenerator_copy). */
  clone(): Generator {
    return new Generator(0).setState(this.getState());
  }
}

/** A Lua number passed to a C long argument: truncated toward zero. */
function toLong(x: number, op: string): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`${op}: expected a finite number, got ${x}`);
  return BigInt(Math.trunc(x));
}

// ---- the default generator (torch._gen) ---------------------------------------------

let defaultGen = new Generator();

export function defaultGenerator(): Generator {
  return defaultGen;
}

/** Replaces the default generator (tests, or a Lua state that brings its own). */
export function setDefaultGenerator(gen: Generator): void {
  defaultGen = gen;
}

export function manualSeed(seed: number | bigint): void {
  defaultGen.manualSeed(seed);
}

export function seed(): number {
  return defaultGen.seed();
}

export function initialSeed(): number {
  return defaultGen.initialSeed();
}

export function getRNGState(): Uint8Array {
  return defaultGen.getState();
}

export function setRNGState(bytes: Uint8Array): void {
  defaultGen.setState(bytes);
}

/** torch.uniform(a, b) on the default generator. */
export function uniform(a = 0, b = 1): number {
  return defaultGen.uniform(a, b);
}

/** torch.normal(mean, stdv) on the default generator. */
export function normal(mean = 0, stdv = 1): number {
  return defaultGen.normal(mean, stdv);
}

/** torch.random(), torch.random(b) or torch.random(a, b) on the default generator. */
export function random(a?: number, b?: number): number {
  if (a === undefined) return defaultGen.random();
  if (b === undefined) return defaultGen.randomUpTo(a);
  return defaultGen.randomRange(a, b);
}

export function bernoulli(p = 0.5): number {
  return defaultGen.bernoulli(p);
}

// ---- fills over a tensor's elements (TH_TENSOR_APPLY order = logical row-major) --------

/** Where a fill writes: the host array and the storage index of every element in logical order. */
export interface FillTarget {
  data: HostArray;
  /** Storage indices in logical order; null means the contiguous run offset .. offset + n - 1. */
  order: Int32Array | null;
  offset: number;
  n: number;
}

/**
 * Writes produce(k) to every element in order. Values are the C expression's value before
 * the cast to the element type; the typed array does the cast (float rounding, integer
 * wrapping), which is what C's conversion to `real` does for these values.
 */
export function fillWith(t: FillTarget, produce: () => number): void {
  const { data, order, offset, n } = t;
  if (data instanceof BigInt64Array) {
    for (let k = 0; k < n; k++) data[order ? order[k]! : offset + k] = BigInt.asIntN(64, BigInt(produce()));
    return;
  }
  const d = data as Float64Array;
  if (order) for (let k = 0; k < n; k++) d[order[k]!] = produce();
  else for (let k = offset, end = offset + n; k < end; k++) d[k] = produce();
}

/** uniform over a Float32Array/Float64Array target without a closure per element. */
export function fillUniform(t: FillTarget, gen: Generator, a: number, b: number): void {
  const d = t.data as Float64Array;
  const { order, offset, n } = t;
  const scale = b - a;
  if (order) for (let k = 0; k < n; k++) d[order[k]!] = gen.uniformUnit() * scale + a;
  else for (let k = offset, end = offset + n; k < end; k++) d[k] = gen.uniformUnit() * scale + a;
}

/** normal over a Float32Array/Float64Array target. */
export function fillNormal(t: FillTarget, gen: Generator, mean: number, stdv: number): void {
  if (!(stdv > 0)) throw new RangeError(`normal: standard deviation must be strictly positive, got ${stdv}`);
  const d = t.data as Float64Array;
  const { order, offset, n } = t;
  if (order) for (let k = 0; k < n; k++) d[order[k]!] = gen.normal(mean, stdv);
  else for (let k = offset, end = offset + n; k < end; k++) d[k] = gen.normal(mean, stdv);
}

/** Fisher-Yates as THTensor_(randperm) does it, values 1..n (0-based then +1). */
export function randpermValues(gen: Generator, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = gen.random() % (n - i);
    const sav = v[i]!;
    v[i] = v[z + i]!;
    v[z + i] = sav;
  }
  for (let i = 0; i < n; i++) v[i]! += 1;
  return v;
}

/**
 * THTensor_(multinomial) for one distribution row (already read as doubles): n samples,
 * 0-based category indices, with or without replacement.
 */
export function multinomialRow(gen: Generator, probs: Float64Array, nSample: number, withReplacement: boolean): Int32Array {
  const k = probs.length;
  const cum = new Float64Array(k);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    sum += probs[j]!;
    cum[j] = sum;
  }
  if (!(sum > 0)) throw new RangeError('multinomial: invalid multinomial distribution (sum of probabilities <= 0)');
  for (let j = 0; j < k; j++) cum[j]! /= sum;
  const out = new Int32Array(nSample);
  for (let s = 0; s < nSample; s++) {
    const u = gen.uniform(0, 1);
    cum[k - 1] = 1;
    let left = 0;
    let right = k;
    while (right - left > 0) {
      const mid = left + ((right - left) >> 1);
      if (cum[mid]! < u) left = mid + 1;
      else right = mid;
    }
    out[s] = left;
    if (!withReplacement) {
      const below = left !== 0 ? cum[left - 1]! : 0;
      const diff = cum[left]! - below;
      const rest = 1.0 - diff;
      for (let j = 0; j < k; j++) {
        let v = cum[j]!;
        if (j >= left) v -= diff;
        cum[j] = v / rest;
      }
    }
  }
  return out;
}
