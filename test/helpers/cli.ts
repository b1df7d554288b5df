// The real `mpelu` command for tests: src/ transpiled once per test file (esbuild, no
// type check, ~0.1 s) into node_modules/.cache, then run as a child process with real
// files, the way a user runs dist/cli/main.js. Not dist/ itself: it may be stale.

import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildSync } from 'esbuild';

export const ROOT = new URL('../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

export interface BuiltCli {
  /** The transpiled dist/cli/main.js. */
  main: string;
  /** The folder holding the build (a package.json beside dist/, so --version works). */
  dir: string;
  remove(): void;
}

/** Transpiles src/ to a private dist/ (inside node_modules, so packages resolve). */
export function buildCli(): BuiltCli {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'mpelu-cli-'));
  chmodSync(dir, 0o755); // readable by the unprivileged user of runCliUnprivileged
  buildSync({
    entryPoints: sources(join(ROOT, 'src')),
    outdir: join(dir, 'dist'),
    outbase: join(ROOT, 'src'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  // the package's other shipped folders, where `mpelu run` finds its Lua files
  for (const shipped of ['lua', 'compat']) symlinkSync(join(ROOT, shipped), join(dir, shipped));
  return { main: join(dir, 'dist', 'cli', 'main.js'), dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Bytes for standard input (none: stdin is empty). */
  input?: Uint8Array | string;
  /** Arguments for node before the script (e.g. --import). */
  nodeArgs?: string[];
  /** A command to run node under (e.g. setpriv ...). */
  prefix?: string[];
}

/**
 * Runs `node main.js ...args` (60 s at most: a hang fails the test). Asynchronous: a
 * blocking spawnSync would stall the vitest worker's messages on a busy machine.
 */
export function runCliBytes(cli: BuiltCli, args: string[], options: RunOptions = {}): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  const command = [...(options.prefix ?? []), process.execPath, ...(options.nodeArgs ?? []), cli.main, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, MPELU_BACKEND: undefined, ...options.env }, timeout: 60_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => {}); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** runCliBytes with standard output as text. */
export async function runCli(cli: BuiltCli, args: string[], options: RunOptions = {}): Promise<CliResult> {
  const r = await runCliBytes(cli, args, options);
  return { ...r, stdout: r.stdout.toString('utf8') };
}

const TRACE_HOOKS = join(ROOT, 'test', 'helpers', 'import_trace.mjs');

/** Runs the command recording every module it imports; returns them relative to node_modules or the build. */
export async function runCliTracingImports(cli: BuiltCli, args: string[]): Promise<CliResult & { modules: string[] }> {
  const log = join(cli.dir, `imports.${process.pid}.${Math.random().toString(16).slice(2)}.log`);
  const r = await runCli(cli, args, { nodeArgs: ['--import', TRACE_HOOKS], env: { MPELU_IMPORT_TRACE: log } });
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // nothing imported beyond the entry point
  }
  const modules = text
    .split('\n')
    .filter(Boolean)
    .map((p) => (p.includes('/node_modules/') && !p.startsWith(cli.dir) ? p.slice(p.lastIndexOf('/node_modules/') + 14) : relative(cli.dir, p)));
  return { ...r, modules };
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * How to run as an unprivileged user: nothing to do when the tests do not run as root;
 * as root, setpriv to `nobody` (uid/gid 65534). null when root and setpriv is missing.
 */
export function unprivileged(): { prefix: string[]; uid: number } | null {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { prefix: [], uid };
  if (!SETPRIV) return null;
  return { prefix: [SETPRIV, '--reuid=65534', '--regid=65534', '--clear-groups', '--'], uid: 65534 };
}

/** runCli as an unprivileged user (see unprivileged()); throws if there is none. */
export function runCliUnprivileged(cli: BuiltCli, args: string[], options: RunOptions = {}): Promise<CliResult> {
  const how = unprivileged();
  if (!how) throw new Error('no way to run unprivileged here');
  return runCli(cli, args, { ...options, prefix: how.prefix });
}
