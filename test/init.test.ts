// Taylor / MSRA / Xavier initialisers: the formulas, the fans, the draws in Torch7's order
// (a Torch7-made Taylor-initialised convolution reproduced from its seed), the paper's
// ResNet initialisation, and the distributions they produce.

import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '../src/t7/index.js';
import { Tensor, getDefaultTensorType, setDefaultTensorType } from '../src/torch/tensor.js';
import { Generator, manualSeed } from '../src/torch/random.js';
import { nn, type Module } from '../src/nn/index.js';
import { fanOf, fans, msra, normalFill, paperResNetInit, taylor, taylorStd, uniformFill, xavier } from '../src/init/index.js';

const NN = join(__dirname, '..', 'fixtures', 'torch7', 'nn');

/** Torch7's streams after torch.manualSeed(1) (fixtures/torch7/rng/rng_seed1.txt: uniform, then normal). */
const TORCH_SEED1 = (() => {
  const lines = new Map(readFileSync(join(__dirname, '..', 'fixtures', 'torch7', 'rng', 'rng_seed1.txt'), 'utf8').trim().split('\n').map((l) => {
    const [name, ...v] = l.trim().split(/\s+/);
    return [name!, v.map(Number)] as const;
  }));
  return { uniform: lines.get('uniform')!, normal: lines.get('normal')! };
})();
const initialType = getDefaultTensorType();

function weight(m: Module): Tensor {
  return m.fields.get('weight') as Tensor;
}

function stats(values: number[]): { mean: number; std: number; maxAbs: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  return { mean, std: Math.sqrt(variance), maxAbs: Math.max(...values.map(Math.abs)) };
}

afterEach(() => setDefaultTensorType(initialType));

describe('formulas and fans', () => {
  it('Taylor std = sqrt(2 / n / (1 + alpha^2 beta^2)); alpha = 0 is MSRA', () => {
    // values worked out by hand: sqrt(2/36/1.0625), sqrt(2/100), sqrt(2/50/2)
    expect(taylorStd(36, 0.25, 1)).toBeCloseTo(0.22866478019001177, 16);
    expect(taylorStd(100, 0, 3)).toBeCloseTo(0.1414213562373095, 16);
    expect(taylorStd(50, 1, 1)).toBeCloseTo(0.1414213562373095, 16);
    expect(() => taylorStd(0)).toThrow(/n must be positive/);
  });

  it('convolutions: fan_in = nInputPlane*kW*kH, fan_out = nOutputPlane*kW*kH; Linear: nInput, nOutput', () => {
    const conv = nn.SpatialConvolution(3, 16, 3, 5);
    expect(fans(conv)).toEqual({ fanIn: 45, fanOut: 240 });
    expect(fanOf(conv, 'average')).toBe((45 + 240) / 2);
    const lin = nn.Linear(20, 7);
    expect(fans(lin)).toEqual({ fanIn: 20, fanOut: 7 });
    expect(() => fans(nn.ReLU())).toThrow(/has no weight tensor/);
    expect(() => fans(nn.PReLU(4))).toThrow(/at least 2 dimensions/);
    expect(() => fanOf(lin, 'sideways' as 'fan_in')).toThrow(/mode must be/);
  });
});

describe("draws in Torch7's order", () => {
  it("reproduces Torch7's Taylor-initialised convolution from its seed (nn/module_SpatialConvolution_nobias_stride2)", () => {
    // Torch: default type Float, torch.manualSeed(4), nn.SpatialConvolution(3,4, 3,3, 2,2, 1,1)
    // (reset() draws weight then bias), weight:normal(0, sqrt(2/n/(1+alpha^2 beta^2))) with
    // n = kW*kH*nOutputPlane, alpha 0.25, beta 1, then bias = nil, gradBias = nil.
    const fixture = load(join(NN, 'module_SpatialConvolution_nobias_stride2.t7')) as Module;
    setDefaultTensorType('torch.FloatTensor');
    manualSeed(4);
    const conv = nn.SpatialConvolution(3, 4, 3, 3, 2, 2, 1, 1);
    paperResNetInit(nn.Sequential().add(conv), { alpha: 0.25, beta: 1 });
    expect(weight(conv).className()).toBe('torch.FloatTensor');
    expect(weight(conv).values()).toEqual(weight(fixture).values());
    expect(conv.fields.has('bias')).toBe(false);
    expect(conv.fields.has('gradBias')).toBe(false);
    expect([...conv.fields.keys()].sort()).toEqual([...fixture.fields.keys()].sort());
  });

  it("taylor(fan_out) draws Torch7's normal stream, continuing it across modules (rng/rng_seed1.txt)", () => {
    // Torch7 after torch.manualSeed(1): ten torch.uniform(), then ten torch.normal() (z).
    const gen = new Generator(1);
    const u = uniformFill(Tensor.create('Double', [10]), 0, 1, gen);
    expect(u.values()).toEqual(TORCH_SEED1.uniform);
    const z = TORCH_SEED1.normal;
    // a 3-weight conv then a 7-weight Linear: Box-Muller's pair (z[2], z[3]) straddles them
    const conv = nn.SpatialConvolution(1, 1, 1, 3).double();
    const std = taylor(conv, { alpha: 0.25, beta: 1, mode: 'fan_out', generator: gen });
    expect(std).toBeCloseTo(Math.sqrt(2 / 3 / 1.0625), 16);
    expect(weight(conv).values()).toEqual(z.slice(0, 3).map((v) => v * std));
    const lin = nn.Linear(7, 1).double();
    const std2 = taylor(lin, { alpha: 1, beta: 1, generator: gen });
    expect(weight(lin).values()).toEqual(z.slice(3, 10).map((v) => v * std2));
  });

  it('writes through views: after getParameters the flat vector holds the new weights', () => {
    const seq = nn.Sequential().add(nn.Linear(4, 3)).double();
    const [flat] = seq.getParameters();
    const lin = seq.children()[0]!;
    msra(lin, { generator: new Generator(1) });
    expect(flat.values().slice(0, 12)).toEqual(weight(lin).values());
    // A non-contiguous view is filled in logical order, as Torch7's t:normal() fills it.
    const gen = new Generator(1);
    uniformFill(Tensor.create('Double', [10]), 0, 1, gen);
    const t = Tensor.create('Double', [2, 5]).transpose(1, 2);
    normalFill(t, 0, 1, gen);
    expect(t.values()).toEqual(TORCH_SEED1.normal);
  });
});

