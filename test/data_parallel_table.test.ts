// nn.DataParallelTable: two replicas against the single-model run they stand for.
// cunn splits the batch (sliceRange), runs replica i on slice i, joins the outputs, sums
// the replicas' gradients onto replica 1 and copies replica 1's parameters to the others
// before the next forward. So: (a) with batch norm, it must equal two copies of the model
// run one after another on the two halves, bit for bit, each with its own running
// statistics; (b) without batch norm, it must equal the single model on the whole batch
// up to float rounding (the gradient is summed in another order).

import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Tensor } from '../src/torch/tensor.js';
import { manualSeed } from '../src/torch/random.js';
import { nn, cudnn, Module, Sequential } from '../src/nn/index.js';
import { DataParallelTable, sliceRange } from '../src/nn/DataParallelTable.js';
import { sgd } from '../src/optim/sgd.js';
import { serialize, deserialize } from '../src/t7/index.js';

function withBatchNorm(): Sequential {
  return nn.Sequential()
    .add(cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1))
    .add(nn.SpatialBatchNormalization(4))
    .add(nn.MPELU(0.25, 1, 4))
    .add(cudnn.SpatialAveragePooling(6, 6, 1, 1))
    .add(nn.View(4).setNumInputDims(3))
    .add(nn.Linear(4, 3))
    .float();
}

function withoutBatchNorm(): Sequential {
  return nn.Sequential()
    .add(nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1))
    .add(nn.MPELU(0.25, 1, 4))
    .add(nn.SpatialAveragePooling(6, 6, 1, 1))
    .add(nn.View(4).setNumInputDims(3))
    .add(nn.Linear(4, 3))
    .float();
}

/** An exact copy (a .t7 round trip in memory) that shares nothing. */
function copyOf<M extends Module>(m: M): M {
  return deserialize(serialize(m)) as M;
}

function batch(n: number, seed: number): [Tensor, Tensor] {
  manualSeed(seed);
  const x = Tensor.create('Float', [n, 3, 6, 6]).normal(0, 1);
  const y = Tensor.create('Long', [n]);
  for (let i = 1; i <= n; i++) y.put(i, ((i * 7) % 3) + 1);
  return [x, y];
}

function bits(t: Tensor): number[] {
  return Array.from(t.contiguous().values());
}

const sgdState = () => ({ learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, weightDecay: 1e-4 });

