// Module:clone, Module:share / Container:share and accUpdateGradParameters (Torch's
// nn.Module semantics), on the cpu and wasm backends, with Float activations on tfjs
// (channels-last) and Double ones on the host; SpatialMaxPooling's `indices` against
// Torch7's routing of the io_SpatialMaxPooling_2x2 fixture; tf.memory() stays flat.

import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { Tensor } from '../src/torch/tensor.js';
import { manualSeed } from '../src/torch/random.js';
import { nn, Module, Sequential, Linear, SpatialConvolution, SpatialMaxPooling } from '../src/nn/index.js';
import { serialize } from '../src/t7/index.js';
import { BACKENDS, channelsLast, ioTensor, loadIO, loadModule, randn } from './helpers/nn_fixtures.js';
import { expectClose } from './helpers/close.js';

type Kind = 'Float' | 'Double';

/** conv -> BN -> ReLU -> max pool -> View -> Linear, built from seed 1 in the given type. */
function makeNet(kind: Kind): Sequential {
  manualSeed(1);
  const net = new Sequential()
    .add(new SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1))
    .add(nn.SpatialBatchNormalization(4) as Module)
    .add(nn.ReLU() as Module)
    .add(new SpatialMaxPooling(2, 2))
    .add((nn.View(4 * 3 * 3) as unknown as { setNumInputDims(n: number): Module }).setNumInputDims(3))
    .add(new Linear(4 * 3 * 3, 5));
  return kind === 'Double' ? net.double() : net.float();
}

/** The input as modules hand it on: Float as a channels-last device activation, Double on the host. */
function input(kind: Kind, seed: number): Tensor {
  const x = randn(kind, [2, 3, 6, 6], seed);
  return kind === 'Float' ? channelsLast(x) : x;
}

const T = (a: unknown) => a as Tensor;
const vals = (t: Tensor) => Array.from(t.values());

