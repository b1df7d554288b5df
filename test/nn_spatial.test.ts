// The spatial modules (SpatialConvolution, SpatialBatchNormalization, SpatialMaxPooling,
// SpatialAveragePooling), Dropout and the cudnn twins: against real Torch7 outputs
// (fixtures/torch7/nn), by finite differences in double precision, Float (tfjs) against
// Double (host) on edge cases, on the cpu and the wasm backend.

import { readFileSync } from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, testBackends } from '../src/backend/index.js';
import { Tensor } from '../src/torch/tensor.js';
import { Storage } from '../src/torch/storage.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { createTorchObject } from '../src/t7/torch_object.js';
import { load as loadT7, serialize, deserialize } from '../src/t7/index.js';
import { manualSeed, uniform, bernoulli } from '../src/torch/random.js';
import {
  nn,
  cudnn,
  Module,
  SpatialConvolution,
  SpatialBatchNormalization,
  SpatialMaxPooling,
  SpatialAveragePooling,
  Dropout,
} from '../src/nn/index.js';
import { assertGradCheck } from './helpers/gradcheck.js';
import { channelsLast, randn } from './helpers/nn_fixtures.js';
import { expectClose } from './helpers/close.js';

const FIX = new URL('../fixtures/torch7/nn/', import.meta.url);
const PRINT = new URL('../fixtures/torch7/print/depth20.txt', import.meta.url);

function load(name: string): unknown {
  return loadT7(readFileSync(new URL(name, FIX)));
}

function loadModule(name: string): Module {
  const m = load(`module_${name}.t7`);
  expect(m).toBeInstanceOf(Module);
  return m as Module;
}

function loadIO(name: string): Map<string, Tensor | boolean> {
  const t = load(`io_${name}.t7`) as LuaTable;
  const out = new Map<string, Tensor | boolean>();
  for (const [k, v] of t) out.set(k as string, v as Tensor | boolean);
  return out;
}

function io(m: Map<string, Tensor | boolean>, key: string): Tensor {
  const v = m.get(key);
  if (!(v instanceof Tensor)) throw new Error(`fixture has no tensor '${key}'`);
  return v;
}

const t4 = (a: unknown) => a as Tensor;

