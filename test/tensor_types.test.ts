// Every tensor type's arithmetic and conversions: integer types wrap like C on x86,
// Long is exact to 64 bits (bigint), Float rounds to float32 after each C operation,
// Half rounds to binary16. Boundary values come from the Torch7 fixtures
// fixtures/torch7/serialization/tensor_<Type>.expected.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch, Tensor, TENSOR_TYPES, type TensorType } from '../src/torch/index.js';

const fr = Math.fround;

function make(type: TensorType, values: (number | bigint)[]): Tensor {
  const t = Tensor.create(type, [values.length]);
  values.forEach((v, i) => t.put(i + 1, v));
  return t;
}

describe('the Torch7 boundary-value fixtures of every type', () => {
  for (const type of TENSOR_TYPES) {
    it(`${type}: values, sum, min and max as Torch7 computed them`, () => {
      const f = JSON.parse(readFileSync(new URL(`../fixtures/torch7/serialization/tensor_${type}.expected.json`, import.meta.url), 'utf8'));
      const o = f.object as { class: string; size: number[]; values: (number | string)[]; sum: number | string; min: number | string; max: number | string };
      const long = type === 'Long';
      const values = o.values.map((v) => (long ? BigInt(v) : Number(v)));
      const t = make(type, values).view(...o.size);
      expect(t.className()).toBe(o.class);
      if (long) {
        expect(t.bigValues()).toEqual(values);
        expect(t.sumBig()).toBe(BigInt(o.sum));
        expect(BigInt(t.min())).toBe(BigInt(o.min));
        expect(BigInt(t.max())).toBe(BigInt(o.max));
      } else {
        expect(t.values()).toEqual(values);
        expect(t.sum()).toBe(Number(o.sum));
        expect(t.min()).toBe(Number(o.min));
        expect(t.max()).toBe(Number(o.max));
      }
    });
  }
});

describe('integer types wrap like C', () => {
  it('Byte (unsigned 8-bit)', () => {
    expect(make('Byte', [250]).add(10).values()).toEqual([4]);
    expect(make('Byte', [3]).csub(5).values()).toEqual([254]);
    expect(make('Byte', [3]).add(-1).values()).toEqual([2]); // the value is cast to unsigned char: 255
    expect(make('Byte', [200]).mul(2).values()).toEqual([144]);
    expect(make('Byte', [200]).div(3).values()).toEqual([66]);
    expect(make('Byte', [0, 5]).sign().values()).toEqual([0, 1]);
    expect(make('Byte', [100, 200]).sum()).toBe(300); // sums accumulate wider (accreal)
    expect(make('Byte', [100, 200]).sum(1).values()).toEqual([44]); // but a tensor result wraps
  });

  it('Char (signed 8-bit)', () => {
    expect(make('Char', [127]).add(1).values()).toEqual([-128]);
    expect(make('Char', [-128]).csub(1).values()).toEqual([127]);
    expect(make('Char', [-7, 7]).div(2).values()).toEqual([-3, 3]);
    expect(make('Char', [100]).cmul(make('Char', [3])).values()).toEqual([44]);
    expect(make('Char', [-5]).abs().values()).toEqual([5]);
  });

  it('Short (signed 16-bit)', () => {
    expect(make('Short', [32767]).add(1).values()).toEqual([-32768]);
    expect(make('Short', [300]).mul(300).values()).toEqual([90000 - 65536]);
    expect(make('Short', [-9]).cdiv(make('Short', [4])).values()).toEqual([-2]);
  });

  it('Int (signed 32-bit, products in 32-bit arithmetic)', () => {
    expect(make('Int', [2147483647]).add(1).values()).toEqual([-2147483648]);
    expect(make('Int', [65536]).mul(65536).values()).toEqual([0]);
    const a = 123456789;
    const b = 987654321;
    expect(make('Int', [a]).cmul(make('Int', [b])).values()).toEqual([Number(BigInt.asIntN(32, BigInt(a) * BigInt(b)))]);
    expect(make('Int', [46341]).addcmul(1, make('Int', [46341]), make('Int', [1])).values()).toEqual([92682]);
    expect(make('Int', [5, 7]).mul(0.5).values()).toEqual([0, 0]); // 0.5 becomes the int 0
    expect(make('Int', [-7]).div(2).values()).toEqual([-3]);
    expect(() => make('Int', [1]).div(0)).toThrow(/div: integer division by zero in a torch\.IntTensor/);
    expect(() => make('Int', [1]).cdiv(make('Int', [0]))).toThrow(RangeError);
  });
});

