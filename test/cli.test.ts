// The mpelu command as a user runs it: a child process, real files, exit codes, stderr.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli, runCliTracingImports, ROOT, type BuiltCli } from './helpers/cli.js';

const SMALL = join(ROOT, 'fixtures/torch7/serialization/tensor_shared_storage.t7');
let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
});
afterAll(() => cli?.remove());

const backendPackages = (modules: string[]) => modules.filter((m) => /^@tensorflow\/tfjs-(backend|node)/.test(m));

describe('start-up: commands that do not compute load no tfjs backend', () => {
  it('--version and --help load commander and nothing of tfjs', () => {
    for (const args of [['--version'], ['--help'], ['inspect', '--help']]) {
      const r = runCliTracingImports(cli, args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.modules.filter((m) => m.startsWith('@tensorflow')), args.join(' ')).toEqual([]);
    }
  });

  it('inspect and convert read and write .t7 without a backend; env starts one', () => {
    const inspect = runCliTracingImports(cli, ['inspect', SMALL]);
    expect(inspect.status).toBe(0);
    expect(inspect.stdout).toContain('torch.DoubleTensor of size 4x5');
    expect(backendPackages(inspect.modules)).toEqual([]);
    const out = join(cli.dir, 'converted.t7');
    const convert = runCliTracingImports(cli, ['convert', '--ascii', SMALL, out]);
    expect(convert.stderr).toBe('');
    expect(convert.status).toBe(0);
    expect(backendPackages(convert.modules)).toEqual([]);
    const env = runCliTracingImports(cli, ['--backend', 'cpu', 'env']);
    expect(env.status).toBe(0);
    expect(env.stdout).toMatch(/^backend +cpu \(requested: cpu\)$/m);
    expect(backendPackages(env.modules)).toContain('@tensorflow/tfjs-backend-cpu/package.json');
  });
});

describe('arguments: one `mpelu:` line, exit 2 for a wrong command line', () => {
  const usage = (args: string[], message: RegExp) => {
    const r = runCli(cli, args);
    expect(r.stdout, args.join(' ')).toBe('');
    expect(r.stderr, args.join(' ')).toMatch(/^mpelu: [^\n]*\n$/);
    expect(r.stderr, args.join(' ')).toMatch(message);
    expect(r.status, args.join(' ')).toBe(2);
  };

  it('extra positional arguments are named', () => {
    usage(['inspect', SMALL, 'extra'], /^mpelu: inspect: unexpected argument 'extra'; inspect takes 1 argument \(<file>\)/);
    usage(['convert', '--ascii', SMALL, 'out.t7', 'more'], /unexpected argument 'more'; convert takes 2 arguments \(<in> <out>\)/);
    usage(['env', 'x'], /env: unexpected argument 'x'; env takes no arguments/);
  });

  it('parser errors, numeric options and backends name themselves', () => {
    usage([], /expected a command \(convert, env, export, import-weights, inspect/);
    usage(['fly'], /unknown command 'fly'/);
    usage(['inspect'], /missing required argument 'file'/);
    usage(['inspect', SMALL, '--depth', '-1'], /'--depth <n>' argument '-1' is invalid\. expected a non-negative integer/);
    usage(['inspect', SMALL, '--long-size', '3'], /'--long-size <n>' argument '3' is invalid\. expected 4 or 8/);
    usage(['inspect', SMALL, '--bogus'], /unknown option '--bogus'/);
    usage(['--backend', 'foo', 'env'], /unknown backend 'foo' \(from --backend\); expected one of auto, tensorflow, wasm, cpu/);
    usage(['convert', '--ascii', '--binary', SMALL, 'out.t7'], /choose one of --ascii and --binary/);
  });

  it('MPELU_BACKEND is named as the source when it is the source', () => {
    const r = runCli(cli, ['env'], { env: { MPELU_BACKEND: 'foo' } });
    expect(r.stderr).toBe("mpelu: unknown backend 'foo' (from MPELU_BACKEND); expected one of auto, tensorflow, wasm, cpu\n");
    expect(r.status).toBe(2);
    // a command that does not compute does not care
    expect(runCli(cli, ['inspect', SMALL], { env: { MPELU_BACKEND: 'foo' } }).status).toBe(0);
  });
});