for (const backend of BACKENDS) {
  describe(`clone, share and accUpdateGradParameters on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend();
      expect(await tf.setBackend(backend), `tf.setBackend('${backend}')`).toBe(true);
      await tf.ready();
    });

    for (const kind of ['Float', 'Double'] as const) {
      it(`clone() is an independent deep copy with identical outputs (${kind})`, () => {
        const net = makeNet(kind);
        const x = input(kind, 11);
        net.forward(x); // outputs (and on Float, device storages) exist before the clone
        net.fields.set('__userField', 'kept');
        const conv = net.get(1) as SpatialConvolution;
        conv.fields.set('__weightLearningRate', 0.5);
        const before = tf.memory().numTensors;
        const copy = net.clone();
        expect(tf.memory().numTensors, 'clone makes no tfjs tensors').toBe(before);
        expect(copy).toBeInstanceOf(Sequential);
        expect(copy).not.toBe(net);
        expect(copy.fields.get('__userField')).toBe('kept');
        expect(copy.get(1).fields.get('__weightLearningRate')).toBe(0.5);
        // Every field survives: the clone serializes to the original's bytes.
        expect(Buffer.from(serialize(copy)).equals(Buffer.from(serialize(net))), 'clone serializes as the original').toBe(true);

        const want = vals(T(net.forward(x)));
        expect(vals(T(copy.forward(x)))).toEqual(want);
        const [pc] = copy.parameters();
        const [pn] = net.parameters();
        pc.forEach((p, i) => expect(p.storage(), `parameter ${i + 1} has its own storage`).not.toBe(pn[i]!.storage()));

        const w0 = vals(conv.weight);
        (copy.get(1) as SpatialConvolution).weight.add(1);
        expect(vals(conv.weight), "changing the clone's weight leaves the original's").toEqual(w0);
        expect(vals(T(net.forward(x))), 'original output unchanged').toEqual(want);
        expect(vals(T(copy.forward(x))), "the clone's output follows its own weight").not.toEqual(want);
      });

      it(`clone() keeps tensors that shared a storage sharing one (${kind})`, () => {
        const net = makeNet(kind);
        const [flat] = net.getParameters();
        const copy = net.clone();
        const [params] = copy.parameters();
        const s = params[0]!.storage();
        expect(s.size()).toBe(flat.nElement());
        params.forEach((p, i) => expect(p.storage(), `parameter ${i + 1} views the one flat storage`).toBe(s));
        expect(s).not.toBe(flat.storage());
      });

      it(`clone('weight', 'bias') shares the parameters but not the gradients (${kind})`, () => {
        const net = makeNet(kind);
        const x = input(kind, 12);
        const copy = net.clone('weight', 'bias');
        const [pn, gn] = net.parameters();
        const [pc, gc] = copy.parameters();
        expect(pc).toHaveLength(pn.length);
        pc.forEach((p, i) => {
          expect(p.isSetTo(pn[i]!), `parameter ${i + 1} views the original's`).toBe(true);
          expect(gc[i]!.storage(), `gradient ${i + 1} is its own`).not.toBe(gn[i]!.storage());
          expect(gc[i]!.size()).toEqual(gn[i]!.size());
        });
        expect(vals(T(copy.forward(x)))).toEqual(vals(T(net.forward(x))));

        // A write through either shows in the other.
        const lin = net.get(6) as Linear;
        const linCopy = copy.get(6) as Linear;
        linCopy.weight.put(1, 1, 3.5);
        expect(lin.weight.get(1, 1)).toBe(3.5);
        lin.bias!.fill(-0.25);
        expect(vals(linCopy.bias!)).toEqual(vals(lin.bias!));
        gc.forEach((g) => g.fill(7));
        gn.forEach((g, i) => expect(vals(g).every((v) => v !== 7), `gradient ${i + 1} untouched`).toBe(true));
        // Torch marks the leaves that share (the containers themselves are not).
        expect(lin.fields.get('shared')).toBe(true);
        expect(linCopy.fields.get('shared')).toBe(true);
        expect(net.fields.get('shared')).toBeUndefined();
        expect(copy.get(3).fields.get('shared'), 'ReLU has no weight: not marked').toBeUndefined();
        // Buffers are not parameters: the BN running statistics stay separate.
        expect(copy.get(2).fields.get('running_mean')).not.toBe(net.get(2).fields.get('running_mean'));
      });

      it(`share() across a Sequential makes each child view the other's tensors (${kind})`, () => {
        const a = makeNet(kind);
        manualSeed(99);
        const b = new Sequential()
          .add(new SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1))
          .add(nn.SpatialBatchNormalization(4) as Module)
          .add(nn.ReLU() as Module)
          .add(new SpatialMaxPooling(2, 2))
          .add((nn.View(4 * 3 * 3) as unknown as { setNumInputDims(n: number): Module }).setNumInputDims(3))
          .add(new Linear(4 * 3 * 3, 5));
        if (kind === 'Double') b.double();
        else b.float();
        const x = input(kind, 13);
        expect(vals(T(b.forward(x)))).not.toEqual(vals(T(a.forward(x))));
        expect(b.share(a, 'weight', 'bias', 'gradWeight', 'gradBias')).toBe(b);
        const [pa, ga] = a.parameters();
        const [pb, gb] = b.parameters();
        pb.forEach((p, i) => expect(p.isSetTo(pa[i]!)).toBe(true));
        gb.forEach((g, i) => expect(g.isSetTo(ga[i]!)).toBe(true));
        expect(vals(T(b.forward(x)))).toEqual(vals(T(a.forward(x))));
        (a.get(1) as SpatialConvolution).weight.zero();
        expect(vals((b.get(1) as SpatialConvolution).weight).every((v) => v === 0)).toBe(true);
      });

      it(`accUpdateGradParameters equals accGradParameters + updateParameters: Linear and conv (${kind})`, () => {
        const lr = 0.3;
        const cases: [string, () => Module, Tensor, Tensor][] = [
          ['Linear', () => new Linear(6, 4), randn(kind, [3, 6], 21), randn(kind, [3, 4], 22)],
          ['SpatialConvolution', () => new SpatialConvolution(3, 4, 3, 3, 2, 2, 1, 1), input(kind, 23), randn(kind, [2, 4, 3, 3], 24)],
          ['SpatialConvolution without bias', () => (new SpatialConvolution(3, 2, 1, 1) as SpatialConvolution).noBias(), input(kind, 25), randn(kind, [2, 2, 6, 6], 26)],
        ];
        for (const [name, make, x0, g0] of cases) {
          manualSeed(5);
          const ref = make();
          if (kind === 'Double') ref.double();
          else ref.float();
          const x = x0;
          const g = kind === 'Float' && g0.dim() === 4 ? channelsLast(g0) : g0;
          const upd = ref.clone();
          const shared = ref.clone();
          const sharedPeer = shared.clone('weight', 'bias'); // marks `shared` on both: Torch's shared path
          // the reference: gradients, then a step
          ref.forward(x);
          ref.zeroGradParameters();
          ref.backward(x, g);
          ref.updateParameters(lr);
          // accUpdateGradParameters, default path: gradients untouched
          const [, gu] = upd.parameters()!;
          gu.forEach((t) => t.fill(0.125));
          upd.forward(x);
          upd.updateGradInput(x, g);
          upd.accUpdateGradParameters(x, g, lr);
          expectClose(upd.fields.get('weight'), ref.fields.get('weight') as Tensor, 1e-6, `${name} weight`);
          if (ref.fields.get('bias')) expectClose(upd.fields.get('bias'), ref.fields.get('bias') as Tensor, 1e-6, `${name} bias`);
          gu.forEach((t, i) => expect(vals(t).every((v) => v === 0.125), `${name}: gradient ${i + 1} untouched`).toBe(true));
          expect(upd.fields.get('gradWeight')).toBe(gu[0]);
          // backwardUpdate on the shared path: the step lands in the storage both share
          expect(shared.fields.get('shared')).toBe(true);
          shared.forward(x);
          shared.backwardUpdate(x, g, lr);
          expectClose(sharedPeer.fields.get('weight'), ref.fields.get('weight') as Tensor, 1e-6, `${name} weight (shared)`);
          expectClose(shared.fields.get('gradWeight'), ref.fields.get('gradWeight') as Tensor, 1e-6, `${name} gradWeight (shared path keeps it)`);
          expectClose(shared.gradInput, T(ref.gradInput), 1e-6, `${name} gradInput`);
        }
      });

      it(`a container's accUpdateGradParameters recurses with Torch's routing (${kind})`, () => {
        const lr = 0.05;
        const ref = makeNet(kind);
        const upd = ref.clone();
        const x = input(kind, 31);
        const g = randn(kind, [2, 5], 32);
        ref.forward(x);
        ref.zeroGradParameters();
        ref.backward(x, g);
        ref.updateParameters(lr);
        upd.forward(x);
        upd.zeroGradParameters();
        upd.backwardUpdate(x, g, lr);
        const [pr] = ref.parameters();
        const [pu, gu] = upd.parameters();
        pu.forEach((p, i) => expectClose(p, pr[i]!, 1e-5, `parameter ${i + 1}`));
        gu.forEach((t, i) => expect(vals(t).every((v) => v === 0), `gradient ${i + 1} untouched`).toBe(true));
        for (const m of upd.listModules()) expect(Object.prototype.hasOwnProperty.call(m, 'accGradParameters'), `${m.className} restored`).toBe(false);
      });
    }

    it('share() refuses tensors of another type, as set() does in Torch', () => {
      const a = new Linear(3, 2).double();
      const b = new Linear(3, 2).float();
      expect(() => b.share(a, 'weight')).toThrow(/torch\.FloatTensor cannot share the storage of a torch\.DoubleTensor/);
      expect(b.fields.get('_type')).toBe('torch.FloatTensor');
      expect(b.fields.get('shared')).toBeUndefined();
    });

    it('clone, share and accUpdateGradParameters keep tf.memory() flat', () => {
      const net = makeNet('Float');
      const x = input('Float', 41);
      const g = randn('Float', [2, 5], 42);
      const c = net.clone('weight', 'bias');
      const step = () => {
        // a clone reads device storages through the host and holds no tfjs tensors
        const snapshot = net.clone();
        expect(snapshot.parameters()[0].every((p) => !p.storage().onDevice())).toBe(true);
        c.forward(x);
        c.zeroGradParameters();
        c.backwardUpdate(x, g, 0.01);
        net.forward(x);
        net.updateGradInput(x, g);
        net.accUpdateGradParameters(x, g, 0.01);
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('SpatialMaxPooling indices (Double path) route Torch7\'s gradOutput to its gradInput', () => {
      const io = loadIO('SpatialMaxPooling_2x2');
      const m = loadModule<SpatialMaxPooling>('SpatialMaxPooling_2x2').double();
      const x = ioTensor(io, 'input').double();
      const y = T(m.forward(x));
      expectClose(y, ioTensor(io, 'output'), 1e-7, 'output');
      const ind = m.fields.get('indices') as Tensor;
      expect(ind.className()).toBe('torch.LongTensor');
      expect(ind.size()).toEqual(y.size());
      // THNN: the 1-based flat position of the maximum within its input plane.
      const [n, c, h, w] = x.size() as [number, number, number, number];
      const xv = x.contiguous().values();
      const iv = ind.contiguous().values();
      const yv = y.contiguous().values();
      const planeOut = yv.length / (n * c);
      const gOut = ioTensor(io, 'gradOutput').contiguous().values();
      const dx = new Float64Array(n * c * h * w);
      for (let k = 0; k < iv.length; k++) {
        const plane = Math.floor(k / planeOut);
        const at = iv[k]! - 1;
        expect(at >= 0 && at < h * w, `index ${k + 1} within the plane`).toBe(true);
        expect(xv[plane * h * w + at]).toBe(yv[k]);
        dx[plane * h * w + at] += gOut[k]!;
      }
      const want = ioTensor(io, 'gradInput').contiguous().values();
      dx.forEach((v, i) => expect(Math.abs(v - want[i]!), `gradInput element ${i + 1}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i]!))));
    });
  });
}
