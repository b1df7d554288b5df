// The mpelu command as a user runs it: a child process, real files, exit codes, stderr.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli, runCliBytes, runCliTracingImports, runCliUnprivileged, unprivileged, ROOT, type BuiltCli } from './helpers/cli.js';

const SMALL = join(ROOT, 'fixtures/torch7/serialization/tensor_shared_storage.t7');
let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
});
afterAll(() => cli?.remove());

const backendPackages = (modules: string[]) => modules.filter((m) => /^@tensorflow\/tfjs-(backend|node)/.test(m));
const tfjsModules = (modules: string[]) => modules.filter((m) => m.startsWith('@tensorflow/'));
const MODULE_FILE = join(ROOT, 'fixtures/torch7/nn/module_MPELU_channel_random.t7');

describe('start-up: commands that do not compute load no tfjs backend', () => {
  it('--version and --help load commander and nothing of tfjs', async () => {
    for (const args of [['--version'], ['--help'], ['inspect', '--help']]) {
      const r = await runCliTracingImports(cli, args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.modules.filter((m) => m.startsWith('@tensorflow')), args.join(' ')).toEqual([]);
    }
  });

  it('inspect and convert read and write .t7 (tensors and nn modules) without tfjs; env starts a backend', async () => {
    const inspect = await runCliTracingImports(cli, ['inspect', SMALL]);
    expect(inspect.status).toBe(0);
    expect(inspect.stdout).toContain('torch.DoubleTensor of size 4x5');
    // not even tfjs-core: a tensor read from a file is typed arrays until math runs
    expect(tfjsModules(inspect.modules)).toEqual([]);
    const model = await runCliTracingImports(cli, ['inspect', MODULE_FILE]);
    expect(model.status).toBe(0);
    expect(model.stdout).toContain('nn.MPELU(alpha=0.948453, beta=1.450472, channels=4)');
    expect(tfjsModules(model.modules)).toEqual([]);
    const out = join(cli.dir, 'converted.t7');
    const convert = await runCliTracingImports(cli, ['convert', '--ascii', SMALL, out]);
    expect(convert.stderr).toBe('');
    expect(convert.status).toBe(0);
    expect(tfjsModules(convert.modules)).toEqual([]);
    const convertModel = await runCliTracingImports(cli, ['convert', '--ascii', MODULE_FILE, join(cli.dir, 'converted_module.t7')]);
    expect(convertModel.status).toBe(0);
    expect(tfjsModules(convertModel.modules)).toEqual([]);
    const env = await runCliTracingImports(cli, ['--backend', 'cpu', 'env']);
    expect(env.status).toBe(0);
    expect(env.stdout).toMatch(/^backend +cpu \(requested: cpu\)$/m);
    // cpu's own report: no wasm binary or features, only the kernels mpelu adds on cpu
    expect(env.stdout).not.toMatch(/wasm features|wasm binary|^ {2}wasm /m);
    expect(env.stdout).toMatch(/^kernels added or replaced by mpelu(: none on cpu)?\n( {2}cpu .*\n)?fused/m);
    expect(backendPackages(env.modules)).toContain('@tensorflow/tfjs-backend-cpu/package.json');
    expect(tfjsModules(env.modules)).toContain('@tensorflow/tfjs-core/dist/tf-core.node.js');
    // the flag after the command, as a user reads `env --backend cpu`
    const after = await runCli(cli, ['env', '--backend', 'cpu']);
    expect(after.stderr).toBe('');
    expect(after.stdout).toMatch(/^backend +cpu \(requested: cpu\)$/m);
    expect(after.stdout).not.toMatch(/wasm features|wasm binary/);
  });
});

