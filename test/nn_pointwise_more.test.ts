// nn.Tanh, nn.Sigmoid and nn.Abs: values against the formulas on the host (Double) and on
// tfjs (Float, cpu and wasm); gradients by finite differences in double precision; a
// save/load round trip keeps class, fields and behaviour; Torch's print names.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, testBackends } from '../src/backend/index.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';
import * as t7 from '../src/t7/index.js';
import { assertGradCheck } from './helpers/gradcheck.js';

const CASES: [string, () => Module, (x: number) => number][] = [
  ['nn.Tanh', () => nn.Tanh(), Math.tanh],
  ['nn.Sigmoid', () => nn.Sigmoid(), (x) => 1 / (1 + Math.exp(-x))],
  ['nn.Abs', () => nn.Abs(), Math.abs],
];

/** 2 x 3 x 4 x 5 values in [-3, 3], none within 0.01 of 0 (Abs has a kink there). */
function input(type: 'Double' | 'Float'): Tensor {
  const t = Tensor.create(type, [2, 3, 4, 5]);
  const d = t.storage().mutableData();
  for (let i = 0; i < d.length; i++) {
    const v = Math.sin(i * 12.9898) * 3;
    d[i] = Math.abs(v) < 0.01 ? 0.5 : v;
  }
  return t;
}

for (const [name, make, f] of CASES) {
  describe(name, () => {
    it('computes the formula on the host in float64', () => {
      const x = input('Double');
      const y = make().double().forward(x) as Tensor;
      const xs = x.storage().data();
      const ys = y.contiguous().storage().data();
      for (let i = 0; i < xs.length; i++) expect(ys[i]).toBeCloseTo(f(xs[i]!), 14);
    });

    it('has gradients that match finite differences', () => {
      assertGradCheck(make().double(), input('Double'), { tolerance: 1e-7 });
    });

    for (const backend of testBackends()) {
      it(`computes Float on ${backend} as the host computes Double, gradients too, without leaking`, async () => {
        await initBackend(backend);
        const m = make().float();
        const x = input('Float');
        const y = m.forward(x) as Tensor;
        const g = x.clone().fill(0.5);
        const gi = m.backward(x, g) as Tensor;
        const md = make().double();
        const yd = md.forward(x.double()) as Tensor;
        const gd = md.backward(x.double(), g.double()) as Tensor;
        expect(y.size()).toEqual([2, 3, 4, 5]);
        const a = y.double().contiguous().storage().data();
        const b = yd.contiguous().storage().data();
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
        const ga = gi.double().contiguous().storage().data();
        const gb = gd.contiguous().storage().data();
        for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i]! - gb[i]!)).toBeLessThan(1e-5);
        // a second step allocates nothing that stays
        const before = tf.memory().numTensors;
        m.forward(x);
        m.backward(x, g);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('survives a save/load round trip (class, print, behaviour)', () => {
      const m = make().double();
      const x = input('Double');
      m.forward(x);
      const back = t7.deserialize(t7.serialize(m)) as Module;
      expect(back.className).toBe(name);
      expect(back.constructor).toBe(m.constructor);
      expect(String(back.__tostring__())).toBe(name);
      const y1 = (m.forward(x) as Tensor).contiguous().storage().data();
      const y2 = (back.forward(x) as Tensor).contiguous().storage().data();
      expect(Array.from(y2)).toEqual(Array.from(y1));
    });
  });
}

beforeAll(async () => {
  await initBackend('cpu');
});
