// ReLU, ELU, LeakyReLU and PReLU against real Torch7 outputs (fixtures/torch7/nn), on the
// cpu and wasm backends (Float) and on the host (Double); in-place forms; constructors,
// fields and print formats; finite-difference checks in double precision; no leaks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, testBackends } from '../src/backend/index.js';
import { load } from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, cudnn, type Module } from '../src/nn/index.js';
import { assertGradCheck } from './helpers/gradcheck.js';
import { expectClose } from './helpers/close.js';

const NN = join(__dirname, '..', 'fixtures', 'torch7', 'nn');
const BACKENDS = testBackends();

function io(name: string): LuaTable {
  const t = load(join(NN, `io_${name}.t7`));
  if (!(t instanceof LuaTable)) throw new Error(`io_${name}.t7: expected a table`);
  return t;
}

function loadModule(name: string): Module {
  return load(join(NN, `module_${name}.t7`)) as Module;
}

function field(t: LuaTable, key: string): Tensor {
  const v = t.get(key);
  if (!(v instanceof Tensor)) throw new Error(`fixture field ${key}: expected a tensor`);
  return v;
}

/** Runs Torch's fixture protocol on a loaded module and compares every recorded result. */
function checkAgainstTorch(name: string, type: 'Float' | 'Double'): Tensor[] {
  const data = io(name);
  const m = loadModule(name);
  if (type === 'Double') m.double();
  const conv = (t: Tensor) => (type === 'Double' ? t.double() : t.clone());
  const input = conv(field(data, 'input'));
  const gradOutput = conv(field(data, 'gradOutput'));
  const rtol = 1e-5;
  m.training();
  expectClose(m.forward(input) as Tensor, field(data, 'output'), rtol, `${name} output (training)`);
  m.evaluate();
  expectClose(m.forward(input) as Tensor, field(data, 'output_evaluate'), rtol, `${name} output (evaluate)`);
  m.training();
  m.forward(input);
  m.zeroGradParameters();
  expectClose(m.backward(input, gradOutput) as Tensor, field(data, 'gradInput'), rtol, `${name} gradInput`);
  for (const g of ['gradWeight', 'gradBias']) {
    if (data.get(g) instanceof Tensor) expectClose(m.fields.get(g) as Tensor, field(data, g), rtol, `${name} ${g}`);
  }
  // The input was not touched (none of these fixtures is in place).
  expectClose(input, field(data, 'input'), 0, `${name} input unchanged`);
  return [input, gradOutput];
}

const FIXTURES = ['ReLU', 'ELU', 'ELU_alpha0.7', 'PReLU_shared', 'PReLU_channel'];

