// `mpelu inspect FILE.t7`: what a .t7 file holds (the work is in ../inspect.ts).

import type { Command } from 'commander';
import { parseCount, parseLongSize } from './options.js';

export function addInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('print what a .t7 file holds (torch objects, tensors with statistics, tables as a tree)')
    .argument('<file>', '.t7 file (binary or ascii)')
    .option('--json', 'machine-readable description (the fixtures sidecar format)')
    .option('--path <path>', "narrow to one object, e.g. 'modules[2].weight'")
    .option('--depth <n>', 'table levels to expand', parseCount, 6)
    .option('--long-size <n>', 'bytes per long in a binary file (default: detected)', parseLongSize)
    .action(async (file: string, opts: { json?: boolean; path?: string; depth: number; longSize?: 4 | 8 }) => {
      const { inspectFile } = await import('../inspect.js');
      process.stdout.write(`${inspectFile(file, opts)}\n`);
    });
}
