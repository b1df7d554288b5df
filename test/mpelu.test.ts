// The MPELU family (nn.MPELU, nn.SPELU) against real Torch7 outputs (fixtures/torch7/nn and
// the paper's naive compositions in fixtures/torch7/naive), on cpu and wasm (Float) and on
// the host (Double); the special cases; both compositions against the fused layer; finite
// differences in double precision; fields, print format, no leaks.

import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, testBackends } from '../src/backend/index.js';
import { load } from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn, type Module } from '../src/nn/index.js';
import { manualSeed } from '../src/torch/random.js';
import { normalFill, uniformFill } from '../src/init/index.js';
import { assertGradCheck } from './helpers/gradcheck.js';
import { expectClose } from './helpers/close.js';

const NN = join(__dirname, '..', 'fixtures', 'torch7', 'nn');
const NAIVE = join(__dirname, '..', 'fixtures', 'torch7', 'naive');
const BACKENDS = testBackends();

function table(file: string): LuaTable {
  const t = load(file);
  if (!(t instanceof LuaTable)) throw new Error(`${file}: expected a table`);
  return t;
}

function field(t: LuaTable, key: string | number): Tensor {
  const v = t.get(key);
  if (!(v instanceof Tensor)) throw new Error(`fixture field ${key}: expected a tensor`);
  return v;
}

function tensorField(m: Module, name: string): Tensor {
  const v = m.fields.get(name);
  if (!(v instanceof Tensor)) throw new Error(`${m.className}.${name}: expected a tensor`);
  return v;
}

/** A seeded random tensor (Torch's generator), normal(0, std). */
function randn(type: 'Float' | 'Double', sizes: number[], seed: number, std = 1): Tensor {
  manualSeed(seed);
  return normalFill(Tensor.create(type, sizes), 0, std);
}

const FIXTURES = ['SPELU_channel', 'MPELU_shared', 'MPELU_channel', 'MPELU_channel_random'];

function checkAgainstTorch(name: string, type: 'Float' | 'Double'): void {
  const data = table(join(NN, `io_${name}.t7`));
  const m = load(join(NN, `module_${name}.t7`)) as Module;
  if (type === 'Double') m.double();
  const conv = (t: Tensor) => (type === 'Double' ? t.double() : t.clone());
  const input = conv(field(data, 'input'));
  const gradOutput = conv(field(data, 'gradOutput'));
  m.training();
  expectClose(m.forward(input) as Tensor, field(data, 'output'), 1e-5, `${name} output (training)`);
  m.evaluate();
  expectClose(m.forward(input) as Tensor, field(data, 'output_evaluate'), 1e-5, `${name} output (evaluate)`);
  m.training();
  m.forward(input);
  m.zeroGradParameters();
  expectClose(m.backward(input, gradOutput) as Tensor, field(data, 'gradInput'), 1e-5, `${name} gradInput`);
  expectClose(tensorField(m, 'gradWeight'), field(data, 'gradWeight'), 1e-5, `${name} gradWeight`);
  if (data.get('gradBias') instanceof Tensor) expectClose(tensorField(m, 'gradBias'), field(data, 'gradBias'), 1e-5, `${name} gradBias`);
  // updateGradInput and accGradParameters called separately give the same as backward.
  const gi = (m.backward(input, gradOutput, 0) as Tensor).clone();
  m.zeroGradParameters();
  expectClose(m.updateGradInput(input, gradOutput) as Tensor, gi, 0, `${name} updateGradInput alone`);
  m.accGradParameters(input, gradOutput, 2);
  expectClose(tensorField(m, 'gradWeight'), field(data, 'gradWeight').values().map((v) => 2 * v), 1e-5, `${name} accGradParameters(scale 2)`);
}

