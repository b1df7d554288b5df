// Modules as Torch7 leaves them after a training forward and backward, saved without
// clearState() (fixtures/torch7/after_forward, written by real Torch7): mpelu builds the
// same module, copies Torch's parameters in, runs the same calls and saves; the file must
// hold the same fields with the same sizes, strides, storage offsets, sharing and values.
// Float on cpu and wasm (with the input also fed channels-last on the device, as a previous
// layer's output would be), and Double on the host.
//
// Known differences, each harmless (docs/ARCHITECTURE.md, departures): THNN's scratch buffers `finput` /
// `fgradInput` (SpatialConvolution) and the Float path's max-pooling `indices` are left
// empty (THNN resizes and refills them in updateOutput before anything reads them).

import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import * as t7 from '../src/t7/index.js';
import { Tensor } from '../src/torch/tensor.js';
import { Storage } from '../src/torch/storage.js';
import { TorchObject } from '../src/t7/torch_object.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { nn, type Module } from '../src/nn/index.js';
import { BACKENDS, channelsLast, loadFixture } from './helpers/nn_fixtures.js';
import { expectTorchStrides, reachableTensors } from './helpers/torch_layout.js';

/** The README's cases, built in mpelu. */
const CASES: Record<string, () => Module> = {
  SpatialConvolution: () => nn.SpatialConvolution(4, 5, 3, 3, 1, 1, 1, 1),
  SpatialConvolution_nobias: () => nn.SpatialConvolution(4, 5, 1, 1, 2, 2).noBias(),
  SpatialBatchNormalization: () => nn.SpatialBatchNormalization(4),
  MPELU_perchannel: () => nn.MPELU(0.25, 1, 4),
  MPELU_shared: () => nn.MPELU(0.25, 1),
  SPELU_perchannel: () => nn.SPELU(1, 4),
  PReLU_perchannel: () => nn.PReLU(0.25, 4),
  ELU: () => nn.ELU(1),
  ReLU: () => nn.ReLU(),
  SpatialMaxPooling: () => nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1),
  SpatialAveragePooling: () => nn.SpatialAveragePooling(6, 6),
  View: () => nn.View(-1).setNumInputDims(3),
  Linear: () => nn.Linear(144, 3),
  SoftMax: () => nn.SoftMax(),
  Residual: () =>
    nn.Sequential()
      .add(nn.ConcatTable()
        .add(nn.Sequential().add(nn.SpatialBatchNormalization(4)).add(nn.MPELU(0.25, 1, 4)).add(nn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1)))
        .add(nn.Identity()))
      .add(nn.CAddTable(true))
      .add(nn.SpatialAveragePooling(6, 6))
      .add(nn.View(4).setNumInputDims(3))
      .add(nn.Linear(4, 2)),
};

/** Fields mpelu leaves empty where Torch7 fills a scratch buffer (see the header). */
function knownEmpty(path: string, type: 'Float' | 'Double'): boolean {
  if (/\.(finput|fgradInput)$/.test(path)) return true;
  return type === 'Float' && /\.indices$/.test(path);
}

interface Entry {
  path: string;
  kind: string;
  tensor?: Tensor;
  value?: unknown;
}

