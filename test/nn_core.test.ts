// The nn core: Module protocol, Linear, Identity, View, Reshape, MulConstant against real
// Torch7 outputs (fixtures/torch7/nn) and finite differences; getParameters aliasing;
// type conversion; structure helpers; tfjs memory over training steps; on cpu and wasm.

import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Tensor, setDefaultTensorType } from '../src/torch/tensor.js';
import { Storage } from '../src/torch/storage.js';
import { manualSeed } from '../src/torch/random.js';
import { nn, Module, Linear, View, Sequential } from '../src/nn/index.js';
import * as t7 from '../src/t7/index.js';
import { assertGradCheck } from './helpers/gradcheck.js';
import { BACKENDS, channelsLast, ioTensor, loadIO, loadModule, randn } from './helpers/nn_fixtures.js';
import { expectClose } from './helpers/close.js';

const T = (a: unknown) => a as Tensor;

/** Forward (training and evaluate) and backward after zeroGradParameters, as the fixtures were made. */
function checkAgainstTorch(name: string, opts: { double?: boolean; nhwc?: boolean } = {}): Module {
  const m = loadModule(name);
  const io = loadIO(name);
  const conv = (t: Tensor) => (opts.double ? t.double() : opts.nhwc && t.dim() === 4 ? channelsLast(t) : t);
  if (opts.double) m.double();
  const input = conv(ioTensor(io, 'input'));
  const gradOutput = conv(ioTensor(io, 'gradOutput'));
  m.training();
  expectClose(m.forward(input), ioTensor(io, 'output'), 1e-5, `${name} output (training)`);
  m.evaluate();
  expectClose(m.forward(input), ioTensor(io, 'output_evaluate'), 1e-5, `${name} output (evaluate)`);
  m.training();
  m.zeroGradParameters();
  m.forward(input);
  expectClose(m.backward(input, gradOutput), ioTensor(io, 'gradInput'), 1e-5, `${name} gradInput`);
  if (io.has('gradWeight')) expectClose(m.fields.get('gradWeight'), ioTensor(io, 'gradWeight'), 1e-5, `${name} gradWeight`);
  if (io.has('gradBias')) expectClose(m.fields.get('gradBias'), ioTensor(io, 'gradBias'), 1e-5, `${name} gradBias`);
  return m;
}

