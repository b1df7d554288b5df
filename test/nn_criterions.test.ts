// Criterions and soft-max modules: CrossEntropyCriterion against real Torch7 (plain,
// sizeAverage false, float targets); ClassNLLCriterion (weights, sizeAverage, ignoreIndex)
// and MSECriterion against their definitions; finite differences of every criterion's
// gradInput and of SoftMax/LogSoftMax in 1-4 d; Float (tfjs) against Double (host).

import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Tensor } from '../src/torch/tensor.js';
import { nn, Criterion, CrossEntropyCriterion } from '../src/nn/index.js';
import type { Target } from '../src/nn/index.js';
import { assertGradCheck } from './helpers/gradcheck.js';
import { BACKENDS, channelsLast, ioTensor, loadFixture, loadIO, randn } from './helpers/nn_fixtures.js';
import { expectClose } from './helpers/close.js';

const T = (a: unknown) => a as Tensor;

/** Central differences of a criterion's loss with respect to its input, in double precision. */
function criterionGradError(c: Criterion, input: Tensor, target: Target, eps = 1e-6): number {
  c.forward(input, target);
  const analytic = T(c.backward(input, target)).values();
  const d = input.storage().mutableData() as Float64Array;
  let worst = 0;
  let scale = 1;
  const n = input.nElement();
  for (let k = 0; k < n; k++) {
    const i = input.offset() + k; // contiguous inputs only
    const orig = d[i]!;
    d[i] = orig + eps;
    const fp = c.forward(input, target);
    d[i] = orig - eps;
    const fm = c.forward(input, target);
    d[i] = orig;
    const num = (fp - fm) / (2 * eps);
    scale = Math.max(scale, Math.abs(num));
    worst = Math.max(worst, Math.abs(num - analytic[k]!));
  }
  return worst / scale;
}

