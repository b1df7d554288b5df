// optim.sgd step by step against Torch7's optim (fixtures/torch7/optim), and nnlr's
// getOptimConfig against the vectors Torch7 computed (fixtures/torch7/naive).

import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { Tensor } from '../src/torch/tensor.js';
import { sgd, getOptimConfig, learningRate, weightDecay } from '../src/optim/index.js';
import { SGD_ARENA_MIN_ELEMENTS } from '../src/optim/sgd_arena.js';
import { nn } from '../src/nn/index.js';
import { expectClose } from './helpers/close.js';

const OPTIM = join(__dirname, '..', 'fixtures', 'torch7', 'optim');
const NAIVE = join(__dirname, '..', 'fixtures', 'torch7', 'naive');

function table(v: unknown, what: string): LuaTable {
  if (!(v instanceof LuaTable)) throw new Error(`${what}: expected a table in the fixture`);
  return v;
}

function tensor(v: unknown, what: string): Tensor {
  if (!(v instanceof Tensor)) throw new Error(`${what}: expected a tensor in the fixture`);
  return v;
}

/** The config as Torch gave it to sgd (a fresh table: sgd keeps its state in it). */
function configFrom(t: LuaTable): LuaTable {
  const c = new LuaTable();
  for (const [k, v] of t.entries()) c.set(k, v instanceof Tensor ? v.clone() : v);
  return c;
}

/** feval(x) = (1/2 x'Ax - b'x, Ax - b), in double as the fixture's Lua did. */
function quadratic(A: Tensor, b: Tensor): (x: Tensor) => [number, Tensor] {
  const n = b.nElement();
  const a = A.values();
  const bv = b.values();
  return (x) => {
    const xv = x.values();
    const g = Tensor.create('Double', [n]);
    let f = 0;
    for (let i = 0; i < n; i++) {
      let ax = 0;
      for (let j = 0; j < n; j++) ax += a[i * n + j]! * xv[j]!;
      g.put(i + 1, ax - bv[i]!);
      f += 0.5 * xv[i]! * ax - bv[i]! * xv[i]!;
    }
    return [f, g];
  };
}

const cases = readdirSync(OPTIM)
  .filter((f) => f.endsWith('.t7'))
  .sort();

describe('optim.sgd against Torch7', () => {
  it('has the fixtures', () => {
    expect(cases.length).toBe(12);
  });

  for (const file of cases) {
    it(`${file}: x, f(x), evalCounter and the momentum buffer after every step, and the final state`, () => {
      const fx = table(load(join(OPTIM, file)), file);
      const A = tensor(fx.get('A'), 'A');
      const b = tensor(fx.get('b'), 'b');
      const x = tensor(fx.get('x0'), 'x0').clone();
      const config = configFrom(table(fx.get('config'), 'config'));
      const steps = table(fx.get('steps'), 'steps').toArray() as LuaTable[];
      const feval = quadratic(A, b);
      expect(steps.length).toBe(5);
      steps.forEach((step, i) => {
        const [xOut, [f]] = sgd(feval, x, config);
        expect(xOut).toBe(x);
        // The arithmetic is the same sequence of double operations as Torch's: exact.
        expectClose([f!], [step.get('fx_before') as number], 5e-16, `step ${i + 1} fx_before`, 1);
        expectClose(x.values(), tensor(step.get('x'), 'x').values(), 5e-15, `step ${i + 1} x`, 1);
        expect(config.get('evalCounter')).toBe(step.get('evalCounter'));
        const mb = step.get('momentumBuffer');
        if (mb instanceof Tensor) expectClose(tensor(config.get('dfdx'), 'dfdx').values(), mb.values(), 5e-15, `step ${i + 1} momentum buffer`, 1);
        else expect(config.get('dfdx'), `step ${i + 1}: Torch kept no momentum buffer`).toBeUndefined();
      });
      // Every field of the state Torch ended with, and no other.
      const after = table(fx.get('state_after'), 'state_after');
      const keys = (t: LuaTable) => [...t.keys()].map(String).sort();
      expect(keys(config)).toEqual(keys(after));
      for (const [k, v] of after.entries()) {
        const mine = config.get(k);
        if (v instanceof Tensor) {
          expect(mine, `state.${String(k)}`).toBeInstanceOf(Tensor);
          expect((mine as Tensor).className()).toBe(v.className());
          expectClose((mine as Tensor).values(), v.values(), 5e-15, `state.${String(k)}`, 1);
        } else {
          expect(mine, `state.${String(k)}`).toBe(v);
        }
      }
    });
  }
});

