// Module types without a Torch7 after_forward fixture (see test/after_forward.test.ts for the
// ones with): after a training forward and backward of an input held channels-last on the
// device (as a previous layer's output is), every tensor reachable from the module has
// Torch's row-major strides and views, before saving and after a save and load; Float on cpu
// and wasm agrees with Double on the host, and the saved-and-loaded module computes the same.

import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import * as t7 from '../src/t7/index.js';
import { Tensor } from '../src/torch/tensor.js';
import { manualSeed } from '../src/torch/random.js';
import { nn, cudnn, type Module } from '../src/nn/index.js';
import { BACKENDS, channelsLast, randn } from './helpers/nn_fixtures.js';
import { expectClose } from './helpers/close.js';
import { expectTorchStrides, reachableTensors } from './helpers/torch_layout.js';

interface Case {
  build: () => Module;
  input?: number[];
  /** Random modules (Dropout) are compared on strides only. */
  random?: boolean;
}

const CASES: Record<string, Case> = {
  'CAddTable (not in place) after ConcatTable': { build: () => nn.Sequential().add(nn.ConcatTable().add(nn.ReLU()).add(nn.Identity())).add(nn.CAddTable()) },
  'Concat(2) of a convolution and a ReLU': { build: () => nn.Concat(2).add(nn.SpatialConvolution(4, 3, 1, 1)).add(nn.ReLU()) },
  ParallelTable: { build: () => nn.Sequential().add(nn.ConcatTable().add(nn.Identity()).add(nn.Identity())).add(nn.ParallelTable().add(nn.ReLU()).add(nn.ELU())).add(nn.CAddTable()) },
  'Dropout(0.5)': { build: () => nn.Dropout(0.5), random: true },
  'Dropout(0.5) in place': { build: () => nn.Sequential().add(nn.MulConstant(1)).add(nn.Dropout(0.5, false, true)), random: true },
  'LeakyReLU(0.1)': { build: () => nn.LeakyReLU(0.1) },
  'LeakyReLU in place': { build: () => nn.Sequential().add(nn.MulConstant(1)).add(nn.LeakyReLU(0.1, true)) },
  'ReLU in place': { build: () => nn.Sequential().add(nn.MulConstant(1)).add(nn.ReLU(true)) },
  'MulConstant(2)': { build: () => nn.MulConstant(2) },
  'MulConstant in place': { build: () => nn.Sequential().add(nn.MulConstant(1)).add(nn.MulConstant(2, true)) },
  'Reshape(2, 144)': { build: () => nn.Reshape(2, 144) },
  'SoftMax over channels (4-d)': { build: () => nn.SoftMax() },
  'LogSoftMax (2x5)': { build: () => nn.LogSoftMax(), input: [2, 5] },
  'ELU in place': { build: () => nn.Sequential().add(nn.MulConstant(1)).add(nn.ELU(1, true)) },
  'cudnn.SpatialConvolution': { build: () => cudnn.SpatialConvolution(4, 5, 3, 3, 1, 1, 1, 1) },
  'cudnn.SpatialBatchNormalization': { build: () => cudnn.SpatialBatchNormalization(4) },
  'cudnn.SpatialMaxPooling': { build: () => cudnn.SpatialMaxPooling(2, 2, 2, 2) },
  'cudnn.SpatialAveragePooling': { build: () => cudnn.SpatialAveragePooling(3, 3, 3, 3) },
  'cudnn.ReLU': { build: () => cudnn.ReLU() },
  'Sequential whose first convolution has gradInput = nil': {
    build: () => {
      const s = nn.Sequential().add(nn.SpatialConvolution(4, 3, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(3)).add(nn.MPELU(0.25, 1, 3));
      s.get(1).gradInput = undefined;
      return s;
    },
  },
};

/** Scratch buffers mpelu leaves empty (docs/ARCHITECTURE.md, departures). */
const knownEmpty = (path: string, type: 'Float' | 'Double') => /\.(finput|fgradInput)$/.test(path) || (type === 'Float' && /\.indices$/.test(path));

function checkStrides(m: Module, type: 'Float' | 'Double', where: string): void {
  for (const { path, tensor } of reachableTensors(m)) if (!knownEmpty(path, type)) expectTorchStrides(tensor, `${where} ${path}`);
}

interface Run {
  output: Tensor;
  gradInput: Tensor | undefined;
}

function run(c: Case, type: 'Float' | 'Double', weightsFrom?: Module): [Module, Run, Tensor, Tensor] {
  const m = c.build();
  m.type(type === 'Float' ? 'torch.FloatTensor' : 'torch.DoubleTensor');
  if (weightsFrom?.parameters()) m.getParameters()[0].copy(weightsFrom.getParameters()[0]);
  const x0 = randn('Double', c.input ?? [2, 4, 6, 6], 5);
  const x = type === 'Double' ? x0 : x0.dim() === 4 ? channelsLast(x0.float()) : x0.float();
  m.training();
  manualSeed(3);
  const y = m.forward(x) as Tensor;
  const g0 = randn('Double', y.size(), 6);
  const g = type === 'Double' ? g0 : g0.dim() === 4 ? channelsLast(g0.float()) : g0.float();
  m.zeroGradParameters();
  const gi = m.backward(x, g) as Tensor | undefined;
  return [m, { output: y, gradInput: gi }, x, g];
}

for (const backend of BACKENDS) {
  describe(`module types without a fixture, Float on ${backend} and Double: Torch's strides everywhere`, () => {
    for (const [name, c] of Object.entries(CASES)) {
      it(name, async () => {
        await initBackend(backend);
        const [md, rd] = run(c, 'Double');
        checkStrides(md, 'Double', 'Double');
        const [mf, rf, x, g] = run(c, 'Float', md);
        checkStrides(mf, 'Float', 'Float');
        expect(rf.output.view(-1).nElement()).toBe(rf.output.nElement());
        expect(rf.gradInput === undefined).toBe(rd.gradInput === undefined);
        if (!c.random) {
          expectClose(rf.output, rd.output, 1e-4, `${name} output`);
          if (rd.gradInput) expectClose(rf.gradInput, rd.gradInput, 1e-4, `${name} gradInput`);
        }
        // Saved without clearState and loaded back: the same strides, and the same numbers.
        const loaded = t7.deserialize(t7.serialize(mf)) as Module;
        checkStrides(loaded, 'Float', 'loaded');
        if (!c.random) {
          const again = (loaded.forward(x) as Tensor).values();
          expect(again).toEqual((mf.forward(x) as Tensor).values());
          loaded.zeroGradParameters();
          mf.zeroGradParameters();
          // In-place modules write their gradInput into gradOutput: each call gets its own.
          const a = loaded.backward(x, g.clone()) as Tensor | undefined;
          const b = mf.backward(x, g.clone()) as Tensor | undefined;
          if (b) expect(a!.values()).toEqual(b.values());
          if (mf.parameters()) expect(loaded.getParameters()[1].values()).toEqual(mf.getParameters()[1].values());
        }
      });
    }
  });
}

describe('gradInput = nil', () => {
  it('a module after the first with gradInput = nil leaves its predecessor no gradOutput: a clear error', () => {
    const s = nn.Sequential().add(nn.ReLU()).add(nn.Linear(3, 2)).double();
    s.get(2).gradInput = undefined;
    const x = randn('Double', [4, 3], 1);
    s.forward(x);
    expect(() => s.backward(x, randn('Double', [4, 2], 2))).toThrow(
      /module 2 \(nn\.Linear\) has gradInput = nil, so module 1 \(nn\.ReLU\) gets no gradOutput/,
    );
  });
});
