// `mpelu train` through the real command (src/ transpiled, run as a child process) on tiny
// data sets in the three layouts: 2 epochs of an MPELU nopre ResNet-11 and of depth-8 resnet
// and preresnet lower the loss and leave checkpoints that load; resume equals the
// uninterrupted run; -testOnly evaluates a checkpoint; wrong options and missing data are
// one-line errors; SIGKILL during a checkpoint write leaves loadable files.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli, type BuiltCli, type CliResult } from './helpers/cli.js';
import { tinyCifar, writeBinaryLayout, writeGenLayout, writeTorchBatches } from './helpers/tiny_cifar.js';
import * as t7 from '../src/t7/index.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { Module } from '../src/nn/index.js';
import type { Tensor } from '../src/torch/tensor.js';

const tmp = mkdtempSync(join(tmpdir(), 'mpelu-train-cli-'));
let cli: BuiltCli;
const DATA = { bin: join(tmp, 'bin'), t7: join(tmp, 't7'), gen: join(tmp, 'gen') };

beforeAll(() => {
  cli = buildCli();
  const d = tinyCifar(32, 8);
  writeBinaryLayout(DATA.bin, d);
  writeTorchBatches(DATA.t7, d);
  writeGenLayout(DATA.gen, d);
});
afterAll(() => {
  cli?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

function runAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli.main, 'train', ...args], { env: { ...process.env, MPELU_BACKEND: 'wasm' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += String(c)));
    child.stderr.on('data', (c) => (stderr += String(c)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const COMMON = ['-dataset', 'cifar10', '-batchSize', '8', '-nEpochs', '2', '-manualSeed', '5'];
const MPELU = [...COMMON, '-netType', 'mpelu-preactivation-nopre', '-depth', '11', '-shortcutType', 'B', '-nThreads', '1', '-data', DATA.bin];
const save = (name: string) => join(tmp, name);
const genOf = (name: string) => join(tmp, `${name}-gen`);

interface LogEntry {
  epoch: number;
  train: { loss: number; top1: number };
  test: { loss: number; top1: number; top5: number };
}
const readLog = (dir: string) => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogEntry);
const params = (file: string) => (t7.load(file) as Module).getParameters();
function same(a: Tensor, b: Tensor): boolean {
  const x = a.values();
  const y = b.values();
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

function checkRun(r: CliResult, dir: string, convClass: string): void {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(' | Epoch: [2][4/4]');
  expect(r.stdout).toMatch(/ \* Finished top1: +\d+\.\d{3} {2}top5: +\d+\.\d{3}\n$/);
  const log = readLog(dir);
  expect(log.map((e) => e.epoch)).toEqual([1, 2]);
  expect(log[1]!.train.loss).toBeLessThan(log[0]!.train.loss);
  for (const f of ['model_1.t7', 'model_2.t7', 'optimState_1.t7', 'optimState_2.t7', 'latest.t7', 'model_best.t7']) expect(existsSync(join(dir, f))).toBe(true);
  const model = t7.load(join(dir, 'model_2.t7'));
  expect(model).toBeInstanceOf(Module);
  expect((model as Module).findModules(convClass)[0].length).toBeGreaterThan(0);
  const latest = t7.load(join(dir, 'latest.t7')) as LuaTable;
  expect([latest.get('epoch'), latest.get('modelFile'), latest.get('optimFile')]).toEqual([2, 'model_2.t7', 'optimState_2.t7']);
  const optimState = t7.load(join(dir, 'optimState_2.t7')) as LuaTable;
  expect(optimState.get('evalCounter')).toBe(8);
  expect((optimState.get('dfdx') as Tensor).nElement()).toBe(params(join(dir, 'model_2.t7'))[0].nElement());
}

describe('mpelu train (command line)', () => {
  it('trains the MPELU nopre ResNet-11 (binary layout), resnet-8 (Torch batches) and preresnet-8 (gen cache) for 2 epochs', async () => {
    const [a, b, c] = await Promise.all([
      runAsync([...MPELU, '-gen', genOf('a'), '-save', save('a')]),
      runAsync([...COMMON, '-netType', 'resnet', '-depth', '8', '-nThreads', '2', '-data', DATA.t7, '-gen', genOf('b'), '-save', save('b')]),
      runAsync([...COMMON, '-netType', 'preresnet', '-depth', '8', '-shortcutType', 'C', '-nThreads', '0', '-gen', DATA.gen, '-save', save('c')]),
    ]);
    checkRun(a, save('a'), 'cudnn.SpatialConvolution');
    expect(a.stdout).toContain(' | saving CIFAR-10 dataset to ' + join(genOf('a'), 'cifar10.t7'));
    checkRun(b, save('b'), 'cudnn.SpatialConvolution');
    expect((t7.load(join(save('b'), 'model_2.t7')) as Module).findModules('nn.MulConstant')[0].length).toBe(2); // shortcut A
    checkRun(c, save('c'), 'cudnn.SpatialConvolution');
    expect(c.stdout).not.toContain('saving CIFAR-10');
  });

  it('stopped after epoch 1 and resumed, gives the uninterrupted run bit for bit', async () => {
    const dir = save('d');
    const first = await runAsync([...MPELU, '-nEpochs', '1', '-gen', genOf('d'), '-save', dir]);
    expect(first.status).toBe(0);
    expect(readdirSync(dir)).toContain('mpeluState_1.t7');
    const second = await runAsync([...MPELU, '-gen', genOf('d'), '-save', dir, '-resume', dir]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`=> Resuming model from ${join(dir, 'model_1.t7')}`);
    const [w, g] = params(join(dir, 'model_2.t7'));
    const [v, h] = params(join(save('a'), 'model_2.t7'));
    expect(same(w, v)).toBe(true);
    expect(same(g, h)).toBe(true);
    expect(readLog(dir)).toEqual(readLog(save('a')).map((e) => ({ ...e, time: expect.any(String), train: { ...e.train, seconds: expect.any(Number) }, test: { ...e.test, seconds: expect.any(Number) } })));
  });

  it('-testOnly evaluates a checkpoint', async () => {
    const r = await runAsync([...MPELU, '-gen', genOf('a'), '-save', save('e'), '-testOnly', 'true', '-retrain', join(save('a'), 'model_2.t7')]);
    expect(r.status).toBe(0);
    const last = readLog(save('a'))[1]!;
    expect(r.stdout).toContain(`Loading model from file: ${join(save('a'), 'model_2.t7')}`);
    expect(r.stdout).toContain(` * Results top1: ${last.test.top1.toFixed(3).padStart(6)}  top5: ${last.test.top5.toFixed(3).padStart(6)}`);
    expect(r.stdout).not.toContain('Training epoch');
  });

  it('wrong options and missing data are one-line errors', async () => {
    const cases: [string[], number, RegExp][] = [
      [['-shortcutType', 'D'], 2, /^mpelu: train: -shortcutType: 'D' is not allowed \(allowed: A \| B \| C\)$/],
      [['-batchSize', 'many'], 2, /^mpelu: train: -batchSize: expected a number, got 'many'$/],
      [['-frobnicate', '1'], 2, /^mpelu: train: unknown option '-frobnicate'/],
      [['-dataset', 'imagenet'], 2, /^mpelu: train: -dataset: 'imagenet' is not supported by mpelu train \(allowed: cifar10 \| cifar100\)$/],
      [['-dataset', 'cifar10', '-netType', 'vgg'], 2, /^mpelu: train: -netType: 'vgg' is not allowed \(allowed: resnet \| preresnet \| mpelu-preactivation-nopre \| a model file FILE.lua\)$/],
      [['-dataset', 'cifar10', '-data', join(tmp, 'nothing'), '-gen', join(tmp, 'nothing-gen'), '-save', save('f')], 1, /^mpelu: CIFAR-10 not found: no cache .*cifar10\.t7 and no data set in -data .*nothing; put the official binary release in .*cifar-10-batches-bin\/ \(data_batch_1\.bin.*cifar-10-binary\.tar\.gz\).*--download$/],
      [['-dataset', 'cifar10', '-depth', '21', '-data', DATA.bin, '-gen', genOf('g'), '-save', save('g')], 2, /^mpelu: train: -depth: 21 is not allowed for -netType resnet on CIFAR \(allowed: 6n\+2/],
    ];
    for (const [args, status, message] of cases) {
      const r = await runCli(cli, ['train', ...args]);
      expect(r.status, args.join(' ')).toBe(status);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  });

  it('a run killed (SIGKILL) while it writes a checkpoint leaves loadable files', async () => {
    const dir = save('k');
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const child = spawn(process.execPath, [cli.main, 'train', ...MPELU, '-nEpochs', '20', '-nThreads', '0', '-gen', genOf('a'), '-save', dir], { stdio: 'ignore' });
    let killedDuring = '';
    await new Promise<void>((resolve) => {
      const watcher = watch(dir, (_event, name) => {
        // the second epoch's model file, as its temporary file appears
        if (name && name.startsWith('.model_2.t7.') && name.endsWith('.tmp') && !killedDuring) {
          child.kill('SIGKILL');
          killedDuring = name;
          watcher.close();
        }
      });
      child.on('exit', () => {
        watcher.close();
        resolve();
      });
    });
    expect(killedDuring).not.toBe('');
    const latest = t7.load(join(dir, 'latest.t7')) as LuaTable;
    expect(latest.get('epoch')).toBe(1);
    expect(t7.load(join(dir, latest.get('modelFile') as string))).toBeInstanceOf(Module);
    expect(t7.load(join(dir, latest.get('optimFile') as string))).toBeInstanceOf(LuaTable);
    expect(existsSync(join(dir, 'model_2.t7'))).toBe(false);
    // and the run continues from there
    const resumed = await runAsync([...MPELU, '-nThreads', '0', '-gen', genOf('a'), '-save', dir, '-resume', dir]);
    expect(resumed.status).toBe(0);
    expect(readLog(dir).map((e) => e.epoch)).toEqual([1, 2]);
  });
});
