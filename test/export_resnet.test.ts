// Whole models: the MPELU nopre ResNet-20 checkpoint written by Torch7, a real
// fb.resnet.torch checkpoint with cudnn modules, and fb.resnet.torch-style resnet/preresnet
// built here, exported to ONNX (checked by ONNX Runtime against mpelu's evaluation forward,
// and by the ONNX checker when available) and to safetensors (round trip into a fresh model
// of the same definition); the `mpelu export` / `import-weights` commands.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import * as t7 from '../src/t7/index.js';
import { nn, type Module } from '../src/nn/index.js';
import { manualSeed } from '../src/torch/random.js';
import { createMpeluNopreResNet } from '../src/models/mpelu_nopre_resnet.js';
import { exportModel, importWeights, namedTensors, decodeSafetensors } from '../src/export/index.js';
import { decodeModel } from '../src/export/onnx_graph.js';
import { runMpeluInProcess } from './helpers/run_in_process.js';
import { compareWithOrt, onnxCheck, onnxPython } from './helpers/onnx_compare.js';
import { createFbResNet } from './helpers/fb_resnet.js';

const FIX = new URL('../fixtures/torch7/', import.meta.url).pathname;
const RESNET20 = join(FIX, 'resnet/depth20/model_1.t7');
const FBRESNET = join(FIX, 'fbresnet/run_a/model_2.t7');
const tmp = mkdtempSync(join(tmpdir(), 'mpelu-export-'));
const onnxFiles: string[] = [];

beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(file: string): Module {
  return t7.load(file) as Module;
}

async function checkOnnx(name: string, model: Module, sample: number[], options = {}): Promise<string[]> {
  const { bytes } = await compareWithOrt(model, sample, options);
  const file = join(tmp, `${name}.onnx`);
  writeFileSync(file, bytes);
  onnxFiles.push(file);
  return decodeModel(bytes).graph!.node!.map((n) => n.opType!);
}

function count(ops: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const o of ops) c[o] = (c[o] ?? 0) + 1;
  return c;
}

/** Every named tensor's values, by name. */
function parameters(model: Module): Map<string, number[]> {
  return new Map(namedTensors(model).map((t) => [t.name, t.tensor.values()]));
}

describe('ONNX export of whole models, checked by ONNX Runtime', () => {
  it('the MPELU nopre ResNet-20 written by Torch7 (model_1.t7), with and without --fold-bn', async () => {
    const model = load(RESNET20);
    const plain = count(await checkOnnx('resnet20', model, [3, 32, 32]));
    // 22 convolutions, 14 batch normalizations, 14 MPELUs of 4 nodes each (per-channel betas), 6 additions.
    expect(plain).toEqual({ Conv: 22, BatchNormalization: 14, Mul: 28, Elu: 14, PRelu: 14, Add: 6, AveragePool: 1, Reshape: 1, Gemm: 1 });
    const folded = count(await checkOnnx('resnet20_folded', model, [3, 32, 32], { foldBn: true }));
    // The last batch normalization follows an addition, not a convolution: it stays.
    expect(folded.BatchNormalization).toBe(1);
    expect(folded.Conv).toBe(22);
  });

  it('the same with symbolic height and width (no --input)', async () => {
    const { bytes } = await compareWithOrt(load(RESNET20), [3, 32, 32], { symbolicSize: true, source: 'model_1.t7' });
    const proto = decodeModel(bytes);
    expect(proto.graph!.input![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 3, 'height', 'width']);
    const file = join(tmp, 'resnet20_symbolic.onnx');
    writeFileSync(file, bytes);
    onnxFiles.push(file);
  });

  it('a real fb.resnet.torch checkpoint with cudnn modules (MPELU nopre ResNet-11)', async () => {
    const ops = count(await checkOnnx('fbresnet11', load(FBRESNET), [3, 32, 32]));
    expect(ops.Conv).toBe(13);
  });

  it('fb.resnet.torch-style CIFAR resnet-20 (shortcut A, cudnn twins) and preresnet-20 (shortcut B, folded)', async () => {
    manualSeed(3);
    const resnet = count(await checkOnnx('fb_resnet20_A', createFbResNet({ depth: 20, dataset: 'cifar10', cudnn: true }), [3, 32, 32]));
    expect(resnet.Concat).toBe(2);
    expect(resnet.Relu).toBe(19);
    const pre = count(await checkOnnx('fb_preresnet20_B', createFbResNet({ depth: 20, dataset: 'cifar10', preact: true, shortcutType: 'B' }), [3, 32, 32], { foldBn: true }));
    expect(pre.Conv).toBe(21);
  });

  it.runIf(onnxPython() !== null)('the exported files pass the ONNX checker (python3-onnx)', () => {
    expect(onnxFiles.length).toBe(6);
    expect(onnxCheck(onnxFiles)).toEqual([]);
  });
  if (onnxPython() === null) console.warn('export_resnet: ONNX checker test skipped: python3 cannot import onnx (Debian: apt-get install python3-onnx)');
});

