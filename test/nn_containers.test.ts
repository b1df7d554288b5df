// Containers and table modules: ConcatTable and CAddTable (plain and in place) against
// real Torch7 outputs; ConcatTable, Concat, ParallelTable, CAddTable by finite differences
// (tensor and table inputs); Float (tfjs, channels-last) against Double (host); on cpu and wasm.

import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Tensor } from '../src/torch/tensor.js';
import { manualSeed } from '../src/torch/random.js';
import { nn, Module, CAddTable } from '../src/nn/index.js';
import type { Activity } from '../src/nn/module.js';
import { assertGradCheck } from './helpers/gradcheck.js';
import { BACKENDS, channelsLast, ioTable, ioTensor, loadIO, loadModule, randn } from './helpers/nn_fixtures.js';
import { expectClose } from './helpers/close.js';

const T = (a: unknown) => a as Tensor;
const A = (a: unknown) => a as Activity[];

type Conv = (t: Tensor) => Tensor;
const convs: Record<string, Conv> = {
  'Float on tfjs': (t) => t,
  'Float channels-last': (t) => (t.dim() === 4 ? channelsLast(t) : t),
  'Double on the host': (t) => t.double(),
};

for (const backend of BACKENDS) {
  describe(`containers on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend), `tf.setBackend('${backend}')`).toBe(true);
      await tf.ready();
    });

    describe('against Torch7', () => {
      for (const [how, conv] of Object.entries(convs)) {
        it(`ConcatTable {SpatialConvolution, Identity} (${how})`, () => {
          const m = loadModule('ConcatTable');
          if (how.startsWith('Double')) m.double();
          const io = loadIO('ConcatTable');
          const x = conv(ioTensor(io, 'input'));
          const gout = ioTable(io, 'gradOutput').map(conv);
          const out = A(m.forward(x));
          const want = ioTable(io, 'output');
          expect(out).toHaveLength(2);
          out.forEach((o, i) => expectClose(o, want[i]!, 1e-5, `output[${i + 1}]`));
          m.evaluate();
          A(m.forward(x)).forEach((o, i) => expectClose(o, ioTable(io, 'output_evaluate')[i]!, 1e-5, `output_evaluate[${i + 1}]`));
          m.training();
          m.zeroGradParameters();
          m.forward(x);
          expectClose(m.backward(x, gout), ioTensor(io, 'gradInput'), 1e-5, 'gradInput');
          const [, grads] = m.parameters()!;
          const wantGrads = ioTable(io, 'gradParameters');
          expect(grads).toHaveLength(wantGrads.length);
          grads.forEach((g, i) => expectClose(g, wantGrads[i]!, 1e-5, `gradParameters[${i + 1}]`));
        });

        for (const name of ['CAddTable', 'CAddTable_inplace']) {
          it(`${name} (${how})`, () => {
            const m = loadModule<CAddTable>(name);
            if (how.startsWith('Double')) m.double();
            expect(m.inplace).toBe(name.endsWith('inplace'));
            const io = loadIO(name);
            const xs = () => ioTable(io, 'input').map((t) => conv(t.clone()));
            const g = conv(ioTensor(io, 'gradOutput'));
            const x1 = xs();
            const y = T(m.forward(x1));
            expectClose(y, ioTensor(io, 'output'), 1e-5, 'output');
            if (m.inplace) {
              // Torch's in-place add: the output is input[1], now holding the sum.
              expect(y.storage()).toBe(x1[0]!.storage());
              expectClose(x1[0]!, ioTensor(io, 'output'), 1e-5, 'input[1] after the in-place add');
            }
            m.evaluate();
            expectClose(m.forward(xs()), ioTensor(io, 'output_evaluate'), 1e-5, 'output (evaluate)');
            m.training();
            const x2 = xs();
            m.forward(x2);
            const gi = A(m.backward(x2, g));
            const want = ioTable(io, 'gradInput');
            expect(gi).toHaveLength(want.length);
            gi.forEach((t, i) => expectClose(t, want[i]!, 1e-5, `gradInput[${i + 1}]`));
            if (m.inplace) gi.forEach((t) => expect(T(t).storage()).toBe(g.storage()));
            else gi.forEach((t) => expect(T(t).storage()).not.toBe(g.storage()));
          });
        }
      }
    });

    describe('finite differences (double precision)', () => {
      it('residual block: ConcatTable {Sequential {Linear, MulConstant}, Identity} then CAddTable', () => {
        manualSeed(11);
        for (const inplace of [false, true]) {
          const m = nn.Sequential()
            .add(nn.ConcatTable().add(nn.Sequential().add(nn.Linear(5, 5)).add(nn.MulConstant(0.7))).add(nn.Identity()))
            .add(nn.CAddTable(inplace))
            .add(nn.Linear(5, 3))
            .double();
          const r = assertGradCheck(m, randn('Double', [4, 5], 21));
          expect(r.params).toHaveLength(4);
        }
      });

      it('Concat along dims 1 and 2', () => {
        manualSeed(12);
        const c2 = nn.Concat(2).add(nn.Linear(4, 3)).add(nn.Linear(4, 2)).add(nn.Identity()).double();
        assertGradCheck(c2, randn('Double', [3, 4], 22));
        const c1 = nn.Concat(1).add(nn.Linear(4, 3)).add(nn.Linear(4, 5)).double();
        assertGradCheck(c1, randn('Double', [4], 23));
        expect(T(c2.forward(randn('Double', [3, 4], 24))).size()).toEqual([3, 9]);
        expect(c2.fields.get('outputSize')).toBeDefined();
      });

      it('ParallelTable with table input, and a ConcatTable whose branches take and give tables', () => {
        manualSeed(13);
        const p = nn.ParallelTable().add(nn.Linear(3, 2)).add(nn.Linear(4, 2)).double();
        const input = [randn('Double', [2, 3], 25), randn('Double', [2, 4], 26)];
        const r = assertGradCheck(p, input);
        expect(r.params).toHaveLength(4);
        // Branch 1 gives a table, branch 2 a tensor; gradInput is the element-wise sum of two tables.
        const par = () => nn.ParallelTable().add(nn.Linear(3, 3)).add(nn.Linear(3, 3));
        const c = nn.ConcatTable().add(par()).add(nn.CAddTable()).add(par()).double();
        const x = [randn('Double', [2, 3], 27), randn('Double', [2, 3], 28)];
        assertGradCheck(c, x);
        const gi = A(c.gradInput);
        expect(gi).toHaveLength(2);
      });
    });

    describe('Float (tfjs) agrees with Double (host)', () => {
      it('Concat(2) of channels-last activations stays channels-last', () => {
        const mk = () => nn.Concat(2).add(nn.MulConstant(2)).add(nn.Identity()).add(nn.MulConstant(-1));
        const md = mk().double();
        const mf = mk().float();
        const x = randn('Double', [2, 3, 4, 5], 31);
        const g = randn('Double', [2, 9, 4, 5], 32);
        const xf = channelsLast(x.float());
        const yf = T(mf.forward(xf));
        expect(yf.isChannelsLast()).toBe(true);
        expectClose(yf, T(md.forward(x)), 1e-6, 'output');
        const gf = T(mf.backward(xf, channelsLast(g.float())));
        expectClose(gf, T(md.backward(x, g)), 1e-6, 'gradInput');
        // row-major gradOutput gives the same gradInput
        expectClose(T(mf.backward(xf, g.float())), T(md.gradInput), 1e-6, 'gradInput (row-major gradOutput)');
      });

      it('CAddTable mixing channels-last and row-major inputs', () => {
        const a = randn('Double', [2, 3, 2, 2], 33);
        const b = randn('Double', [2, 3, 2, 2], 34);
        const want = T(nn.CAddTable().double().forward([a, b]));
        const got = T(nn.CAddTable().float().forward([channelsLast(a.float()), b.float()]));
        expectClose(got, want, 1e-6, 'sum');
        const ip = nn.CAddTable(true).float();
        const a2 = channelsLast(a.float());
        ip.forward([a2, channelsLast(b.float())]);
        expectClose(a2, want, 1e-6, 'in-place sum of channels-last tensors');
        expect(a2.isChannelsLast()).toBe(true);
      });
    });

    it('a module inside a container that fails names its position', () => {
      const m = nn.Sequential().add(nn.Identity()).add(nn.ConcatTable().add(nn.Linear(3, 2)));
      expect(() => m.forward(Tensor.create('Double', [2, 5]))).toThrow(/In 2 module of nn.Sequential[\s\S]*In 1 module of nn.ConcatTable[\s\S]*expected input of 3 features/);
      expect(() => nn.CAddTable().forward(Tensor.create('Double', [2]) as unknown as Activity)).toThrow(/nn.CAddTable input: expected a table, got a torch.DoubleTensor/);
    });

    it('a loaded container (modules as a LuaTable) supports add/insert/remove', () => {
      const m = loadModule('ConcatTable');
      expect(m.children()).toHaveLength(2);
      const c = m as unknown as { add(x: Module): unknown; insert(x: Module, i: number): unknown; remove(i: number): Module; size(): number };
      const id = nn.Identity();
      c.insert(id, 1);
      expect(c.size()).toBe(3);
      expect(c.remove(1)).toBe(id);
      c.add(id);
      expect(m.children()[2]).toBe(id);
    });
  });
}