for (const backend of BACKENDS) {
  describe(`criterions on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend), `tf.setBackend('${backend}')`).toBe(true);
      await tf.ready();
    });

    describe('CrossEntropyCriterion against Torch7', () => {
      const cases: [string, string][] = [
        ['CrossEntropyCriterion', 'CrossEntropyCriterion'],
        ['CrossEntropyCriterion_sum', 'CrossEntropyCriterion_sum'],
        ['CrossEntropyCriterion', 'CrossEntropyCriterion_floattarget'],
      ];
      for (const [moduleName, ioName] of cases) {
        for (const type of ['Float', 'Double'] as const) {
          it(`${ioName} (${type})`, () => {
            const c = loadFixture(`nn/module_${moduleName}.t7`) as CrossEntropyCriterion;
            expect(c).toBeInstanceOf(CrossEntropyCriterion);
            if (type === 'Double') c.double();
            const io = loadIO(ioName);
            const input = type === 'Double' ? ioTensor(io, 'input').double() : ioTensor(io, 'input');
            const target = ioTensor(io, 'target');
            const loss = c.forward(input, target);
            const want = io.get('loss') as number;
            expect(Math.abs(loss - want) / Math.abs(want)).toBeLessThanOrEqual(1e-6);
            expect(c.output).toBe(loss);
            if (io.has('logSoftMax')) expectClose(c.lsm.output, ioTensor(io, 'logSoftMax'), 1e-5, 'logSoftMax');
            expectClose(c.backward(input, target), ioTensor(io, 'gradInput'), 1e-5, 'gradInput');
          });
        }
      }

      it('built here: CrossEntropyCriterion() and (nil, false) match the loaded ones', () => {
        const io = loadIO('CrossEntropyCriterion');
        const input = ioTensor(io, 'input');
        const target = ioTensor(io, 'target');
        const ce = nn.CrossEntropyCriterion().float();
        expect(Math.abs(ce.forward(input, target) - (io.get('loss') as number))).toBeLessThan(1e-5);
        const sum = nn.CrossEntropyCriterion(null, false).float();
        const ioSum = loadIO('CrossEntropyCriterion_sum');
        expect(Math.abs(sum.forward(input, target) - (ioSum.get('loss') as number))).toBeLessThan(1e-4);
        // Changing sizeAverage afterwards propagates to the inner ClassNLLCriterion (Torch's rule).
        ce.sizeAverage = false;
        expect(Math.abs(ce.forward(input, target) - (ioSum.get('loss') as number))).toBeLessThan(1e-4);
        expect(ce.nll.sizeAverage).toBe(false);
      });

      it('a 1 x C input is squeezed to a vector, gradInput keeps the input sizes', () => {
        const x = randn('Double', [1, 5], 41);
        const c = nn.CrossEntropyCriterion().double();
        const loss = c.forward(x, 3);
        const v = x.values();
        const lse = Math.log(v.reduce((s, a) => s + Math.exp(a), 0));
        expect(loss).toBeCloseTo(lse - v[2]!, 12);
        expect(T(c.backward(x, 3)).size()).toEqual([1, 5]);
      });
    });

    describe('ClassNLLCriterion and MSECriterion', () => {
      it('ClassNLLCriterion with weights, sizeAverage and ignoreIndex follows THNN', () => {
        const x = randn('Double', [4, 3], 42);
        const w = Tensor.fromArray('Double', [0.5, 2, 1]);
        const t = Tensor.fromArray('Long', [2, 1, 3, 2]);
        const xv = x.values();
        const picks = [1, 0, 2, 1];
        const num = picks.reduce((s, c, i) => s - xv[i * 3 + c]! * w.get(c + 1), 0);
        const den = picks.reduce((s, c) => s + w.get(c + 1), 0);
        const avg = nn.ClassNLLCriterion(w).double();
        expect(avg.forward(x, t)).toBeCloseTo(num / den, 12);
        expect(avg.fields.get('total_weight_tensor')).toBeInstanceOf(Tensor);
        expect((avg.fields.get('total_weight_tensor') as Tensor).get(1)).toBeCloseTo(den, 12);
        const gi = T(avg.backward(x, t));
        expect(gi.get(1, 2)).toBeCloseTo(-2 / den, 12);
        expect(gi.get(1, 1)).toBe(0);
        const sum = nn.ClassNLLCriterion(w, false).double();
        expect(sum.forward(x, t)).toBeCloseTo(num, 12);
        expect(T(sum.backward(x, t)).get(3, 3)).toBe(-1);
        // ignoreIndex: rows whose target is ignored contribute nothing.
        const ign = nn.ClassNLLCriterion(null, true, 2).double();
        const kept = [1, 2].map((r) => -xv[r * 3 + picks[r]!]!);
        expect(ign.forward(x, t)).toBeCloseTo((kept[0]! + kept[1]!) / 2, 12);
        expect(T(ign.backward(x, t)).get(1, 2)).toBe(0);
        // Float on tfjs agrees.
        const f = nn.ClassNLLCriterion(w.float()).float();
        expect(f.forward(x.float(), t)).toBeCloseTo(num / den, 5);
        expectClose(f.backward(x.float(), t), gi, 1e-6, 'Float gradInput');
        // Errors say what was expected.
        expect(() => avg.forward(x, Tensor.fromArray('Long', [1, 2, 3, 4]))).toThrow(/target 4 out of range 1..3/);
        expect(() => avg.forward(randn('Double', [2, 3, 4], 1), 1)).toThrow(/1D or 2D/);
      });

      it('MSECriterion: mean and sum of squared differences, gradient 2(x - t)/n', () => {
        const x = randn('Double', [3, 4], 43);
        const y = randn('Double', [3, 4], 44);
        const a = x.values();
        const b = y.values();
        const ss = a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
        const mean = nn.MSECriterion().double();
        expect(mean.forward(x, y)).toBeCloseTo(ss / 12, 12);
        T(mean.backward(x, y)).values().forEach((g, i) => expect(g).toBeCloseTo((2 * (a[i]! - b[i]!)) / 12, 12));
        const sum = nn.MSECriterion(false).double();
        expect(sum.forward(x, y)).toBeCloseTo(ss, 12);
        const f = nn.MSECriterion().float();
        expect(f.forward(x.float(), y.float())).toBeCloseTo(ss / 12, 5);
        expectClose(f.backward(x.float(), y.float()), T(mean.gradInput), 1e-6, 'Float gradInput');
      });

      it('finite differences of every criterion', () => {
        const x = randn('Double', [3, 5], 45);
        const t = Tensor.fromArray('Long', [5, 1, 3]);
        const w = Tensor.fromArray('Double', [1, 0.5, 2, 1.5, 1]);
        for (const c of [nn.CrossEntropyCriterion(), nn.CrossEntropyCriterion(w, false), nn.ClassNLLCriterion(w), nn.ClassNLLCriterion(null, false)]) {
          expect(criterionGradError(c.double(), x, t), c.className).toBeLessThan(1e-6);
        }
        expect(criterionGradError(nn.MSECriterion().double(), x, randn('Double', [3, 5], 46))).toBeLessThan(1e-6);
        expect(criterionGradError(nn.CrossEntropyCriterion().double(), randn('Double', [5], 47), 4)).toBeLessThan(1e-6);
      });
    });

    describe('SoftMax and LogSoftMax', () => {
      it('finite differences in 1-d, 2-d, 3-d (over dim 1) and 4-d (over dim 2)', () => {
        for (const sizes of [[6], [3, 5], [4, 2, 3], [2, 3, 2, 2]]) {
          assertGradCheck(nn.SoftMax().double(), randn('Double', sizes, 48), { checkScale: false });
          assertGradCheck(nn.LogSoftMax().double(), randn('Double', sizes, 49), { checkScale: false });
        }
      });

      it('normalises over THNN\'s class dimension', () => {
        const sum = (t: Tensor, at: (k: number) => number[]) => Array.from({ length: 3 }, (_, k) => t.get(...at(k))).reduce((a, b) => a + b, 0);
        const y3 = T(nn.SoftMax().double().forward(randn('Double', [3, 2, 2], 50)));
        expect(sum(y3, (k) => [k + 1, 2, 1])).toBeCloseTo(1, 12);
        const y4 = T(nn.SoftMax().double().forward(randn('Double', [2, 3, 2, 2], 51)));
        expect(sum(y4, (k) => [2, k + 1, 1, 2])).toBeCloseTo(1, 12);
      });

      it('Float (tfjs, channels-last 4-d) agrees with Double (host)', () => {
        for (const sizes of [[7], [3, 5], [4, 2, 3], [2, 3, 2, 2]]) {
          for (const mk of [() => nn.SoftMax(), () => nn.LogSoftMax()]) {
            const x = randn('Double', sizes, 52);
            const g = randn('Double', sizes, 53);
            const md = mk().double();
            const mf = mk().float();
            const xf = sizes.length === 4 ? channelsLast(x.float()) : x.float();
            expectClose(mf.forward(xf), T(md.forward(x)), 1e-6, `${mf.className} output ${sizes}`);
            expectClose(mf.backward(xf, g.float()), T(md.backward(x, g)), 1e-5, `${mf.className} gradInput ${sizes}`);
          }
        }
      });
    });

    it('a criterion saved by Torch keeps its fields after type conversion', () => {
      const c = loadFixture('nn/module_CrossEntropyCriterion.t7') as CrossEntropyCriterion;
      c.double();
      expect(c.nll.fields.get('target')).toBeInstanceOf(Tensor);
      // nn.utils.recursiveType converts every tensor, the Long target included.
      expect((c.nll.fields.get('target') as Tensor).className()).toBe('torch.DoubleTensor');
      expect((c.nll.fields.get('output_tensor') as Tensor).className()).toBe('torch.DoubleTensor');
      expect(c.lsm.type()).toBe('torch.DoubleTensor');
      expect(c.fields.get('oldSizeAverage')).toBe(true);
    });
  });
}
