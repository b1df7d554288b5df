// Fuzz: the fixtures mutated and truncated 12,000 times (deterministic, seeded). Every
// input either loads (and then writes back without error) or fails with a
// T7FormatError whose offset lies in the input; nothing else is thrown, nothing hangs.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import { T7FormatError } from '../src/t7/errors.js';
import { rng } from './helpers/random_data.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const SEED = Number(process.env.T7_FUZZ_SEED ?? 20240601);
const RUNS = Number(process.env.T7_FUZZ_RUNS ?? 12000);

function seeds(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const dir of ['torch7/serialization', 'torchfile']) {
    for (const f of readdirSync(join(FIXTURES, dir)).sort()) {
      if (!f.endsWith('.t7')) continue;
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, dir, f)));
      if (bytes.length <= 16384) out.push({ name: `${dir}/${f}`, bytes });
    }
  }
  return out;
}

const INTERESTING = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, 255, 256, 0x7fff, 0x8000, 0xffff, 0x7fffffff, -0x80000000, 1e6, 65536];

function mutate(src: Uint8Array, r: () => number): { bytes: Uint8Array; how: string } {
  const n = src.length;
  const pick = (k: number): number => Math.floor(r() * k);
  const b = new Uint8Array(src);
  const view = new DataView(b.buffer);
  switch (pick(8)) {
    case 0: {
      const cut = pick(n);
      return { bytes: b.slice(0, cut), how: `truncate at ${cut}` };
    }
    case 1: {
      const k = 1 + pick(4);
      for (let i = 0; i < k; i++) b[pick(n)] = pick(256);
      return { bytes: b, how: `${k} random bytes` };
    }
    case 2: {
      if (n < 4) return { bytes: b, how: 'unchanged' };
      const at = pick(Math.floor(n / 4)) * 4;
      const v = INTERESTING[pick(INTERESTING.length)]!;
      view.setInt32(at, v | 0, true);
      return { bytes: b, how: `int32 ${v} at ${at}` };
    }
    case 3: {
      if (n < 8) return { bytes: b, how: 'unchanged' };
      const at = pick(n - 7);
      const v = [0n, -1n, 1n << 40n, 1n << 62n, -(1n << 63n), 3n][pick(6)]!;
      view.setBigInt64(at, v, true);
      return { bytes: b, how: `int64 ${v} at ${at}` };
    }
    case 4: {
      const at = pick(n);
      const len = 1 + pick(Math.min(16, n - at));
      return { bytes: new Uint8Array([...b.subarray(0, at), ...b.subarray(at + len)]), how: `delete ${len} at ${at}` };
    }
    case 5: {
      const at = pick(n);
      const len = 1 + pick(Math.min(16, n - at));
      const span = b.subarray(at, at + len);
      return { bytes: new Uint8Array([...b.subarray(0, at), ...span, ...b.subarray(at)]), how: `duplicate ${len} at ${at}` };
    }
    case 6: {
      // ascii-flavoured: a digit, sign or letter where a digit was
      const at = pick(n);
      b[at] = '0123456789-+e.xn \n'.charCodeAt(pick(18));
      return { bytes: b, how: `ascii char at ${at}` };
    }
    default: {
      const at = pick(n);
      b[at] ^= 1 << pick(8);
      return { bytes: b, how: `bit flip at ${at}` };
    }
  }
}

describe('t7 fuzz', () => {
  it(`${RUNS} mutated or truncated fixtures load or fail with a T7FormatError (seed ${SEED})`, () => {
    const base = seeds();
    expect(base.length).toBeGreaterThan(100);
    const r = rng(SEED);
    const problems: string[] = [];
    let loaded = 0;
    let rejected = 0;
    for (let i = 0; i < RUNS; i++) {
      const seed = base[Math.floor(r() * base.length)]!;
      const { bytes, how } = mutate(seed.bytes, r);
      let info: t7.ReadResult;
      try {
        info = t7.loadWithInfo(bytes);
      } catch (e) {
        if (e instanceof T7FormatError && e.offset >= 0 && e.offset <= bytes.length) rejected++;
        else problems.push(`#${i} ${seed.name} (${how}): ${(e as Error)?.name}: ${(e as Error)?.message}`);
        continue;
      }
      loaded++;
      try {
        t7.serialize(info.value, { format: info.format, longSize: info.longSize });
      } catch (e) {
        problems.push(`#${i} ${seed.name} (${how}) loaded but did not write back: ${(e as Error).message}`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(loaded + rejected).toBe(RUNS);
    // both outcomes must occur, or the mutations test nothing
    expect(rejected).toBeGreaterThan(RUNS / 4);
    expect(loaded).toBeGreaterThan(RUNS / 20);
  }, 120_000);
});
