// .t7 load/save speed on a model-sized file: a table of Float tensors with the
// parameter shapes of the 1001-layer MPELU nopre ResNet for CIFAR (10,279,034
// parameters, 3,677 tensors). Reference points on this kind of machine: Torch7 loads
// a 47 MB file of float tensors in about 44 ms, python-torchfile in about 54 ms.
//
// Run: npx tsx bench/t7.bench.ts

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Storage } from '../src/torch/storage.js';
import { Tensor } from '../src/torch/tensor.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { deserialize, load, save, serialize } from '../src/t7/index.js';

/** Parameter shapes of the MPELU nopre bottleneck ResNet of the given depth (20 gives 219,642). */
export function resnetParameterShapes(depth: number): number[][] {
  const n = (depth - 2) / 9;
  const shapes: number[][] = [[16, 3, 3, 3], [16], [16], [16], [16]];
  let inp = 16;
  for (const p of [16, 32, 64]) {
    for (let b = 0; b < n; b++) {
      shapes.push([p, inp, 1, 1], [p], [p], [p], [p], [p, p, 3, 3], [p], [p], [p], [p], [4 * p, p, 1, 1]);
      if (b === 0) shapes.push([4 * p, inp, 1, 1]);
      inp = 4 * p;
    }
  }
  shapes.push([256], [256], [256], [256], [10, 256], [10]);
  return shapes;
}

function buildModelTable(depth: number): { table: LuaTable; params: number } {
  const table = new LuaTable();
  let params = 0;
  let seed = 12345;
  for (const shape of resnetParameterShapes(depth)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = (seed / 4294967296 - 0.5) * 0.2;
    }
    table.push(Tensor.fromStorage(new Storage('Float', data), 0, shape));
    params += n;
  }
  return { table, params };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Timing {
  median: number;
  min: number;
  /** CPU time (user + system) of the median run: less sensitive to other load on the machine. */
  cpu: number;
}

function time(runs: number, fn: () => void): Timing {
  fn(); // warm-up
  const ts: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    ts.push({ wall, cpu: (c.user + c.system) / 1000 });
  }
  ts.sort((a, b) => a.wall - b.wall);
  const mid = ts[Math.floor(ts.length / 2)]!;
  return { median: mid.wall, min: ts[0]!.wall, cpu: median(ts.map((t) => t.cpu)) };
}

function main(): void {
  const { table, params } = buildModelTable(1001);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpelu-t7-bench-'));
  const file = path.join(dir, 'model_1001.t7');
  try {
    save(file, table);
    const bytes = fs.statSync(file).size;
    const mb = bytes / 1e6;
    const fmt = (label: string, t: Timing): string =>
      `${label.padEnd(44)} ${t.median.toFixed(1).padStart(7)} ms median, ${t.min.toFixed(1).padStart(6)} min, ${t.cpu.toFixed(1).padStart(6)} ms CPU  ${(mb / (t.median / 1000)).toFixed(0).padStart(5)} MB/s (${(mb / (t.min / 1000)).toFixed(0)} at min)`;

    console.log(`t7 bench: ${table.size} Float tensors, ${params.toLocaleString('en-US')} parameters, file ${mb.toFixed(2)} MB (binary, 8-byte longs)`);
    const runs = 15;
    const loaded = load(file) as LuaTable;
    if (loaded.size !== table.size) throw new Error('bench: the file did not load back');
    console.log(fmt('load(path)  [read file + decode]', time(runs, () => load(file))));
    const buf = fs.readFileSync(file);
    console.log(fmt('deserialize(bytes)  [decode only]', time(runs, () => deserialize(buf))));
    console.log(fmt('serialize(value)  [encode to one buffer]', time(runs, () => serialize(table))));
    console.log(fmt('save(path)  [atomic, fsync]', time(runs, () => save(file, table))));
    console.log(fmt('save(path, {fsync: false})  [atomic]', time(runs, () => save(file, table, { fsync: false }))));
    const ascii = path.join(dir, 'small_ascii.t7');
    const small = buildModelTable(20).table;
    save(ascii, small, { format: 'ascii' });
    const amb = fs.statSync(ascii).size / 1e6;
    const at = time(5, () => load(ascii));
    console.log(`${'load ascii ResNet-20 parameters'.padEnd(44)} ${at.median.toFixed(1).padStart(7)} ms median (${amb.toFixed(2)} MB, ${(amb / (at.median / 1000)).toFixed(0)} MB/s)`);
    console.log(`machine load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
    console.log('reference: Torch7 torch.load 47 MB float tensors ~44 ms (~1070 MB/s); python-torchfile ~54 ms (~870 MB/s)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("t7.bench.ts")) main();