describe('optim.sgd semantics', () => {
  const feval = (x: Tensor): [number, Tensor] => [x.values().reduce((s, v) => s + v * v, 0) / 2, x.clone()];

  it('defaults: learningRate 1e-3, a separate state table, evalCounter counting', () => {
    const x = Tensor.fromArray('Double', [1, -2]);
    const config = {};
    const state: Record<string, unknown> = {};
    sgd(feval, x, config, state);
    expectClose(x.values(), [1 - 1e-3, -2 + 2e-3], 5e-16, 'x', 1);
    expect(state.evalCounter).toBe(1);
    expect(Object.keys(config)).toEqual([]);
  });

  it('rejects nesterov without momentum or with dampening', () => {
    const x = Tensor.fromArray('Double', [1]);
    expect(() => sgd(feval, x, { nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening/);
    expect(() => sgd(feval, x, { nesterov: true, momentum: 0.9 })).toThrow(/dampening 0\.9/);
    expect(x.values()).toEqual([1]);
  });

  it('changes the gradient tensor in place (weight decay, nesterov), as Torch does', () => {
    const x = Tensor.fromArray('Double', [1, 2]);
    const grad = Tensor.fromArray('Double', [0.5, 0.5]);
    sgd(() => [0, grad], x, { learningRate: 0.1, weightDecay: 0.1, momentum: 0.9, dampening: 0, nesterov: true });
    // dfdx = g + 0.1 x = [0.6, 0.7]; buffer = copy; dfdx += 0.9 * buffer = [1.14, 1.33]
    expectClose(grad.values(), [1.14, 1.33], 5e-16, 'gradient', 1);
    expectClose(x.values(), [1 - 0.114, 2 - 0.133], 5e-16, 'x', 1);
  });

  it('works on Float vectors with the state in the same class', () => {
    const x = Tensor.fromArray('Float', [1, 2]);
    const state: Record<string, unknown> = {};
    sgd(() => [0, Tensor.fromArray('Float', [1, 1])], x, { learningRate: 0.5, momentum: 0.5, weightDecays: Tensor.fromArray('Float', [0, 1]) }, state);
    expect((state.dfdx as Tensor).className()).toBe('torch.FloatTensor');
    expect((state.decayParameters as Tensor).className()).toBe('torch.FloatTensor');
    expectClose(x.values(), [0.5, 0.5], 5e-8, 'x', 1);
  });
});

describe('optim.sgd one-pass Float update (nnlr vectors, Nesterov)', () => {
  // 1000: the JavaScript loop; 10003 (not a multiple of 4): the WebAssembly kernel (sgd_arena.ts)
  for (const n of [1000, SGD_ARENA_MIN_ELEMENTS * 2 + 11]) it(`leaves x, the gradient and every state buffer as the separate passes do, bit for bit (${n} parameters)`, () => {
    const rand = (seed: number) => {
      const t = Tensor.create('Float', [n]);
      for (let i = 1; i <= n; i++) t.put(i, Math.sin(seed * 1000 + i * 7.31) * 2 ** ((i % 9) - 4));
      return t;
    };
    const x = rand(1);
    const wds = rand(2).abs().mul(1e-3);
    const lrs = rand(3).abs();
    const config = { learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, weightDecays: wds, learningRates: lrs };
    // the same steps as explicit tensor passes (optim/sgd.lua's order)
    const rx = x.clone();
    let rbuf: Tensor | null = null;
    const rdecay = Tensor.create('Float', [n]);
    const rdelta = Tensor.create('Float', [n]);
    for (let s = 0; s < 4; s++) {
      const g = rand(10 + s);
      const rg = g.clone();
      sgd(() => [0, g], x, config);
      rdecay.copy(wds).cmul(rx);
      rg.add(rdecay);
      if (!rbuf) rbuf = rg.clone();
      else rbuf.mul(0.9).add(1, rg);
      rg.add(0.9, rbuf);
      rdelta.copy(lrs).cmul(rg);
      rx.add(-0.1, rdelta);
      const same = (a: Tensor, b: Tensor) => {
        const [u, v] = [a.values(), b.values()];
        return u.length === v.length && u.every((x, i) => Object.is(x, v[i]));
      };
      expect(same(x, rx), `x after step ${s + 1}`).toBe(true);
      expect(same(g, rg), `gradient after step ${s + 1}`).toBe(true);
      expect(same((config as Record<string, unknown>)['dfdx'] as Tensor, rbuf), `momentum buffer after step ${s + 1}`).toBe(true);
      expect(same((config as Record<string, unknown>)['decayParameters'] as Tensor, rdecay)).toBe(true);
      expect(same((config as Record<string, unknown>)['deltaParameters'] as Tensor, rdelta)).toBe(true);
    }
    expect((config as Record<string, unknown>)['evalCounter']).toBe(4);
  });

  it('a model whose flat parameters moved into the kernel\'s memory: its weights see every step, and a resize moves them again', () => {
    const model = nn.Sequential().add(nn.Linear(100, 100)).add(nn.Linear(100, 10)).float();
    const [params, grads] = model.getParameters();
    expect(params.nElement()).toBeGreaterThan(SGD_ARENA_MIN_ELEMENTS);
    const [lrs, wds] = getOptimConfig(model, 0.1, 1e-4);
    const config = { learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, weightDecays: wds, learningRates: lrs };
    const weight = (model.get(1) as InstanceType<typeof nn.Linear>).weight;
    const before = weight.clone();
    const hostBefore = params.storage().data();
    const feval = (): [number, Tensor] => {
      grads.fill(0.5);
      return [0, grads];
    };
    for (let s = 0; s < 3; s++) sgd(feval, params, config);
    // the flat storage's values live in the kernel's memory now, still shared with the module's views
    const moved = params.storage().data();
    const gradsMoved = grads.storage().data();
    expect(moved).not.toBe(hostBefore);
    expect(weight.storage()).toBe(params.storage());
    expect(weight.values()).toEqual(params.narrow(1, 1, weight.nElement()).values());
    expect(weight.values()).not.toEqual(before.values());
    sgd(feval, params, config);
    expect(params.storage().data()).toBe(moved); // no second move while nothing changed
    // a resized gradient storage (other host memory) is moved again, and the step goes on
    grads.storage().resize(grads.nElement() + 4).resize(grads.nElement());
    const values = params.values();
    sgd(feval, params, config);
    expect(grads.storage().data()).not.toBe(gradsMoved);
    expect(params.storage().data()).not.toBe(moved);
    expect(params.values()).not.toEqual(values);
    expect(weight.values()).toEqual(params.narrow(1, 1, weight.nElement()).values());
  });
});

describe('nnlr getOptimConfig against Torch7', () => {
  for (const name of ['naive', 'mpelu']) {
    it(`${name} composition: the learningRates and weightDecays vectors nnlr computed`, () => {
      const model = load(join(NAIVE, `module_${name}_a0.25_b1_c4.t7`)) as InstanceType<typeof nn.Module>;
      const io = table(load(join(NAIVE, `io_${name}_a0.25_b1_c4.t7`)), 'io');
      const [lrs, wds] = getOptimConfig(model, 0.1, 1e-4);
      const wantL = tensor(io.get('optimConfig_learningRates'), 'learningRates');
      const wantW = tensor(io.get('optimConfig_weightDecays'), 'weightDecays');
      expect(lrs.className()).toBe(wantL.className());
      expect(lrs.values()).toEqual(wantL.values());
      expect(wds.values()).toEqual(wantW.values());
      // And the same length and order as the parameters.
      const [params] = model.getParameters();
      expect(lrs.nElement()).toBe(params.nElement());
    });
  }

  it('multipliers set in TypeScript: weight then bias per module, defaults 1, containers pass to children', () => {
    const m = nn.MPELU(0.25, 1, 3);
    learningRate(weightDecay(m, 'bias', 10), 'weight', 5);
    const seq = nn.Sequential().add(m).add(nn.PReLU(2));
    weightDecay(seq, 'weight', 2);
    expect(m.fields.get('__weightLearningRate')).toBe(5);
    expect(m.fields.get('__weightWeightDecay')).toBe(2);
    const [lrs, wds] = getOptimConfig(seq, 0.1, 1e-4);
    expect(lrs.values()).toEqual([5, 5, 5, 1, 1, 1, 1, 1]);
    expectClose(wds.values(), [2e-4, 2e-4, 2e-4, 1e-3, 1e-3, 1e-3, 2e-4, 2e-4], 5e-16, 'weightDecays', 1);
    expect(() => learningRate(nn.ReLU(), 'weight', 1)).toThrow(/has no weight/);
    expect(() => learningRate(m, 'gamma' as 'weight', 1)).toThrow(/unknown accessor/);
  });
});
