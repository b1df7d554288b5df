// Tensor math with Torch7's semantics: argument forms, in-place results, reductions
// (accreal accumulation), comparisons, sorting, matrix products. Expected values are
// computed here by plain loops (or by hand), independently of the implementation.
import { describe, expect, it } from 'vitest';
import { torch, Tensor } from '../src/torch/index.js';

const D = (v: number[] | number[][]) => torch.DoubleTensor(v);
const F = (v: number[] | number[][]) => torch.FloatTensor(v);
const seq = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('element-wise arithmetic and its argument forms', () => {
  it('add: value, tensor, value*tensor and the result forms', () => {
    const x = D([1, 2, 3]);
    expect(x.add(1)).toBe(x);
    expect(x.values()).toEqual([2, 3, 4]);
    x.add(D([10, 20, 30]));
    expect(x.values()).toEqual([12, 23, 34]);
    x.add(-2, D([1, 1, 1]));
    expect(x.values()).toEqual([10, 21, 32]);
    const r = torch.DoubleTensor();
    r.add(x, 5);
    expect(r.values()).toEqual([15, 26, 37]);
    expect(x.values()).toEqual([10, 21, 32]);
    r.add(x, D([1, 2, 3]));
    expect(r.values()).toEqual([11, 23, 35]);
    r.add(x, 3, D([1, 2, 3]));
    expect(r.values()).toEqual([13, 27, 41]);
    // the result may also be an operand: r = x + 2*r
    r.add(x, 2, r);
    expect(r.values()).toEqual([36, 75, 114]);
  });

  it('csub subtracts a value or value*tensor', () => {
    const x = D([5, 6, 7]);
    x.csub(1);
    expect(x.values()).toEqual([4, 5, 6]);
    x.csub(D([1, 1, 1]));
    expect(x.values()).toEqual([3, 4, 5]);
    x.csub(2, D([1, 2, 3]));
    expect(x.values()).toEqual([1, 0, -1]);
  });

  it('mul, div, cmul, cdiv (in place and result forms)', () => {
    const x = D([1, 2, 3]);
    x.mul(4);
    expect(x.values()).toEqual([4, 8, 12]);
    x.div(8);
    expect(x.values()).toEqual([0.5, 1, 1.5]);
    x.cmul(D([2, 4, 6]));
    expect(x.values()).toEqual([1, 4, 9]);
    x.cdiv(D([1, 2, 3]));
    expect(x.values()).toEqual([1, 2, 3]);
    const r = torch.DoubleTensor();
    expect(r.mul(x, 3).values()).toEqual([3, 6, 9]);
    expect(r.div(x, 2).values()).toEqual([0.5, 1, 1.5]);
    expect(r.cmul(x, D([2, 2, 2])).values()).toEqual([2, 4, 6]);
    expect(r.cdiv(x, D([2, 2, 2])).values()).toEqual([0.5, 1, 1.5]);
    expect(x.values()).toEqual([1, 2, 3]);
  });

  it('addcmul and addcdiv with and without a value and a base tensor', () => {
    const a = D([1, 2, 3]);
    const b = D([4, 5, 6]);
    expect(D([1, 1, 1]).addcmul(a, b).values()).toEqual([5, 11, 19]);
    expect(D([1, 1, 1]).addcmul(0.5, a, b).values()).toEqual([3, 6, 10]);
    expect(D([1, 1, 1]).addcdiv(b, a).values()).toEqual([5, 3.5, 3]);
    expect(D([1, 1, 1]).addcdiv(2, b, a).values()).toEqual([9, 6, 5]);
    const r = torch.DoubleTensor();
    expect(r.addcmul(D([0, 0, 1]), 2, a, b).values()).toEqual([8, 20, 37]);
    expect(r.addcdiv(D([0, 0, 1]), a, b).values()).toEqual([1 / 4, 2 / 5, 1 + 3 / 6]);
  });

  it('element-wise ops follow logical order through non-contiguous views', () => {
    const m = D([[1, 2], [3, 4]]);
    m.t().add(D([10, 20, 30, 40])); // t() is [[1,3],[2,4]] in logical order
    expect(m.totable()).toEqual([[11, 32], [23, 44]]);
    const col = m.select(2, 1);
    col.mul(2);
    expect(m.totable()).toEqual([[22, 32], [46, 44]]);
    const acc = D([[0, 0], [0, 0]]);
    acc.t().addcmul(2, D([[1, 2], [3, 4]]).t(), D([1, 10, 100, 1000]));
    // acc.t() in logical order is acc(1,1), acc(2,1), acc(1,2), acc(2,2); the t1 view gives 1, 3, 2, 4
    expect(acc.totable()).toEqual([[2 * 1 * 1, 2 * 2 * 100], [2 * 3 * 10, 2 * 4 * 1000]]);
    const x = D([[1, 2], [3, 4]]);
    x.cmul(x.t()); // aliasing operand: each element reads before it is written
    expect(x.values()).toEqual([1, 6, 6 * 3, 16]);
  });

  it('element-wise ops need the same number of elements, not the same shape (Torch7)', () => {
    const x = torch.DoubleTensor(2, 3).fill(1);
    x.add(D(seq(6)));
    expect(x.totable()).toEqual([[2, 3, 4], [5, 6, 7]]);
    expect(() => x.add(D([1, 2]))).toThrow(/add: expected 6 elements \(a tensor of sizes \[2, 3\]\), got 2 elements/);
    expect(() => x.cmul(F(seq(6)))).toThrow(TypeError);
    expect(() => x.cmul(F(seq(6)))).toThrow(/expected a torch\.DoubleTensor, got a torch\.FloatTensor/);
    expect(() => (x.add as (...a: unknown[]) => Tensor)('1')).toThrow(TypeError);
  });

  it('fill, zero, neg, abs, sign, clamp, cmax, cmin', () => {
    const x = D([-2, -0.5, 0, 0.5, 2]);
    expect(x.clone().neg().values()).toEqual([2, 0.5, -0, -0.5, -2]);
    expect(x.clone().abs().values()).toEqual([2, 0.5, 0, 0.5, 2]);
    expect(x.clone().sign().values()).toEqual([-1, -1, 0, 1, 1]);
    expect(x.clone().clamp(-1, 1).values()).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(x.clone().cmax(0).values()).toEqual([0, 0, 0, 0.5, 2]);
    expect(x.clone().cmin(D([0, 0, 0, 0, 0])).values()).toEqual([-2, -0.5, 0, 0, 0]);
    expect(torch.DoubleTensor().cmax(x, D([1, 1, 1, 1, 1])).values()).toEqual([1, 1, 1, 1, 2]);
    expect(torch.DoubleTensor().abs(x).values()).toEqual([2, 0.5, 0, 0.5, 2]);
    expect(x.clone().fill(7).values()).toEqual([7, 7, 7, 7, 7]);
    expect(x.clone().zero().values()).toEqual([0, 0, 0, 0, 0]);
    const m = torch.DoubleTensor(3, 3).fill(1);
    m.select(2, 2).zero();
    expect(m.totable()).toEqual([[1, 0, 1], [1, 0, 1], [1, 0, 1]]);
  });

  it('sqrt, exp, log, pow (Torch special cases), sigmoid, tanh on floating tensors', () => {
    const x = D([0.25, 1, 4]);
    expect(x.clone().sqrt().values()).toEqual([0.5, 1, 2]);
    expect(x.clone().exp().values()).toEqual([Math.exp(0.25), Math.exp(1), Math.exp(4)]);
    expect(x.clone().log().values()).toEqual([Math.log(0.25), 0, Math.log(4)]);
    expect(x.clone().pow(2).values()).toEqual([0.0625, 1, 16]);
    expect(x.clone().pow(3).values()).toEqual([0.25 ** 3, 1, 64]);
    expect(x.clone().pow(0.5).values()).toEqual([0.5, 1, 2]);
    expect(x.clone().pow(-0.5).values()).toEqual([2, 1, 0.5]);
    expect(x.clone().pow(-1).values()).toEqual([4, 1, 0.25]);
    expect(x.clone().pow(-2).values()).toEqual([16, 1, 1 / 16]);
    expect(x.clone().pow(1.5).values()).toEqual([0.125, 1, 8]);
    expect(torch.DoubleTensor().pow(x, 2).values()).toEqual([0.0625, 1, 16]);
    expect(D([0]).sigmoid().values()).toEqual([0.5]);
    expect(D([0.5]).tanh().values()).toEqual([Math.tanh(0.5)]);
    expect(() => torch.LongTensor([4]).sqrt()).toThrow(/sqrt: expected a floating-point tensor .* got a torch\.LongTensor/);
    expect(() => torch.IntTensor([4]).mean()).toThrow(TypeError);
  });
});