/** The paper's compositions (naive/module_*.t7) and the fused MPELU against Torch's io files. */
function checkNaive(name: 'naive' | 'mpelu', type: 'Float' | 'Double'): void {
  const data = table(join(NAIVE, `io_${name}_a0.25_b1_c4.t7`));
  const model = load(join(NAIVE, `module_${name}_a0.25_b1_c4.t7`)) as Module;
  if (type === 'Double') model.double();
  const conv = (t: Tensor) => (type === 'Double' ? t.double() : t.clone());
  const input = conv(field(data, 'input'));
  const gradOutput = conv(field(data, 'gradOutput'));
  model.training();
  expectClose(model.forward(conv(input)) as Tensor, field(data, 'output'), 1e-5, `${name} output`);
  model.evaluate();
  expectClose(model.forward(conv(input)) as Tensor, field(data, 'output_evaluate'), 1e-5, `${name} output (evaluate)`);
  model.training();
  // Version 1 holds an in-place ELU: it overwrites the first PReLU's output, as in Torch.
  const x = conv(input);
  model.forward(x);
  model.zeroGradParameters();
  expectClose(model.backward(x, conv(gradOutput)) as Tensor, field(data, 'gradInput'), 1e-5, `${name} gradInput`);
  const [, grads] = model.parameters()!;
  const want = table(join(NAIVE, `io_${name}_a0.25_b1_c4.t7`)).get('gradParameters') as LuaTable;
  expect(grads.length).toBe(2);
  expectClose(grads[0]!, field(want, 1), 1e-5, `${name} gradParameters[1] (beta)`);
  expectClose(grads[1]!, field(want, 2), 1e-5, `${name} gradParameters[2] (alpha)`);
  // 2-d input: batch x channels.
  expectClose(model.forward(conv(field(data, 'input2d'))) as Tensor, field(data, 'output2d'), 1e-5, `${name} output2d`);

  // The fused layer on the same input (built here, as the fixture's nn.MPELU(0.25, 1, 4)).
  const fused = nn.MPELU(0.25, 1, 4);
  if (type === 'Float') fused.float();
  else fused.double();
  expectClose(fused.forward(input) as Tensor, field(data, 'fused_nnMPELU_output'), 1e-5, 'fused output');
  fused.zeroGradParameters();
  expectClose(fused.backward(input, gradOutput) as Tensor, field(data, 'fused_nnMPELU_gradInput'), 1e-5, 'fused gradInput');
  expectClose(tensorField(fused, 'gradWeight'), field(data, 'fused_nnMPELU_gradWeight'), 1e-5, 'fused gradWeight');
  expectClose(tensorField(fused, 'gradBias'), field(data, 'fused_nnMPELU_gradBias'), 1e-5, 'fused gradBias');
}

