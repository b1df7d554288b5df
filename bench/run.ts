// `npm run bench [-- names...]`: runs every bench/*.bench.ts (or the ones named, by
// file name or stem: `npm run bench -- conv`), each in its own Node process so one
// benchmark's memory and backend state cannot skew the next. Figures are printed by the
// benchmarks themselves. MPELU_BENCH_BACKENDS=cpu,wasm limits the backends they try.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
const wanted = process.argv.slice(2);
const chosen = wanted.length === 0
  ? all
  : wanted.map((w) => {
      const stem = basename(w).replace(/\.bench\.ts$/, '').replace(/\.ts$/, '');
      const hit = all.find((f) => f === `${stem}.bench.ts`);
      if (!hit) {
        process.stderr.write(`bench: no benchmark '${w}' in ${here} (have: ${all.join(', ') || 'none'})\n`);
        process.exit(2);
      }
      return hit;
    });

let failed = 0;
for (const file of chosen) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit', env: process.env });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`=== ${file} FAILED (exit ${r.status ?? r.signal}) after ${s} s ===\n`);
  } else {
    process.stdout.write(`=== ${file} done in ${s} s ===\n`);
  }
}
if (failed) process.exitCode = 1;