for (const backend of testBackends()) {
  describe(`spatial modules on ${backend}`, () => {
    beforeAll(async () => {
      expect(await initBackend(backend)).toBe(backend);
    });

    // ---- against Torch7 --------------------------------------------------------------

    /** Forward (training, evaluate) and backward after zeroGradParameters, as the fixtures were made. */
    function checkAgainstTorch(name: string, opts: { double?: boolean; nhwc?: boolean } = {}): Module {
      const m = loadModule(name);
      const f = loadIO(name);
      const conv = (t: Tensor) => (opts.double ? t.double() : opts.nhwc ? channelsLast(t) : t);
      if (opts.double) m.double();
      const input = conv(io(f, 'input'));
      const gradOutput = conv(io(f, 'gradOutput'));
      m.training();
      expectClose(t4(m.forward(input)), io(f, 'output'), 1e-5, `${name} output (training)`);
      m.evaluate();
      expectClose(t4(m.forward(input)), io(f, 'output_evaluate'), 1e-5, `${name} output (evaluate)`);
      m.training();
      m.zeroGradParameters();
      m.forward(input);
      expectClose(t4(m.backward(input, gradOutput)), io(f, 'gradInput'), 1e-5, `${name} gradInput`);
      const fields = m.fields;
      if (f.has('gradWeight')) expectClose(fields.get('gradWeight') as Tensor, io(f, 'gradWeight'), 1e-5, `${name} gradWeight`);
      if (f.has('gradBias')) expectClose(fields.get('gradBias') as Tensor, io(f, 'gradBias'), 1e-5, `${name} gradBias`);
      else expect(fields.get('gradBias')).toBeUndefined();
      return m;
    }

    const cases = [
      'SpatialConvolution',
      'SpatialConvolution_1x1',
      'SpatialConvolution_nobias_stride2',
      'SpatialMaxPooling_2x2',
      'SpatialAveragePooling_2x2',
      'SpatialAveragePooling_global8',
      'SpatialAveragePooling_pad_ceil',
    ];
    for (const name of cases) {
      it(`${name} matches Torch7 (Float on tfjs)`, () => {
        checkAgainstTorch(name);
      });
      it(`${name} matches Torch7 from channels-last device input`, () => {
        checkAgainstTorch(name, { nhwc: true });
      });
      it(`${name} matches Torch7 in double precision (host kernels)`, () => {
        checkAgainstTorch(name, { double: true });
      });
    }

    it('the loaded convolutions print as Torch prints them', () => {
      expect(loadModule('SpatialConvolution').__tostring__()).toBe('nn.SpatialConvolution(3 -> 4, 3x3, 1,1, 1,1)');
      expect(loadModule('SpatialConvolution_1x1').__tostring__()).toBe('nn.SpatialConvolution(4 -> 6, 1x1)');
      expect(loadModule('SpatialConvolution_nobias_stride2').__tostring__()).toBe('nn.SpatialConvolution(3 -> 4, 3x3, 2,2, 1,1) without bias');
      expect(loadModule('SpatialMaxPooling_2x2').__tostring__()).toBe('nn.SpatialMaxPooling(2x2, 2,2)');
      expect(loadModule('SpatialAveragePooling_pad_ceil').__tostring__()).toBe('nn.SpatialAveragePooling(3x3, 2,2, 1,1)');
    });

    for (const double of [false, true]) {
      it(`SpatialBatchNormalization matches Torch7: training, running stats, evaluate (${double ? 'Double host' : 'Float tfjs'})`, () => {
        const m = loadModule('SpatialBatchNormalization') as SpatialBatchNormalization;
        expect(m.version).toBe(2);
        const f = loadIO('SpatialBatchNormalization');
        if (double) m.double();
        const cv = (t: Tensor) => (double ? t.double() : t);
        const input = cv(io(f, 'input'));
        const gradOutput = cv(io(f, 'gradOutput'));

        m.training();
        expectClose(t4(m.forward(input)), io(f, 'output'), 1e-5, 'BN output (training)');
        expectClose(m.running_mean, io(f, 'running_mean_after_training_forward'), 1e-5, 'running_mean');
        expectClose(m.running_var, io(f, 'running_var_after_training_forward'), 1e-5, 'running_var');

        // Evaluate mode ran on the module as saved (the running statistics of its 3 training forwards).
        const e = loadModule('SpatialBatchNormalization') as SpatialBatchNormalization;
        if (double) e.double();
        e.evaluate();
        expectClose(t4(e.forward(input)), io(f, 'output_evaluate'), 1e-5, 'BN output (evaluate)');
        e.zeroGradParameters();
        expectClose(t4(e.backward(input, gradOutput)), io(f, 'gradInput_evaluate'), 1e-5, 'BN gradInput (evaluate)');
        expectClose(e.gradWeight!, io(f, 'gradWeight_evaluate'), 1e-5, 'BN gradWeight (evaluate)');
        expectClose(e.gradBias!, io(f, 'gradBias_evaluate'), 1e-5, 'BN gradBias (evaluate)');
        expect(e.running_mean.values()).toEqual(loadModule('SpatialBatchNormalization').fields.get('running_mean') instanceof Tensor ? (loadModule('SpatialBatchNormalization').fields.get('running_mean') as Tensor).values() : []);

        // Training backward uses the batch statistics saved by the training forward.
        m.zeroGradParameters();
        m.forward(input);
        expectClose(t4(m.backward(input, gradOutput)), io(f, 'gradInput'), 1e-5, 'BN gradInput (training)');
        expectClose(m.gradWeight!, io(f, 'gradWeight'), 1e-5, 'BN gradWeight (training)');
        expectClose(m.gradBias!, io(f, 'gradBias'), 1e-5, 'BN gradBias (training)');

        // updateGradInput + accGradParameters give what backward gives.
        const gi = t4(m.gradInput).clone();
        m.zeroGradParameters();
        m.updateGradInput(input, gradOutput);
        m.accGradParameters(input, gradOutput, 1);
        expectClose(t4(m.gradInput), gi, 1e-6, 'BN updateGradInput');
        expectClose(m.gradWeight!, io(f, 'gradWeight'), 1e-5, 'BN accGradParameters gradWeight');
        expect(m.__tostring__()).toBe('nn.SpatialBatchNormalization (4D) (4)');
      });
    }

    // ---- finite differences (double precision, host kernels) ---------------------------

    it('SpatialConvolution gradients by finite differences (3x3 pad 1 with bias, stride 2 without bias, 3-d input, padW != padH)', () => {
      manualSeed(7);
      const a = new SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1).double();
      assertGradCheck(a, randn('Double', [2, 3, 5, 5], 1), { tolerance: 1e-6 });
      const b = new SpatialConvolution(3, 2, 3, 3, 2, 2, 1, 1).noBias().double();
      assertGradCheck(b, randn('Double', [2, 3, 6, 7], 2), { tolerance: 1e-6 });
      const c = new SpatialConvolution(2, 3, 3, 2, 2, 1, 1, 0).double();
      assertGradCheck(c, randn('Double', [2, 5, 6], 3), { tolerance: 1e-6 });
    });

    it('SpatialBatchNormalization gradients by finite differences (training, evaluate, no affine)', () => {
      manualSeed(7);
      const a = new SpatialBatchNormalization(3).double();
      assertGradCheck(a, randn('Double', [4, 3, 3, 2], 4), { tolerance: 1e-6 });
      const b = new SpatialBatchNormalization(3).double();
      b.forward(randn('Double', [4, 3, 3, 2], 5));
      b.evaluate();
      assertGradCheck(b, randn('Double', [4, 3, 3, 2], 6), { tolerance: 1e-6 });
      const c = new SpatialBatchNormalization(2, 1e-5, 0.1, false).double();
      expect(c.parameters()).toBeNull();
      assertGradCheck(c, randn('Double', [3, 2, 2, 2], 7), { tolerance: 1e-6 });
    });

    it('pooling gradients by finite differences (max with pad and ceil, average excluding pad)', () => {
      const mp = new SpatialMaxPooling(3, 3, 2, 2, 1, 1).ceil().double();
      assertGradCheck(mp, randn('Double', [2, 2, 6, 5], 8), { tolerance: 1e-6 });
      const ap = new SpatialAveragePooling(3, 2, 2, 2, 1, 1).ceil().setCountExcludePad().double();
      assertGradCheck(ap, randn('Double', [2, 2, 5, 6], 9), { tolerance: 1e-6 });
    });

    // ---- Float (tfjs) against Double (host) on edge cases ------------------------------

    /** Runs the same module in Float and Double on the same input; outputs and gradients agree. */
    function floatMatchesDouble(make: () => Module, sizes: number[], seed: number, nhwc = false): void {
      manualSeed(seed);
      const mf = make().float();
      manualSeed(seed);
      const md = make().double();
      const xd = randn('Double', sizes, seed);
      const xf = nhwc && sizes.length === 4 ? channelsLast(xd.float()) : xd.float();
      const yd = t4(md.forward(xd));
      const yf = t4(mf.forward(xf));
      expectClose(yf, yd, 1e-5, `${mf.__tostring__()} output`);
      const gd = randn('Double', yd.size(), seed + 1);
      mf.zeroGradParameters();
      md.zeroGradParameters();
      expectClose(t4(mf.backward(xf, gd.float())), t4(md.backward(xd, gd)), 1e-5, `${mf.__tostring__()} gradInput`);
      const pf = mf.parameters();
      const pd = md.parameters();
      pf?.[1].forEach((g, i) => expectClose(g, pd![1][i]!, 1e-5, `${mf.__tostring__()} gradParameter ${i + 1}`));
    }

    it('Float on tfjs equals Double on the host: convolutions', () => {
      floatMatchesDouble(() => new SpatialConvolution(3, 5, 3, 3, 2, 2, 1, 1), [2, 3, 7, 6], 11);
      floatMatchesDouble(() => new SpatialConvolution(3, 4, 5, 3, 1, 2, 2, 1), [2, 3, 7, 8], 12, true);
      floatMatchesDouble(() => new SpatialConvolution(4, 3, 1, 1, 2, 2).noBias(), [3, 4, 5, 5], 13, true);
      floatMatchesDouble(() => new SpatialConvolution(2, 3, 3, 3, 1, 1, 1), [2, 6, 6], 14);
      // padding wider than the kernel, strides that leave rows unused
      floatMatchesDouble(() => new SpatialConvolution(2, 3, 1, 1, 2, 2, 1, 1), [2, 2, 5, 6], 15, true);
      floatMatchesDouble(() => new SpatialConvolution(3, 2, 2, 3, 3, 2, 3, 0), [1, 3, 8, 7], 16);
    });

    it('Float on tfjs equals Double on the host: pooling in ceil mode, padding, exclude-pad, old files without divide', () => {
      floatMatchesDouble(() => new SpatialMaxPooling(3, 3, 2, 2, 1, 1).ceil(), [2, 3, 7, 6], 21);
      floatMatchesDouble(() => new SpatialMaxPooling(2, 2).ceil(), [2, 3, 5, 5], 22, true);
      floatMatchesDouble(() => new SpatialMaxPooling(3, 2, 1, 2), [3, 4, 5], 23);
      floatMatchesDouble(() => new SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil().setCountExcludePad(), [2, 3, 7, 6], 24, true);
      floatMatchesDouble(() => new SpatialAveragePooling(2, 3, 3, 2, 1, 1).ceil(), [2, 2, 8, 7], 25);
      floatMatchesDouble(() => {
        const m = new SpatialAveragePooling(2, 2, 2, 2);
        m.fields.delete('divide');
        return m;
      }, [1, 2, 4, 4], 26);
    });

    it('Float on tfjs equals Double on the host: batch norm (channels-last input, no affine, batch of one, 3-d in evaluate)', () => {
      floatMatchesDouble(() => new SpatialBatchNormalization(3), [4, 3, 4, 5], 31, true);
      floatMatchesDouble(() => new SpatialBatchNormalization(3, 1e-3, 0.3, false), [2, 3, 3, 3], 32);
      // A batch of one in training uses (and keeps) the running statistics, as THNN.
      manualSeed(33);
      const one = new SpatialBatchNormalization(2).float();
      const rm = one.running_mean.clone();
      floatMatchesDouble(() => new SpatialBatchNormalization(2), [1, 2, 3, 3], 34);
      one.forward(randn('Float', [1, 2, 3, 3], 35));
      expect(one.running_mean.values()).toEqual(rm.values());
      // 3-d input is accepted in evaluate mode only; the output is batched as Torch's.
      const e = new SpatialBatchNormalization(2).float();
      expect(() => e.forward(randn('Float', [2, 3, 3], 36))).toThrow(/only mini-batch supported \(4D tensor\), got 3D/);
      e.evaluate();
      expect(t4(e.forward(randn('Float', [2, 3, 3], 36))).size()).toEqual([1, 2, 3, 3]);
    });

    // ---- construction, RNG, printing, loading ------------------------------------------

    it('constructors follow Torch: defaults, field names, reset draws weight then bias', () => {
      manualSeed(1);
      const c = new SpatialConvolution(3, 4, 3, 2);
      expect([c.dW, c.dH, c.padW, c.padH]).toEqual([1, 1, 0, 0]);
      expect(c.weight.size()).toEqual([4, 3, 2, 3]);
      // reset() = weight:uniform(-s, s) then bias:uniform(-s, s), s = 1/sqrt(kW*kH*nIn)
      manualSeed(1);
      const s = 1 / Math.sqrt(3 * 2 * 3);
      const cast = c.weight.elementType === 'Float' ? Math.fround : (v: number) => v;
      const draws = Array.from({ length: 4 * 3 * 2 * 3 + 4 }, () => cast(uniform(-s, s)));
      expect(c.weight.values()).toEqual(draws.slice(0, 72));
      expect(c.bias!.values()).toEqual(draws.slice(72));
      expect(new SpatialConvolution(3, 4, 3, 3, 1, 1, 2).padH).toBe(2);
      expect([...c.noBias().fields.keys()]).not.toContain('bias');
      expect(c.__tostring__()).toBe('nn.SpatialConvolution(3 -> 4, 3x2) without bias');

      manualSeed(2);
      const bn = new SpatialBatchNormalization(5);
      manualSeed(2);
      const castBn = bn.weight!.elementType === 'Float' ? Math.fround : (v: number) => v;
      expect(bn.weight!.values()).toEqual(Array.from({ length: 5 }, () => castBn(uniform(0, 1))));
      expect(bn.bias!.values()).toEqual([0, 0, 0, 0, 0]);
      expect(bn.running_var.values()).toEqual([1, 1, 1, 1, 1]);
      expect([bn.eps, bn.momentum, bn.affine, bn.version]).toEqual([1e-5, 0.1, true, 2]);

      const mp = new SpatialMaxPooling(3, 2);
      expect([mp.dW, mp.dH, mp.padW, mp.padH, mp.ceil_mode]).toEqual([3, 2, 0, 0, false]);
      expect(mp.fields.get('indices')).toBeInstanceOf(Tensor);
      const ap = new SpatialAveragePooling(3, 2);
      expect([ap.dW, ap.dH, ap.ceil_mode, ap.count_include_pad, ap.divide]).toEqual([1, 1, false, true, true]);
      expect(new nn.SpatialAveragePooling(8, 8).__tostring__()).toBe('nn.SpatialAveragePooling(8x8, 1,1)');
      expect(new nn.Dropout().__tostring__()).toBe('nn.Dropout(0.500000)');
      expect(() => new Dropout(1)).toThrow(/illegal percentage/);
    });

    it("prints the spatial modules of Torch's depth-20 model print exactly", () => {
      const lines = new Set(readFileSync(PRINT, 'latin1').split('\n').map((l) => l.replace(/^[\s|`>-]*\(\d+\): /, '').trim()));
      const mine = [
        new SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1).noBias(),
        new SpatialConvolution(16, 16, 1, 1).noBias(),
        new SpatialConvolution(64, 32, 1, 1, 2, 2).noBias(),
        new SpatialConvolution(16, 16, 3, 3, 1, 1, 1, 1).noBias(),
        new SpatialBatchNormalization(16),
        new SpatialBatchNormalization(256),
        new SpatialAveragePooling(8, 8, 1, 1),
      ];
      for (const m of mine) expect(lines.has(m.__tostring__()), m.__tostring__()).toBe(true);
    });

    it('a version-1 batch norm file (running_std) is converted to running_var on load', () => {
      const m = createTorchObject('nn.SpatialBatchNormalization', 1) as SpatialBatchNormalization;
      const std = Tensor.fromArray('Float', [0.5, 2, 1.25]);
      for (const [k, v] of Object.entries({ eps: 1e-5, momentum: 0.1, affine: true, running_mean: Tensor.fromArray('Float', [0, 1, 2]), running_std: std, weight: Tensor.fromArray('Float', [1, 1, 1]), bias: Tensor.fromArray('Float', [0, 0, 0]), gradWeight: Tensor.create('Float', [3]), gradBias: Tensor.create('Float', [3]), output: new Tensor('Float'), gradInput: new Tensor('Float') })) m.fields.set(k, v);
      m.onLoad();
      expect(m.version).toBe(2);
      expect(m.fields.has('running_std')).toBe(false);
      // pow(-2) then add(-eps), each rounded to float
      const want = [0.5, 2, 1.25].map((s) => Math.fround(Math.fround(s ** -2) - 1e-5));
      expect(m.running_var.values()).toEqual(want);
      m.evaluate();
      const y = t4(m.forward(Tensor.fromArray('Float', [[[[1]], [[3]], [[2]]]])));
      expect(y.values().map((v) => Number(v.toFixed(4)))).toEqual([0.5, 4, 0]);
    });

    it('fixture modules load as live modules and save back byte for byte; a V1 file converts through the reader', () => {
      for (const name of cases.concat(['SpatialBatchNormalization'])) {
        const bytes = new Uint8Array(readFileSync(new URL(`module_${name}.t7`, FIX)));
        const m = loadT7(bytes) as Module;
        expect(m.constructor.name, name).toBe(name.replace(/_.*$/, ''));
        expect(Buffer.from(serialize(m)).equals(Buffer.from(bytes)), `${name} round trip`).toBe(true);
      }
      // A module built here saves as Torch saves it: class version 2 for batch norm.
      manualSeed(4);
      const bn = new SpatialBatchNormalization(3).float();
      const back = deserialize(serialize(bn)) as SpatialBatchNormalization;
      expect([back.className, back.version, back.constructor]).toEqual(['nn.SpatialBatchNormalization', 2, SpatialBatchNormalization]);
      expect(back.weight!.values()).toEqual(bn.weight!.values());
      // An old file: "V 1" with running_std.
      const old = createTorchObject('nn.SpatialBatchNormalization', 1) as SpatialBatchNormalization;
      for (const [k, v] of bn.fields) if (k !== 'running_var') old.fields.set(k, v);
      old.fields.set('running_std', Tensor.fromArray('Float', [0.5, 2, 4]));
      const conv = deserialize(serialize(old)) as SpatialBatchNormalization;
      expect(conv.version).toBe(2);
      expect(conv.fields.has('running_std')).toBe(false);
      expect(conv.running_var.values()).toEqual([0.5, 2, 4].map((v) => Math.fround(Math.fround(v ** -2) - 1e-5)));
    });

    // ---- Dropout ------------------------------------------------------------------------

    for (const type of ['Float', 'Double'] as const) {
      it(`Dropout (${type}): Torch's bernoulli draws, 1/(1-p) scaling in training, identity in evaluate, v1, inplace`, () => {
        const p = 0.3;
        const x = randn(type, [2, 3, 4, 4], 41);
        const d = new Dropout(p).type(`torch.${type}Tensor`);
        manualSeed(5);
        const y = t4(d.forward(x)).values();
        manualSeed(5);
        const mask = Array.from({ length: x.nElement() }, () => bernoulli(1 - p));
        const keep = type === 'Float' ? Math.fround(1 - p) : 1 - p;
        const scaleF = (v: number) => (type === 'Float' ? Math.fround(v) : v);
        const xv = x.values();
        const want = xv.map((v, i) => scaleF(v * scaleF(mask[i]! / keep)));
        expect(y).toEqual(want);
        expect(mask.some((m) => m === 0) && mask.some((m) => m === 1)).toBe(true);
        const g = randn(type, x.size(), 42);
        const gv = g.values();
        expect(t4(d.backward(x, g)).values()).toEqual(gv.map((v, i) => scaleF(v * scaleF(mask[i]! / keep))));
        d.evaluate();
        expect(t4(d.forward(x)).values()).toEqual(xv);
        expect(t4(d.backward(x, g)).values()).toEqual(gv);

        const v1 = new Dropout(p, true).type(`torch.${type}Tensor`);
        v1.evaluate();
        expect(t4(v1.forward(x)).values()).toEqual(xv.map((v) => scaleF(v * scaleF(1 - p))));

        const ip = new Dropout(p, false, true).type(`torch.${type}Tensor`);
        const x2 = channelsLastIf(type, x.clone());
        manualSeed(5);
        const out = t4(ip.forward(x2));
        expect(out.values()).toEqual(want);
        expect(x2.values()).toEqual(want);
        expect(out.storage()).toBe(x2.storage());
      });
    }

    // ---- cudnn twins ----------------------------------------------------------------------

    it('cudnn twins: own class names and defaults, nn computation, extra fields survive a load', () => {
      manualSeed(3);
      const a = new cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1);
      manualSeed(3);
      const b = new nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 0);
      expect(a.className).toBe('cudnn.SpatialConvolution');
      expect(a.padH).toBe(0); // cudnn: padH defaults to 0, not padW
      expect(a.weight.values()).toEqual(b.weight.values());
      expect(a.fields.get('groups')).toBe(1);
      expect(a.__tostring__()).toBe('cudnn.SpatialConvolution(3 -> 4, 3x3, 1,1, 1,0)');
      const x = randn('Float', [2, 3, 5, 5], 51);
      a.float();
      b.float();
      expect(t4(a.forward(x)).values()).toEqual(t4(b.forward(x)).values());

      const bn = new cudnn.SpatialBatchNormalization(4);
      expect([bn.className, bn.version, bn.__tostring__()]).toEqual(['cudnn.SpatialBatchNormalization', 2, 'cudnn.SpatialBatchNormalization']);
      const ap = new cudnn.SpatialAveragePooling(2, 2);
      expect([ap.dW, ap.dH, ap.divide, ap.fields.get('iSize')]).toEqual([2, 2, true, expect.any(Storage)]);
      expect(ap.__tostring__()).toBe('cudnn.SpatialAveragePooling(2x2, 2,2)');
      const mp = new cudnn.SpatialMaxPooling(3, 3, 2, 2, 1, 1);
      expect(mp.__tostring__()).toBe('cudnn.SpatialMaxPooling(3x3, 2,2, 1,1)');
      expect(mp.fields.has('indices')).toBe(false);

      // A GPU checkpoint's module: the nn fields plus cudnn's own; it runs and keeps them.
      const src = loadModule('SpatialConvolution');
      const loaded = createTorchObject('cudnn.SpatialConvolution', 1) as SpatialConvolution;
      for (const [k, v] of src.fields) loaded.fields.set(k, v);
      const desc = LuaTable.fromRecord({ padA: LuaTable.fromArray([1, 1]), dataType: 'CUDNN_DATA_FLOAT' });
      loaded.fields.set('iSize', new Storage('Long', 4));
      loaded.fields.set('convDescData', desc);
      loaded.fields.set('mode', 'CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM');
      loaded.fields.set('groups', 1);
      loaded.onLoad();
      expect(loaded).toBeInstanceOf(SpatialConvolution);
      const f = loadIO('SpatialConvolution');
      expectClose(t4(loaded.forward(io(f, 'input'))), io(f, 'output'), 1e-5, 'cudnn conv output');
      loaded.backward(io(f, 'input'), io(f, 'gradOutput'));
      expect(loaded.fields.get('convDescData')).toBe(desc);
      expect(loaded.fields.get('mode')).toBe('CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM');
      expect(loaded.fields.get('iSize')).toBeInstanceOf(Storage);
      expect(loaded.__tostring__()).toBe('cudnn.SpatialConvolution(3 -> 4, 3x3, 1,1, 1,1)');
    });

    // ---- errors and memory ------------------------------------------------------------------

    it('errors say what was expected and what was found', () => {
      const c = new SpatialConvolution(3, 4, 3, 3).float();
      expect(() => c.forward(randn('Float', [2, 5, 6, 6], 1))).toThrow(/expected input with 3 planes.*got 5/);
      expect(() => c.forward(randn('Float', [6, 6], 1))).toThrow(/3D or 4D input/);
      expect(() => c.forward(randn('Float', [1, 3, 2, 2], 1))).toThrow(/too small/);
      expect(() => c.forward(randn('Double', [1, 3, 4, 4], 1))).toThrow(/torch.DoubleTensor but the weight is a torch.FloatTensor/);
      const bn = new SpatialBatchNormalization(3).float();
      expect(() => bn.forward(randn('Float', [2, 4, 3, 3], 1))).toThrow(/got 4-feature tensor, expected 3/);
      expect(() => new SpatialMaxPooling(2, 2, 2, 2, 2, 2).float().forward(randn('Float', [1, 1, 4, 4], 1))).toThrow(/pad should be smaller than half of kernel size/);
    });

    it('no tfjs tensor leaks over repeated forward/backward in training and evaluate mode (Float)', () => {
      manualSeed(9);
      const mods: Module[] = [
        new SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1).float(),
        new SpatialConvolution(3, 4, 3, 3, 2, 2, 1, 1).noBias().float(),
        new SpatialBatchNormalization(3).float(),
        new SpatialMaxPooling(3, 3, 2, 2, 1, 1).ceil().float(),
        new SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil().float(),
        new Dropout(0.2).float(),
      ];
      const x = channelsLast(randn('Float', [2, 3, 6, 6], 61));
      let round = 0;
      const step = () => {
        round++;
        for (const m of mods) {
          if (round % 2) m.training();
          else m.evaluate();
          const y = t4(m.forward(x));
          const g = Tensor.fromTF(tf.tidy(() => tf.onesLike(y.toTF())));
          m.backward(x, g);
          g.storage().dispose();
        }
      };
      step();
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 6; i++) step();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

function channelsLastIf(type: 'Float' | 'Double', t: Tensor): Tensor {
  return type === 'Float' ? channelsLast(t) : t;
}