describe('reductions', () => {
  const m = () => D([[1, 5, 3], [4, 2, 6]]);

  it('sum, mean, prod over all elements return numbers', () => {
    expect(m().sum()).toBe(21);
    expect(m().mean()).toBe(3.5);
    expect(m().prod()).toBe(720);
    expect(m().t().sum()).toBe(21);
    expect(torch.DoubleTensor().sum()).toBe(0);
  });

  it('sum(dim) and mean(dim) keep the reduced dim with size 1 (Torch7)', () => {
    const s1 = m().sum(1);
    expect(s1.size()).toEqual([1, 3]);
    expect(s1.totable()).toEqual([[5, 7, 9]]);
    const s2 = m().sum(2);
    expect(s2.size()).toEqual([2, 1]);
    expect(s2.totable()).toEqual([[9], [12]]);
    expect(m().mean(2).totable()).toEqual([[3], [4]]);
    expect(m().t().sum(1).totable()).toEqual([[9, 12]]);
    expect(() => m().sum(3)).toThrow(/sum: dimension 3 out of range for a 2-d tensor/);
  });

  it('max/min: values, and dim forms with 1-based Long indices of the first extreme', () => {
    expect(m().max()).toBe(6);
    expect(m().min()).toBe(1);
    const [v, i] = m().max(2);
    expect(v.totable()).toEqual([[5], [6]]);
    expect(i.className()).toBe('torch.LongTensor');
    expect(i.totable()).toEqual([[2], [3]]);
    const [v1, i1] = m().min(1);
    expect(v1.totable()).toEqual([[1, 2, 3]]);
    expect(i1.totable()).toEqual([[1, 2, 1]]);
    const [, ties] = D([[3, 7, 7, 1]]).max(2);
    expect(ties.totable()).toEqual([[2]]);
    // NaN wins, as in TH (comparisons written as !(value <= max))
    expect(D([1, NaN, 3]).max()).toBeNaN();
    expect(D([1, NaN, 3]).min()).toBeNaN();
    const [nv, ni] = D([[1, NaN, 3]]).max(2);
    expect(nv.get(1, 1)).toBeNaN();
    expect(ni.get(1, 1)).toBe(2);
    expect(() => torch.DoubleTensor().max()).toThrow(/empty/);
  });

  it('norm: p = 2 by default, 1, 0 (non-zero count), any p, and per dim', () => {
    const x = D([3, -4, 0]);
    expect(x.norm()).toBe(5);
    expect(x.norm(1)).toBe(7);
    expect(x.norm(0)).toBe(2);
    expect(x.norm(3)).toBe(Math.pow(27 + 64, 1 / 3));
    expect(D([[3, 4], [6, 8]]).norm(2, 2).totable()).toEqual([[5], [10]]);
  });

  it('dot accumulates the products of two equally long tensors', () => {
    expect(D([1, 2, 3]).dot(D([4, 5, 6]))).toBe(32);
    expect(m().dot(m().t().contiguous().t())).toBe(1 + 25 + 9 + 16 + 4 + 36);
  });

  it('std and var: unbiased by default, biased with the flag, per dim too', () => {
    const v = [2, 4, 4, 4, 5, 5, 7, 9];
    const mean = v.reduce((a, b) => a + b) / v.length;
    const ss = v.reduce((a, b) => a + (b - mean) * (b - mean), 0);
    const x = D(v);
    expect(x.var()).toBe(ss / 7);
    expect(x.var(true)).toBe(ss / 8);
    expect(x.std()).toBe(Math.sqrt(ss / 7));
    expect(x.std(true)).toBe(2);
    const rows = D([[1, 2, 3, 4], [2, 2, 2, 2]]);
    const sv = rows.var(2);
    expect(sv.size()).toEqual([2, 1]);
    expect(sv.get(1, 1)).toBeCloseTo(5 / 3, 14);
    expect(sv.get(2, 1)).toBe(0);
    expect(rows.std(2, true).get(1, 1)).toBeCloseTo(Math.sqrt(1.25), 14);
  });

  it('cumsum along a dim', () => {
    expect(D(seq(4)).cumsum().values()).toEqual([1, 3, 6, 10]);
    expect(m().cumsum(1).totable()).toEqual([[1, 5, 3], [5, 7, 9]]);
    expect(m().cumsum(2).totable()).toEqual([[1, 6, 9], [4, 6, 12]]);
  });

  it('Float sums accumulate in double (accreal); sum(dim) over a strided dim adds in float as TH does', () => {
    const big = 2 ** 24;
    const x = F([big, 1, 1]);
    expect(x.sum()).toBe(big + 2); // float accumulation would give 2^24
    // stride-1 dim: accumulated in double, stored as float (2^24 + 2 is a float)
    expect(F([[big, 1, 1]]).sum(2).get(1, 1)).toBe(big + 2);
    // dim 1 has stride 2: TH adds into the float result element by element
    const col = F([[big, 0], [1, 0], [1, 0]]);
    expect(col.sum(1).get(1, 1)).toBe(big);
  });

  it('equal compares sizes and values', () => {
    expect(m().equal(m())).toBe(true);
    expect(m().equal(m().view(3, 2))).toBe(false);
    expect(D([NaN]).equal(D([NaN]))).toBe(false);
  });
});

