// A compact fb.resnet.torch-style training program written for these tests
// (test/lua/fbresnet/mini_train.lua: threads pool, image transforms, the paper's model and
// train.lua's SGD with nnlr vectors, checkpoints as checkpoints.lua writes them) run by
// `mpelu run` on the Torch7 reference run's data and flags (fixtures/torch7/fbresnet): it
// must print that run's numbers; `mpelu train -resume` continues its checkpoint.

import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mpeluRun } from './helpers/mpelu_run.js';
import { buildCli, runCli } from './helpers/cli.js';
import { readT7 } from '../src/t7/reader.js';
import { Module } from '../src/nn/module.js';
import { Tensor } from '../src/torch/tensor.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const LUA = here('./lua/fbresnet/');
const FIX = here('../fixtures/');
const tmp = mkdtempSync(join(tmpdir(), 'mpelu-fbresnet-program-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function lines(b: Buffer): string[] {
  return b.toString('latin1').split('\n').map((l) => l.replace(/\t$/, ''));
}

describe('a compact fb.resnet.torch-style program on the Torch7 reference run (fixtures/torch7/fbresnet)', () => {
  // The reference run's printed numbers (run_a/stdout.txt).
  const stdout = readFileSync(join(FIX, 'torch7/fbresnet/run_a/stdout.txt'), 'latin1').split('\n');
  const steps = stdout.flatMap((l) => {
    const m = /Epoch: \[(\d+)\]\[(\d+)\/\d+\].*Err (\S+)\s+top1\s+(\S+)\s+top5\s+(\S+)/.exec(l);
    return m ? [{ epoch: m[1]!, iter: m[2]!, loss: m[3]!, top1: m[4]!, top5: m[5]! }] : [];
  });
  const tests = stdout.flatMap((l) => {
    const m = /Finished epoch # (\d+)\s+top1:\s+(\S+)\s+top5:\s+(\S+)/.exec(l);
    return m ? [{ epoch: m[1]!, top1: m[2]!, top5: m[3]! }] : [];
  });
  const cache = join(FIX, 'torch7/fbresnet/data/gen/cifar10.t7');
  const save = join(tmp, 'run');
  mkdirSync(save, { recursive: true });

  it("prints the reference run's per-step losses and per-epoch test errors, and writes its model_1 within float tolerance", async () => {
    expect(steps).toHaveLength(12);
    const r = await mpeluRun([join(LUA, 'mini_train.lua'), cache, save, '2', '1', '1']);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    const train = out.filter((l) => l.startsWith('train '));
    expect(train).toEqual(steps.map((s) => `train ${s.epoch} ${s.iter} loss ${s.loss} top1 ${s.top1.padStart(7)} top5 ${s.top5.padStart(7)}`));
    for (const t of tests) expect(out).toContain(`test ${t.epoch} top1 ${t.top1.padStart(7)} top5 ${t.top5.padStart(7)}`);
    const mine = readT7(readFileSync(join(save, 'model_1.t7'))).value as Module;
    const theirs = readT7(readFileSync(join(FIX, 'torch7/fbresnet/run_a/model_1.t7'))).value as Module;
    const av = mine.getParameters()[0].values();
    const bv = theirs.getParameters()[0].values();
    expect(av.length).toBe(127354);
    let worst = 0;
    for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i]! - bv[i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(existsSync(join(save, 'latest.t7'))).toBe(true);
  }, 300_000);

  it('mpelu train -resume continues the checkpoint the Lua program wrote', async () => {
    const cli = buildCli();
    try {
      const r = await runCli(cli, ['train', '-dataset', 'cifar10', '-netType', 'mpelu-preactivation-nopre', '-depth', '11', '-batchSize', '16', '-nEpochs', '3', '-manualSeed', '3', '-shortcutType', 'B', '-nThreads', '1', '-gen', join(FIX, 'torch7/fbresnet/data/gen'), '-save', save, '-resume', save]);
      expect(r.stdout).toContain(`=> Loading checkpoint ${join(save, 'latest.t7')}`);
      expect(r.stdout).toMatch(/Epoch: \[3\]\[6\/6\]/);
      const model3 = readT7(readFileSync(join(save, 'model_3.t7'))).value as Module;
      expect(model3.getParameters()[0]).toBeInstanceOf(Tensor);
    } finally {
      cli.remove();
    }
  }, 300_000);
});
