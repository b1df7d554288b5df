// Training and evaluating the MPELU nopre ResNet (CIFAR-10) the fb.resnet.torch way, against
// the same network in PyTorch, in one run: for each configuration (depth x batch) mpelu runs
// in its own Node process, then the PyTorch peer (../shared/bench/peer_pytorch_mpelu_resnet.py
// or MPELU_PEER, run with /usr/bin/python3 when it has torch) on the same thread count, and
// the bench prints both and their ratio: training images/s (forward, CrossEntropyCriterion,
// zeroGradParameters, backward, optim.sgd nesterov with nnlr vectors on the flat parameters),
// evaluation images/s (forward only) and peak RSS. mpelu also prints, per step, what moved
// between host and device (uploads, downloads, blocking reads, weight-sized transposes) and
// the live tfjs tensor count (it must stay flat), and for one extra profiled step its
// convolution-gradient kernels, Transposes (on parameters / on activations), channels-last
// permutations and peak tfjs bytes.
//
// Run: npm run bench -- train_step
//   MPELU_BENCH_CONFIGS=164x32,164x64,1001x64   configurations (default: all three; the
//                                               1001-layer one runs one timed step)
//   MPELU_BENCH_THREADS=2                       threads for both (default: the core count)
//   MPELU_BENCH_STEPS=5                         timed steps, the same for both (default 5 at batch 32,
//                                               2 at batch 64, 1 for 1001)
//   MPELU_BENCH_WARMUP=8                        mpelu's untimed steps first, and as many untimed evaluation
//                                               batches (default 8 at batch 32, 3 at batch 64, 1 for
//                                               1001). The peer script warms up one step and one batch
//                                               and is steady from there (its step times are flat from
//                                               step 1); mpelu's JavaScript around the kernels takes
//                                               ~10 steps of V8 optimizing to settle (its time outside
//                                               the kernels per ResNet-164 batch-32 step: 535, 390, 353,
//                                               323, 296 ms in steps 1-5, ~220 from step 10 on). A
//                                               training run is thousands of steps: both sides are
//                                               timed in their steady state. MPELU_BENCH_WARMUP=1 times
//                                               mpelu from step 1 as the peer.
//   MPELU_BENCH_ROUNDS=3                        alternating mpelu / peer rounds, best of each side
//                                               (default 3 at batch 32, 2 at batch 64, 1 for 1001:
//                                               this machine's speed swings 15-30 % between rounds)
//   MPELU_BENCH_BACKEND=wasm                    mpelu's backend (cpu takes minutes a step)
//   MPELU_BENCH_PEER=0                          skip the peer
//   MPELU_RELEASE_GRADINPUT=0                   keep every gradInput (default here: released once consumed)
//   MPELU_HOST_PARAMS=0                         parameters as tfjs tensors (uploads, transposes, reads), to compare
//   MPELU_OFFLOAD_ACTIVATIONS=0|1               never park activations on the host / park all (default: on
//                                               wasm, what exceeds 75 % of the heap, i.e. at 1001x64)
//   MPELU_BENCH_BEFORE=1                        also run mpelu with both of these off first (before/after counters)

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreCount } from '../src/backend/threads.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Config {
  depth: number;
  batch: number;
  steps: number;
  /** mpelu's untimed steps before the timed ones. */
  warmup: number;
}

/** One side's figures. */
interface Figures {
  train: number;
  evaluate: number;
  peakRssMb: number;
}

function configs(): Config[] {
  const spec = process.env.MPELU_BENCH_CONFIGS ?? '164x32,164x64,1001x64';
  return spec.split(',').map((s) => {
    const [depth, batch] = s.trim().split('x').map(Number) as [number, number];
    if (!Number.isInteger(depth) || !Number.isInteger(batch) || (depth - 2) % 9 !== 0 || batch < 1) {
      throw new Error(`MPELU_BENCH_CONFIGS: expected DEPTHxBATCH with DEPTH = 9n+2 (e.g. 164x32), found '${s}'`);
    }
    const steps = Number(process.env.MPELU_BENCH_STEPS ?? (depth > 200 ? 1 : batch > 32 ? 2 : 5));
    const warmup = Number(process.env.MPELU_BENCH_WARMUP ?? (depth > 200 ? 1 : batch > 32 ? 3 : 8));
    if (!Number.isInteger(warmup) || warmup < 1) throw new Error(`MPELU_BENCH_WARMUP: expected an integer >= 1, found '${process.env.MPELU_BENCH_WARMUP}'`);
    return { depth, batch, steps, warmup };
  });
}

function peerScript(): string | null {
  if (process.env.MPELU_BENCH_PEER === '0') return null;
  const candidates = [process.env.MPELU_PEER, resolve(here, '../../shared/bench/peer_pytorch_mpelu_resnet.py'), '/work/shared/bench/peer_pytorch_mpelu_resnet.py'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

function pythonWithTorch(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

/** The switches of the path before issue 11's traffic and memory work (MPELU_BENCH_BEFORE=1). */
const BEFORE = { MPELU_HOST_PARAMS: '0', MPELU_RELEASE_GRADINPUT: '0' };

function runMpelu(c: Config, threads: number, extraEnv: Record<string, string> = {}): Figures | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'helpers/train_step_child.ts')], {
    env: { ...process.env, ...extraEnv, MPELU_THREADS: String(threads), MPELU_BENCH_CHILD: `${c.depth},${c.batch},${c.steps},${c.warmup}` },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  let figures: Figures | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('RESULT ')) figures = JSON.parse(line.slice(7)) as Figures;
    else if (line) console.log(line);
  }
  if (r.status !== 0) console.log(`  mpelu: exited with ${r.status ?? r.signal}`);
  return figures;
}

