// Torch7's random number generator, bit for bit: the streams a real Torch7 (814ea4a) drew
// after torch.manualSeed(1) and (123) (fixtures/torch7/rng), glibc's log/sin/cos that its
// normal() inherits (fixtures/torch7/rng/libm_glibc236_nofma.txt), and TH's semantics:
// fill order, the Box-Muller cache, argument casts, per-type ranges, state save/restore.
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { Generator, RNG_STATE_BYTES } from '../src/torch/random.js';
import { glibcCos, glibcLog, glibcSin } from '../src/torch/libm.js';
import { Tensor, torch } from '../src/torch/index.js';

const RNG = new URL('../fixtures/torch7/rng/', import.meta.url);

/** rng_seedS.txt: `name v1 v2 ...` per stream. */
function readStreams(seed: number): Map<string, number[]> {
  const text = readFileSync(new URL(`rng_seed${seed}.txt`, RNG), 'utf8');
  const streams = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [name, ...values] = line.trim().split(/\s+/);
    streams.set(name!, values.map(Number));
  }
  return streams;
}

function bitsToDouble(hex: string): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, BigInt(`0x${hex}`));
  return v.getFloat64(0);
}

function expectSameBits(got: number[], want: number[], what: string): void {
  expect(got.length, `${what}: count`).toBe(want.length);
  const diffs = got.flatMap((g, i) => (Object.is(g, want[i]) ? [] : [`#${i + 1}: got ${g}, Torch7 ${want[i]}`]));
  expect(diffs, what).toEqual([]);
}

beforeAll(async () => {
  await initBackend();
});

afterEach(() => {
  torch.setdefaulttensortype('torch.DoubleTensor');
});

describe('Torch7 streams after torch.manualSeed', () => {
  for (const seed of [1, 123]) {
    it(`seed ${seed}: every stream equals Torch7's, in Torch7's order`, () => {
      const want = readStreams(seed);
      expect([...want.keys()]).toEqual([
        'uniform', 'normal', 'random', 'random_1_10', 'bernoulli', 'randn_double', 'randn_float',
        'rand_float', 'float_normal_0_2', 'double_normal_1_3', 'float_uniform_m1_1', 'randperm_10',
      ]);
      torch.setdefaulttensortype('torch.DoubleTensor');
      torch.manualSeed(seed);
      const ten = (f: () => number | Tensor) => Array.from({ length: 10 }, () => f() as number);
      expectSameBits(ten(() => torch.uniform()), want.get('uniform')!, 'torch.uniform()');
      expectSameBits(ten(() => torch.normal()), want.get('normal')!, 'torch.normal()');
      expectSameBits(ten(() => torch.random()), want.get('random')!, 'torch.random()');
      expectSameBits(ten(() => torch.random(1, 10)), want.get('random_1_10')!, 'torch.random(1, 10)');
      expectSameBits(ten(() => torch.bernoulli(0.3)), want.get('bernoulli')!, 'torch.bernoulli(0.3)');

      const rd = torch.randn(7);
      expect(rd.type()).toBe('torch.DoubleTensor');
      expectSameBits(rd.values(), want.get('randn_double')!, 'torch.randn(7) Double');

      torch.setdefaulttensortype('torch.FloatTensor');
      const rf = torch.randn(7);
      expect(rf.type()).toBe('torch.FloatTensor');
      expectSameBits(rf.values(), want.get('randn_float')!, 'torch.randn(7) Float');
      const r = torch.rand(2, 3);
      expect([r.type(), r.size()]).toEqual(['torch.FloatTensor', [2, 3]]);
      expectSameBits(r.values(), want.get('rand_float')!, 'torch.rand(2, 3)');

      expectSameBits(torch.FloatTensor(9).normal(0, 2).values(), want.get('float_normal_0_2')!, 'FloatTensor(9):normal(0,2)');
      expectSameBits(torch.DoubleTensor(9).normal(1, 3).values(), want.get('double_normal_1_3')!, 'DoubleTensor(9):normal(1,3)');
      expectSameBits(torch.FloatTensor(9).uniform(-1, 1).values(), want.get('float_uniform_m1_1')!, 'FloatTensor(9):uniform(-1,1)');
      const p = torch.randperm(10);
      expect(p.type()).toBe('torch.FloatTensor');
      expectSameBits(p.values(), want.get('randperm_10')!, 'torch.randperm(10)');
    });
  }

  it('torch.initialSeed reports the manual seed; reseeding with it restarts the stream', () => {
    torch.manualSeed(123);
    expect(torch.initialSeed()).toBe(123);
    const first = [torch.uniform(), torch.uniform()];
    torch.manualSeed(torch.initialSeed());
    expect([torch.uniform(), torch.uniform()]).toEqual(first);
    const s = torch.seed();
    expect(Number.isInteger(s) && torch.initialSeed() === s).toBe(true);
  });
});

