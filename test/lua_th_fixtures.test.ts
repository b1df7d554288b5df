// The 25 scripts of fixtures/torch7/lua, each run through `mpelu run` exactly as the
// fixture README says (cwd = the fixture folder, MPELU_FIXTURE=torch7), compared byte
// for byte with what Torch7's `th` printed, and the exit code.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';

const DIR = new URL('../fixtures/torch7/lua/', import.meta.url).pathname;
const cases = readFileSync(join(DIR, 'cases.tsv'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const [name, args = ''] = line.split('\t');
    return { name: name!, args: args.split(' ').filter(Boolean) };
  });

/**
 * Cases mpelu does not reproduce byte for byte yet, each with the reason (README "Lua:
 * what does not work" names them too). Every other case must match exactly.
 */
export const KNOWN_DIFFERENT: Record<string, string> = {
  print_modules:
    "th's cudnn here was a CPU stand-in whose SpatialBatchNormalization prints nn's 'cudnn.SpatialBatchNormalization (4D) (4)'; " +
    'real cudnn.torch (R7) derives nn.Module with no __tostring__, so mpelu prints the class name alone (every other line matches)',
  pcall_errors:
    "`return math.floor('a')` inside pcall: LuaJIT's tail call drops the caller's frame (\"bad argument #1 to '?'\", no position); " +
    "Lua 5.3 runs a builtin in tail position in the caller's frame (\"pcall_errors.lua:43: bad argument #1 to 'floor'\"); every other line matches",
};

describe('th fixtures under mpelu run', () => {
  const env = process.env.MPELU_FIXTURE;
  beforeAll(() => {
    process.env.MPELU_FIXTURE = 'torch7';
  });
  afterAll(() => {
    if (env === undefined) delete process.env.MPELU_FIXTURE;
    else process.env.MPELU_FIXTURE = env;
  });

  for (const c of cases) {
    const reason = KNOWN_DIFFERENT[c.name];
    (reason ? it.skip : it)(`${c.name}${reason ? ` (differs: ${reason})` : ''}`, async () => {
      const r = await mpeluRun([`${c.name}.lua`, ...c.args], DIR);
      const expected = readFileSync(join(DIR, `${c.name}.stdout`));
      expect(r.stdout.toString('latin1')).toBe(expected.toString('latin1'));
      expect(r.code).toBe(Number(readFileSync(join(DIR, `${c.name}.exit`), 'utf8').trim()));
    });
  }
});