function runPeer(py: string, script: string, c: Config, threads: number): Figures | null {
  const r = spawnSync(py, [script, String(c.depth), String(c.batch), String(threads), String(c.steps)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('pytorch'));
  if (!line) {
    console.log(`  peer: failed (exit ${r.status ?? r.signal}): ${(r.stderr || '').trim().split('\n').slice(-1)[0] ?? ''}`);
    return null;
  }
  console.log(`  ${line}`);
  const get = (k: string) => Number(new RegExp(`\\b${k}=([\\d.]+)`).exec(line)?.[1]);
  return { train: get('train_img_per_s'), evaluate: get('eval_img_per_s'), peakRssMb: get('peak_rss_mb') };
}

/** Rounds per configuration (MPELU_BENCH_ROUNDS; default 3 at batch 32, 2 above, 1 for the 1001-layer network). */
function rounds(c: Config): number {
  const v = Number(process.env.MPELU_BENCH_ROUNDS ?? (c.depth > 200 ? 1 : c.batch > 32 ? 2 : 3));
  return Number.isInteger(v) && v >= 1 ? v : 1;
}

/** The best speeds and the highest peak RSS over rounds (null when no round gave figures). */
function best(fs: Figures[]): Figures | null {
  if (fs.length === 0) return null;
  return {
    train: Math.max(...fs.map((f) => f.train)),
    evaluate: Math.max(...fs.map((f) => f.evaluate)),
    peakRssMb: Math.max(...fs.map((f) => f.peakRssMb)),
  };
}

const threads = Number(process.env.MPELU_BENCH_THREADS ?? coreCount());
const script = peerScript();
const py = script ? pythonWithTorch() : null;
const load = () => (existsSync('/proc/loadavg') ? spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ') : 'n/a');
/** Cores busy with other work, over one second before the bench starts (/proc/stat), or null. */
function busyCores(): number | null {
  const sample = () => {
    if (!existsSync('/proc/stat')) return null;
    const f = (spawnSync('cat', ['/proc/stat'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  spawnSync('sleep', ['1']);
  const b = sample();
  if (!a || !b || b.total <= a.total) return null;
  return (1 - (b.idle - a.idle) / (b.total - a.total)) * coreCount();
}

// other work on the machine before the bench starts (its own threads raise the load later)
const startLoad = load();
const startBusy = busyCores();
console.log(`threads ${threads} for both; load average ${startLoad}; cores busy before the start ${startBusy === null ? 'n/a' : startBusy.toFixed(2)}`);
if (!script) console.log('peer: not found (set MPELU_PEER to peer_pytorch_mpelu_resnet.py), mpelu only');
else if (!py) console.log('peer: no python3 with torch (Debian: apt-get install python3-torch), mpelu only');

const rows: string[] = [];
for (const c of configs()) {
  console.log(`\n--- ResNet-${c.depth}, batch ${c.batch}, ${c.steps} timed step(s) (mpelu after ${c.warmup} untimed, the peer after 1), ${threads} thread(s) ---`);
  const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');
  if (process.env.MPELU_BENCH_BEFORE === '1') {
    // first the parameters as tfjs tensors and every gradInput kept, for the before/after counters
    console.log('  before (MPELU_HOST_PARAMS=0, MPELU_RELEASE_GRADINPUT=0):');
    const b = runMpelu(c, threads, BEFORE);
    if (b) rows.push(`${c.depth}@${c.batch} before: train ${b.train.toFixed(1)} img/s, evaluate ${b.evaluate.toFixed(1)} img/s, peak RSS ${b.peakRssMb.toFixed(0)} MB`);
    console.log('  after (default):');
  }
  // rounds alternate mpelu and the peer; each side keeps its best speeds and its highest peak
  // RSS (one round can be slowed by a neighbour on a shared machine: both sides get the same chances)
  const ms: Figures[] = [];
  const ps: Figures[] = [];
  for (let r = 0; r < rounds(c); r++) {
    if (rounds(c) > 1) console.log(`  round ${r + 1} of ${rounds(c)}:`);
    const mr = runMpelu(c, threads);
    if (mr) ms.push(mr);
    const pr = script && py ? runPeer(py, script, c, threads) : null;
    if (pr) ps.push(pr);
  }
  const m = best(ms);
  const p = best(ps);
  const row = `${c.depth}@${c.batch}: train ${m?.train.toFixed(1) ?? '-'} vs ${p?.train.toFixed(1) ?? '-'} img/s (${ratio(m?.train, p?.train)}), ` +
    `evaluate ${m?.evaluate.toFixed(1) ?? '-'} vs ${p?.evaluate.toFixed(1) ?? '-'} img/s (${ratio(m?.evaluate, p?.evaluate)}), ` +
    `peak RSS ${m?.peakRssMb.toFixed(0) ?? '-'} vs ${p?.peakRssMb.toFixed(0) ?? '-'} MB (${ratio(m?.peakRssMb, p?.peakRssMb)})`;
  console.log(`  mpelu vs pytorch, ${row}`);
  rows.push(row);
}
console.log(`\nsummary (mpelu vs pytorch, ${threads} threads each; load average now ${load()}):`);
for (const r of rows) console.log(`  ${r}`);
// PyTorch's OpenMP threads spin-wait: with other work on the cores its figures collapse
// (1.1 instead of 16 images/s was seen at load ~4), so ratios under load flatter mpelu.
if (py && startBusy !== null && startBusy > 0.3) {
  console.log(`  WARNING: ${startBusy.toFixed(2)} cores were busy with other work when the bench started: the PyTorch figures (and so the ratios) are not trustworthy; re-run on an idle machine`);
}
