// Start-up time of the `mpelu` command: `--version` and `inspect` of a 1 KB file.
// Three columns: "eager" runs the command after loading what src/cli/main.ts imported
// eagerly until the commands were made lazy (tfjs and its cpu/wasm backends through
// `env`, the nn modules through `inspect`); "tfjs-core" after loading only tfjs-core,
// as every command did until the tensor and nn code took tfjs-core lazily
// (src/torch/tfjs_core.ts); "now" is the command as it is. `node -e 0` is the floor.
// Median of 5 runs each, with the load average (the machine may be shared).
//
// Run: npm run bench -- cli_startup

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildCli, ROOT } from '../test/helpers/cli.js';

const SMALL = join(ROOT, 'fixtures/torch7/serialization/tensor_shared_storage.t7');
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  }
  return median(times);
}

const cli = buildCli();
try {
  const dist = join(cli.dir, 'dist');
  const eager = (cmd: string[]) => [
    '--input-type=module',
    '-e',
    `await import(${JSON.stringify(join(dist, 'backend/select.js'))}); await import(${JSON.stringify(join(dist, 'nn/index.js'))});` +
      `const { main } = await import(${JSON.stringify(join(dist, 'cli/main.js'))}); await main(['node', 'mpelu', ...${JSON.stringify(cmd)}]);`,
  ];
  const withTfjsCore = (cmd: string[]) => [
    '--input-type=module',
    '-e',
    `await import('@tensorflow/tfjs-core');` +
      `const { main } = await import(${JSON.stringify(join(dist, 'cli/main.js'))}); await main(['node', 'mpelu', ...${JSON.stringify(cmd)}]);`,
  ];
  const floor = time(['-e', '0']);
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; node -e 0: ${floor.toFixed(0)} ms (median of ${RUNS})`);
  console.log('command                       eager  tfjs-core       now');
  for (const [name, cmd] of [
    ['mpelu --version', ['--version']],
    ['mpelu inspect (1 KB file)', ['inspect', SMALL]],
  ] as const) {
    const eagerMs = time(eager([...cmd]));
    const coreMs = time(withTfjsCore([...cmd]));
    const now = time([cli.main, ...cmd]);
    const cell = (ms: number, w: number) => `${ms.toFixed(0)} ms`.padStart(w);
    console.log(`${name.padEnd(26)} ${cell(eagerMs, 8)} ${cell(coreMs, 10)} ${cell(now, 9)}`);
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  cli.remove();
}