describe('arguments: one `mpelu:` line, exit 2 for a wrong command line', () => {
  const usage = async (args: string[], message: RegExp) => {
    const r = await runCli(cli, args);
    expect(r.stdout, args.join(' ')).toBe('');
    expect(r.stderr, args.join(' ')).toMatch(/^mpelu: [^\n]*\n$/);
    expect(r.stderr, args.join(' ')).toMatch(message);
    expect(r.status, args.join(' ')).toBe(2);
  };

  it('extra positional arguments, meaningless flags, parser errors, numeric options and backends name themselves', async () => {
    const cases: [string[], RegExp][] = [
      [['inspect', SMALL, 'extra'], /^mpelu: inspect: unexpected argument 'extra'; inspect takes 1 argument \(<file>\)/],
      [['convert', '--ascii', SMALL, 'out.t7', 'more'], /unexpected argument 'more'; convert takes 2 arguments \(<in> <out>\)/],
      [['env', 'x'], /env: unexpected argument 'x'; env takes no arguments/],
      [[], /expected a command \(convert, env, export, import-weights, inspect/],
      [['fly'], /unknown command 'fly'/],
      [['inspect'], /missing required argument 'file'/],
      [['inspect', SMALL, '--depth', '-1'], /'--depth <n>' argument '-1' is invalid\. expected a non-negative integer/],
      [['inspect', SMALL, '--long-size', '3'], /'--long-size <n>' argument '3' is invalid\. expected 4 or 8/],
      [['inspect', SMALL, '--bogus'], /unknown option '--bogus'/],
      [['--backend', 'foo', 'env'], /unknown backend 'foo' \(from --backend\); expected one of auto, tensorflow, wasm, cpu/],
      [['env', '--backend', 'foo'], /unknown backend 'foo' \(from --backend\); expected one of auto, tensorflow, wasm, cpu/],
      [['convert', '--ascii', '--binary', SMALL, 'out.t7'], /choose one of --ascii and --binary/],
      [['convert', '--ascii', '--long-size', '4', SMALL, 'out.t7'], /--long-size 4 means nothing with --ascii/],
    ];
    await Promise.all(cases.map(([args, message]) => usage(args, message)));
  });

  it('MPELU_BACKEND is named as the source when it is the source', async () => {
    const r = await runCli(cli, ['env'], { env: { MPELU_BACKEND: 'foo' } });
    expect(r.stderr).toBe("mpelu: unknown backend 'foo' (from MPELU_BACKEND); expected one of auto, tensorflow, wasm, cpu\n");
    expect(r.status).toBe(2);
    // a command that does not compute does not care
    expect((await runCli(cli, ['inspect', SMALL], { env: { MPELU_BACKEND: 'foo' } })).status).toBe(0);
  });
});

describe('output files: regular files only, atomically, errors naming the given path', () => {
  let dir: string;
  let server: Server | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mpelu-cli-out-'));
    chmodSync(dir, 0o777);
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const failure = async (args: string[], message: string) => {
    const r = await runCli(cli, args);
    expect(r.stderr, args.join(' ')).toBe(`mpelu: ${message}\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
  };
  const noTempFiles = (folder: string) => expect(readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toEqual([]);

  it('refuses devices, a FIFO, a socket and a directory, leaving them as they were', async () => {
    await failure(['convert', '--ascii', SMALL, '/dev/full'], "cannot write /dev/full: it is a character device, not a regular file (give a file name, or '-' for standard output)");
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
    await failure(['convert', SMALL, '/dev/null'], "cannot write /dev/null: it is a character device, not a regular file (give a file name, or '-' for standard output)");
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    await failure(['convert', SMALL, sub], `cannot write ${sub}: it is a directory, not a regular file (give a file name, or '-' for standard output)`);
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      await failure(['convert', SMALL, fifo], `cannot write ${fifo}: it is a FIFO (named pipe), not a regular file (give a file name, or '-' for standard output)`);
      expect(statSync(fifo).isFIFO()).toBe(true);
    } else {
      console.warn('mkfifo not available: FIFO destination not checked');
    }
    const sock = join(dir, 'sock');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(sock, resolve));
    await failure(['convert', SMALL, sock], `cannot write ${sock}: it is a socket, not a regular file (give a file name, or '-' for standard output)`);
    expect(statSync(sock).isSocket()).toBe(true);
    noTempFiles(dir);
  });

  it('names the given path (never a temporary file) when a folder is missing or a file unreadable', async () => {
    const missing = join(dir, 'nodir', 'x.t7');
    await failure(['convert', SMALL, missing], `cannot write ${missing}: folder ${join(dir, 'nodir')} does not exist`);
    await failure(['inspect', dir], `cannot read ${dir}: it is a directory, not a .t7 file`);
    await failure(['inspect', join(dir, 'none.t7')], `cannot read ${join(dir, 'none.t7')}: no such file`);
    noTempFiles(dir);
  });

  it("'-' is standard output and standard input: binary -> ascii -> binary through pipes gives the same bytes", async () => {
    const ascii = await runCliBytes(cli, ['convert', '--ascii', SMALL, '-']);
    expect(ascii.stderr).toBe('');
    expect(ascii.status).toBe(0);
    const r = await runCliBytes(cli, ['convert', '--binary', '-', '-'], { input: ascii.stdout });
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, readFileSync(SMALL))).toBe(0);
    const inspect = await runCli(cli, ['inspect', '-'], { input: readFileSync(SMALL) });
    expect(inspect.stdout).toMatch(/^-: binary, 8-byte longs, 1022 bytes\n/);
  });

  it('a read-only folder: refused for an unprivileged user, naming the folder; nothing left behind', async () => {
    const how = unprivileged();
    if (!how) {
      console.warn('running as root without setpriv: read-only folder not checked as an unprivileged user');
      expect(process.getuid?.()).toBe(0);
      return;
    }
    const ro = join(dir, 'readonly');
    mkdirSync(ro);
    writeFileSync(join(ro, 'old.t7'), 'old');
    chmodSync(ro, 0o555);
    const r = await runCliUnprivileged(cli, ['convert', SMALL, join(ro, 'old.t7')]);
    expect(r.stderr).toBe(`mpelu: cannot write ${join(ro, 'old.t7')}: permission denied (folder ${ro})\n`);
    expect(r.status).toBe(1);
    expect(readFileSync(join(ro, 'old.t7'), 'utf8')).toBe('old');
    noTempFiles(ro);
    // /dev/stdout as an unprivileged user (a pipe here): refused with the way out, not EACCES on /dev
    const out = await runCliUnprivileged(cli, ['convert', SMALL, '/dev/stdout']);
    expect(out.stderr).toMatch(/^mpelu: cannot write \/dev\/stdout: it is a (FIFO \(named pipe\)|socket), not a regular file \(give a file name, or '-' for standard output\)\n$/);
    if (how.uid !== 0 && (process.getuid?.() ?? 0) === 0) {
      // as root the same folder is writable (root ignores the mode), as Torch's fopen would find
      const root = await runCli(cli, ['convert', '--ascii', SMALL, join(ro, 'root.t7')]);
      expect(root.status).toBe(0);
      expect(existsSync(join(ro, 'root.t7'))).toBe(true);
    }
    chmodSync(ro, 0o755);
  });
});

describe('inspect and convert as a Torch user meets them', () => {
  const MODEL = join(ROOT, 'fixtures/torch7/resnet/depth20/model_1.t7');

  it('module fields, --depth, --full past 1000 values, a forced byte order the file contradicts', async () => {
    const conv3x3 = 'modules[4].modules[1].modules[1].modules[1].modules[4].weight'; // 16x16x3x3: 2304 values
    const OPTIM = join(ROOT, 'fixtures/torch7/resnet/depth20/optimState_1.t7');
    const [fields, summarized, full, depth, forced] = await Promise.all([
      runCli(cli, ['inspect', MODEL, '--path', 'modules[2]']),
      runCli(cli, ['inspect', MODEL, '--path', conv3x3]),
      runCli(cli, ['inspect', MODEL, '--path', conv3x3, '--full']),
      runCli(cli, ['inspect', '--depth', '1', OPTIM]),
      runCli(cli, ['inspect', '--big-endian', SMALL]),
    ]);
    expect(fields.stdout).toMatch(/^nn\.SpatialBatchNormalization \(4D\) \(16\) \{$/m);
    expect(fields.stdout).toMatch(/^ {2}running_mean : torch\.FloatTensor of size 16 \[min /m);
    expect(fields.stdout).toMatch(/^ {2}eps : 1e-05$/m);
    expect(summarized.stdout).toMatch(/torch\.FloatTensor of size 16x16x3x3 .*\n\(2304 values; --full prints them all as Torch's print does\)\n$/);
    expect(full.stdout).toContain('[torch.FloatTensor of size 16x16x3x3]\n');
    expect(full.stdout).toMatch(/^\(16,16,\.,\.\) = $/m);
    expect(full.stdout.split('\n').length).toBeGreaterThan(16 * 16 * 3);
    expect(depth.stdout).toMatch(/^ {2}learningRate : 0\.1$/m);
    expect(depth.stdout).toMatch(/^ {2}learningRates : torch\.FloatTensor of size 219642 \[min 1, max 5, /m);
    expect(forced.status).toBe(1);
    expect(forced.stderr).toMatch(/^mpelu: unknown type tag .*; read as big-endian as asked, but the file's first bytes say little-endian \(at byte 0, object \(root\)\)\n$/);
  });

  it('no third-party banner when a command computes on the cpu backend', async () => {
    const r = await runCli(cli, ['--backend', 'cpu', 'run', '-e', 'print(torch.FloatTensor(3):fill(2):sum())']);
    expect(r.stderr + r.stdout).toBe('6\t\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('values, JSON for jq, hints; a big-endian round trip through files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpelu-cli-be-'));
    try {
      const big = join(dir, 'big.t7');
      const [values, plain, exact, jsonFirst, hint, toBig] = await Promise.all([
        runCli(cli, ['inspect', SMALL, '--path', 'base']),
        runCli(cli, ['inspect', MODEL, '--json']),
        runCli(cli, ['inspect', SMALL, '--json=exact']),
        runCli(cli, ['inspect', '--json', SMALL]),
        runCli(cli, ['inspect', MODEL, '--path', 'modules[0]']),
        runCli(cli, ['convert', '--big-endian', SMALL, big]),
      ]);
      expect(values.stdout).toContain(' 16  17  18  19  20\n[torch.DoubleTensor of size 4x5]\n');
      expect(JSON.parse(plain.stdout).value.modules[0].weight.size).toEqual([16, 3, 3, 3]);
      expect(JSON.parse(exact.stdout).object.kind).toBe('table');
      expect(JSON.parse(jsonFirst.stdout).value.base.size).toEqual([4, 5]);
      expect(hint.stderr).toBe('mpelu: no [0] in modules: indices start at 1, as in Lua; its keys: [1] to [11]\n');
      expect(hint.status).toBe(1);
      expect(toBig.stdout).toBe(`wrote ${big} (binary, big-endian, 8-byte longs)\n`);
      const back = join(dir, 'back.t7');
      const [shown, little] = await Promise.all([runCli(cli, ['inspect', big]), runCli(cli, ['convert', '--little-endian', big, back])]);
      expect(shown.stdout.split('\n')[0]).toBe(`${big}: binary, big-endian, 8-byte longs, 1022 bytes`);
      expect(little.status).toBe(0);
      expect(Buffer.compare(readFileSync(back), readFileSync(SMALL))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