describe('comparisons and masks', () => {
  it('eq/ne/gt/lt/ge/le against a value or a tensor give ByteTensor masks', () => {
    const x = D([1, 2, 3]);
    const g = x.gt(1.5);
    expect(g.className()).toBe('torch.ByteTensor');
    expect(g.values()).toEqual([0, 1, 1]);
    expect(x.lt(2).values()).toEqual([1, 0, 0]);
    expect(x.ge(2).values()).toEqual([0, 1, 1]);
    expect(x.le(2).values()).toEqual([1, 1, 0]);
    expect(x.eq(D([1, 0, 3])).values()).toEqual([1, 0, 1]);
    expect(x.ne(D([1, 0, 3])).values()).toEqual([0, 1, 0]);
    expect(torch.DoubleTensor(2, 2).fill(1).gt(0).size()).toEqual([2, 2]);
  });

  it('maskedFill and maskedSelect', () => {
    const x = D([1, -2, 3, -4]);
    x.maskedFill(x.lt(0), 0);
    expect(x.values()).toEqual([1, 0, 3, 0]);
    expect(D([5, 6, 7]).maskedSelect(torch.ByteTensor([1, 0, 1])).values()).toEqual([5, 7]);
    expect(() => x.maskedFill(torch.ByteTensor([2, 0, 0, 0]), 1)).toThrow(/only 0 and 1/);
    expect(() => x.maskedFill(torch.DoubleTensor([1, 0, 0, 0]), 1)).toThrow(/expected a ByteTensor mask/);
  });
});