for (const backend of BACKENDS) {
  describe(`activations against Torch7, Float on ${backend}`, () => {
    beforeAll(async () => {
      expect(await initBackend(backend)).toBe(backend);
    });

    for (const name of FIXTURES) {
      it(`${name}: output (training, evaluate), gradInput, gradWeight`, () => {
        const before = tf.memory().numTensors;
        // The host input and gradOutput may keep a device copy (released with them, or here).
        for (const t of checkAgainstTorch(name, 'Float')) t.storage().dispose();
        // The module's output/gradInput buffers own at most two device tensors.
        expect(tf.memory().numTensors - before).toBeLessThanOrEqual(2);
      });
    }

    it('channels-last 4-d input gives the same values and a channels-last output', () => {
      const data = io('PReLU_channel');
      const m = loadModule('PReLU_channel');
      const x = field(data, 'input');
      const xl = Tensor.fromTF(tf.tidy(() => tf.transpose(x.toTF(), [0, 2, 3, 1])), 'NHWC');
      expect(xl.isChannelsLast()).toBe(true);
      const y = m.forward(xl) as Tensor;
      expect(y.isChannelsLast()).toBe(true);
      expectClose(y, field(data, 'output'), 1e-5, 'PReLU_channel channels-last output');
      const gl = Tensor.fromTF(tf.tidy(() => tf.transpose(field(data, 'gradOutput').toTF(), [0, 2, 3, 1])), 'NHWC');
      m.zeroGradParameters();
      expectClose(m.backward(xl, gl) as Tensor, field(data, 'gradInput'), 1e-5, 'PReLU_channel channels-last gradInput');
      expectClose(m.fields.get('gradWeight') as Tensor, field(data, 'gradWeight'), 1e-5, 'PReLU_channel channels-last gradWeight');
    });

    it('in-place ReLU, ELU and LeakyReLU: same values, output and gradInput alias input and gradOutput', () => {
      const data = io('ELU');
      for (const [plain, inplace] of [
        [nn.ReLU(), nn.ReLU(true)],
        [nn.ELU(0.7), nn.ELU(0.7, true)],
        [nn.LeakyReLU(0.2), nn.LeakyReLU(0.2, true)],
      ] as [Module, Module][]) {
        plain.float();
        inplace.float();
        const x = field(data, 'input').clone();
        const g = field(data, 'gradOutput').clone();
        const y = (plain.forward(x) as Tensor).clone();
        const gi = (plain.backward(x, g) as Tensor).clone();
        const x2 = x.clone();
        const g2 = g.clone();
        const y2 = inplace.forward(x2) as Tensor;
        expect(y2.isSetTo(x2), `${inplace.className}: output is the input`).toBe(true);
        expectClose(x2, y, 1e-5, `${inplace.className} in-place output`);
        const gi2 = inplace.backward(x2, g2) as Tensor;
        expect(gi2.isSetTo(g2), `${inplace.className}: gradInput is gradOutput`).toBe(true);
        expectClose(g2, gi, 1e-5, `${inplace.className} in-place gradInput`);
      }
    });

    it('in-place forward on a view writes only that view', () => {
      const big = Tensor.fromArray('Float', [[-1, 2, -3], [4, -5, 6]]);
      const row = big.select(1, 2);
      const m = nn.ReLU(true).float();
      m.forward(row);
      expect(big.values()).toEqual([-1, 2, -3, 4, 0, 6]);
    });

    it('2-d [N, C] and 1-d [C] inputs of the per-channel PReLU', () => {
      const m = nn.PReLU(0.25, 3).float();
      (m.fields.get('weight') as Tensor).copy(Tensor.fromArray('Float', [0.1, 0.2, 0.3]));
      const x2 = Tensor.fromArray('Float', [[-1, -1, -1], [2, -2, 3]]);
      expectClose(m.forward(x2) as Tensor, [-0.1, -0.2, -0.3, 2, -0.4, 3], 1e-5, '2-d output');
      m.zeroGradParameters();
      m.backward(x2, Tensor.fromArray('Float', [[1, 1, 1], [1, 1, 1]]));
      expectClose(m.fields.get('gradWeight') as Tensor, [-1, -3, -1], 1e-5, '2-d gradWeight');
      const x1 = Tensor.fromArray('Float', [-1, 5, -2]);
      expectClose(m.forward(x1) as Tensor, [-0.1, 5, -0.6], 1e-5, '1-d output');
      expect(() => m.forward(Tensor.fromArray('Float', [[1, 2], [3, 4]]))).toThrow(/expected 3 on dim 2, got 2/);
    });
  });
}

describe('activations against Torch7, Double on the host', () => {
  for (const name of FIXTURES) {
    it(`${name}: float64 loops agree with Torch's float results`, () => {
      checkAgainstTorch(name, 'Double');
    });
  }
});

describe('finite-difference gradients (double precision)', () => {
  const x = () => {
    const t = Tensor.create('Double', [2, 3, 2, 2]);
    const d = t.storage().mutableData() as Float64Array;
    for (let i = 0; i < d.length; i++) d[i] = Math.sin(1.7 * i + 0.3) * 2; // no element at 0 (kinks)
    return t;
  };
  const cases: [string, () => Module][] = [
    ['ELU(0.7)', () => nn.ELU(0.7)],
    ['LeakyReLU(0.1)', () => nn.LeakyReLU(0.1)],
    ['ReLU', () => nn.ReLU()],
    ['PReLU shared', () => nn.PReLU(0.3, 0)],
    ['PReLU per channel', () => nn.PReLU(0.3, 3)],
    ['standard PReLU(3)', () => nn.PReLU(3)],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const m = make().double();
      assertGradCheck(m, x(), { eps: 1e-6, tolerance: 1e-7 });
    });
  }
  it('PReLU per channel on 3-d [N, C, L], 2-d [N, C] and 1-d [C] inputs (THNN: channel = dim 2 unless 1-d)', () => {
    const m = nn.PReLU(0.3, 3).double();
    const x3 = x().select(4, 1).clone();
    assertGradCheck(m, x3, { tolerance: 1e-7 });
    assertGradCheck(m, x3.select(3, 2).clone(), { tolerance: 1e-7 });
    assertGradCheck(m, x3.select(3, 2).select(1, 1).clone(), { tolerance: 1e-7 });
  });
});