describe('safetensors export and import', () => {
  it('round trip: the ResNet-20 checkpoint into a fresh model of the same definition', () => {
    const model = load(RESNET20);
    const file = join(tmp, 'resnet20.safetensors');
    exportModel(model, file, { source: 'model_1.t7' });
    const { tensors, metadata } = decodeSafetensors(readFileSync(file), file);
    expect(metadata.names).toBe('torch');
    expect(metadata.indexing).toMatch(/1-based/);
    expect(JSON.parse(metadata['torch.modules']!)['modules.1']).toBe('nn.SpatialConvolution');
    expect(tensors.get('modules.1.weight')!.shape).toEqual([16, 3, 3, 3]);
    expect(tensors.get('modules.2.running_var')!.dtype).toBe('F32');
    expect(tensors.get('modules.4.modules.1.modules.1.modules.1.modules.3.bias')!.shape).toEqual([16]); // an MPELU's beta
    manualSeed(99);
    const fresh = createMpeluNopreResNet({ depth: 20 }).float();
    const before = parameters(fresh);
    const want = parameters(model);
    expect(before).not.toEqual(want);
    const r = importWeights(fresh, file);
    expect(r.filled).toBe(want.size);
    expect(parameters(fresh)).toEqual(want);
  });

  it('pytorch names: torch.nn.Sequential-shaped, with num_batches_tracked; round trip', () => {
    manualSeed(5);
    const model = createFbResNet({ depth: 20, dataset: 'cifar10', preact: true, shortcutType: 'B' }).float();
    const file = join(tmp, 'pre.safetensors');
    exportModel(model, file, { names: 'pytorch' });
    const { tensors, metadata } = decodeSafetensors(readFileSync(file), file);
    expect(metadata.names).toBe('pytorch');
    const tracked = tensors.get('1.num_batches_tracked')!;
    expect([tracked.dtype, tracked.shape, [...tracked.bytes]]).toEqual(['I64', [], [0, 0, 0, 0, 0, 0, 0, 0]]);
    expect([...tensors.keys()].filter((k) => k.startsWith('modules'))).toEqual([]);
    // Layer 1, block 1 (BN, ReLU, ConcatTable, CAddTable: a first pre-activation block), ConcatTable, branch, conv.
    expect(tensors.get('3.0.2.0.0.weight')!.shape).toEqual([16, 16, 3, 3]);
    expect(JSON.parse(metadata['torch.modules']!)['3.0.2.0.0']).toBe('nn.SpatialConvolution');
    expect(tensors.get('0.weight')!.shape).toEqual([16, 3, 3, 3]);
    expect(tensors.get('1.running_mean')!.shape).toEqual([16]);
    manualSeed(6);
    const fresh = createFbResNet({ depth: 20, dataset: 'cifar10', preact: true, shortcutType: 'B' }).float();
    importWeights(fresh, file);
    expect(parameters(fresh)).toEqual(parameters(model));
  });

  it('every mismatch is listed and nothing changes', () => {
    const file = join(tmp, 'resnet20b.safetensors');
    exportModel(load(RESNET20), file);
    manualSeed(7);
    const other = createFbResNet({ depth: 20, dataset: 'cifar10' }).float();
    const before = parameters(other);
    let message = '';
    try {
      importWeights(other, file);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/mismatches with the model \(torch names\), nothing imported/);
    expect(message).toContain("shape: modules.4.modules.1.modules.1.modules.1.modules.1.weight is [16, 16, 1, 1] in the file, the model's nn.SpatialConvolution weight is [16, 16, 3, 3]");
    expect(message).toContain('unexpected: modules.3.bias is in the file but the model has no such tensor');
    expect(message).toContain('missing: modules.9.weight (nn.Linear weight, [10, 64])');
    expect(message.split('\n').length).toBeGreaterThan(10);
    expect(parameters(other)).toEqual(before);
  });

  it('a damaged file is a clear error saying where', () => {
    const good = readFileSync(join(tmp, 'resnet20b.safetensors'));
    expect(() => importWeights(load(RESNET20), good.subarray(0, good.length - 100))).toThrow(/beyond the \d+ data bytes: truncated file\?/);
    expect(() => importWeights(load(RESNET20), good.subarray(0, 5))).toThrow(/not a safetensors file: 5 bytes/);
    const bad = Uint8Array.from(good);
    bad[8] = 0x78; // the header's opening brace
    expect(() => importWeights(load(RESNET20), bad)).toThrow(/the JSON header \(bytes 8\.\.\d+\) does not parse/);
  });
});

