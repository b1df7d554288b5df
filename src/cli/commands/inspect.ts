// `mpelu inspect FILE.t7`: what a .t7 file holds (the work is in ../inspect.ts).

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseCount, parseLongSize } from './options.js';

// the same limit as ../inspect.ts MAX_VALUES (not imported: that module is heavy)
const MAX_VALUES_TEXT = '1000';

export function addInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description("print what a .t7 file holds as Torch's print does: tensors with their values, modules, tables as a tree")
    .argument('[file]', ".t7 file, binary or ascii ('-' for standard input)")
    .option('--json [form]', "JSON for jq (tables as objects/arrays, tensors as {type,size,stride,offset,values}); --json=exact: the lossless sidecar form")
    .option('--path <path>', "narrow to one object, e.g. 'modules[2].weight' (1-based); a module lists its fields")
    .option('--depth <n>', 'table levels to expand', parseCount, 6)
    .option('--full', `print every value of a tensor (default: up to ${MAX_VALUES_TEXT} values)`)
    .option('--long-size <n>', 'bytes per long in a binary file (default: detected)', parseLongSize)
    .option('--big-endian', "read a binary file as big-endian (Torch's bigEndianEncoding(); default: detected)")
    .action(async (fileArg: string | undefined, opts: { json?: boolean | string; path?: string; depth: number; full?: boolean; longSize?: 4 | 8; bigEndian?: boolean }) => {
      let file = fileArg;
      let json = opts.json;
      // `--json FILE`: commander took the file for the option's optional value
      if (typeof json === 'string' && json !== 'exact') {
        if (file !== undefined) throw new UsageError(`inspect: --json takes no value but 'exact' (--json=exact), got '${json}'`);
        file = json;
        json = true;
      }
      if (file === undefined) throw new UsageError("inspect: missing required argument 'file'");
      const { inspectFile } = await import('../inspect.js');
      process.stdout.write(`${inspectFile(file, { ...opts, json: json as boolean | 'exact' | undefined })}\n`);
    });
}