describe('glibc 2.36 log/cos/sin (what Torch7 normal() computes with)', () => {
  it('match glibc bit for bit on Box-Muller arguments', () => {
    const lines = readFileSync(new URL('libm_glibc236_nofma.txt', RNG), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(4000);
    const bad: string[] = [];
    let v8Differs = 0;
    for (const line of lines) {
      const [a, b, l, c, s] = line.split(' ');
      const x = Number(a) / 4294967296;
      const y = Number(b) / 4294967296;
      const angle = 2 * Math.PI * x;
      const checks: [string, number, number, number][] = [
        ['log', glibcLog(1 - y), bitsToDouble(l!), Math.log(1 - y)],
        ['cos', glibcCos(angle), bitsToDouble(c!), Math.cos(angle)],
        ['sin', glibcSin(angle), bitsToDouble(s!), Math.sin(angle)],
      ];
      for (const [name, got, want, v8] of checks) {
        if (!Object.is(got, want)) bad.push(`${name} at ${a} ${b}: ${got} vs glibc ${want}`);
        if (!Object.is(v8, want)) v8Differs++;
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // The reason libm.ts exists: V8's Math would miss many of these.
    expect(v8Differs).toBeGreaterThan(100);
  });

  it('handle the special values as glibc does', () => {
    expect(glibcLog(1)).toBe(0);
    expect(glibcLog(0)).toBe(-Infinity);
    expect(glibcLog(Infinity)).toBe(Infinity);
    expect(glibcLog(-1)).toBeNaN();
    expect(glibcLog(Number.MIN_VALUE)).toBeCloseTo(-744.4400719213812, 12);
    expect(glibcLog(Math.E)).toBeCloseTo(1, 15);
    expect(glibcSin(0)).toBe(0);
    expect(Object.is(glibcSin(-0), -0)).toBe(true);
    expect(glibcCos(0)).toBe(1);
    for (const x of [-3, -1, -0.5, 0.3, 1.2, 2.5, 4, 6.2, 100, 12345.678]) {
      expect(glibcSin(x)).toBeCloseTo(Math.sin(x), 15);
      expect(glibcCos(x)).toBeCloseTo(Math.cos(x), 15);
    }
  });
});

describe('TH semantics', () => {
  it('fills non-contiguous views in logical row-major order (TH_TENSOR_APPLY)', () => {
    const gen = new Generator(7);
    const base = torch.DoubleTensor(4, 5).zero();
    const view = base.t().narrow(1, 2, 3); // 3x4, strides [1, 5], offset 1
    expect(view.isContiguous()).toBe(false);
    view.uniform(gen.clone(), -2, 3);
    const ref = gen.clone();
    const want = Array.from({ length: 12 }, () => ref.uniform(-2, 3));
    expect(view.values()).toEqual(want);
    // Elements outside the view are untouched.
    expect(base.select(2, 1).values()).toEqual([0, 0, 0, 0]);
    expect(base.select(2, 5).values()).toEqual([0, 0, 0, 0]);
  });

  it('keeps the Box-Muller second value across calls until manualSeed clears it', () => {
    const fresh = new Generator(5);
    const pair = [fresh.normal(), fresh.normal()];
    torch.manualSeed(5);
    expect(torch.normal()).toBe(pair[0]);
    torch.uniform(); // a uniform draw does not touch the cache ...
    torch.random();
    const d = torch.DoubleTensor(1).normal(); // ... so the next normal is the cached sine
    expect(d.get(1)).toBe(pair[1]);
    // With another mean/stdv the cached value is rescaled, not redrawn.
    const g2 = new Generator(5);
    const c = g2.normal();
    expect(g2.normal(10, 2)).toBe(pair[1]! * 2 + 10);
    expect(c).toBe(pair[0]);
    torch.manualSeed(5);
    torch.normal(); // cache set
    torch.manualSeed(5); // cleared again
    expect(torch.normal()).toBe(pair[0]);
  });

  it('rounds real arguments to float for Float tensors, computes in double, then rounds', () => {
    const g = new Generator(11);
    const t = torch.FloatTensor(50).normal(g.clone(), 0.3, 0.1);
    const ref = g.clone();
    expect(t.values()).toEqual(Array.from({ length: 50 }, () => Math.fround(ref.normal(Math.fround(0.3), Math.fround(0.1)))));
    const u = torch.FloatTensor(50).uniform(g.clone(), -0.1, 0.7);
    const ref2 = g.clone();
    expect(u.values()).toEqual(Array.from({ length: 50 }, () => Math.fround(ref2.uniform(Math.fround(-0.1), Math.fround(0.7)))));
    const dd = torch.DoubleTensor(50).uniform(g.clone(), -0.1, 0.7);
    const ref3 = g.clone();
    expect(dd.values()).toEqual(Array.from({ length: 50 }, () => ref3.uniform(-0.1, 0.7)));
  });

  it('random() ranges per type, random(b) in [1, b], random(a, b) in [a, b] with C wrapping', () => {
    const g = new Generator(3);
    const mods: [string, number][] = [['Byte', 256], ['Char', 128], ['Short', 32768], ['Int', 2 ** 31], ['Float', 2 ** 24 + 1], ['Double', 2 ** 53 + 1]];
    for (const [type, mod] of mods) {
      const t = torch.Tensor(200).type(`torch.${type}Tensor`).random(g.clone());
      const ref = g.clone();
      expect(t.values(), type).toEqual(Array.from({ length: 200 }, () => ref.random() % mod));
    }
    const l = torch.LongTensor(20).random(g.clone());
    const refL = g.clone();
    expect(l.bigValues()).toEqual(Array.from({ length: 20 }, () => BigInt(refL.random())));

    const b = torch.IntTensor(500).random(g.clone(), 6);
    expect(Math.min(...b.values())).toBe(1);
    expect(Math.max(...b.values())).toBe(6);
    const ab = torch.IntTensor(500).random(g.clone(), -3, 4);
    const ref4 = g.clone();
    expect(ab.values()).toEqual(Array.from({ length: 500 }, () => (ref4.random() % 8) - 3));
    // Torch7 adds in unsigned long, so a Double tensor's negative draws become 2^64 + v.
    const dneg = torch.DoubleTensor(100).random(g.clone(), -3, 4).values();
    const ref5 = g.clone();
    const wantD = Array.from({ length: 100 }, () => {
      const v = (ref5.random() % 8) - 3;
      return v < 0 ? 2 ** 64 : v;
    });
    expect(dneg).toEqual(wantD);
    expect(dneg.some((v) => v === 2 ** 64)).toBe(true);
    // The scalar form returns a C long: no wrapping.
    const ref6 = g.clone();
    const gs = g.clone();
    for (let i = 0; i < 50; i++) expect(gs.randomRange(-3, 4)).toBe((ref6.random() % 8) - 3);
    expect(() => torch.DoubleTensor(3).random(5, 4)).toThrow(/upper bound/);
    expect(() => torch.DoubleTensor(3).random(0)).toThrow(/strictly positive/);
  });

  it('bernoulli with a number and with a tensor of probabilities', () => {
    const g = new Generator(9);
    const t = torch.ByteTensor(2, 3).bernoulli(g.clone(), 0.4);
    const ref = g.clone();
    expect(t.values()).toEqual(Array.from({ length: 6 }, () => (ref.uniformUnit() <= 0.4 ? 1 : 0)));
    const p = torch.FloatTensor([[0, 1, 0.5], [0.25, 0, 1]]);
    const s = torch.DoubleTensor(2, 3).bernoulli(g.clone(), p);
    const ref2 = g.clone();
    expect(s.values()).toEqual(p.values().map((q) => (ref2.uniformUnit() <= q ? 1 : 0)));
    expect(() => torch.DoubleTensor(2).bernoulli(1.5)).toThrow(/p must be/);
  });

  it('randperm is Torch\'s Fisher-Yates over 0..n-1 plus one', () => {
    const g = new Generator(21);
    const p = torch.LongTensor().randperm(g.clone(), 50);
    const v = p.values();
    expect([...v].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const ref = g.clone();
    const want = Array.from({ length: 50 }, (_, i) => i);
    for (let i = 0; i < 49; i++) {
      const z = ref.random() % (50 - i);
      [want[i], want[z + i]] = [want[z + i]!, want[i]!];
    }
    expect(v).toEqual(want.map((x) => x + 1));
  });

  it('getRNGState/setRNGState replay a stream, normal cache included', () => {
    torch.manualSeed(77);
    torch.normal(); // leaves the cached second value
    const state = torch.getRNGState();
    expect([state.type(), state.nElement()]).toEqual(['torch.ByteTensor', RNG_STATE_BYTES]);
    const a = [torch.normal(), torch.uniform(), ...torch.DoubleTensor(700).normal().values()];
    torch.setRNGState(state);
    const b = [torch.normal(), torch.uniform(), ...torch.DoubleTensor(700).normal().values()];
    expect(b).toEqual(a);
    // THGenerator's x86-64 layout: the seed comes first.
    expect(state.get(1)).toBe(77);
    expect(() => torch.setRNGState(torch.ByteTensor(10))).toThrow(/wrong size/);
    expect(() => torch.setRNGState(torch.ByteTensor(RNG_STATE_BYTES).zero())).toThrow(/invalid RNG state/);
  });

  it('a Generator is independent of the default one', () => {
    const gen = torch.Generator();
    torch.manualSeed(gen, 0);
    torch.manualSeed(0);
    const x = torch.random(gen);
    expect(torch.random()).toBe(x);
    expect(torch.random(gen)).toBe(torch.random());
    torch.manualSeed(gen, 1);
    const fromGen = [torch.uniform(gen), torch.uniform(gen)];
    torch.manualSeed(1);
    expect([torch.uniform(), torch.uniform()]).toEqual(fromGen);
  });

  it('torch.X(tensor, ...) fills the tensor; uniform/normal refuse integer tensors', () => {
    const t = torch.DoubleTensor(4);
    torch.manualSeed(2);
    expect(torch.uniform(t, 5, 6)).toBe(t);
    torch.manualSeed(2);
    expect(t.values()).toEqual(Array.from({ length: 4 }, () => torch.uniform(5, 6)));
    expect(() => torch.IntTensor(3).uniform()).toThrow(/FloatTensor and DoubleTensor only/);
    expect(() => torch.DoubleTensor(3).normal(0, 0)).toThrow(/strictly positive/);
  });

  it('multinomial samples 1-based categories; without replacement they are distinct', () => {
    torch.manualSeed(4);
    const probs = torch.DoubleTensor([0, 2, 0, 1, 1]);
    const s = torch.multinomial(probs, 200, true);
    expect([s.type(), s.size()]).toEqual(['torch.LongTensor', [200]]);
    expect(new Set(s.values())).toEqual(new Set([2, 4, 5]));
    const w = torch.multinomial(torch.FloatTensor([[1, 1, 1, 1], [0, 0, 3, 1]]), 2);
    expect(w.size()).toEqual([2, 2]);
    const rows = [w.select(1, 1).values(), w.select(1, 2).values()];
    expect(new Set(rows[0]).size).toBe(2);
    expect([...rows[1]!].sort()).toEqual([3, 4]);
  });
});
