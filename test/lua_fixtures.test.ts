// The Torch7 fixture tests the TypeScript suite runs (nn, naive, optim, rng under
// fixtures/torch7) also run from Lua under `mpelu run`, as Torch7 itself would run them:
// test/lua/fixtures/*.lua torch.load the fixtures, compute with the Lua side (nn modules,
// optim.sgd, nnlr, torch's generator) and compare with test/lua/fixtures/check.lua (the
// rule of test/helpers/close.ts), exiting 1 with the failed comparisons on stderr.
// One run per group: start-up is paid four times, not per case.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';

const DIR = new URL('./lua/fixtures/', import.meta.url).pathname;
const FIX = new URL('../fixtures/torch7', import.meta.url).pathname;

/** Each group with the number of comparisons its script makes (so a shortened script is noticed). */
const GROUPS: [name: string, summary: string, checks: number][] = [
  ['nn', 'nn fixtures', 350],
  ['naive', 'naive fixtures', 52],
  ['optim', 'optim fixtures', 398],
  ['rng', 'rng fixtures', 34],
];

describe('Torch7 fixtures from Lua scripts under mpelu run', () => {
  for (const [name, summary, checks] of GROUPS) {
    it(`${name}: every comparison of the TypeScript fixture tests, from Lua`, async () => {
      const r = await mpeluRun([join(DIR, `${name}.lua`), FIX], DIR);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.toString().trim().split('\n').pop()).toBe(`${summary}: ${checks} checks passed`);
    }, 120_000);
  }

  it('a mismatch exits 1 and names the comparison, the worst element and both values', async () => {
    const script = [
      `local check = dofile('${join(DIR, 'check.lua')}')`,
      "check.close(torch.Tensor({1, 2, 3}), torch.Tensor({1, 2.5, 3}), 1e-5, 'a tensor')",
      "check.close(1, 1, 0, 'a number')",
      "check.finish('demo')",
      "print('not reached')",
    ].join('\n');
    const r = await mpeluRun(['-e', script]);
    expect(r.code).toBe(1);
    expect(r.stdout.toString()).not.toContain('not reached');
    expect(r.stderr).toContain('demo: 1 of 2 checks failed');
    expect(r.stderr).toContain('a tensor: worst element 2: got 2, want 2.5 (rtol 1e-05)');
  }, 60_000);
});
