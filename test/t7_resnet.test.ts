// fb.resnet.torch checkpoints (fixtures/torch7/resnet/depth20): model_N.t7, optimState_N.t7
// and latest.t7 load with the content expected.json states, can be changed and saved,
// and survive the GPU-run variants (torch.CudaTensor optimizer state, cudnn modules)
// through `mpelu convert --float --nn`.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { TorchObject } from '../src/t7/torch_object.js';
import { Storage } from '../src/torch/storage.js';
import { Tensor } from '../src/torch/tensor.js';
import { convertFile, mapGraph } from '../src/cli/convert.js';

const DIR = new URL('../fixtures/torch7/resnet/depth20/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  nParameters: number;
  moduleCensus: Record<string, number>;
  losses: number[];
  params_before: Stats;
  params_after: Stats;
  gradParams_step1: Stats;
  learningRates: Stats;
  weightDecays: Stats;
};
interface Stats {
  n: number;
  sum: number;
  abssum: number;
  min: number;
  max: number;
}

const tmp = mkdtempSync(join(tmpdir(), 't7-resnet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function statsOf(values: Iterable<number>): Stats {
  let n = 0;
  let sum = 0;
  let abssum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    n++;
    sum += v;
    abssum += Math.abs(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { n, sum, abssum, min, max };
}

function expectStats(got: Stats, want: Stats): void {
  expect(got.n).toBe(want.n);
  expect(got.min).toBe(want.min);
  expect(got.max).toBe(want.max);
  expect(got.sum).toBeCloseTo(want.sum, 6);
  expect(got.abssum).toBeCloseTo(want.abssum, 6);
}

/** Modules in depth-first order (Torch's listModules). */
function modules(m: TorchObject): TorchObject[] {
  const out = [m];
  const children = m.fields.get('modules');
  if (children instanceof LuaTable) for (const c of children.toArray()) out.push(...modules(c as TorchObject));
  return out;
}

/** weight, bias of every module in getParameters order. */
function parameters(model: TorchObject): Tensor[] {
  const out: Tensor[] = [];
  for (const m of modules(model)) {
    for (const k of ['weight', 'bias']) {
      const t = m.fields.get(k);
      if (t instanceof Tensor) out.push(t);
    }
  }
  return out;
}

describe('fb.resnet.torch checkpoints', () => {
  it('latest.t7 is {epoch, modelFile, optimFile}', () => {
    const latest = t7.load(join(DIR, 'latest.t7')) as LuaTable;
    expect(Object.fromEntries(latest)).toEqual({ epoch: 1, modelFile: 'model_1.t7', optimFile: 'optimState_1.t7' });
  });

  it('model_1.t7: the module census, and every weight a view into one flat storage', () => {
    const model = t7.load(join(DIR, 'model_1.t7')) as TorchObject;
    expect(model.className).toBe('nn.Sequential');
    const census: Record<string, number> = {};
    for (const m of modules(model)) census[m.className] = (census[m.className] ?? 0) + 1;
    expect(census).toEqual(expected.moduleCensus);
    const params = parameters(model);
    const storages = new Set(params.map((p) => p.storage()));
    expect(storages.size).toBe(1);
    const flat = [...storages][0]!;
    expect(flat.size()).toBe(expected.nParameters);
    expectStats(statsOf(flat.data() as Float32Array), expected.params_after);
    const grads = new Set(modules(model).flatMap((m) => ['gradWeight', 'gradBias'].map((k) => m.fields.get(k)).filter((t): t is Tensor => t instanceof Tensor).map((t) => t.storage())));
    expect(grads.size).toBe(1);
    expect([...grads][0]).not.toBe(flat);
  });

  it('model_init.t7: separate storages holding the initial parameters', () => {
    const model = t7.load(join(DIR, 'model_init.t7')) as TorchObject;
    const params = parameters(model);
    expect(new Set(params.map((p) => p.storage())).size).toBe(params.length);
    expectStats(statsOf(params.flatMap((p) => p.values())), expected.params_before);
  });

  it('optimState_1.t7: optim.sgd state with the nnlr vectors', () => {
    const s = t7.load(join(DIR, 'optimState_1.t7')) as LuaTable;
    expect(s.get('learningRate')).toBe(0.1);
    expect(s.get('learningRateDecay')).toBe(0);
    expect(s.get('momentum')).toBe(0.9);
    expect(s.get('nesterov')).toBe(true);
    expect(s.get('dampening')).toBe(0);
    expect(s.get('evalCounter')).toBe(2);
    expect(s.has('weightDecay')).toBe(false);
    for (const k of ['dfdx', 'learningRates', 'weightDecays', 'decayParameters', 'deltaParameters']) {
      const t = s.get(k) as Tensor;
      expect(t.className()).toBe('torch.FloatTensor');
      expect(t.size()).toEqual([expected.nParameters]);
    }
    expectStats(statsOf((s.get('learningRates') as Tensor).values()), expected.learningRates);
    expectStats(statsOf((s.get('weightDecays') as Tensor).values()), expected.weightDecays);
  });

  it('io.t7: the losses and the flat gradient of step 1', () => {
    const io = t7.load(join(DIR, 'io.t7')) as LuaTable;
    expect([io.get('loss_step1'), io.get('loss_step2')]).toEqual(expected.losses);
    expectStats(statsOf((io.get('gradParams_step1') as Tensor).values()), expected.gradParams_step1);
  });

  it('load, change, save: only the changed bytes differ', () => {
    const file = join(DIR, 'optimState_1.t7');
    const original = readFileSync(file);
    const s = t7.load(file) as LuaTable;
    s.set('learningRate', 0.01);
    const dfdx = s.get('dfdx') as Tensor;
    dfdx.storage().mutableData()[0] = 42;
    const out = join(tmp, 'optimState_2.t7');
    t7.save(out, s);
    const written = readFileSync(out);
    expect(written.length).toBe(original.length);
    let differing = 0;
    for (let i = 0; i < written.length; i++) if (written[i] !== original[i]) differing++;
    expect(differing).toBeGreaterThan(0);
    expect(differing).toBeLessThanOrEqual(8 + 4);
    const back = t7.load(out) as LuaTable;
    expect(back.get('learningRate')).toBe(0.01);
    expect((back.get('dfdx') as Tensor).get(1)).toBe(42);
    expect((back.get('learningRates') as Tensor).values()).toEqual((s.get('learningRates') as Tensor).values());

    const latest = t7.load(join(DIR, 'latest.t7')) as LuaTable;
    latest.set('epoch', 2).set('modelFile', 'model_2.t7').set('optimFile', 'optimState_2.t7');
    t7.save(join(tmp, 'latest.t7'), latest);
    expect(Object.fromEntries(t7.load(join(tmp, 'latest.t7')) as LuaTable)).toEqual({ epoch: 2, modelFile: 'model_2.t7', optimFile: 'optimState_2.t7' });
  });

  it('a GPU run\'s torch.CudaTensor optimizer state round-trips, and --float gives back the CPU file', () => {
    const file = join(DIR, 'optimState_1.t7');
    const s = t7.load(file) as LuaTable;
    mapGraph(s, (v) => {
      if (v instanceof Tensor) {
        v.sourceClass = 'torch.CudaTensor';
        v.storage().sourceClass = 'torch.CudaStorage';
      }
      if (v instanceof Storage) v.sourceClass = 'torch.CudaStorage';
      return undefined;
    });
    const cudaFile = join(tmp, 'optimState_cuda.t7');
    t7.save(cudaFile, s);
    const cudaBytes = readFileSync(cudaFile);
    const loaded = t7.load(cudaFile) as LuaTable;
    const dfdx = loaded.get('dfdx') as Tensor;
    expect([dfdx.className(), dfdx.elementType, dfdx.storage().className()]).toEqual(['torch.CudaTensor', 'Float', 'torch.CudaStorage']);
    expect(Buffer.compare(Buffer.from(t7.serialize(loaded)), cudaBytes)).toBe(0);
    const cpuFile = join(tmp, 'optimState_cpu.t7');
    const report = convertFile(cudaFile, cpuFile, { float: true });
    expect(report.tensorsConverted).toBe(5);
    expect(Buffer.compare(readFileSync(cpuFile), readFileSync(file))).toBe(0);
  });

  it('cudnn modules become nn ones with --nn, fields kept', () => {
    const file = join(DIR, 'model_1.t7');
    const model = t7.load(file) as TorchObject;
    const renamed = new Set(['nn.SpatialConvolution', 'nn.SpatialBatchNormalization', 'nn.SpatialAveragePooling']);
    mapGraph(model, (v) => {
      if (v instanceof TorchObject && renamed.has(v.className)) return new TorchObject(v.className.replace('nn.', 'cudnn.'), v.version, v.fields);
      return undefined;
    });
    const cudnnFile = join(tmp, 'model_cudnn.t7');
    t7.save(cudnnFile, model);
    const census = new Map<string, number>();
    for (const m of modules(t7.load(cudnnFile) as TorchObject)) census.set(m.className, (census.get(m.className) ?? 0) + 1);
    expect(census.get('cudnn.SpatialConvolution')).toBe(expected.moduleCensus['nn.SpatialConvolution']);
    const nnFile = join(tmp, 'model_nn.t7');
    const report = convertFile(cudnnFile, nnFile, { nn: true });
    expect(report.modulesRenamed).toBe(22 + 14 + 1);
    expect(Buffer.compare(readFileSync(nnFile), readFileSync(file))).toBe(0);
  });
});
