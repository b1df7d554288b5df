// fb.resnet.torch's packages as its Lua program uses them, through `mpelu run` with Lua
// written for these tests (test/lua/fbresnet/): a threads pool with per-thread generators
// (against Torch7's recorded draws), nn.DataParallelTable of two replicas (against two
// model copies run one after another), image, and a -gen download offline
// (test/fbresnet_program.test.ts runs a whole training program).

import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mpeluRun } from './helpers/mpelu_run.js';
import { getNumThreads } from '../src/backend/threads.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const LUA = here('./lua/fbresnet/');
const FIX = here('../fixtures/');
const tmp = mkdtempSync(join(tmpdir(), 'mpelu-fbresnet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function lines(b: Buffer): string[] {
  return b.toString('latin1').split('\n').map((l) => l.replace(/\t$/, ''));
}

/** The uniform draws fixtures/torch7/rng recorded after torch.manualSeed(seed). */
function torchUniforms(seed: number): number[] {
  const line = readFileSync(join(FIX, `torch7/rng/rng_seed${seed}.txt`), 'latin1').split('\n').find((l) => l.startsWith('uniform '))!;
  return line.split(' ').slice(1).map(Number);
}

describe('fb.resnet.torch packages under mpelu run', () => {
  it('threads: init functions, per-thread globals and generators (Torch7 draws), upvalue-carrying jobs, errors', async () => {
    const r = await mpeluRun([join(LUA, 'threads_pool.lua')]);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out).toContain('init results\t10\t1\t10\t2');
    expect(out).toContain('main generator untouched\ttrue');
    expect(out).toContain('main default tensor type\ttorch.FloatTensor');
    expect(out).toContain('globals stay in the threads\ttrue');
    const u1 = torchUniforms(1);
    const u123 = torchUniforms(123);
    const jobs = out.filter((l) => l.startsWith('job '));
    expect(jobs).toHaveLength(6);
    jobs.forEach((l, i) => {
      const m = /^job (\d) thread (\d) uniform (\S+) train (\d+) torch.DoubleTensor$/.exec(l)!;
      expect(m, l).not.toBeNull();
      const thread = (i % 2) + 1;
      expect(Number(m[2])).toBe(thread);
      // Thread 1 was seeded 1, thread 2 seeded 123, each drawing its own stream.
      expect(Number(m[3])).toBe((thread === 1 ? u1 : u123)[Math.floor(i / 2)]);
      expect(Number(m[4])).toBe((i + 1) * 10);
    });
    expect(out).toContain('val pool sees\tval\t3');
    expect(out).toContain('loop results\t2 4 6 8');
    expect(out).toContain('error raised\ttrue\ttrue');
    expect(out.find((l) => l.startsWith('Mutex'))).toMatch(/threads.Mutex is not available in mpelu/);
    expect(out).toContain('running after terminate\tfalse');
  });

  it("torch.setnumthreads once cutorch is loaded (main.lua's 1) is kept for getnumthreads; the kernels, the emulated GPU, keep theirs", async () => {
    const kernels = getNumThreads();
    const r = await mpeluRun(['-e', "require 'cunn'; require 'cudnn'; torch.setnumthreads(1); print(torch.getnumthreads()); print(pcall(torch.setnumthreads, 0))"]);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out[0]).toBe('1');
    expect(out[1]).toMatch(/^false\t.*setnumthreads: expected a whole number >= 1, got 0/);
    expect(getNumThreads()).toBe(kernels);
  });

  it('nn.DataParallelTable of two replicas equals two model copies run one after another, through Lua', async () => {
    const r = await mpeluRun([join(LUA, 'data_parallel.lua')]);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out).toContain('host tensor\ttorch.FloatTensor');
    expect(out).toContain('true');
    expect(out).toContain('largest difference 0');
    expect(out).toContain('replica 1 running mean = first half 0, != second half true');
  });

  it('image: load (JPEG as libjpeg, PNG, depth, type), hflip, crop, scale, rotate', async () => {
    const r = await mpeluRun([join(LUA, 'image_load.lua'), join(FIX, 'image')]);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    const ppm = readFileSync(join(FIX, 'image/rgb444.libjpeg.ppm'));
    const pixels = ppm.subarray(ppm.length - 64 * 48 * 3);
    const sum = pixels.reduce((a, b) => a + b, 0);
    expect(out).toContain(`jpg\ttorch.ByteTensor\t3\t48\t64\t${sum}`);
    expect(out).toContain('float max <= 1\ttrue\ttorch.FloatTensor');
    expect(out).toContain('gray png dims\t3\t1\t48');
    expect(out).toContain('gray png as RGB\t3\t0');
    expect(out).toContain('hflip\ttrue\ttrue');
    expect(out).toContain('crop\t5\t5\ttrue');
    expect(out).toContain('crop c\ttrue');
    expect(out).toContain('scale\t16\t20\ttrue');
    expect(out).toContain('scale max side\t4\t5');
    expect(out).toContain('rotate 0\t0');
    expect(out.find((l) => l.startsWith('bad file'))).toMatch(/false\t.*neither JPEG .* nor PNG/);
  });

  it("a -gen script offline: the download fails, saying which file to put where; with the files in place it is skipped", async () => {
    const dir = join(tmp, 'gen-offline');
    mkdirSync(join(dir, 'gen'), { recursive: true });
    const gen = join(dir, 'cifar10_gen.lua');
    writeFileSync(
      gen,
      [
        "local URL = 'http://torch7.s3-website-us-east-1.amazonaws.com/data/cifar-10-torch.tar.gz'",
        "local ok = os.execute('curl ' .. URL .. ' | tar xz -C gen/')",
        "assert(ok == true or ok == 0, 'error downloading CIFAR-10')",
        "print('downloaded')",
      ].join('\n'),
    );
    const r = await mpeluRun([gen], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Put cifar-10-torch.tar.gz (downloaded elsewhere from http://torch7.s3-website-us-east-1.amazonaws.com/data/cifar-10-torch.tar.gz) at ${join(dir, 'gen', 'cifar-10-torch.tar.gz')}`);
    expect(r.stderr).toContain('error downloading CIFAR-10');
    mkdirSync(join(dir, 'gen', 'cifar-10-batches-t7'));
    for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) writeFileSync(join(dir, 'gen', 'cifar-10-batches-t7', `${f}.t7`), '');
    const again = await mpeluRun([gen], dir);
    expect(again.code).toBe(0);
    expect(lines(again.stdout)).toContain('downloaded');
  });
});
