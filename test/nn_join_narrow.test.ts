// nn.JoinTable and nn.Narrow: Torch's forward values (batch mode through nInputDims,
// negative dimensions and lengths), finite-difference gradients in double precision,
// Float inputs, bad input named, and a save/load round trip.

import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';
import * as t7 from '../src/t7/index.js';
import { assertGradCheck } from './helpers/gradcheck.js';

function seq(type: 'Double' | 'Float', sizes: number[], start = 1): Tensor {
  const t = Tensor.create(type, sizes);
  const d = t.storage().mutableData();
  for (let i = 0; i < d.length; i++) d[i] = start + i;
  return t;
}

const values = (t: Tensor) => Array.from(t.contiguous().storage().data(), Number);

describe('nn.JoinTable', () => {
  it('joins along a dimension, one further for a batch (nInputDims), negative from the last', () => {
    const a = seq('Double', [2, 2]);
    const b = seq('Double', [2, 1], 10);
    const y = nn.JoinTable(2).forward([a, b]) as Tensor;
    expect(y.size()).toEqual([2, 3]);
    expect(values(y)).toEqual([1, 2, 10, 3, 4, 11]);
    const batched = nn.JoinTable(1, 1).forward([seq('Double', [2, 2]), seq('Double', [2, 3], 10)]) as Tensor;
    expect(batched.size()).toEqual([2, 5]);
    expect(values(nn.JoinTable(-1).forward([a, b]) as Tensor)).toEqual(values(y));
    const y1 = nn.JoinTable(1).forward([a, seq('Double', [1, 2], 7)]) as Tensor;
    expect(values(y1)).toEqual([1, 2, 3, 4, 7, 8]);
  });

  it('has gradients that match finite differences, Float too', () => {
    assertGradCheck(nn.JoinTable(2).double(), [seq('Double', [2, 3, 2]).mul(0.1), seq('Double', [2, 1, 2]).mul(-0.2)], { tolerance: 1e-7 });
    const m = nn.JoinTable(1).float();
    const g = m.backward([seq('Float', [2]), seq('Float', [3])], seq('Float', [5], 20)) as Tensor[];
    expect(g.map(values)).toEqual([[20, 21], [22, 23, 24]]);
  });

  it('names a mismatch; survives save/load', () => {
    expect(() => nn.JoinTable(2).forward([seq('Double', [2, 2]), seq('Double', [3, 1])])).toThrow(/input\[2\] is \[3, 1\], which does not join input\[1\] \[2, 2\] along dimension 2/);
    const m = nn.JoinTable(2, 2) as Module;
    const back = t7.deserialize(t7.serialize(m)) as Module;
    expect(back.className).toBe('nn.JoinTable');
    expect(back.fields.get('nInputDims')).toBe(2);
    expect(values(back.forward([seq('Double', [2, 2]), seq('Double', [2, 1], 10)]) as Tensor)).toEqual([1, 2, 10, 3, 4, 11]);
  });
});

describe('nn.Narrow', () => {
  it('copies the window; negative dimension, offset and length as Torch reads them', () => {
    const x = seq('Double', [3, 4]);
    expect(values(nn.Narrow(2, 2, 2).forward(x) as Tensor)).toEqual([2, 3, 6, 7, 10, 11]);
    expect(values(nn.Narrow(1, 3).forward(x) as Tensor)).toEqual([9, 10, 11, 12]);
    expect(values(nn.Narrow(-1, 3, -1).forward(x) as Tensor)).toEqual([3, 4, 7, 8, 11, 12]);
    expect(values(nn.Narrow(2, -2, 2).forward(x) as Tensor)).toEqual([3, 4, 7, 8, 11, 12]);
    expect(() => nn.Narrow(2, 4, 2).forward(x)).toThrow(/cannot take 2 slices from index 4 of dimension 2 \(size 4\)/);
  });

  it('has gradients that match finite differences; survives save/load', () => {
    assertGradCheck(nn.Narrow(2, 2, 2).double(), seq('Double', [2, 4, 3]).mul(0.05), { tolerance: 1e-7 });
    const back = t7.deserialize(t7.serialize(nn.Narrow(2, 2, 2))) as Module;
    expect(back.className).toBe('nn.Narrow');
    expect([back.fields.get('dimension'), back.fields.get('index'), back.fields.get('length')]).toEqual([2, 2, 2]);
    expect(values(back.forward(seq('Float', [2, 3])) as Tensor)).toEqual([2, 3, 5, 6]);
  });
});