describe('nn.DataParallelTable', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    await tf.ready();
  });

  it("splits a batch as cunn's sliceRange does", () => {
    expect(sliceRange(64, 1, 2)).toEqual([1, 32]);
    expect(sliceRange(64, 2, 2)).toEqual([33, 32]);
    expect(sliceRange(15, 1, 2)).toEqual([1, 8]);
    expect(sliceRange(15, 2, 2)).toEqual([9, 7]);
    expect(sliceRange(10, 1, 3)).toEqual([1, 4]);
    expect(sliceRange(10, 2, 3)).toEqual([5, 3]);
    expect(sliceRange(10, 3, 3)).toEqual([8, 3]);
    expect(sliceRange(1, 2, 2)).toEqual([2, 0]);
  });

  it('two replicas with batch norm = two model copies run one after another on the halves (bit for bit), over SGD steps', () => {
    manualSeed(5);
    const model = withBatchNorm();
    // The reference: two copies, replica 2 re-synchronised from replica 1 before each forward.
    const ref1 = copyOf(model);
    const ref2 = copyOf(model);
    const [refP1, refG1] = ref1.getParameters();
    const [refP2, refG2] = ref2.getParameters();

    const dpt = new DataParallelTable(1, true).add(model, [1, 2]);
    dpt.fields.delete('gradInput'); // fb.resnet.torch: dpt.gradInput = nil
    const [params, gradParams] = dpt.getParameters();
    expect(params.nElement()).toBe(refP1.nElement());
    const criterion = nn.CrossEntropyCriterion().float();
    const refCriterion = nn.CrossEntropyCriterion().float();
    const state = sgdState();
    const refState = sgdState();
    let after = 0;

    for (let step = 1; step <= 3; step++) {
      const [x, y] = batch(7, 10 + step);
      // DataParallelTable, as train.lua drives it.
      dpt.training();
      const out = dpt.forward(x) as Tensor;
      const loss = criterion.forward(out, y);
      dpt.zeroGradParameters();
      criterion.backward(out, y);
      dpt.backward(x, criterion.gradInput as Tensor);
      sgd(() => [loss, gradParams], params, state);

      // The reference: replicas one after another.
      refP2.copy(refP1);
      const outs = [ref1.forward(x.narrow(1, 1, 4)) as Tensor, ref2.forward(x.narrow(1, 5, 3)) as Tensor];
      const refOut = Tensor.create('Float', [7, 3]);
      refOut.narrow(1, 1, 4).copy(outs[0]!);
      refOut.narrow(1, 5, 3).copy(outs[1]!);
      const refLoss = refCriterion.forward(refOut, y);
      refG1.zero();
      refG2.zero();
      const g = refCriterion.backward(refOut, y) as Tensor;
      ref1.backward(x.narrow(1, 1, 4), g.narrow(1, 1, 4));
      ref2.backward(x.narrow(1, 5, 3), g.narrow(1, 5, 3));
      refG1.add(refG2);
      sgd(() => [refLoss, refG1], refP1, refState);

      expect(bits(out), `output, step ${step}`).toEqual(bits(refOut));
      expect(loss).toBe(refLoss);
      expect(bits(params), `parameters after step ${step}`).toEqual(bits(refP1));
      // Replica 2's gradients are zeroed after the sum, and its parameters wait for the next sync.
      const replica2 = dpt.replicas()[1]!;
      for (const g of replica2.parameters()![1]) expect(g.abs().sum()).toBe(0);
      if (step === 1) after = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors, 'no tfjs tensor leaks across steps').toBe(after);

    // Each replica keeps its own batch-norm running statistics.
    const [bn1, bn2] = dpt.replicas().map((r) => r.findModules('nn.SpatialBatchNormalization')[0][0]!);
    const refBn = [ref1, ref2].map((r) => r.findModules('nn.SpatialBatchNormalization')[0][0]!);
    expect(bits(bn1!.fields.get('running_mean') as Tensor)).toEqual(bits(refBn[0]!.fields.get('running_mean') as Tensor));
    expect(bits(bn2!.fields.get('running_mean') as Tensor)).toEqual(bits(refBn[1]!.fields.get('running_mean') as Tensor));
    expect(bits(bn1!.fields.get('running_mean') as Tensor)).not.toEqual(bits(bn2!.fields.get('running_mean') as Tensor));

    // Evaluation splits too, with each replica's running statistics.
    dpt.evaluate();
    ref1.evaluate();
    ref2.evaluate();
    const [x] = batch(6, 99);
    const out = dpt.forward(x) as Tensor;
    refP2.copy(refP1);
    expect(bits(out.narrow(1, 1, 3))).toEqual(bits(ref1.forward(x.narrow(1, 1, 3)) as Tensor));
    expect(bits(out.narrow(1, 4, 3))).toEqual(bits(ref2.forward(x.narrow(1, 4, 3)) as Tensor));
  });

  it('without batch norm, two replicas = the single model on the whole batch (within float rounding)', () => {
    manualSeed(6);
    const model = withoutBatchNorm();
    const single = copyOf(model);
    const [sp, sg] = single.getParameters();
    const dpt = new DataParallelTable(1).add(model, [1, 2]);
    const [p, gp] = dpt.getParameters();
    const [x, y] = batch(8, 3);
    const crit = nn.CrossEntropyCriterion().float();
    const out = dpt.forward(x) as Tensor;
    crit.forward(out, y);
    dpt.zeroGradParameters();
    const gin = dpt.backward(x, crit.backward(out, y) as Tensor) as Tensor;
    const sout = single.forward(x) as Tensor;
    crit.forward(sout, y);
    sg.zero();
    const sgin = single.backward(x, crit.backward(sout, y) as Tensor) as Tensor;
    const close = (a: Tensor, b: Tensor) => {
      const av = a.contiguous().values();
      const bv = b.contiguous().values();
      expect(av.length).toBe(bv.length);
      let scale = 0;
      for (const v of bv) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < av.length; i++) expect(Math.abs(av[i]! - bv[i]!)).toBeLessThanOrEqual(1e-5 * scale + 1e-7);
    };
    close(out, sout);
    close(gp, sg);
    close(gin, sgin);
    expect(bits(p)).toEqual(bits(sp));
  });

  it('leaves replicas with no share of a small batch idle, prints as cunn, and refuses what cunn refuses', () => {
    manualSeed(7);
    const model = withoutBatchNorm();
    const dpt = new DataParallelTable(1).add(model, [1, 2, 3]);
    const [x] = batch(2, 4);
    const out = dpt.forward(x) as Tensor;
    expect(out.size()).toEqual([2, 3]);
    expect(dpt.fields.get('maxUsedGpu')).toBe(2);
    expect(dpt.get(1)).toBe(model);
    expect(dpt.toString()).toBe(`DataParallelTable: 3 x ${model.toString()}`);
    expect(() => new DataParallelTable()).toThrow(/must specify a dimension/);
    expect(() => dpt.share()).toThrow(/Share not supported/);
    expect(() => new DataParallelTable(1).add(model, [] as number[])).toThrow(/table of GPU ids/);
    // One id at a time, as cunn's add(module, gpu) also allows.
    const one = new DataParallelTable(1).add(model, 1).add(model, 2);
    expect(one.gpus()).toEqual([1, 2]);
    expect(one.size()).toBe(1);
  });

  it('checkpoints.lua saves model:get(1): replica 1 round-trips through .t7 with its own statistics', () => {
    manualSeed(8);
    const dpt = new DataParallelTable(1, true).add(withBatchNorm(), [1, 2]);
    dpt.getParameters();
    const [x, y] = batch(4, 5);
    const crit = nn.CrossEntropyCriterion().float();
    dpt.training();
    const out = dpt.forward(x) as Tensor;
    crit.forward(out, y);
    dpt.backward(x, crit.backward(out, y) as Tensor);
    const saved = copyOf(dpt.get(1)).float().clearState();
    const bn = saved.findModules('nn.SpatialBatchNormalization')[0][0]!;
    const bn1 = dpt.replicas()[0]!.findModules('nn.SpatialBatchNormalization')[0][0]!;
    expect(bits(bn.fields.get('running_var') as Tensor)).toEqual(bits(bn1.fields.get('running_var') as Tensor));
  });
});
