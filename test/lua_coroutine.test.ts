// Functions bridged from TypeScript called inside Lua coroutines (issue 9): Fengari
// calls a JS function with the calling thread's state, and the bridge, print and the
// metatable handlers must read that thread's stack, not the main thread's.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';

const tmp = mkdtempSync(join(tmpdir(), 'mpelu-coroutine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(name: string, text: string): Promise<{ out: string; err: string; code: number; file: string }> {
  const file = join(tmp, name);
  writeFileSync(file, text);
  const r = await mpeluRun([file]);
  return { out: r.stdout.toString(), err: r.stderr, code: r.code, file };
}

describe('bridged functions inside coroutines', () => {
  it('the issue\'s one-liner: a tensor made and summed inside coroutine.wrap', async () => {
    const r = await mpeluRun(['-e', 'coroutine.wrap(function() print(torch.Tensor(3):fill(2):sum()) end)()']);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('6\t\n');
    expect(r.code).toBe(0);
  });

  it('tensors made, printed, indexed, assigned and operated on across coroutine.wrap yields', async () => {
    const r = await run('wrap.lua', [
      'local gen = coroutine.wrap(function()',
      '  local t = torch.Tensor(2, 3):fill(2)',
      '  t[1][2] = 7',
      '  print(t)',
      '  coroutine.yield(t:sum(), t[1][2], t:size(1), t:size(2))',
      '  local u = (t + 1):mul(2)',
      '  coroutine.yield(u[2][3], u:max(), tostring(u:size(1)), torch.type(u))',
      'end)',
      'print(gen())',
      'print(gen())',
      'for k, v in pairs({a = torch.Tensor(1)}) do coroutine.wrap(function() print(k, v:nElement(), {n = 3}) end)() end',
      '',
    ].join('\n'));
    expect(r.err).toBe('');
    expect(r.out).toBe(
      ' 2  7  2\n 2  2  2\n[torch.DoubleTensor of size 2x3]\n\n' +
        '17\t7\t2\t3\t\n' +
        '6\t16\t2\ttorch.DoubleTensor\t\n' +
        'a\t1\t{\n  n : 3\n}\n',
    );
  });

  it('resume/yield pass tensors both ways; an nn module forwards inside the coroutine', async () => {
    const r = await run('resume.lua', [
      "require 'nn'",
      'local co = coroutine.create(function(x)',
      '  local m = nn.Linear(3, 2)',
      '  m.weight:copy(torch.Tensor({{1, 2, 3}, {0, 1, 0}}))',
      '  m.bias:fill(0.5)',
      '  local scale = coroutine.yield(m:forward(x))',
      '  local seq = nn.Sequential():add(m):add(nn.ReLU())',
      '  local y = seq:forward(x * scale)',
      "  for i, v in ipairs(seq.modules) do io.write(i, ' ', torch.type(v), '\\n') end",
      '  return y',
      'end)',
      'local ok, y1 = coroutine.resume(co, torch.Tensor({1, 1, 1}))',
      'print(ok, y1[1], y1[2])',
      'local ok2, y2 = coroutine.resume(co, -1)',
      'print(ok2, y2[1], y2[2], coroutine.status(co))',
      '',
    ].join('\n'));
    expect(r.err).toBe('');
    // W x + b = (6.5, 1.5); then ReLU(W (-x) + b) = ReLU(-5.5, -0.5) = (0, 0).
    expect(r.out).toBe('true\t6.5\t1.5\t\n1 nn.Linear\n2 nn.ReLU\ntrue\t0\t0\tdead\t\n');
  });

  it('an error raised in TypeScript inside a coroutine is caught by pcall with file:line', async () => {
    const r = await run('errors.lua', [
      'local ok, err = pcall(coroutine.wrap(function()',
      '  local t = torch.Tensor(2)',
      '  return t:narrow(1, 5, 1)',
      'end))',
      'print(ok, err)',
      'local okR, ok3, e3 = coroutine.resume(coroutine.create(function()',
      '  local ok3, e3 = pcall(function() return torch.Tensor(3):view(2, 2) end)',
      '  coroutine.yield(ok3, e3)',
      'end))',
      'print(okR, ok3, (e3:match("^[^:]+:%d+:")))',
      'local co = coroutine.create(function() local x = torch.Tensor(2) + torch.Tensor(3) end)',
      'print(coroutine.resume(co))',
      'print(coroutine.status(co), torch.Tensor(1):fill(4)[1])',
      '',
    ].join('\n'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^false\\t${r.file}:3: narrow: dimension 1 has size 2; cannot take 1 from index 5`));
    expect(lines[1]).toBe(`true\tfalse\t${r.file}:7:\t`);
    expect(lines[2]).toMatch(new RegExp(`^false\\t${r.file}:11: add: expected 2 elements`));
    expect(lines[3]).toBe('dead\t4\t');
  });

  it('yields across nested coroutines carry tensors out through both levels', async () => {
    const r = await run('nested.lua', [
      'local outer = coroutine.wrap(function()',
      '  local inner = coroutine.wrap(function()',
      '    for i = 1, 3 do coroutine.yield(torch.Tensor(i):fill(i)) end',
      '  end)',
      '  for _ = 1, 3 do',
      '    local t = inner()',
      '    coroutine.yield(t:sum(), t:size(1), t)',
      '  end',
      'end)',
      'for _ = 1, 3 do local s, n, t = outer() print(s, n, t:dim(), t[n]) end',
      '',
    ].join('\n'));
    expect(r.err).toBe('');
    expect(r.out).toBe('1\t1\t1\t1\t\n4\t2\t1\t2\t\n9\t3\t1\t3\t\n');
  });
});