describe('mpelu export / import-weights', () => {
  const run = runMpeluInProcess;

  it('exports ONNX and safetensors and imports the weights back into a .t7', async () => {
    const onnx = join(tmp, 'cli.onnx');
    expect(await run('export', RESNET20, onnx, '--input', '3x32x32', '--fold-bn')).toMatch(/^wrote .*cli\.onnx \(onnx, \d+ bytes/);
    const meta = Object.fromEntries(decodeModel(readFileSync(onnx)).metadataProps.map((p) => [p.key, p.value]));
    expect(meta.source).toBe('model_1.t7');
    expect(meta.fold_bn).toBe('true');
    expect(JSON.parse(meta['torch.class_census']!)['nn.MPELU']).toBe(14);
    const st = join(tmp, 'cli.safetensors');
    await run('export', RESNET20, st);
    const out = join(tmp, 'cli.t7');
    // Weights into the Torch7 model_init.t7 (same definition, other values) give model_1's.
    expect(await run('import-weights', join(FIX, 'resnet/depth20/model_init.t7'), st, out)).toMatch(/: \d+ tensors from .*cli\.safetensors \(torch names\)/);
    expect(parameters(load(out))).toEqual(parameters(load(RESNET20)));
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to overwrite its input, unknown formats and misplaced options', async () => {
    await expect(run('export', RESNET20, RESNET20)).rejects.toThrow(/is the input model/);
    await expect(run('export', RESNET20, join(tmp, 'x.pt'))).rejects.toThrow(/expected a \.onnx or \.safetensors file name/);
    await expect(run('export', RESNET20, join(tmp, 'x.onnx'), '--names', 'pytorch')).rejects.toThrow(/--names applies to safetensors/);
    await expect(run('export', RESNET20, join(tmp, 'x.onnx'), '--input', '3x-1')).rejects.toThrow(/--input.*expected one sample's sizes like 3x32x32/);
    expect(existsSync(join(tmp, 'x.onnx'))).toBe(false);
  });
});

// Keep nn referenced for readers: the models above are built from these modules.
void nn;
