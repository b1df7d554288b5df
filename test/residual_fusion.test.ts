// The residual unit's add made in the convolution kernels' store (nn.ConcatTable{branch,
// nn.Identity} then CAddTable(true); src/nn/addend.ts): forward, the branch's last 1x1 conv
// writes conv + input; backward (consumed gradInputs released), its first 1x1 conv writes
// dx + the Identity's gradient. The same bits as the separate adds, with fewer passes.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Storage } from '../src/torch/storage.js';
import { initBackendInfo } from '../src/backend/index.js';
import { setReleaseGradInputs } from '../src/nn/release.js';
import { setResidualFusion } from '../src/nn/addend.js';
import { Tensor } from '../src/torch/tensor.js';
import { CAddTable } from '../src/nn/CAddTable.js';
import { SimdKernels } from '../src/backend/wasm/mpelu_batchnorm.js';
import { nn, type Module } from '../src/nn/index.js';
import { countDiffering, trainSmallResnet } from './helpers/resnet_steps.js';

beforeAll(async () => {
  await initBackendInfo('wasm');
});
afterEach(() => {
  setReleaseGradInputs(false);
  setResidualFusion(true);
});

/** Counts the residual adds that still run as a pass of their own, and the fused forwards. */
function counting<T>(fn: () => T): { result: T; addPasses: number; adopted: number } {
  const proto = SimdKernels.prototype as unknown as { add: (...a: unknown[]) => void };
  const add = proto.add;
  const adopt = CAddTable.prototype.adoptSum;
  let addPasses = 0;
  let adopted = 0;
  proto.add = function (this: unknown, ...a: unknown[]) {
    addPasses++;
    return add.apply(this, a);
  };
  CAddTable.prototype.adoptSum = function (this: CAddTable, first: Tensor) {
    adopted++;
    return adopt.call(this, first);
  };
  try {
    return { result: fn(), addPasses, adopted };
  } finally {
    proto.add = add;
    CAddTable.prototype.adoptSum = adopt;
  }
}

/** One bottleneck unit as the MPELU ResNet builds it: identity shortcut, 1x1 convs at both ends. */
function unit(planes: number, bias = false): Module {
  const conv = (i: number, o: number, k: number) => {
    const c = nn.SpatialConvolution(i, o, k, k, 1, 1, (k - 1) / 2, (k - 1) / 2);
    if (!bias) c.noBias();
    return c;
  };
  const branch = nn.Sequential().add(conv(planes, 16, 1)).add(nn.SpatialBatchNormalization(16)).add(nn.MPELU(0.25, 1, 16)).add(conv(16, 16, 3)).add(conv(16, planes, 1));
  return nn.Sequential().add(nn.ConcatTable().add(branch).add(nn.Identity())).add(nn.CAddTable(true)).float();
}