describe('Long is exact to 64 bits', () => {
  const p62 = 2n ** 62n;

  it('arithmetic beyond 2^53 is exact', () => {
    const x = make('Long', [p62 + 1n]);
    x.add(1);
    expect(x.getBig(1)).toBe(p62 + 2n);
    x.add(3n, make('Long', [p62 - 5n]));
    expect(x.getBig(1)).toBe(BigInt.asIntN(64, p62 + 2n + 3n * (p62 - 5n)));
    expect(make('Long', [2n ** 53n + 1n]).mul(3).getBig(1)).toBe(3n * 2n ** 53n + 3n);
    expect(make('Long', [-7n]).div(2).getBig(1)).toBe(-3n);
    expect(make('Long', [2n ** 60n + 7n]).cdiv(make('Long', [2n])).getBig(1)).toBe(2n ** 59n + 3n);
    expect(make('Long', [-(p62 + 1n)]).abs().getBig(1)).toBe(p62 + 1n);
    expect(make('Long', [1n, 2n]).addcmul(2, make('Long', [p62, 1n]), make('Long', [1n, 3n])).bigValues()).toEqual([BigInt.asIntN(64, 1n + 2n * p62), 8n]);
  });

  it('overflow wraps modulo 2^64 like C', () => {
    const max = 2n ** 63n - 1n;
    expect(make('Long', [max]).add(1).getBig(1)).toBe(-(2n ** 63n));
    expect(make('Long', [3037000500n]).cmul(make('Long', [3037000500n])).getBig(1)).toBe(BigInt.asIntN(64, 3037000500n * 3037000500n));
  });

  it('reductions, comparisons and sorting compare exactly', () => {
    const a = 2n ** 53n;
    const x = make('Long', [a + 1n, a, p62 + 1n, -p62]);
    expect(x.sumBig()).toBe(2n * a + 2n);
    expect(make('Long', [a, a + 1n]).eq(make('Long', [a + 1n, a + 1n])).values()).toEqual([0, 1]);
    expect(make('Long', [a]).lt(a + 1n).values()).toEqual([1]);
    const [v, i] = make('Long', [a, a + 1n]).view(1, 2).max(2);
    expect(v.getBig(1, 1)).toBe(a + 1n);
    expect(i.get(1, 1)).toBe(2);
    const [sv, si] = make('Long', [a + 1n, a, a + 2n]).sort();
    expect(sv.bigValues()).toEqual([a, a + 1n, a + 2n]);
    expect(si.values()).toEqual([2, 1, 3]);
    expect(make('Long', [a + 1n]).equal(make('Long', [a]))).toBe(false);
    expect(make('Long', [1n, 2n, 3n]).dot(make('Long', [4n, 5n, 6n]))).toBe(32);
    expect(make('Long', [a + 1n, 1n]).sum(1).getBig(1)).toBe(a + 2n);
    expect(make('Long', [a + 1n, 1n]).cumsum().bigValues()).toEqual([a + 1n, a + 2n]);
  });

  it('numbers become Long values like a C cast; non-finite ones are refused', () => {
    expect(make('Long', [0n]).add(2.9).getBig(1)).toBe(2n);
    expect(make('Long', [0n]).fill(-2.9).getBig(1)).toBe(-2n);
    expect(() => make('Long', [0n]).add(Infinity)).toThrow(/a LongTensor cannot hold Infinity/);
  });
});

describe('Float rounds to float32 after each C operation', () => {
  it('scalar arguments are floats and each result is rounded', () => {
    const x = torch.FloatTensor([0.1]);
    expect(x.get(1)).toBe(fr(0.1));
    x.add(0.2);
    expect(x.get(1)).toBe(fr(fr(0.1) + fr(0.2)));
    x.mul(3);
    expect(x.get(1)).toBe(fr(fr(fr(0.1) + fr(0.2)) * 3));
    expect(torch.FloatTensor([1]).div(3).get(1)).toBe(fr(1 / 3));
    expect(torch.FloatTensor([2]).sqrt().get(1)).toBe(fr(Math.SQRT2));
  });

  it('add(value, tensor) rounds the product and then the sum', () => {
    const x = torch.FloatTensor([1, 3]);
    const g = torch.FloatTensor([0.7, 0.3]);
    const v = -0.1;
    const expected = [1, 3].map((xi, i) => fr(xi + fr(fr(v) * fr([0.7, 0.3][i]!))));
    expect(x.add(v, g).values()).toEqual(expected);
    // the same through non-contiguous views
    const m = torch.FloatTensor([[1, 3], [5, 7]]);
    m.t().add(v, torch.FloatTensor([0.7, 0.3, 0.9, 0.1]));
    expect(m.get(1, 2)).toBe(fr(3 + fr(fr(v) * fr(0.9))));
  });

  it('addcmul and addcdiv round every C operation', () => {
    const a = fr(0.3);
    const b = fr(0.7);
    const v = fr(0.9);
    const x = torch.FloatTensor([0.1]);
    x.addcmul(0.9, torch.FloatTensor([0.3]), torch.FloatTensor([0.7]));
    expect(x.get(1)).toBe(fr(fr(0.1) + fr(fr(v * a) * b)));
    const y = torch.FloatTensor([0.1]);
    y.addcdiv(0.9, torch.FloatTensor([0.3]), torch.FloatTensor([0.7]));
    expect(y.get(1)).toBe(fr(fr(0.1) + fr(fr(v * a) / b)));
  });

  it('mean of a Float tensor is a double', () => {
    const x = torch.FloatTensor([0.1, 0.2]);
    expect(x.mean()).toBe((fr(0.1) + fr(0.2)) / 2);
  });
});

