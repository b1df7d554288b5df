// `mpelu plot DIR`: the training curves of a run from <DIR>/log.jsonl (one line per epoch,
// written by mpelu train): top-1 error and loss per epoch for training and validation, with
// the learning-rate drops marked, as a Vega-Lite chart rendered to SVG (vega) or PNG (resvg).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochLogEntry } from '../train/run.js';

export class PlotError extends Error {
  override name = 'PlotError';
}

/** The log's entries, the last one of each epoch (a resumed run may have rewritten some). */
export function readEpochLog(dir: string): EpochLogEntry[] {
  const file = join(dir, 'log.jsonl');
  if (!existsSync(file)) throw new PlotError(`${file} not found: mpelu train writes it in its -save folder after each epoch`);
  const byEpoch = new Map<number, EpochLogEntry>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let e: EpochLogEntry;
      try {
        e = JSON.parse(line) as EpochLogEntry;
      } catch {
        throw new PlotError(`${file}:${i + 1}: not a JSON line`);
      }
      if (typeof e.epoch !== 'number' || !e.train || !e.test) throw new PlotError(`${file}:${i + 1}: expected {epoch, learningRate, train, test}`);
      byEpoch.set(e.epoch, e);
    });
  if (byEpoch.size === 0) throw new PlotError(`${file}: no epoch logged yet`);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The Vega-Lite specification of the two panels. */
export function curvesSpec(entries: EpochLogEntry[], title: string): Record<string, unknown> {
  const points = entries.flatMap((e) => [
    { epoch: e.epoch, set: 'training', top1: e.train.top1, loss: e.train.loss },
    { epoch: e.epoch, set: 'validation', top1: e.test.top1, loss: e.test.loss },
  ]);
  const drops = entries.filter((e, i) => i > 0 && e.learningRate < entries[i - 1]!.learningRate).map((e) => ({ epoch: e.epoch, label: `lr ${Number(e.learningRate.toPrecision(6))}` }));
  const colour = { field: 'set', type: 'nominal', title: null, scale: { domain: ['training', 'validation'], range: ['#1f77b4', '#d62728'] } };
  const panel = (field: string, yTitle: string) => ({
    width: 560,
    height: 220,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', point: entries.length <= 60 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: [entries[0]!.epoch, entries[entries.length - 1]!.epoch], nice: false } },
          y: { field, type: 'quantitative', title: yTitle, scale: { zero: false } },
          color: colour,
        },
      },
      ...(drops.length > 0
        ? [
            { data: { values: drops }, mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { x: { field: 'epoch', type: 'quantitative' } } },
            { data: { values: drops }, mark: { type: 'text', align: 'left', dx: 3, dy: -4, baseline: 'bottom', color: '#555', y: 0 }, encoding: { x: { field: 'epoch', type: 'quantitative' }, text: { field: 'label' } } },
          ]
        : []),
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    padding: 12,
    vconcat: [panel('top1', 'top-1 error (%)'), panel('loss', 'loss')],
  };
}

/** SVG text of the curves. */
export async function renderCurvesSvg(entries: EpochLogEntry[], title: string): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(curvesSpec(entries, title) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG bytes of an SVG (resvg; text in the system's fonts, DejaVu Sans preferred). */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' });
  return r.render().asPng();
}