/** Every field reachable from a loaded file, in a canonical (sorted) order. */
function entries(root: unknown): Entry[] {
  const out: Entry[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): void => {
    if (v instanceof Tensor) out.push({ path, kind: 'tensor', tensor: v });
    else if (v instanceof Storage) out.push({ path, kind: 'storage', value: Array.from({ length: v.size() }, (_, i) => v.getNumber(i)) });
    else if (v === null || typeof v !== 'object') out.push({ path, kind: typeof v, value: v });
    else if (seen.has(v)) out.push({ path, kind: 'ref' });
    else {
      seen.add(v);
      if (v instanceof TorchObject) {
        out.push({ path, kind: v.className });
        for (const [k, x] of v.fields.entries()) visit(x, `${path}.${String(k)}`);
      } else if (v instanceof LuaTable) {
        out.push({ path, kind: 'table' });
        for (const [k, x] of v.entries()) visit(x, `${path}[${String(k)}]`);
      }
    }
  };
  visit(root, 'f');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function field(t: LuaTable, k: string): unknown {
  return t.get(k);
}

/** Runs Torch's calls on a fresh mpelu module with the fixture's parameters; returns the reloaded save. */
function runAndSave(name: string, type: 'Float' | 'Double', feedChannelsLast: boolean): LuaTable {
  const fixture = loadFixture(`after_forward/after_${name}.t7`) as LuaTable;
  const torchModule = field(fixture, 'module') as Module;
  const m = CASES[name]!();
  const want = type === 'Float' ? 'torch.FloatTensor' : 'torch.DoubleTensor';
  m.type(want);
  const params = m.parameters();
  if (params) {
    const theirs = torchModule.parameters()!;
    params[0].forEach((p, i) => p.copy(theirs[0][i]!));
  }
  const conv = (t: Tensor) => (type === 'Double' ? t.double() : t.clone());
  let input = conv(field(fixture, 'input') as Tensor);
  const gradOutput = conv(field(fixture, 'gradOutput') as Tensor);
  if (feedChannelsLast && input.dim() === 4) input = channelsLast(input);
  m.training();
  m.forward(input);
  m.zeroGradParameters();
  m.backward(input, gradOutput);
  // What a Torch script could see before saving: Torch's strides everywhere.
  for (const { path, tensor } of reachableTensors(m)) {
    if (!knownEmpty(path, type)) expectTorchStrides(tensor, path);
  }
  const table = new LuaTable();
  table.set('module', m);
  table.set('input', input);
  table.set('gradOutput', gradOutput);
  return t7.deserialize(t7.serialize(table)) as LuaTable;
}

function compareWithTorch(name: string, type: 'Float' | 'Double', ours: LuaTable): void {
  const theirs = entries(loadFixture(`after_forward/after_${name}.t7`));
  const mine = entries(ours);
  const paths = (es: Entry[]) => es.map((e) => e.path);
  expect(paths(mine).join('\n'), `${name}: fields`).toBe(paths(theirs).join('\n'));
  // Sharing: two tensors share a storage in our file exactly when they do in Torch's.
  const storageIds = (es: Entry[]) => {
    const ids = new Map<Storage, number>();
    return es.map((e) => {
      if (!e.tensor?.hasStorage()) return -1;
      const s = e.tensor.storage();
      if (!ids.has(s)) ids.set(s, ids.size);
      return ids.get(s)!;
    });
  };
  const mineIds = storageIds(mine);
  const theirIds = storageIds(theirs);
  theirs.forEach((t, i) => {
    const m = mine[i]!;
    const where = `${name} ${type}: ${t.path}`;
    expect(m.kind, where).toBe(t.kind);
    if (t.kind !== 'tensor') {
      if (type === 'Double' && t.value === 'torch.FloatTensor') expect(m.value, where).toBe('torch.DoubleTensor');
      else if (typeof t.value === 'number') expect(m.value as number, where).toBeCloseTo(t.value, 6);
      else expect(m.value, where).toEqual(t.value);
      return;
    }
    const a = m.tensor!;
    const b = t.tensor!;
    const cls = b.className().replace('Float', type);
    expect(a.className(), where).toBe(b.className().startsWith('torch.Long') ? b.className() : cls);
    if (knownEmpty(t.path, type)) {
      expect(a.nElement(), `${where} (left empty)`).toBe(0);
      return;
    }
    expect(a.size(), where).toEqual(b.size());
    expect(a.stride(), where).toEqual(b.stride());
    expect(a.storageOffset(), where).toBe(b.storageOffset());
    for (let j = 0; j < i; j++) {
      if (theirIds[j]! >= 0 && theirs[j]!.kind === 'tensor' && !knownEmpty(theirs[j]!.path, type)) {
        expect(mineIds[j] === mineIds[i], `${where} shares a storage with ${theirs[j]!.path}: ${theirIds[j] === theirIds[i]}`).toBe(theirIds[j] === theirIds[i]);
      }
    }
    // Values to 1e-5 of the tensor's largest magnitude (float32 sums in another order).
    const av = a.values();
    const bv = b.values();
    const scale = Math.max(1e-6, ...bv.map(Math.abs));
    let worst = 0;
    for (let k = 0; k < bv.length; k++) worst = Math.max(worst, Math.abs(av[k]! - bv[k]!) / scale);
    expect(worst, `${where}: largest difference / largest magnitude`).toBeLessThan(1e-5);
  });
}

for (const backend of BACKENDS) {
  describe(`after a training forward and backward, Float on ${backend}: the saved file is Torch7's`, () => {
    for (const name of Object.keys(CASES)) {
      it(name, async () => {
        await initBackend(backend);
        compareWithTorch(name, 'Float', runAndSave(name, 'Float', false));
        compareWithTorch(name, 'Float', runAndSave(name, 'Float', true));
      });
    }
  });
}

describe('after a training forward and backward, Double on the host: the saved file is Torch7\'s', () => {
  for (const name of Object.keys(CASES)) {
    it(name, () => {
      compareWithTorch(name, 'Double', runAndSave(name, 'Double', false));
    });
  }
});
