// fb.resnet.torch's own program under `mpelu run main.lua` next to `mpelu train`, same model,
// flags and data, in one run (alternating A B B A, so a change of machine load hits both):
// seconds per training step (train.lua's Time column: the step and the wait for its batch)
// and the Data column, steps 2.. of each epoch. fb.resnet.torch is never part of this
// repository: point MPELU_FBRESNET_DIR at a local copy (with the MPELU paper's files copied
// over it for -netType mpelu-preactivation-nopre); without it this bench says so and stops.
//
// Run: MPELU_FBRESNET_DIR=/path/fb.resnet.torch npm run bench -- fbresnet_run
//      MPELU_BENCH_DEPTH (default 11), MPELU_BENCH_BATCH (16), MPELU_BENCH_BATCHES (training
//      batches per epoch, 10), MPELU_BENCH_EPOCHS (2), MPELU_BENCH_ROUNDS (2),
//      MPELU_BENCH_THREADS (-nThreads, 1)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGenCache } from '../src/data/cifar.js';
import { syntheticCifarSplit } from './helpers/synthetic_cifar.js';

const fbDir = process.env.MPELU_FBRESNET_DIR;
if (!fbDir || !existsSync(join(fbDir, 'main.lua'))) {
  console.log('fbresnet_run: set MPELU_FBRESNET_DIR to a local fb.resnet.torch folder (with main.lua); nothing measured');
  process.exit(0);
}
const depth = Number(process.env.MPELU_BENCH_DEPTH ?? 11);
const batch = Number(process.env.MPELU_BENCH_BATCH ?? 16);
const nBatches = Number(process.env.MPELU_BENCH_BATCHES ?? 10);
const rounds = Number(process.env.MPELU_BENCH_ROUNDS ?? 2);
const epochs = Number(process.env.MPELU_BENCH_EPOCHS ?? 2);
const nThreads = Number(process.env.MPELU_BENCH_THREADS ?? 1);
const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx'); // the child runs in the fb.resnet.torch folder, which has no node_modules
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

interface Steps {
  time: number[];
  data: number[];
  /** The last epoch's steps alone (the Lua loader's JIT warm-up is behind it). */
  lastTime: number[];
  lastData: number[];
}

/** train.lua's training lines, batches 2.. of each epoch. */
function parseSteps(stdout: string): Steps {
  const out: Steps = { time: [], data: [], lastTime: [], lastData: [] };
  for (const m of stdout.matchAll(/\| Epoch: \[(\d+)\]\[(\d+)\/\d+\]\s+Time ([\d.]+)\s+Data ([\d.]+)/g)) {
    if (Number(m[2]) < 2) continue;
    out.time.push(Number(m[3]));
    out.data.push(Number(m[4]));
    if (Number(m[1]) === epochs) {
      out.lastTime.push(Number(m[3]));
      out.lastData.push(Number(m[4]));
    }
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const dir = mkdtempSync(join(tmpdir(), 'mpelu-bench-fbrun-'));
try {
  mkdirSync(join(dir, 'gen'));
  writeGenCache(join(dir, 'gen', 'cifar10.t7'), {
    train: syntheticCifarSplit(batch * nBatches, 1),
    val: syntheticCifarSplit(batch * 2, 2),
    source: 'bench',
  });
  const flags = `-dataset cifar10 -netType mpelu-preactivation-nopre -depth ${depth} -batchSize ${batch} -nEpochs ${epochs} -manualSeed 3 -shortcutType B -nGPU 1 -nThreads ${nThreads} -optnet false -shareGradInput false -gen ${join(dir, 'gen')}`.split(' ');
  const runs: Record<'lua' | 'ts', Steps> = { lua: parseSteps(''), ts: parseSteps('') };
  console.log(`ResNet-${depth}, batch ${batch}, ${nBatches} training batches per epoch, ${epochs} epochs, -nThreads ${nThreads}, ${rounds} rounds; load average ${load()}`);
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 === 0 ? (['lua', 'ts'] as const) : (['ts', 'lua'] as const)) {
      const save = join(dir, `ck-${which}-${r}`);
      const args = which === 'lua' ? ['run', 'main.lua', ...flags, '-save', save] : ['train', ...flags, '-save', save, '-progress', 'lines'];
      const t0 = performance.now();
      const p = spawnSync(process.execPath, ['--import', tsx, cli, ...args], { cwd: fbDir, encoding: 'utf8', maxBuffer: 1 << 26 });
      const wall = (performance.now() - t0) / 1000;
      if (p.status !== 0) {
        console.log(`${which} failed (exit ${p.status}):\n${p.stderr}`);
        process.exit(1);
      }
      const s = parseSteps(p.stdout);
      for (const k of ['time', 'data', 'lastTime', 'lastData'] as const) runs[which][k].push(...s[k]);
      console.log(
        `round ${r + 1} ${which === 'lua' ? 'mpelu run main.lua' : 'mpelu train      '}: ${mean(s.time).toFixed(3)} s/step (Data ${mean(s.data).toFixed(3)}), ` +
          `last epoch ${mean(s.lastTime).toFixed(3)} (Data ${mean(s.lastData).toFixed(3)}), ${s.time.length} steps, ${wall.toFixed(1)} s wall; load ${load()}`,
      );
    }
  }
  for (const [label, time, data] of [['all epochs', 'time', 'data'], ['last epoch', 'lastTime', 'lastData']] as const) {
    const lua = mean(runs.lua[time]);
    const ts = mean(runs.ts[time]);
    console.log(
      `${label}, all rounds: mpelu run main.lua ${lua.toFixed(3)} s/step (Data ${mean(runs.lua[data]).toFixed(3)}) = ${(batch / lua).toFixed(1)} images/s; ` +
        `mpelu train ${ts.toFixed(3)} s/step (Data ${mean(runs.ts[data]).toFixed(3)}) = ${(batch / ts).toFixed(1)} images/s; ` +
        `Lua loop ${(100 * (lua / ts - 1)).toFixed(1)} % over mpelu train`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`load average after: ${load()}`);
