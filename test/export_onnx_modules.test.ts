// ONNX export, one small model per exportable module (and each form a module can take),
// run in ONNX Runtime and compared with mpelu's evaluation forward at batch sizes 1 and 7;
// the exported files also pass the ONNX checker where Debian's python3-onnx is installed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { nn, cudnn, UnknownModule, type Module } from '../src/nn/index.js';
import { Tensor } from '../src/torch/index.js';
import { exportOnnx, ONNX_OPSET } from '../src/export/onnx.js';
import { decodeModel } from '../src/export/onnx_graph.js';
import { ExportError } from '../src/export/module_path.js';
import { SESSION_OPTIONS, compareWithOrt, onnxPython, onnxCheck } from './helpers/onnx_compare.js';
import { randomizeBatchNorm } from './helpers/fb_resnet.js';
import { rng } from './helpers/random_data.js';

const dir = mkdtempSync(join(tmpdir(), 'mpelu-onnx-'));
const written: string[] = [];

beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded values in [lo, hi) for a parameter tensor. */
function fill(t: Tensor | undefined, seed: number, lo = -0.5, hi = 0.5): void {
  if (!t) throw new Error('no tensor to fill');
  const r = rng(seed);
  const d = t.storage().mutableData() as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * r();
}

function param(m: Module, name: string): Tensor {
  return m.fields.get(name) as Tensor;
}

const conv = (nIn: number, nOut: number, k = 3, s = 1, p = 1) => nn.SpatialConvolution(nIn, nOut, k, k, s, s, p, p);

/** The op types of an exported model, in order. */
function ops(bytes: Uint8Array): string[] {
  return decodeModel(bytes).graph!.node!.map((n) => n.opType!);
}

async function check(name: string, model: Module, sample: number[], options = {}): Promise<string[]> {
  const { bytes } = await compareWithOrt(model, sample, options);
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, bytes);
  written.push(file);
  return ops(bytes);
}