for (const backend of BACKENDS) {
  describe(`MPELU family against Torch7, Float on ${backend}`, () => {
    beforeAll(async () => {
      expect(await initBackend(backend)).toBe(backend);
    });

    for (const name of FIXTURES) {
      it(`${name}: output (training, evaluate), gradInput, gradWeight, gradBias`, () => {
        checkAgainstTorch(name, 'Float');
      });
    }

    for (const name of ['naive', 'mpelu'] as const) {
      it(`paper composition ${name === 'naive' ? '1 {PReLU(beta), ELU(1, true), PReLU(alpha)}' : '2 {PReLU(beta), SPELU(alpha)}'} and the fused nn.MPELU`, () => {
        checkNaive(name, 'Float');
      });
    }

    it('channels-last 4-d input: same values, channels-last output, no copies needed', () => {
      const data = table(join(NN, 'io_MPELU_channel_random.t7'));
      const m = load(join(NN, 'module_MPELU_channel_random.t7')) as Module;
      const toNHWC = (t: Tensor) => Tensor.fromTF(tf.tidy(() => tf.transpose(t.toTF(), [0, 2, 3, 1])), 'NHWC');
      const x = toNHWC(field(data, 'input'));
      const g = toNHWC(field(data, 'gradOutput'));
      const y = m.forward(x) as Tensor;
      expect(y.isChannelsLast()).toBe(true);
      expect(y.storage().onDevice()).toBe(true);
      expectClose(y, field(data, 'output'), 1e-5, 'output');
      m.zeroGradParameters();
      const gi = m.backward(x, g) as Tensor;
      expect(gi.isChannelsLast()).toBe(true);
      expectClose(gi, field(data, 'gradInput'), 1e-5, 'gradInput');
      expectClose(tensorField(m, 'gradWeight'), field(data, 'gradWeight'), 1e-5, 'gradWeight');
      expectClose(tensorField(m, 'gradBias'), field(data, 'gradBias'), 1e-5, 'gradBias');
    });

    it('gradients accumulate into a flat getParameters storage', () => {
      const data = table(join(NN, 'io_MPELU_channel_random.t7'));
      const m = load(join(NN, 'module_MPELU_channel_random.t7')) as Module;
      const seq = nn.Sequential().add(m).add(nn.Identity());
      const [params, grads] = seq.getParameters();
      expect(params.nElement()).toBe(8);
      expect(tensorField(m, 'gradBias').storage()).toBe(grads.storage());
      grads.zero();
      const x = field(data, 'input');
      const g = field(data, 'gradOutput');
      for (let i = 0; i < 2; i++) {
        seq.forward(x);
        seq.backward(x, g, i === 0 ? 1 : 0.5);
      }
      // weight then bias, each 1.5 x Torch's gradient after scales 1 and 0.5.
      const flat = grads.values();
      expectClose(flat.slice(0, 4), field(data, 'gradWeight').values().map((v) => 1.5 * v), 1e-5, 'flat gradWeight');
      expectClose(flat.slice(4, 8), field(data, 'gradBias').values().map((v) => 1.5 * v), 1e-5, 'flat gradBias');
    });

    it('special cases, to float precision: alpha = 0 is ReLU; alpha = beta = 1 is ELU; small beta approaches PReLU(alpha*beta)', () => {
      const x = randn('Float', [4, 3, 6, 5], 11, 2);
      const g = randn('Float', [4, 3, 6, 5], 12);
      const pairs: [string, Module, Module, number][] = [
        ['alpha 0 vs ReLU', nn.MPELU(0, 1, 3), nn.ReLU(), 1e-6],
        ['alpha 0 (shared) vs ReLU', nn.MPELU(0, 3.5), nn.ReLU(), 1e-6],
        ['alpha = beta = 1 vs ELU', nn.MPELU(1, 1, 3), nn.ELU(1), 1e-6],
        ['alpha = beta = 1 (shared) vs ELU', nn.MPELU(1, 1), nn.ELU(), 1e-6],
        ['SPELU(1) vs ELU', nn.SPELU(1, 3), nn.ELU(), 1e-6],
        // alpha (exp(beta x) - 1) = alpha beta x + O(beta^2 x^2): relative gap ~ beta |x| / 2.
        ['beta 1e-4 vs PReLU(alpha * beta)', nn.MPELU(500, 1e-4, 3), nn.PReLU(500 * 1e-4, 3), 1e-3],
        ['beta 1e-5 vs PReLU(alpha * beta)', nn.MPELU(5000, 1e-5), nn.PReLU(5000 * 1e-5, 0), 1e-4],
      ];
      for (const [what, a, b, tol] of pairs) {
        a.float();
        b.float();
        expectClose(a.forward(x) as Tensor, b.forward(x) as Tensor, tol, `${what}: output`);
        expectClose(a.backward(x, g) as Tensor, b.backward(x, g) as Tensor, tol, `${what}: gradInput`);
      }
    });

    it('both paper compositions equal the fused MPELU (random per-channel alpha, beta): output and, by the chain rule, gradients', () => {
      const C = 5;
      const x = randn('Float', [3, C, 4, 4], 21, 1.5);
      const g = randn('Float', [3, C, 4, 4], 22);
      manualSeed(23);
      const alpha = uniformFill(Tensor.create('Float', [C]), 0.1, 1.5);
      const beta = uniformFill(Tensor.create('Float', [C]), 0.3, 2);
      const fused = nn.MPELU(1, 1, C).float();
      tensorField(fused, 'weight').copy(alpha);
      tensorField(fused, 'bias').copy(beta);
      const v1 = nn.Sequential().add(nn.PReLU(1, C)).add(nn.ELU(1, true)).add(nn.PReLU(1, C)).float();
      const v2 = nn.Sequential().add(nn.PReLU(1, C)).add(nn.SPELU(1, C)).float();
      const mods1 = v1.children();
      const mods2 = v2.children();
      tensorField(mods1[0]!, 'weight').copy(beta);
      tensorField(mods1[2]!, 'weight').copy(alpha);
      tensorField(mods2[0]!, 'weight').copy(beta);
      tensorField(mods2[1]!, 'weight').copy(alpha);
      fused.zeroGradParameters();
      const y = (fused.forward(x) as Tensor).clone();
      const gi = (fused.backward(x, g) as Tensor).clone();
      for (const [what, seq] of [
        ['version 1', v1],
        ['version 2', v2],
      ] as [string, Module][]) {
        seq.zeroGradParameters();
        expectClose(seq.forward(x.clone()) as Tensor, y, 1e-5, `${what} output`);
        expectClose(seq.backward(x.clone(), g) as Tensor, gi, 1e-5, `${what} gradInput`);
        const [, grads] = seq.parameters()!;
        expectClose(grads[0]!, tensorField(fused, 'gradBias'), 1e-5, `${what} gradient of beta`);
        expectClose(grads[grads.length - 1]!, tensorField(fused, 'gradWeight'), 1e-5, `${what} gradient of alpha`);
      }
    });

    it('2-d [N, C], 1-d [C] and 3-d [N, C, L] inputs agree with the Double host loops', () => {
      const m = nn.MPELU(1, 1, 3);
      manualSeed(5);
      uniformFill(tensorField(m, 'weight'), 0.1, 1.2);
      uniformFill(tensorField(m, 'bias'), 0.5, 2);
      for (const sizes of [[7, 3], [3], [2, 3, 9]]) {
        const xd = randn('Double', sizes, 31, 2);
        const gd = randn('Double', sizes, 32);
        m.double();
        m.zeroGradParameters();
        const yd = (m.forward(xd) as Tensor).clone();
        const gid = (m.backward(xd, gd) as Tensor).clone();
        const gwd = tensorField(m, 'gradWeight').clone();
        const gbd = tensorField(m, 'gradBias').clone();
        m.float();
        m.zeroGradParameters();
        const xf = xd.float();
        expectClose(m.forward(xf) as Tensor, yd, 1e-5, `[${sizes}] output`);
        expectClose(m.backward(xf, gd.float()) as Tensor, gid, 1e-5, `[${sizes}] gradInput`);
        expectClose(tensorField(m, 'gradWeight'), gwd, 1e-5, `[${sizes}] gradWeight`);
        expectClose(tensorField(m, 'gradBias'), gbd, 1e-5, `[${sizes}] gradBias`);
      }
      expect(() => m.forward(Tensor.create('Float', [2, 4, 3]))).toThrow(/wrong number of input planes: expected 3 on dim 2, got 4/);
    });

    it('tf.memory().numTensors stays flat over repeated forward/backward', () => {
      const data = table(join(NN, 'io_MPELU_channel.t7'));
      const mods = [
        load(join(NN, 'module_MPELU_channel.t7')) as Module,
        load(join(NN, 'module_MPELU_shared.t7')) as Module,
        load(join(NN, 'module_SPELU_channel.t7')) as Module,
        load(join(NAIVE, 'module_naive_a0.25_b1_c4.t7')) as Module,
      ];
      const x = field(data, 'input');
      const g = field(data, 'gradOutput');
      const xs = mods.map(() => x.clone());
      const run = () =>
        mods.forEach((m, i) => {
          xs[i]!.copy(x);
          m.forward(xs[i]!);
          m.updateGradInput(xs[i]!, g);
          m.accGradParameters(xs[i]!, g, 1);
          m.backward(xs[i]!, g);
        });
      run();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) run();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('MPELU family against Torch7, Double on the host', () => {
  for (const name of FIXTURES) {
    it(`${name}: float64 loops agree with Torch's float results`, () => {
      checkAgainstTorch(name, 'Double');
    });
  }
  for (const name of ['naive', 'mpelu'] as const) {
    it(`paper composition (${name}) and the fused nn.MPELU`, () => {
      checkNaive(name, 'Double');
    });
  }

  it('both compositions equal the fused MPELU in double precision (1e-12)', () => {
    const C = 3;
    const x = randn('Double', [2, C, 3, 3], 41, 1.5);
    const g = randn('Double', [2, C, 3, 3], 42);
    const alpha = [0.3, 1.1, 0.05];
    const beta = [1.7, 0.4, 2.5];
    const fused = nn.MPELU(1, 1, C).double();
    tensorField(fused, 'weight').copy(Tensor.fromArray('Double', alpha));
    tensorField(fused, 'bias').copy(Tensor.fromArray('Double', beta));
    const v1 = nn.Sequential().add(nn.PReLU(1, C)).add(nn.ELU(1, true)).add(nn.PReLU(1, C)).double();
    tensorField(v1.children()[0]!, 'weight').copy(Tensor.fromArray('Double', beta));
    tensorField(v1.children()[2]!, 'weight').copy(Tensor.fromArray('Double', alpha));
    fused.zeroGradParameters();
    v1.zeroGradParameters();
    expectClose(v1.forward(x.clone()) as Tensor, fused.forward(x) as Tensor, 1e-12, 'output');
    expectClose(v1.backward(x.clone(), g) as Tensor, fused.backward(x, g) as Tensor, 1e-12, 'gradInput');
    const [, grads] = v1.parameters()!;
    expectClose(grads[0]!, tensorField(fused, 'gradBias'), 1e-12, 'beta gradient');
    expectClose(grads[1]!, tensorField(fused, 'gradWeight'), 1e-12, 'alpha gradient');
  });
});

describe('finite-difference gradients (double precision)', () => {
  const input = (sizes: number[]) => {
    const t = Tensor.create('Double', sizes);
    const d = t.storage().mutableData() as Float64Array;
    for (let i = 0; i < d.length; i++) d[i] = Math.sin(2.3 * i + 0.1) * 2;
    return t;
  };
  const cases: [string, () => Module, number[]][] = [
    ['MPELU shared', () => nn.MPELU(0.7, 1.3), [2, 3, 2, 3]],
    ['MPELU per channel, 4-d', () => nn.MPELU(0.25, 1, 3), [2, 3, 2, 3]],
    ['MPELU per channel, 2-d', () => nn.MPELU(1.5, 0.6, 4), [3, 4]],
    ['MPELU per channel, 1-d', () => nn.MPELU(1.5, 0.6, 4), [4]],
    ['MPELU per channel, 3-d', () => nn.MPELU(0.9, 2, 2), [2, 2, 5]],
    ['SPELU shared', () => nn.SPELU(0.6), [2, 3, 2, 3]],
    ['SPELU per channel', () => nn.SPELU(1.4, 3), [2, 3, 2, 3]],
  ];
  for (const [name, make, sizes] of cases) {
    it(`${name} [${sizes}]: gradInput, gradWeight, gradBias, accumulation with scale`, () => {
      const m = make().double();
      if (tensorField(m, 'weight').nElement() > 1) {
        manualSeed(3);
        uniformFill(tensorField(m, 'weight'), 0.2, 1.5);
        if (m.fields.get('bias') instanceof Tensor) uniformFill(tensorField(m, 'bias'), 0.5, 2);
      }
      const r = assertGradCheck(m, input(sizes), { eps: 1e-6, tolerance: 1e-7 });
      expect(r.params.length).toBe(m.fields.get('bias') instanceof Tensor ? 2 : 1);
    });
  }
});

describe('constructors, fields and printing as the paper code', () => {
  it('MPELU(alpha, beta, n): nOutputPlane, weight = alpha, bias = beta in Torch field order', () => {
    const m = nn.MPELU(0.25, 1, 16);
    expect([...m.fields.keys()]).toEqual(['gradInput', 'output', '_type', 'nOutputPlane', 'weight', 'gradWeight', 'bias', 'gradBias']);
    expect(m.fields.get('nOutputPlane')).toBe(16);
    expect(tensorField(m, 'weight').values()).toEqual(new Array(16).fill(0.25));
    expect(tensorField(m, 'bias').values()).toEqual(new Array(16).fill(1));
    expect(tensorField(m, 'gradWeight').values()).toEqual(new Array(16).fill(0));
    const shared = nn.MPELU();
    expect(shared.fields.get('nOutputPlane')).toBe(0);
    expect(tensorField(shared, 'weight').values()).toEqual([1]);
    expect(tensorField(shared, 'bias').values()).toEqual([1]);
    expect(() => nn.MPELU(1, 1, -2)).toThrow(/non-negative integer/);
  });

  it("prints '%s(alpha=%f, beta=%f, channels=%d)' with the first alpha and beta (as in print/depth20.txt)", () => {
    expect(nn.MPELU(0.25, 1, 16).__tostring__()).toBe('nn.MPELU(alpha=0.250000, beta=1.000000, channels=16)');
    const loaded = load(join(NN, 'module_MPELU_channel_random.t7')) as Module;
    const a = tensorField(loaded, 'weight').get(1);
    const b = tensorField(loaded, 'bias').get(1);
    expect(loaded.__tostring__()).toBe(`nn.MPELU(alpha=${a.toFixed(6)}, beta=${b.toFixed(6)}, channels=4)`);
    expect((load(join(NN, 'module_MPELU_shared.t7')) as Module).__tostring__()).toBe('nn.MPELU(alpha=0.250000, beta=1.000000, channels=0)');
    // SPELU has no __tostring__ in the paper code: Torch prints the class name.
    expect(nn.SPELU(0.5, 2).__tostring__()).toBe('nn.SPELU');
  });

  it("SPELU(alpha, n): nOutputPlane, weight, gradWeight only", () => {
    const s = nn.SPELU(0.5, 3);
    expect([...s.fields.keys()]).toEqual(['gradInput', 'output', '_type', 'nOutputPlane', 'weight', 'gradWeight']);
    expect(s.parameters()![0].length).toBe(1);
  });

  it('loaded modules keep every field; accGradParameters adds the buffers Torch adds; clearState empties them', () => {
    const m = load(join(NAIVE, 'module_mpelu_a0.25_b1_c4.t7')) as Module;
    const spelu = m.children()[1]!;
    expect(spelu.fields.get('__weightLearningRate')).toBe(5);
    expect(spelu.fields.get('__weightWeightDecay')).toBe(10);
    const x = Tensor.create('Float', [2, 4]).fill(-0.5);
    m.forward(x);
    m.backward(x, Tensor.create('Float', [2, 4]).fill(1));
    expect(spelu.fields.get('gradWeightBuf')).toBeInstanceOf(Tensor);
    expect((spelu.fields.get('gradWeightBuf') as Tensor).className()).toBe('torch.FloatTensor');
    expect(spelu.fields.get('__weightLearningRate')).toBe(5);
    const mp = nn.MPELU(1, 1, 4).float();
    mp.forward(x);
    mp.backward(x, x);
    for (const f of ['gradWeightBuf', 'gradWeightBuf2', 'gradBiasBuf', 'gradBiasBuf2']) expect(mp.fields.get(f)).toBeInstanceOf(Tensor);
    mp.clearState();
    expect((mp.fields.get('gradBiasBuf2') as Tensor).nElement()).toBe(0);
    expect((mp.fields.get('output') as Tensor).nElement()).toBe(0);
  });
});