describe('sorting and selection', () => {
  it('sort ascending by default along the last dim, descending with the flag', () => {
    const x = D([[3, 1, 2], [9, 7, 8]]);
    const [v, i] = x.sort();
    expect(v.totable()).toEqual([[1, 2, 3], [7, 8, 9]]);
    expect(i.totable()).toEqual([[2, 3, 1], [2, 3, 1]]);
    const [vd, id] = x.sort(1, true);
    expect(vd.totable()).toEqual([[9, 7, 8], [3, 1, 2]]);
    expect(id.totable()).toEqual([[2, 2, 2], [1, 1, 1]]);
    const [vn] = D([2, NaN, 1]).sort();
    expect(vn.get(1)).toBe(1);
    expect(vn.get(2)).toBe(2);
    expect(vn.get(3)).toBeNaN();
  });

  it('topk gives the k smallest by default (dir = false), the k largest with dir = true', () => {
    const x = D([5, 1, 4, 2, 3]);
    const [s, si] = x.topk(2);
    expect(s.values()).toEqual([1, 2]);
    expect(si.values()).toEqual([2, 4]);
    const [l, li] = x.topk(3, 1, true, true);
    expect(l.values()).toEqual([5, 4, 3]);
    expect(li.values()).toEqual([1, 3, 5]);
    const [m] = D([[1, 9], [8, 2]]).topk(1, 1, true);
    expect(m.totable()).toEqual([[8, 9]]);
    expect(() => x.topk(6)).toThrow(/topk: k must be in \[1, 5\]/);
  });

  it('indexSelect (index), indexCopy, indexAdd, indexFill with 1-based LongTensor positions', () => {
    const x = D([[1, 2, 3], [4, 5, 6]]);
    const idx = torch.LongTensor([3, 1]);
    expect(x.indexSelect(2, idx).totable()).toEqual([[3, 1], [6, 4]]);
    expect(x.index(1, torch.LongTensor([2, 2])).totable()).toEqual([[4, 5, 6], [4, 5, 6]]);
    const y = torch.DoubleTensor(2, 3).zero();
    y.indexCopy(2, idx, D([[7, 8], [9, 10]]));
    expect(y.totable()).toEqual([[8, 0, 7], [10, 0, 9]]);
    y.indexAdd(2, idx, D([[1, 1], [1, 1]]));
    expect(y.totable()).toEqual([[9, 0, 8], [11, 0, 10]]);
    y.indexFill(1, torch.LongTensor([1]), -1);
    expect(y.totable()).toEqual([[-1, -1, -1], [11, 0, 10]]);
    expect(() => x.indexSelect(2, torch.LongTensor([4]))).toThrow(/index 4 out of range for dimension 2 of size 3/);
    expect(() => x.indexSelect(2, torch.DoubleTensor([1]))).toThrow(/expected a 1-d LongTensor index/);
  });
});