describe('ONNX export of each module, checked by ONNX Runtime', () => {
  it('SpatialConvolution with and without bias, stride and padding; cudnn twin', async () => {
    expect(await check('conv_bias', nn.Sequential().add(nn.SpatialConvolution(3, 5, 3, 2, 2, 1, 1, 0)), [3, 9, 8])).toEqual(['Conv']);
    expect(await check('conv_nobias', nn.Sequential().add(conv(3, 4, 5, 2, 2).noBias()), [3, 11, 11])).toEqual(['Conv']);
    expect(await check('cudnn_conv', cudnn.SpatialConvolution(3, 4, 1, 1, 2, 2), [3, 6, 6])).toEqual(['Conv']);
  });

  it('SpatialBatchNormalization as BatchNormalization, affine or not, and folded into the convolution', async () => {
    const bn = () => {
      const s = nn.Sequential().add(conv(3, 6)).add(nn.SpatialBatchNormalization(6)).add(conv(6, 4).noBias()).add(cudnn.SpatialBatchNormalization(4));
      randomizeBatchNorm(s, 3);
      return s;
    };
    expect(await check('bn', bn(), [3, 7, 7])).toEqual(['Conv', 'BatchNormalization', 'Conv', 'BatchNormalization']);
    expect(await check('bn_folded', bn(), [3, 7, 7], { foldBn: true })).toEqual(['Conv', 'Conv']);
    const plain = nn.SpatialBatchNormalization(3, 1e-3, 0.1, false);
    randomizeBatchNorm(plain, 4);
    expect(await check('bn_nonaffine', nn.Sequential().add(plain), [3, 4, 5])).toEqual(['BatchNormalization']);
  });

  it('MPELU: per-channel, shared, equal betas, beta = 1, non-positive betas', async () => {
    const mpelu = (alpha: number[], beta: number[], n: number) => {
      const m = nn.MPELU(0.25, 1, n);
      (param(m, 'weight').storage().mutableData() as Float32Array).set(alpha);
      (param(m, 'bias').storage().mutableData() as Float32Array).set(beta);
      return nn.Sequential().add(conv(2, 3)).add(m);
    };
    expect(await check('mpelu_channels', mpelu([0.25, -0.5, 1.5], [1, 0.5, 2.5], 3), [2, 5, 5])).toEqual(['Conv', 'Mul', 'Elu', 'Mul', 'PRelu']);
    expect(await check('mpelu_equal_beta', mpelu([0.25, -0.5, 1.5], [0.7, 0.7, 0.7], 3), [2, 5, 5])).toEqual(['Conv', 'Celu', 'PRelu']);
    expect(await check('mpelu_shared', mpelu([0.8], [1.7], 0), [2, 5, 5])).toEqual(['Conv', 'Celu', 'PRelu']);
    expect(await check('mpelu_shared_beta1', mpelu([0.8], [1], 0), [2, 5, 5])).toEqual(['Conv', 'Elu']);
    expect(await check('mpelu_beta_nonpositive', mpelu([0.25, 0.5, 1.5], [1, 0, -0.3], 3), [2, 5, 5])).toEqual(['Conv', 'Mul', 'Exp', 'Sub', 'Mul', 'Greater', 'Where']);
    // After a Linear the channels are the second of two dims.
    const m = nn.MPELU(0.25, 1, 4);
    fill(param(m, 'bias'), 5, 0.5, 2);
    expect(await check('mpelu_2d', nn.Sequential().add(nn.Linear(6, 4)).add(m), [6])).toEqual(['Gemm', 'Mul', 'Elu', 'Mul', 'PRelu']);
  });

  it('SPELU and PReLU in both forms, per-channel and shared', async () => {
    const spelu = nn.SPELU(0.25, 3);
    fill(param(spelu, 'weight'), 6, 0, 2);
    expect(await check('spelu_channels', nn.Sequential().add(conv(2, 3)).add(spelu), [2, 5, 5])).toEqual(['Conv', 'Elu', 'PRelu']);
    expect(await check('spelu_shared', nn.Sequential().add(conv(2, 3)).add(nn.SPELU(0.7)), [2, 5, 5])).toEqual(['Conv', 'Elu']);
    const prelu = nn.PReLU(3);
    fill(param(prelu, 'weight'), 7, -1, 1);
    expect(await check('prelu_torch', nn.Sequential().add(conv(2, 3)).add(prelu), [2, 5, 5])).toEqual(['Conv', 'PRelu']);
    expect(await check('prelu_mpelu_form', nn.Sequential().add(conv(2, 3)).add(nn.PReLU(0.1, 3)), [2, 5, 5])).toEqual(['Conv', 'PRelu']);
    expect(await check('prelu_shared', nn.Sequential().add(conv(2, 3)).add(nn.PReLU()), [2, 5, 5])).toEqual(['Conv', 'PRelu']);
  });

  it('ELU, ReLU (nn and cudnn), LeakyReLU', async () => {
    expect(await check('elu', nn.Sequential().add(conv(2, 3)).add(nn.ELU(0.7)), [2, 5, 5])).toEqual(['Conv', 'Elu']);
    expect(await check('relu', nn.Sequential().add(conv(2, 3)).add(nn.ReLU(true)).add(conv(3, 2)).add(cudnn.ReLU()), [2, 5, 5])).toEqual(['Conv', 'Relu', 'Conv', 'Relu']);
    expect(await check('leaky', nn.Sequential().add(conv(2, 3)).add(nn.LeakyReLU(0.2)), [2, 5, 5])).toEqual(['Conv', 'LeakyRelu']);
  });

  it("pooling with Torch's floor/ceil modes, padding and count_include_pad; cudnn twins", async () => {
    const cases: [string, () => Module, number[]][] = [
      ['max_floor', () => nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1), [2, 8, 9]],
      ['max_ceil', () => nn.SpatialMaxPooling(3, 3, 2, 2).ceil(), [2, 8, 9]],
      ['max_ceil_pad', () => nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1).ceil(), [2, 8, 9]],
      // THNN drops the last window here (it would start in the padding): 5 -> 3, not 4.
      ['max_ceil_drop', () => nn.SpatialMaxPooling(2, 2, 2, 2, 1, 1).ceil(), [2, 5, 5]],
      ['avg_floor', () => nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1), [2, 8, 9]],
      ['avg_ceil_pad', () => nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil(), [2, 8, 9]],
      ['avg_ceil_drop', () => nn.SpatialAveragePooling(2, 2, 2, 2, 1, 1).ceil(), [2, 5, 5]],
      ['avg_exclude_pad', () => nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil().setCountExcludePad(), [2, 8, 9]],
      ['avg_ceil_nopad', () => nn.SpatialAveragePooling(3, 3, 2, 2).ceil(), [2, 8, 8]],
      ['cudnn_max', () => cudnn.SpatialMaxPooling(3, 3, 2, 2, 1, 1), [2, 8, 9]],
      ['cudnn_avg', () => cudnn.SpatialAveragePooling(2, 2), [2, 8, 9]],
    ];
    for (const [name, make, sample] of cases) {
      const o = await check(name, nn.Sequential().add(make()), sample);
      expect(o.length, name).toBe(1);
    }
    // Without the input size: ONNX's own ceil mode (THNN drops no window when there is no padding).
    const symbolic = () => nn.Sequential().add(conv(2, 3)).add(nn.SpatialMaxPooling(3, 3, 2, 2).ceil()).add(nn.SpatialAveragePooling(2, 2, 2, 2).ceil());
    expect(await check('pool_ceil_symbolic_9', symbolic(), [2, 9, 9], { symbolicSize: true })).toEqual(['Conv', 'MaxPool', 'AveragePool']);
    expect(await check('pool_ceil_symbolic_8', symbolic(), [2, 8, 10], { symbolicSize: true })).toEqual(['Conv', 'MaxPool', 'AveragePool']);
  });

  it('Linear with and without bias, View (setNumInputDims, -1) and Reshape', async () => {
    const flat = nn.Sequential().add(conv(2, 3)).add(nn.View(3 * 4 * 4).setNumInputDims(3)).add(nn.Linear(48, 5)).add(nn.Linear(5, 3).noBias());
    expect(await check('view_linear', flat, [2, 4, 4])).toEqual(['Conv', 'Reshape', 'Gemm', 'Gemm']);
    expect(await check('view_infer', nn.Sequential().add(nn.View(-1, 8).setNumInputDims(3)).add(nn.View(16).setNumInputDims(2)), [2, 4, 4])).toEqual(['Reshape', 'Reshape']);
    expect(await check('view_all', nn.Sequential().add(nn.View(-1)), [2, 3, 3])).toEqual(['Reshape']);
    // Without setNumInputDims Torch drops the batch dim at batch 1 ([12], where ONNX gives [1, 12]; documented).
    const { bytes } = await compareWithOrt(nn.Sequential().add(nn.View(12)), [3, 2, 2], { batches: [7] });
    const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    const one = await session.run({ input: new ort.Tensor('float32', new Float32Array(12).fill(1), [1, 3, 2, 2]) });
    expect([...one[session.outputNames[0]!]!.dims]).toEqual([1, 12]);
    await session.release();
    expect((nn.View(12).float().forward(Tensor.create('Float', [1, 3, 2, 2])) as Tensor).size()).toEqual([12]);
    expect(await check('reshape', nn.Sequential().add(nn.Reshape(6, 3)).add(nn.Reshape(2, 9)), [2, 3, 3])).toEqual(['Reshape', 'Reshape']);
  });

  it('containers: ConcatTable, CAddTable, Concat, ParallelTable, Identity, and table outputs', async () => {
    const residual = nn.Sequential()
      .add(nn.ConcatTable().add(conv(3, 3)).add(nn.Identity()).add(nn.MulConstant(-0.5)))
      .add(nn.CAddTable(true));
    expect(await check('residual', residual, [3, 5, 5])).toEqual(['Conv', 'Mul', 'Add', 'Add']);
    const concat = nn.Sequential().add(nn.Concat(2).add(conv(3, 2)).add(nn.Identity()).add(nn.MulConstant(0)));
    expect(await check('concat', concat, [3, 5, 5])).toEqual(['Conv', 'Mul', 'Concat']);
    const parallel = nn.Sequential()
      .add(nn.ConcatTable().add(conv(3, 2)).add(nn.Identity()))
      .add(nn.ParallelTable().add(nn.ReLU()).add(conv(3, 2, 1, 1, 0)))
      .add(nn.CAddTable());
    expect(await check('parallel', parallel, [3, 5, 5])).toEqual(['Conv', 'Relu', 'Conv', 'Add']);
    // A table output becomes several graph outputs; the input itself gets an Identity.
    const table = nn.ConcatTable().add(nn.Identity()).add(conv(3, 2)).add(nn.ConcatTable().add(nn.Identity()));
    expect(await check('table_out', table, [3, 4, 4])).toEqual(['Conv', 'Identity', 'Identity']);
    expect(await check('identity', nn.Identity(), [3, 2, 2])).toEqual(['Identity']);
  });

  it('MulConstant, Dropout (v2 and v1 files), SoftMax, LogSoftMax', async () => {
    expect(await check('mulconstant', nn.Sequential().add(nn.MulConstant(2.5)), [3, 2, 2])).toEqual(['Mul']);
    const v1 = nn.Dropout(0.3);
    v1.fields.set('v2', false);
    expect(await check('dropout', nn.Sequential().add(nn.Dropout(0.4)).add(v1).add(nn.Identity()), [3, 2, 2])).toEqual(['Mul']);
    expect(await check('softmax', nn.Sequential().add(nn.Linear(6, 5)).add(nn.SoftMax()), [6])).toEqual(['Gemm', 'Softmax']);
    expect(await check('logsoftmax', nn.Sequential().add(nn.Linear(6, 5)).add(nn.LogSoftMax()), [6])).toEqual(['Gemm', 'LogSoftmax']);
    expect(await check('softmax_4d', nn.Sequential().add(conv(3, 4)).add(nn.SoftMax()), [3, 3, 3])).toEqual(['Conv', 'Softmax']);
  });

  it('an unexportable module is an error naming its class and path', () => {
    const odd = Object.assign(Object.create(UnknownModule.prototype) as Module, { className: 'nn.SpatialFullConvolution', version: 1 });
    odd.fields = nn.Identity().fields;
    const model = nn.Sequential().add(conv(3, 3)).add(nn.Sequential().add(nn.ReLU()).add(odd));
    expect(() => exportOnnx(model, { inputShape: [3, 4, 4] })).toThrow(ExportError);
    expect(() => exportOnnx(model, { inputShape: [3, 4, 4] })).toThrow(/cannot export nn\.SpatialFullConvolution at modules\[2\]\.modules\[2\]: mpelu does not implement/);
    const stochastic = nn.Dropout(0.5);
    stochastic.fields.set('stochastic_inference', true);
    expect(() => exportOnnx(nn.Sequential().add(stochastic), { inputShape: [3] })).toThrow(/nn\.Dropout at modules\[1\]: drops units at inference/);
    expect(() => exportOnnx(nn.Sequential().add(conv(3, 3)).add(nn.SpatialMaxPooling(2, 2, 2, 2, 1, 1).ceil()))).toThrow(/nn\.SpatialMaxPooling at modules\[2\]: ceil-mode pooling with padding needs the input's height and width/);
    expect(() => exportOnnx(nn.Sequential().add(nn.Linear(4, 2)), { inputShape: [5] })).toThrow(/nn\.Linear at modules\[1\]: expects 4 input features, the input has 5/);
  });

  it('model metadata, opset and a symbolic batch (and spatial size when not given)', () => {
    const model = nn.Sequential().add(conv(3, 4)).add(nn.ReLU());
    const proto = decodeModel(exportOnnx(model, { source: 'net.t7' }));
    expect(Number(proto.opsetImport[0]!.version)).toBe(ONNX_OPSET);
    const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    expect(meta.source).toBe('net.t7');
    expect(JSON.parse(meta['torch.class_census']!)).toEqual({ 'nn.ReLU': 1, 'nn.Sequential': 1, 'nn.SpatialConvolution': 1 });
    expect(meta['mpelu.version']).toMatch(/^\d+\.\d+\.\d+/);
    const dims = proto.graph!.input![0]!.type!.tensorType!.shape!.dim!;
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 3, 'height', 'width']);
  });

  it.runIf(onnxPython() !== null)('the exported files pass the ONNX checker (python3-onnx)', () => {
    expect(written.length).toBeGreaterThan(30);
    expect(onnxCheck(written)).toEqual([]);
  });
  if (onnxPython() === null) console.warn('export_onnx_modules: ONNX checker test skipped: python3 cannot import onnx (Debian: apt-get install python3-onnx)');
});