describe('distributions', () => {
  const big = () => nn.SpatialConvolution(64, 128, 3, 3).double(); // 73,728 weights

  it('Taylor: mean 0, std sqrt(2/n/(1 + a^2 b^2)) for fan_in, fan_out and average', () => {
    for (const [mode, n] of [
      ['fan_in', 64 * 9],
      ['fan_out', 128 * 9],
      ['average', (64 * 9 + 128 * 9) / 2],
    ] as const) {
      const m = big();
      const std = taylor(m, { alpha: 0.25, beta: 2, mode, generator: new Generator(3) });
      expect(std).toBe(Math.sqrt(2 / n / (1 + 0.25 * 0.25 * 2 * 2)));
      const s = stats(weight(m).values());
      expect(Math.abs(s.mean)).toBeLessThan(4 * std / Math.sqrt(73728));
      expect(Math.abs(s.std / std - 1)).toBeLessThan(0.01);
    }
  });

  it('MSRA: std sqrt(2 / fan_in), the Taylor filler with alpha = 0', () => {
    const m = big();
    const std = msra(m, { generator: new Generator(4) });
    expect(std).toBe(Math.sqrt(2 / (64 * 9)));
    expect(Math.abs(stats(weight(m).values()).std / std - 1)).toBeLessThan(0.01);
    const t = big();
    taylor(t, { alpha: 0, beta: 5, generator: new Generator(4) });
    expect(weight(t).values()).toEqual(weight(m).values());
  });

  it("Xavier (Caffe's filler): uniform(-sqrt(3/n), sqrt(3/n)), variance 1/n", () => {
    const m = big();
    const bound = xavier(m, { generator: new Generator(5) });
    expect(bound).toBe(Math.sqrt(3 / (64 * 9)));
    const s = stats(weight(m).values());
    expect(s.maxAbs).toBeLessThanOrEqual(bound);
    expect(s.maxAbs).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(s.std / Math.sqrt(1 / (64 * 9)) - 1)).toBeLessThan(0.01);
    const g = big();
    const glorot = xavier(g, { mode: 'average', generator: new Generator(5) });
    expect(glorot).toBeCloseTo(Math.sqrt(6 / (64 * 9 + 128 * 9)), 15);
  });
});

describe("the MPELU nopre ResNet's initialisation", () => {
  it('convs: Taylor with n = kW*kH*nOutputPlane in findModules order, bias removed (cudnn >= 4000) or zeroed; BN weight 1, bias 0; Linear bias 0', () => {
    const build = () => {
      const convs = nn.Sequential()
        .add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
        .add(nn.SpatialBatchNormalization(8))
        .add(nn.MPELU(0.25, 1, 8))
        .add(nn.SpatialConvolution(8, 4, 1, 1));
      return nn.Sequential().add(convs).add(nn.SpatialConvolution(4, 4, 3, 3)).add(nn.View(4 * 6 * 6)).add(nn.Linear(144, 10)).double();
    };
    const model = build();
    const gen = new Generator(9);
    const conv = model.findModules('nn.SpatialConvolution')[0];
    expect(conv.length).toBe(3);
    paperResNetInit(model, { alpha: 0.25, beta: 1, generator: gen });
    const ref = new Generator(9);
    for (const c of conv) {
      const kW = c.fields.get('kW') as number;
      const kH = c.fields.get('kH') as number;
      const nOut = c.fields.get('nOutputPlane') as number;
      // the generator's scalar normal() (Torch7's THRandom_normal, checked in random.test.ts)
      const std = Math.sqrt(2 / (kW * kH * nOut) / (1 + 0.0625));
      const want = weight(c).values().map(() => ref.normal(0, std));
      expect(weight(c).values()).toEqual(want);
      expect(c.fields.has('bias')).toBe(false);
      expect(c.fields.has('gradBias')).toBe(false);
    }
    const bn = model.findModules('nn.SpatialBatchNormalization')[0][0]!;
    expect(weight(bn).values()).toEqual(new Array(8).fill(1));
    expect((bn.fields.get('bias') as Tensor).values()).toEqual(new Array(8).fill(0));
    const lin = model.findModules('nn.Linear')[0][0]!;
    expect((lin.fields.get('bias') as Tensor).values()).toEqual(new Array(10).fill(0));
    expect(weight(lin).values().some((v) => v !== 0)).toBe(true);
    // The parameter list lost the convolutions' biases (as Torch's getParameters would).
    const [params] = model.getParameters();
    expect(params.nElement()).toBe(3 * 8 * 9 + (8 + 8) + (8 + 8) + 8 * 4 + 4 * 4 * 9 + 144 * 10 + 10);

    const old = build();
    paperResNetInit(old, { cudnnVersion: 3000, generator: new Generator(9) });
    for (const c of old.findModules('nn.SpatialConvolution')[0]) expect((c.fields.get('bias') as Tensor).values().every((v) => v === 0)).toBe(true);
  });
});