describe('Half rounds to binary16 (round to nearest even)', () => {
  it('arithmetic results round to the nearest half', () => {
    expect(make('Half', [1]).add(2 ** -11).get(1)).toBe(1); // a tie: rounds to the even 1
    expect(make('Half', [1]).add(3 * 2 ** -12).get(1)).toBe(1 + 2 ** -10);
    expect(make('Half', [65504]).add(15).get(1)).toBe(65504);
    expect(make('Half', [65504]).add(16).get(1)).toBe(Infinity); // 65520 rounds up to infinity
    expect(make('Half', [0]).fill(0.1).get(1)).toBe(0.0999755859375);
    expect(make('Half', [0.5, 0.25]).cmul(make('Half', [3, 3])).values()).toEqual([1.5, 0.75]);
    expect(make('Half', [1, 2, 3]).sum()).toBe(6);
    expect(make('Half', [3, 1, 2]).sort()[0].values()).toEqual([1, 2, 3]);
  });
});

describe('conversions', () => {
  it('floating to integer types truncate and wrap as C does on x86', () => {
    const d = torch.DoubleTensor([-1, 256.7, 3.9, -129.5]);
    expect(d.byte().values()).toEqual([255, 0, 3, 127]);
    expect(torch.DoubleTensor([200, -3.9, 127.9]).char().values()).toEqual([-56, -3, 127]);
    expect(torch.DoubleTensor([40000, -2.5]).short().values()).toEqual([40000 - 65536, -2]);
    expect(torch.DoubleTensor([2147483647.9, -2147483648.5]).int().values()).toEqual([2147483647, -2147483648]);
    expect(torch.DoubleTensor([-3.7, 2 ** 62]).long().bigValues()).toEqual([-3n, 2n ** 62n]);
  });

  it('Long to narrower types keeps the low bits; to floating types rounds', () => {
    const l = make('Long', [2n ** 32n + 5n, 511n, -1n]);
    expect(l.int().values()).toEqual([5, 511, -1]);
    expect(l.byte().values()).toEqual([5, 255, 255]);
    expect(make('Long', [2n ** 62n + 1n]).double().get(1)).toBe(2 ** 62);
    expect(make('Long', [2n ** 24n + 1n]).float().get(1)).toBe(2 ** 24);
  });

  it('to Float and Half round to nearest', () => {
    expect(torch.DoubleTensor([0.1]).float().get(1)).toBe(fr(0.1));
    const h = torch.DoubleTensor([0.1, 65520, 1e-8, 6e-8, -1.5]).half();
    expect(h.className()).toBe('torch.HalfTensor');
    expect(h.values()).toEqual([0.0999755859375, Infinity, 0, 2 ** -24, -1.5]);
    expect(h.double().values()).toEqual([0.0999755859375, Infinity, 0, 2 ** -24, -1.5]);
    expect(make('Half', [2.75, -1.5]).int().values()).toEqual([2, -1]);
    expect(make('Half', [2.75]).long().bigValues()).toEqual([2n]);
  });

  it('type(), typeAs() and the short forms return the tensor itself when the type matches', () => {
    const d = torch.DoubleTensor([1, 2]);
    expect(d.double()).toBe(d);
    expect(d.type('torch.DoubleTensor')).toBe(d);
    expect(d.type()).toBe('torch.DoubleTensor');
    const f = d.typeAs(torch.FloatTensor());
    expect(f.className()).toBe('torch.FloatTensor');
    expect(f.values()).toEqual([1, 2]);
    f.fill(0);
    expect(d.values()).toEqual([1, 2]); // a conversion is a copy
    expect(() => d.type('torch.Nonsense')).toThrow(TypeError);
  });

  it('copy converts between any two types, through views', () => {
    for (const from of TENSOR_TYPES) {
      for (const to of TENSOR_TYPES) {
        const src = make(from, from === 'Long' ? [1n, 2n, 3n, 4n] : [1, 2, 3, 4]).view(2, 2).t();
        const dst = Tensor.create(to, [4]).copy(src);
        expect(dst.values(), `${from} -> ${to}`).toEqual([1, 3, 2, 4]);
      }
    }
  });

  it('mixed-type operands are refused with the expected and found classes', () => {
    expect(() => make('Byte', [1]).cmul(make('Char', [1]))).toThrow(/cmul: expected a torch\.ByteTensor, got a torch\.CharTensor/);
    expect(() => torch.FloatTensor([1]).add(1, torch.DoubleTensor([1]))).toThrow(TypeError);
  });
});
