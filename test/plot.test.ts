// `mpelu plot DIR`: the curves of a run's log.jsonl as SVG (vega-lite + vega) and PNG (resvg).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli, type BuiltCli } from './helpers/cli.js';
import { readEpochLog, renderCurvesSvg } from '../src/plot/curves.js';

const tmp = mkdtempSync(join(tmpdir(), 'mpelu-plot-'));
let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
  const lines = [];
  for (let epoch = 1; epoch <= 8; epoch++) {
    const learningRate = epoch >= 6 ? 0.01 : 0.1;
    const top1 = 80 / epoch;
    lines.push(JSON.stringify({ epoch, learningRate, train: { top1, top5: top1 / 4, loss: top1 / 30, images: 96, seconds: 1 }, test: { top1: top1 + 5, top5: top1 / 3, loss: top1 / 25, images: 32, seconds: 1 }, best: true, time: '' }));
  }
  // a resumed run rewrote epoch 8: the last line of an epoch counts
  lines.push(JSON.stringify({ epoch: 8, learningRate: 0.01, train: { top1: 9, top5: 1, loss: 0.3, images: 96, seconds: 1 }, test: { top1: 12, top5: 2, loss: 0.4, images: 32, seconds: 1 }, best: true, time: '' }));
  writeFileSync(join(tmp, 'log.jsonl'), lines.join('\n') + '\n');
});
afterAll(() => {
  cli?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('mpelu plot', () => {
  it('reads the log (last entry per epoch) and draws both panels with the learning-rate drop', async () => {
    const entries = readEpochLog(tmp);
    expect(entries.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(entries[7]!.train.top1).toBe(9);
    const svg = await renderCurvesSvg(entries, 'a run');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['top-1 error (%)', 'loss', 'epoch', 'training', 'validation', 'lr 0.01', 'a run']) expect(svg).toContain(`>${text}<`);
    // two series (training, validation) in each of the two panels, one drop rule in each
    expect(svg.match(/class="mark-line role-mark/g)?.length).toBe(4);
    expect(svg.match(/class="mark-rule role-mark/g)?.length).toBe(2);
  });

  it('writes an SVG by default and a PNG when asked; a folder without a log is a one-line error', async () => {
    const r = await runCli(cli, ['plot', tmp]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(tmp, 'curves.svg'), 'utf8')).toContain('top-1 error (%)');
    const png = join(tmp, 'curves.png');
    expect((await runCli(cli, ['plot', tmp, '-o', png])).status).toBe(0);
    const bytes = readFileSync(png);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.readUInt32BE(16)).toBeGreaterThan(1000); // width in pixels (2x zoom)
    const bad = await runCli(cli, ['plot', join(tmp, 'nowhere')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^mpelu: .*nowhere\/log\.jsonl not found: mpelu train writes it in its -save folder after each epoch\n$/);
  });
});