describe('constructors, fields and printing as Torch', () => {
  it('ReLU is Threshold(0, 0): fields threshold, val, inplace; cudnn.ReLU keeps its class name', () => {
    const r = nn.ReLU();
    expect([...r.fields.keys()]).toEqual(['gradInput', 'output', '_type', 'threshold', 'val', 'inplace']);
    expect(r.fields.get('inplace')).toBe(false);
    expect(r.__tostring__()).toBe('nn.ReLU');
    const c = cudnn.ReLU(true);
    expect(c.className).toBe('cudnn.ReLU');
    expect(c.__tostring__()).toBe('cudnn.ReLU');
    expect(() => nn.ReLU(1 as unknown as boolean)).toThrow(/in-place flag must be a boolean/);
    const loaded = loadModule('ReLU');
    expect([...loaded.fields.keys()].sort()).toEqual(['_type', 'gradInput', 'inplace', 'output', 'threshold', 'val']);
  });

  it('ELU: fields alpha, inplace; prints "nn.ELU (alpha:%f)"', () => {
    const e = nn.ELU(0.7, true);
    expect(e.fields.get('alpha')).toBe(0.7);
    expect(e.fields.get('inplace')).toBe(true);
    expect(e.__tostring__()).toBe('nn.ELU (alpha:0.700000)');
    expect(loadModule('ELU_alpha0.7').__tostring__()).toBe('nn.ELU (alpha:0.700000)');
    expect(nn.ELU().__tostring__()).toBe('nn.ELU (alpha:1.000000)');
  });

  it("LeakyReLU: Torch's defaults and quirks; prints 'nn.LeakyReLU(%g)'", () => {
    expect(nn.LeakyReLU().fields.get('negval')).toBe(1 / 100);
    expect(nn.LeakyReLU().__tostring__()).toBe('nn.LeakyReLU(0.01)');
    // A boolean first argument means "default negval" and does not set inplace (as in Torch).
    const b = nn.LeakyReLU(true);
    expect(b.fields.get('negval')).toBe(0.01);
    expect(b.fields.get('inplace')).toBe(false);
    expect(nn.LeakyReLU(-0.5, true).fields.get('inplace')).toBe(false);
    expect(nn.LeakyReLU(0.333333333, true).__tostring__()).toBe('nn.LeakyReLU(0.333333)');
  });

  it('PReLU: PReLU(n) has slope 0.25, PReLU(alpha, n) slope alpha; nOutputPlane 0 shares one slope', () => {
    const std = nn.PReLU(4);
    expect(std.fields.get('nOutputPlane')).toBe(4);
    expect((std.fields.get('weight') as Tensor).values()).toEqual([0.25, 0.25, 0.25, 0.25]);
    const shared = nn.PReLU();
    expect(shared.fields.get('nOutputPlane')).toBe(0);
    expect((shared.fields.get('weight') as Tensor).values()).toEqual([0.25]);
    const mp = nn.PReLU(0.1, 3);
    expect(mp.fields.get('nOutputPlane')).toBe(3);
    expect((mp.fields.get('weight') as Tensor).values().map((v) => Math.fround(v))).toEqual([0.1, 0.1, 0.1].map(Math.fround));
    const mpShared = nn.PReLU(0.1, 0);
    expect((mpShared.fields.get('weight') as Tensor).nElement()).toBe(1);
    expect(() => nn.PReLU(0.25)).toThrow(/two-argument form PReLU\(alpha, nOutputPlane\)/);
    expect([...mp.fields.keys()]).toEqual(['gradInput', 'output', '_type', 'nOutputPlane', 'weight', 'gradWeight']);
    expect(mp.__tostring__()).toBe('nn.PReLU');
  });

  it('PReLU accGradParameters creates the buffers Torch does and clearState empties them', () => {
    const m = nn.PReLU(0.25, 2).double();
    const x = Tensor.fromArray('Double', [[-1, 2]]);
    m.forward(x);
    m.backward(x, Tensor.fromArray('Double', [[1, 1]]));
    expect(m.fields.get('gradWeightBuf')).toBeInstanceOf(Tensor);
    expect(m.fields.get('gradWeightBuf2')).toBeInstanceOf(Tensor);
    m.clearState();
    expect((m.fields.get('output') as Tensor).nElement()).toBe(0);
    expect((m.fields.get('gradWeightBuf') as Tensor).nElement()).toBe(0);
  });
});

describe('memory', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(() => undefined);

  it('repeated forward/backward keeps tf.memory().numTensors flat', () => {
    const data = io('PReLU_channel');
    const mods = [loadModule('PReLU_channel'), nn.ReLU().float(), nn.ELU(0.5).float(), nn.LeakyReLU(0.2).float(), nn.ELU(1, true).float()];
    const x = field(data, 'input');
    const g = field(data, 'gradOutput');
    // The caller's tensors are reused (an in-place module writes into them).
    const xs = mods.map(() => x.clone());
    const gs = mods.map(() => g.clone());
    const run = () => {
      mods.forEach((m, i) => {
        xs[i]!.copy(x);
        gs[i]!.copy(g);
        m.forward(xs[i]!);
        m.backward(xs[i]!, gs[i]!);
      });
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });
});
