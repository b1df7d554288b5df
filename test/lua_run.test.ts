// `mpelu run`: arguments, -e, -l, exit codes, errors with file:line and a traceback,
// LuaJIT's numbers, require relative to the script.

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';

const tmp = mkdtempSync(join(tmpdir(), 'mpelu-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function script(name: string, text: string): string {
  const p = join(tmp, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

describe('mpelu run', () => {
  it('-e runs code (the before-stop check)', async () => {
    const r = await mpeluRun(['-e', 'print(torch.Tensor(2):fill(1):sum())']);
    expect(r.stdout.toString()).toBe('2\t\n');
    expect(r.code).toBe(0);
  });

  it('tensor arithmetic takes numbers, numeric strings and tensors; anything else is an error naming both operands', async () => {
    const code = [
      'print((torch.Tensor(2):fill(1) + "2"):sum(), (3 - torch.Tensor(1):fill(1)):sum())',
      'local ok, e = pcall(function() return torch.Tensor(2) + {} end)',
      'print(ok, e)',
      'print(pcall(function() return true * torch.FloatTensor(1) end))',
    ].join(' ');
    const r = await mpeluRun(['-e', code]);
    expect(r.stdout.toString()).toBe(
      "6\t2\t\nfalse\t(command line):1: invalid arguments to '+': DoubleTensor and table (expected a number or a tensor)\t\n" +
      "false\t(command line):1: invalid arguments to '*': FloatTensor and boolean (expected a number or a tensor)\t\n",
    );
    expect(r.code).toBe(0);
  });

  it('torch.setnumthreads / getnumthreads set and read the wasm kernels\' thread count', async () => {
    const r = await mpeluRun(['-e', 'torch.setnumthreads(3) print(torch.getnumthreads())']);
    expect(r.stdout.toString()).toBe('3\t\n');
    expect(r.code).toBe(0);
  });

  it('gives the script arg and an empty ...', async () => {
    const f = script('args.lua', "print(#arg, arg[1], arg[2], select('#', ...), arg[0] ~= nil)\n");
    const r = await mpeluRun([f, 'alpha', '--flag']);
    expect(r.stdout.toString()).toBe('2\talpha\t--flag\t0\ttrue\t\n');
  });

  it('os.exit(3) flushes what was written and exits 3, even inside pcall', async () => {
    const f = script('exit.lua', "io.write('partial')\npcall(function() os.exit(3) end)\nprint('not reached')\n");
    const r = await mpeluRun([f]);
    expect(r.stdout.toString()).toBe('partial');
    expect(r.code).toBe(3);
  });

  it('an error prints file:line and a Lua traceback on stderr and exits 1', async () => {
    const f = script('err.lua', "print('before')\nlocal function boom() error('kaboom') end\nboom()\n");
    const r = await mpeluRun([f]);
    expect(r.stdout.toString()).toBe('before\t\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:2: kaboom`);
    expect(r.stderr).toContain('stack traceback:');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no JS stack
  });

  it('a JS-side error is a Lua error at the calling line', async () => {
    const f = script('jserr.lua', "local t = torch.Tensor(2, 3)\nlocal x = t:narrow(1, 5, 1)\n");
    const r = await mpeluRun([f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${f}:2: `));
  });

  it('a missing module is named in the error', async () => {
    const f = script('missing.lua', "require 'no_such_module_here'\n");
    const r = await mpeluRun([f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("module 'no_such_module_here' not found");
  });

  it('-l requires a module before the script; require finds modules next to the script', async () => {
    script('lib/helper.lua', 'HELPED = 42\nreturn {answer = 41}\n');
    const f = script('lib/main.lua', "local h = require 'helper'\nprint(HELPED, h.answer + 1)\nprint(require('./helper').answer)\n");
    const r = await mpeluRun(['-l', 'nn', f]);
    expect(r.stdout.toString()).toBe('42\t42\t\n41\t\n');
    const abs = script('abs.lua', `local m = require '${join(tmp, 'lib/helper')}'\nprint(m.answer)\n`);
    expect((await mpeluRun([abs])).stdout.toString()).toBe('41\t\n');
  });

  it("numbers behave as LuaJIT's doubles", async () => {
    const f = script(
      'numbers.lua',
      [
        'local n = (164 - 2) / 9',
        "print(n, string.format('%d', n), torch.Tensor(n):size(1))",
        'local c = 0; for i = 1, n do c = c + 1 end; print(c)',
        'print(100000 * 100000, 2^31 + 1, 65536 * 65536, os.time() * 1000 > 0)',
        'print(0xffffffff)',
      ].join('\n'),
    );
    const r = await mpeluRun([f]);
    expect(r.stdout.toString().split('\n').slice(0, 4).join('\n')).toBe('18\t18\t18\t\n18\t\n10000000000\t2147483649\t4294967296\ttrue\t\n4294967295\t');
  });
});