describe('matrix products', () => {
  const naive = (a: number[][], b: number[][]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
  const A = [[1, 2, 3], [4, 5, 6]];
  const B = [[7, 8], [9, 10], [11, 12]];

  it('mm resizes the result and multiplies, through transposed views too', () => {
    const r = torch.DoubleTensor();
    r.mm(D(A), D(B));
    expect(r.size()).toEqual([2, 2]);
    expect(r.totable()).toEqual(naive(A, B));
    const bt = D([[7, 9, 11], [8, 10, 12]]).t(); // B as a transposed view
    expect(torch.DoubleTensor().mm(D(A), bt).totable()).toEqual(naive(A, B));
    expect(() => r.mm(D(A), D(A))).toThrow(/mm: size mismatch/);
    expect(() => r.mm(D([1, 2]), D(B))).toThrow(/expected a matrix/);
  });

  it('addmm: Torch7 method forms (beta, M, alpha)', () => {
    const P = naive(A, B);
    const base = () => D([[1, 1], [1, 1]]);
    expect(base().addmm(D(A), D(B)).totable()).toEqual(P.map((r) => r.map((v) => v + 1)));
    // nn.Linear's gradWeight:addmm(scale, gradOutput:t(), input): one number is alpha
    expect(base().addmm(0.5, D(A), D(B)).totable()).toEqual(P.map((r) => r.map((v) => 1 + 0.5 * v)));
    expect(base().addmm(2, 3, D(A), D(B)).totable()).toEqual(P.map((r) => r.map((v) => 2 + 3 * v)));
    const M = D([[10, 20], [30, 40]]);
    expect(base().addmm(M, D(A), D(B)).totable()).toEqual(P.map((r, i) => r.map((v, j) => M.get(i + 1, j + 1) + v)));
    expect(base().addmm(0, M, 1, D(A), D(B)).totable()).toEqual(P);
    // beta = 0 ignores the old contents, NaN included (as BLAS does)
    expect(D([[NaN, NaN], [NaN, NaN]]).addmm(0, 1, D(A), D(B)).totable()).toEqual(P);
  });

  it('mv, addmv, addr and ger', () => {
    const v = [1, -1, 2];
    const expected = A.map((row) => row.reduce((s, a, k) => s + a * v[k]!, 0));
    expect(torch.DoubleTensor().mv(D(A), D(v)).values()).toEqual(expected);
    expect(D([1, 1]).addmv(2, D(A), D(v)).values()).toEqual(expected.map((e) => 1 + 2 * e));
    expect(torch.DoubleTensor().ger(D([1, 2]), D([3, 4, 5])).totable()).toEqual([[3, 4, 5], [6, 8, 10]]);
    expect(torch.DoubleTensor(2, 3).fill(1).addr(D([1, 2]), D([3, 4, 5])).totable()).toEqual([[4, 5, 6], [7, 9, 11]]);
  });

  it('Float products accumulate in double and round once', () => {
    const a = F([[1, 2 ** -24, 2 ** -24]]);
    const b = F([[1], [1], [1]]);
    expect(torch.FloatTensor().mm(a, b).get(1, 1)).toBe(Math.fround(1 + 2 ** -23));
  });
});

describe('conveniences: new, zeros, ones, reshape, apply, map', () => {
  it('new, zeros and ones keep the type', () => {
    const x = torch.FloatTensor(2);
    const n = x.new(3, 2);
    expect(n.className()).toBe('torch.FloatTensor');
    expect(n.size()).toEqual([3, 2]);
    expect(x.new().dim()).toBe(0);
    expect(x.zeros(2, 2).totable()).toEqual([[0, 0], [0, 0]]);
    expect(x.ones(3).values()).toEqual([1, 1, 1]);
  });

  it('reshape copies, view shares', () => {
    const x = D(seq(6));
    const r = x.reshape(2, 3);
    expect(r.totable()).toEqual([[1, 2, 3], [4, 5, 6]]);
    r.fill(0);
    expect(x.values()).toEqual(seq(6));
    expect(D([[1, 2], [3, 4]]).t().reshape(4).values()).toEqual([1, 3, 2, 4]);
    expect(() => x.reshape(4)).toThrow(/reshape: sizes \[4\] hold 4 elements, the tensor has 6/);
  });

  it('apply and map visit elements in logical order; a returned number replaces the element', () => {
    const x = D([[1, 2], [3, 4]]);
    const seen: number[] = [];
    x.t().apply((v) => {
      seen.push(v);
    });
    expect(seen).toEqual([1, 3, 2, 4]);
    x.apply((v) => v * 10);
    expect(x.values()).toEqual([10, 20, 30, 40]);
    x.map(D([1, 2, 3, 4]), (a, b) => a + b);
    expect(x.values()).toEqual([11, 22, 33, 44]);
    const l = torch.LongTensor([1, 2]).apply((v) => v * 3);
    expect(l.bigValues()).toEqual([3n, 6n]);
  });
});

describe('torch.* function forms return new tensors', () => {
  it('arithmetic and unary forms leave their inputs alone', () => {
    const x = D([1, 4, 9]);
    const y = torch.add(x, 1);
    expect(y).not.toBe(x);
    expect(y.values()).toEqual([2, 5, 10]);
    expect(torch.add(x, x).values()).toEqual([2, 8, 18]);
    expect(torch.add(x, 2, x).values()).toEqual([3, 12, 27]);
    expect(torch.sqrt(x).values()).toEqual([1, 2, 3]);
    expect(torch.cmul(x, x).values()).toEqual([1, 16, 81]);
    expect(torch.mul(x, 2).values()).toEqual([2, 8, 18]);
    expect(torch.pow(x, 0.5).values()).toEqual([1, 2, 3]);
    expect(torch.clamp(x, 2, 5).values()).toEqual([2, 4, 5]);
    expect(torch.addcmul(x, 2, x, x).values()).toEqual([3, 36, 171]);
    expect(x.values()).toEqual([1, 4, 9]);
    expect(torch.sum(x)).toBe(14);
    expect(torch.sum(D([[1, 2], [3, 4]]), 2).totable()).toEqual([[3], [7]]);
    expect(torch.mm(D([[1, 2]]), D([[3], [4]])).totable()).toEqual([[11]]);
    expect(torch.addmm(1, D([[1]]), 2, D([[1, 2]]), D([[3], [4]])).totable()).toEqual([[23]]);
    expect(torch.addmm(2, D([[1]]), D([[1, 2]]), D([[3], [4]])).totable()).toEqual([[13]]);
  });

  it('cat joins along a dim (default: the last)', () => {
    const a = D([[1, 2], [3, 4]]);
    const b = D([[5], [6]]);
    expect(torch.cat(a, b).totable()).toEqual([[1, 2, 5], [3, 4, 6]]);
    expect(torch.cat([a, D([[7, 8]])], 1).totable()).toEqual([[1, 2], [3, 4], [7, 8]]);
    expect(() => torch.cat(a, D([[1, 2, 3]]), 1)).toThrow(/do not match/);
  });

  it('zeros, ones, range (both ends included) and linspace use the default type', () => {
    expect(torch.zeros(2, 3).totable()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(torch.ones([2]).values()).toEqual([1, 1]);
    expect(torch.ones(2).className()).toBe(torch.getdefaulttensortype());
    expect(torch.range(1, 5).values()).toEqual([1, 2, 3, 4, 5]);
    expect(torch.range(0, 1, 0.5).values()).toEqual([0, 0.5, 1]);
    expect(torch.linspace(0, 1, 5).values()).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});
