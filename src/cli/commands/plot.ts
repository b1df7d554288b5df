// `mpelu plot DIR`: draws the training curves of a `mpelu train` run (its -save folder)
// to an SVG, or a PNG when the output file ends in .png.

import type { Command } from 'commander';
import { join } from 'node:path';

export function addPlotCommand(program: Command): void {
  program
    .command('plot')
    .description("draw a training run's curves (top-1 error and loss per epoch, training and validation, learning-rate drops) from DIR/log.jsonl")
    .argument('<dir>', 'the -save folder of mpelu train')
    .option('-o, --output <file>', 'the picture to write: .svg or .png (default: DIR/curves.svg)')
    .option('--title <text>', 'the chart title (default: the folder)')
    .action(async (dir: string, opts: { output?: string; title?: string }) => {
      const { readEpochLog, renderCurvesSvg, svgToPng } = await import('../../plot/curves.js');
      const { writeFileAtomic } = await import('../../t7/index.js');
      const { UsageError } = await import('../errors.js');
      const out = opts.output ?? join(dir, 'curves.svg');
      const png = out.toLowerCase().endsWith('.png');
      if (!png && !out.toLowerCase().endsWith('.svg')) throw new UsageError(`plot: --output ${out}: expected a file ending in .svg or .png`);
      const entries = readEpochLog(dir);
      const svg = await renderCurvesSvg(entries, opts.title ?? `mpelu train: ${dir}`);
      writeFileAtomic(out, png ? await svgToPng(svg) : new TextEncoder().encode(svg));
      process.stdout.write(`${out}: ${entries.length} epoch${entries.length === 1 ? '' : 's'} (${entries[0]!.epoch}..${entries[entries.length - 1]!.epoch})\n`);
    });
}