describe('residual fusion', () => {
  it('trains an MPELU ResNet-20 bit for bit as the separate adds, with and without released gradInputs', () => {
    for (const release of [true, false]) {
      setReleaseGradInputs(release);
      setResidualFusion(false);
      const plain = counting(() => trainSmallResnet(3, 20));
      setResidualFusion(true);
      const fused = counting(() => trainSmallResnet(3, 20));
      expect(fused.result.losses).toEqual(plain.result.losses);
      expect(countDiffering(fused.result.params, plain.result.params)).toBe(0);
      // ResNet-20: 3 identity units (fused) and 3 with a projection shortcut (not), 3 steps;
      // backward fused only while consumed gradInputs are released
      expect(fused.adopted).toBe(9);
      expect(plain.adopted).toBe(0);
      expect(plain.addPasses).toBe(3 * 12);
      expect(fused.addPasses).toBe(3 * (release ? 6 : 9));
    }
  });

  it("leaves every module's output and gradInput as the unfused pass does (the in-place add's state)", () => {
    const model = unit(64);
    const x = Tensor.create('Float', [2, 64, 6, 6]).normal(0, 1);
    const g = Tensor.create('Float', [2, 64, 6, 6]).normal(0, 1);
    const run = (fused: boolean) => {
      setResidualFusion(fused);
      const y = (model.forward(x) as Tensor).clone();
      const gi = (model.backward(x, g) as Tensor).clone();
      const ct = model.get(1);
      const branch = ct.get(1);
      return { y, gi, conv3: (branch.get(5).output as Tensor).clone(), conv1: (branch.get(1).gradInput as Tensor).clone(), sharesOut: (model.output as Tensor).storage() === (branch.get(5).output as Tensor).storage() };
    };
    const plain = run(false);
    const fused = run(true);
    for (const k of ['y', 'gi', 'conv3', 'conv1'] as const) expect(countDiffering(fused[k].values() as Float32Array, plain[k].values() as Float32Array)).toBe(0);
    // as Torch's CAddTable(true): the sum is in the last conv's output, which the unit's output views
    expect(fused.sharesOut).toBe(true);
    expect(plain.sharesOut).toBe(true);
  });

  it('with released gradInputs: the unit gradInput is the sum and the branch gradInput is emptied', () => {
    setReleaseGradInputs(true);
    const model = unit(32);
    const x = Tensor.create('Float', [2, 32, 5, 5]).normal(0, 1);
    const g = Tensor.create('Float', [2, 32, 5, 5]).normal(0, 1);
    setResidualFusion(false);
    model.forward(x);
    const plain = (model.backward(x, g) as Tensor).clone();
    setResidualFusion(true);
    model.forward(x);
    const { result: gi, addPasses } = counting(() => model.backward(x, g) as Tensor);
    expect(addPasses).toBe(0);
    expect(countDiffering(gi.values() as Float32Array, plain.values() as Float32Array)).toBe(0);
    expect(gi.size()).toEqual([2, 32, 5, 5]);
    expect((model.get(1).get(1).get(1).gradInput as Tensor).nElement()).toBe(0);
  });

  it('leaves no tfjs tensor behind from step to step (the sum moves into the unit gradInput buffer)', () => {
    setReleaseGradInputs(true);
    const model = unit(64);
    const x = Tensor.create('Float', [2, 64, 4, 4]).normal(0, 1);
    const g = Tensor.create('Float', [2, 64, 4, 4]).normal(0, 1);
    const live: number[] = [];
    let gi: Tensor | undefined;
    for (let i = 0; i < 6; i++) {
      model.forward(x);
      gi = model.backward(x, g) as Tensor;
      live.push(tf.memory().numTensors);
    }
    expect(new Set(live.slice(1)).size).toBe(1);
    // the unit's gradInput keeps its own storage from step to step (views of it see new values)
    const storage = gi!.storage();
    model.forward(x);
    expect((model.backward(x, g) as Tensor).storage()).toBe(storage);
  });

  it('Storage.takeContentsOf moves device and host values without a copy and empties the source', () => {
    const onDevice = Tensor.create('Float', [2, 3]).normal(0, 1);
    onDevice.setTF(tf.tensor2d([[1, 2, 3], [4, 5, 6]]));
    const into = new Storage('Float', 4);
    into.takeContentsOf(onDevice.storage());
    expect(Array.from(into.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(onDevice.storage().size()).toBe(0);
    const onHost = new Storage('Float', Float32Array.from([7, 8]));
    into.takeContentsOf(onHost);
    expect(Array.from(into.data())).toEqual([7, 8]);
    expect(onHost.size()).toBe(0);
    expect(() => into.takeContentsOf(new Storage('Double', 1))).toThrow(/Float storage cannot take a Double/);
  });

  it('falls back to the separate add where the kernel cannot take it (a conv with bias, channels off the tile)', () => {
    for (const [planes, bias] of [[64, true], [24, false]] as const) {
      const model = unit(planes, bias);
      const x = Tensor.create('Float', [2, planes, 4, 4]).normal(0, 1);
      const g = Tensor.create('Float', [2, planes, 4, 4]).normal(0, 1);
      setResidualFusion(false);
      const y0 = (model.forward(x) as Tensor).clone();
      const g0 = (model.backward(x, g) as Tensor).clone();
      setResidualFusion(true);
      const fused = counting(() => [(model.forward(x) as Tensor).clone(), (model.backward(x, g) as Tensor).clone()]);
      expect(countDiffering(fused.result[0]!.values() as Float32Array, y0.values() as Float32Array)).toBe(0);
      expect(countDiffering(fused.result[1]!.values() as Float32Array, g0.values() as Float32Array)).toBe(0);
      if (bias) expect(fused.adopted).toBe(0); // the biased conv declines the forward add
    }
  });

  it("names the CAddTable (not the ConcatTable) when the sum's inputs do not match", () => {
    const branch = nn.Sequential().add(nn.SpatialConvolution(32, 64, 1, 1).noBias());
    const model = nn.Sequential().add(nn.ConcatTable().add(branch).add(nn.Identity())).add(nn.CAddTable(true)).float();
    const x = Tensor.create('Float', [2, 32, 4, 4]).normal(0, 1);
    for (const fused of [true, false]) {
      setResidualFusion(fused);
      expect(() => model.forward(x)).toThrow(/In 2 module of nn.Sequential \(updateOutput\):\nnn.CAddTable: input\[2\]/);
    }
  });

  it('declines a unit whose module has a method replaced on the instance', () => {
    const model = unit(32);
    const identity = model.get(1).get(2);
    const own = identity.updateOutput.bind(identity);
    identity.updateOutput = (input: Tensor) => own(input);
    const x = Tensor.create('Float', [2, 32, 4, 4]).normal(0, 1);
    const { adopted } = counting(() => model.forward(x));
    expect(adopted).toBe(0);
  });
});