for (const backend of BACKENDS) {
  describe(`nn core on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend), `tf.setBackend('${backend}')`).toBe(true);
      await tf.ready();
    });

    describe('against Torch7', () => {
      for (const name of ['Linear', 'Linear_1d', 'Identity', 'View']) {
        it(`${name} (Float on tfjs)`, () => {
          checkAgainstTorch(name);
        });
        it(`${name} (Double on the host)`, () => {
          checkAgainstTorch(name, { double: true });
        });
      }

      it('View of an activation held channels-last on the device gives Torch\'s row-major result, as Torch\'s views', () => {
        const m = checkAgainstTorch('View', { nhwc: true }) as View;
        const io = loadIO('View');
        // Torch's View: output views the input, gradInput views gradOutput, both contiguous.
        const gi = T(m.gradInput);
        expect(gi.size()).toEqual(ioTensor(io, 'input').size());
        expect(gi.isContiguous()).toBe(true);
        expect(T(m.output).isContiguous()).toBe(true);
        expect(T(m.output).view(-1).nElement()).toBe(gi.nElement());
      });

      it('a loaded Linear keeps its fields and prints as Torch', () => {
        const m = loadModule<Linear>('Linear');
        expect(m).toBeInstanceOf(Linear);
        expect(m.__tostring__()).toBe('nn.Linear(5 -> 3)');
        expect(m.type()).toBe('torch.FloatTensor');
        expect([...m.fields.keys()].sort()).toEqual(['_type', 'bias', 'gradBias', 'gradInput', 'gradWeight', 'output', 'weight']);
      });
    });

    describe('finite differences (double precision)', () => {
      it('Linear: 2-d and 1-d input, with and without bias', () => {
        manualSeed(1);
        const m = nn.Linear(6, 4).double();
        assertGradCheck(m, randn('Double', [3, 6], 2));
        assertGradCheck(m, randn('Double', [6], 3));
        const nb = nn.Linear(5, 2, false).double();
        expect(nb.parameters()![0]).toHaveLength(1);
        assertGradCheck(nb, randn('Double', [4, 5], 4));
      });

      it('Sequential of Linear, MulConstant, View, Reshape, Identity', () => {
        manualSeed(2);
        const m = nn.Sequential()
          .add(nn.Linear(6, 8))
          .add(nn.MulConstant(0.5))
          .add(nn.View(2, 4).setNumInputDims(1))
          .add(nn.Reshape(8))
          .add(nn.Identity())
          .add(nn.Linear(8, 3))
          .double();
        const r = assertGradCheck(m, randn('Double', [5, 6], 5));
        expect(r.params).toHaveLength(4);
      });

      it('after getParameters (parameters are views of one flat storage)', () => {
        manualSeed(3);
        const m = nn.Sequential().add(nn.Linear(4, 3)).add(nn.Linear(3, 2)).double();
        m.getParameters();
        assertGradCheck(m, randn('Double', [2, 4], 6));
      });

      it('MulConstant in place restores its input', () => {
        const m = nn.MulConstant(-2.5, true).double();
        const x = randn('Double', [3, 4], 7);
        const before = x.values();
        const y = T(m.forward(x));
        expect(y.values()).toEqual(before.map((v) => v * -2.5));
        const g = randn('Double', [3, 4], 8);
        const gv = g.values();
        m.backward(x, g);
        expect(T(m.gradInput).values()).toEqual(gv.map((v) => v * -2.5));
        x.values().forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 14));
      });
    });

    describe('Float (tfjs) agrees with Double (host)', () => {
      it('Linear, View, Reshape, MulConstant on channels-last input', () => {
        manualSeed(4);
        const mk = () =>
          nn.Sequential().add(nn.MulConstant(1.5)).add(nn.View(-1).setNumInputDims(3)).add(nn.Linear(12, 5)).add(nn.Reshape(5, 1));
        const md = mk().double();
        const mf = mk().float();
        mf.getParameters()[0].copy(md.getParameters()[0]);
        const x = randn('Double', [2, 3, 2, 2], 9);
        const g = randn('Double', [2, 5, 1], 10);
        const yd = T(md.forward(x));
        const gd = T(md.backward(x, g));
        const xf = channelsLast(x.float());
        const yf = T(mf.forward(xf));
        const gf = T(mf.backward(xf, g.float()));
        expectClose(yf, yd, 1e-5, 'output');
        expectClose(gf, gd, 1e-5, 'gradInput');
        expect(gf.isContiguous()).toBe(true);
        expect(gf.stride()).toEqual([12, 4, 2, 1]);
        const [, gpd] = md.getParameters();
        const [, gpf] = mf.getParameters();
        expectClose(gpf, gpd, 1e-5, 'gradParameters');
      });
    });

    describe('getParameters', () => {
      it('flattens into one storage; writing either side is seen by the other', () => {
        manualSeed(5);
        const a = nn.Linear(4, 3);
        const b = nn.Linear(3, 2);
        const m = nn.Sequential().add(a).add(b).float();
        const before = [a.weight, a.bias!, b.weight, b.bias!].map((t) => t.values());
        const [p, g] = m.getParameters();
        expect(p.nElement()).toBe(12 + 3 + 6 + 2);
        expect(g.nElement()).toBe(p.nElement());
        expect(p.values()).toEqual(before.flat());
        for (const t of [a.weight, a.bias!, b.weight, b.bias!]) expect(t.storage()).toBe(p.storage());
        for (const t of [a.gradWeight, a.gradBias!, b.gradWeight, b.gradBias!]) expect(t.storage()).toBe(g.storage());
        expect([a.weight, a.bias!, b.weight, b.bias!].map((t) => t.storageOffset())).toEqual([1, 13, 16, 22]);
        expect(a.gradBias!.storageOffset()).toBe(13);

        // flat -> module
        p.put(14, 42);
        expect(a.bias!.get(2)).toBe(42);
        // module -> flat
        b.weight.put(2, 3, -7);
        expect(p.get(16 + 5)).toBe(-7);
        // gradients: backward writes into the flat gradient
        const x = randn('Float', [2, 4], 11);
        m.zeroGradParameters();
        m.forward(x);
        m.backward(x, randn('Float', [2, 2], 12));
        expect(g.values().slice(12, 15)).toEqual(a.gradBias!.values());
        expect(g.values().some((v) => v !== 0)).toBe(true);
        // updateParameters goes through the flat storage too
        const pBefore = p.values();
        const gNow = g.values();
        m.updateParameters(0.5);
        p.values().forEach((v, i) => expect(v).toBeCloseTo(pBefore[i]! - 0.5 * gNow[i]!, 5));
        // a second call keeps the same layout
        const [p2] = m.getParameters();
        expect(p2.values()).toEqual(p.values());
        expect(a.weight.storage()).toBe(p2.storage());
      });

      it('keeps shared storages shared and squeezes out unused elements', () => {
        const a = nn.Linear(3, 2).double();
        const b = nn.Linear(3, 2).double();
        // b shares a's weight and gradWeight (Torch's share('weight', 'gradWeight')).
        b.weight.set(a.weight);
        b.gradWeight.set(a.gradWeight);
        // a's bias is a narrow view of a bigger storage: the rest must be dropped.
        const big = Tensor.create('Double', [5]);
        [10, 20, 30, 40, 50].forEach((v, i) => big.put(i + 1, v));
        a.bias!.set(big.narrow(1, 2, 2));
        const bigG = Tensor.create('Double', [5]);
        a.gradBias!.set(bigG.narrow(1, 2, 2));
        const m = nn.Sequential().add(a).add(b);
        const [p, g] = m.getParameters();
        expect(p.nElement()).toBe(6 + 2 + 2);
        expect(g.nElement()).toBe(p.nElement());
        expect(a.weight.storage()).toBe(b.weight.storage());
        expect(a.weight.storageOffset()).toBe(b.weight.storageOffset());
        expect(a.bias!.values()).toEqual([20, 30]);
        p.put(a.weight.storageOffset(), 99);
        expect(b.weight.get(1, 1)).toBe(99);
      });

      it('a module without parameters gives empty flat tensors', () => {
        const [p, g] = nn.Identity().getParameters();
        expect(p.nElement()).toBe(0);
        expect(g.nElement()).toBe(0);
      });
    });

    describe('Module API', () => {
      it('constructs without new and with new; instanceof works', () => {
        manualSeed(6);
        const a = nn.Linear(10, 5);
        const b = new nn.Linear(10, 5);
        expect(a).toBeInstanceOf(nn.Linear);
        expect(b).toBeInstanceOf(Linear);
        expect(a).toBeInstanceOf(Module);
        expect(a.__tostring__()).toBe('nn.Linear(10 -> 5)');
        expect(nn.Linear(3, 2, false).__tostring__()).toBe('nn.Linear(3 -> 2) without bias');
      });

      it('reset draws weight then bias from uniform(-1/sqrt(in), 1/sqrt(in)) as Torch (same draws as the fixture)', () => {
        // The fixture was built with Float as the default type (Torch draws Float tensors in float arithmetic).
        setDefaultTensorType('torch.FloatTensor');
        let m: Linear;
        try {
          manualSeed(1);
          m = nn.Linear(5, 3);
        } finally {
          setDefaultTensorType('torch.DoubleTensor');
        }
        expect(m.weight.className()).toBe('torch.FloatTensor');
        expect(m.type()).toBe('torch.FloatTensor');
        const ref = loadModule<Linear>('Linear');
        expect(m.weight.values()).toEqual(ref.weight.values());
        expect(m.bias!.values()).toEqual(ref.bias!.values());
      });

      it('type/float/double convert every tensor, keep sharing and set _type', () => {
        const a = nn.Linear(3, 2).double();
        const s = nn.Sequential().add(a).add(nn.Identity());
        const w = a.weight;
        a.fields.set('alias', w.narrow(1, 2, 1));
        s.float();
        expect(s.type()).toBe('torch.FloatTensor');
        expect(a.type()).toBe('torch.FloatTensor');
        expect(a.weight.className()).toBe('torch.FloatTensor');
        expect(T(a.output).className()).toBe('torch.FloatTensor');
        const alias = a.fields.get('alias') as Tensor;
        expect(alias.storage()).toBe(a.weight.storage());
        expect(alias.storageOffset()).toBe(4);
        s.type('torch.CudaTensor');
        expect(a.weight.className()).toBe('torch.CudaTensor');
        expect(a.type()).toBe('torch.CudaTensor');
      });

      it('training/evaluate reach every module', () => {
        const inner = nn.Identity();
        const s = nn.Sequential().add(nn.Sequential().add(inner));
        s.evaluate();
        expect(inner.train).toBe(false);
        expect(inner.fields.get('train')).toBe(false);
        s.training();
        expect(inner.train).toBe(true);
      });

      it('add/get/size/insert/remove, listModules, findModules, apply, replace', () => {
        const l1 = nn.Linear(2, 2);
        const l2 = nn.Linear(2, 2);
        const id = nn.Identity();
        const inner = nn.Sequential().add(l2);
        const s = nn.Sequential().add(l1).add(inner);
        expect(s.size()).toBe(2);
        expect(s.get(1)).toBe(l1);
        expect(s.output).toBe(inner.output);
        s.insert(id, 1);
        expect(s.modules).toEqual([id, l1, inner]);
        expect(s.gradInput).toBe(id.gradInput);
        expect(s.listModules()).toEqual([s, id, l1, inner, l2]);
        const [found, containers] = s.findModules('nn.Linear');
        expect(found).toEqual([l1, l2]);
        expect(containers).toEqual([s, inner]);
        const names: string[] = [];
        s.apply((m) => names.push(m.className));
        expect(names).toEqual(['nn.Sequential', 'nn.Identity', 'nn.Linear', 'nn.Sequential', 'nn.Linear']);
        expect(s.remove(1)).toBe(id);
        expect(s.size()).toBe(2);
        expect(s.gradInput).toBe(l1.gradInput);
        expect(() => s.insert(id, 5)).toThrow(/contiguous/);
        expect(() => s.get(9)).toThrow(/no module at index 9/);
        const swapped = s.replace((m) => (m === l2 ? id : m));
        expect(swapped).toBe(s);
        expect(inner.get(1)).toBe(id);
      });

      it('clearState empties buffers (and keeps tensors other modules alias)', () => {
        const l = nn.Linear(3, 2).double();
        const id = nn.Identity();
        const s = nn.Sequential().add(l).add(id);
        const x = randn('Double', [4, 3], 13);
        s.forward(x);
        const lOut = T(l.output);
        expect(id.output).toBe(lOut);
        s.clearState();
        expect(T(l.output).nElement()).toBe(0);
        expect(T(s.output).nElement()).toBe(0);
        // Identity's output aliased l's output: Identity replaces its reference instead of emptying it.
        expect(id.output).not.toBe(lOut);
        // The module still works after clearState.
        expect(T(s.forward(x)).size()).toEqual([4, 2]);
      });

      it('errors name the module and what was found', () => {
        const s = nn.Sequential().add(nn.Linear(3, 2));
        expect(() => s.forward(Tensor.create('Double', [2, 4]))).toThrow(/In 1 module of nn.Sequential[\s\S]*nn.Linear: expected input of 3 features, got sizes \[2, 4\]/);
        expect(() => nn.View(-1, -1)).toThrow(/only one dimension can be at -1/);
        expect(() => nn.View(3).forward(Tensor.create('Double', [2, 2]))).toThrow(/input view \(2x2\) and desired view \(3\) do not match/);
        const unknown = new Module('nn.SomethingElse');
        expect(() => unknown.forward(Tensor.create('Double', [1]))).toThrow(/nn.SomethingElse: updateOutput is not implemented by mpelu/);
      });

      it('View batch rules: setNumInputDims, -1, no batch', () => {
        const v = nn.View(4);
        expect(T(v.forward(Tensor.create('Double', [2, 2]))).size()).toEqual([4]);
        expect(T(v.forward(Tensor.create('Double', [3, 2, 2]))).size()).toEqual([3, 4]);
        const vn = nn.View(-1).setNumInputDims(3);
        expect(T(vn.forward(Tensor.create('Double', [5, 2, 3, 4]))).size()).toEqual([5, 24]);
        expect(T(vn.forward(Tensor.create('Double', [2, 3, 4]))).size()).toEqual([24]);
        const v2 = nn.View(2, -1);
        expect(T(v2.forward(Tensor.create('Double', [3, 4]))).size()).toEqual([2, 6]);
        expect(v2.__tostring__()).toBe('nn.View(2, -1)');
        expect(nn.View(new Storage('Long', 0)).__tostring__()).toBe('nn.View()');
        // A contiguous input is viewed, not copied (Torch semantics).
        const x = Tensor.create('Double', [2, 2]);
        const y = T(v.forward(x));
        expect(y.storage()).toBe(x.storage());
        expect(nn.Reshape(2, 3).__tostring__()).toBe('nn.Reshape(2x3)');
        expect(T(nn.Reshape(2, 3).forward(Tensor.create('Double', [4, 6]))).size()).toEqual([4, 2, 3]);
        expect(T(nn.Reshape(6, false).forward(Tensor.create('Double', [2, 3]))).size()).toEqual([6]);
      });
    });

    describe('tfjs memory', () => {
      it('numTensors stays flat over 20 forward/backward/update steps of a small residual network', () => {
        manualSeed(7);
        const block = () =>
          nn.Sequential()
            .add(nn.ConcatTable().add(nn.Sequential().add(nn.Linear(8, 8)).add(nn.MulConstant(0.5))).add(nn.Identity()))
            .add(nn.CAddTable(true));
        const net = nn.Sequential()
          .add(nn.View(-1).setNumInputDims(3))
          .add(nn.Linear(8, 8))
          .add(block())
          .add(block())
          .add(nn.Concat(2).add(nn.Linear(8, 3)).add(nn.Linear(8, 2)))
          .float();
        const crit = nn.CrossEntropyCriterion().float();
        const [params, grads] = net.getParameters();
        const x = channelsLast(randn('Float', [4, 2, 2, 2], 14));
        const target = Tensor.fromArray('Float', [1, 5, 2, 3]);
        const step = () => {
          grads.storage().fill(0);
          const y = net.forward(x);
          crit.forward(y, target);
          net.backward(x, crit.backward(y, target));
          net.updateParameters(0.01);
          return crit.output;
        };
        step();
        step();
        const start = tf.memory().numTensors;
        const losses: number[] = [];
        for (let i = 0; i < 20; i++) losses.push(step());
        expect(tf.memory().numTensors).toBe(start);
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(losses[19]!).toBeLessThan(losses[0]!);
      });

      it('numTensors stays flat without getParameters (parameters accumulate on the device)', () => {
        manualSeed(8);
        const net = nn.Sequential().add(nn.Linear(6, 5)).add(nn.LogSoftMax()).float();
        const crit = nn.ClassNLLCriterion().float();
        const x = randn('Float', [3, 6], 15);
        const target = Tensor.fromArray('Long', [1, 5, 2]);
        const step = () => {
          net.zeroGradParameters();
          const y = net.forward(x);
          crit.forward(y, target);
          net.backward(x, crit.backward(y, target));
          net.updateParameters(0.1);
        };
        step();
        const start = tf.memory().numTensors;
        for (let i = 0; i < 20; i++) step();
        expect(tf.memory().numTensors).toBe(start);
      });
    });
  });
}

describe('.t7 round trip of modules built here', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it('a network saved after a forward loads back as live modules with the same fields and outputs', () => {
    manualSeed(9);
    const net = nn.Sequential()
      .add(nn.Linear(4, 6))
      .add(nn.ConcatTable().add(nn.Linear(6, 6)).add(nn.Identity()))
      .add(nn.CAddTable())
      .add(nn.View(2, 3).setNumInputDims(1))
      .add(nn.Reshape(6))
      .add(nn.MulConstant(0.5))
      .add(nn.Concat(2).add(nn.Linear(6, 2)).add(nn.Linear(6, 3)))
      .add(nn.LogSoftMax())
      .float();
    const x = randn('Float', [3, 4], 61);
    const y = T(net.forward(x)).values();
    const bytes = t7.serialize(net);
    const back = t7.deserialize(bytes) as Module;
    expect(back).toBeInstanceOf(Sequential);
    expect(back.__tostring__()).toBe(net.__tostring__());
    expect(back.listModules().map((m) => m.className)).toEqual(net.listModules().map((m) => m.className));
    expect([...back.fields.keys()]).toEqual([...net.fields.keys()]);
    const y2 = T(back.forward(x)).values();
    expect(y2).toEqual(y);
    // And once more through the bytes the loaded module writes.
    const again = t7.deserialize(t7.serialize(back)) as Module;
    expect(T(again.forward(x)).values()).toEqual(y);
  });
});
