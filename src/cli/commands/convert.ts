// `mpelu convert IN.t7 OUT.t7`: rewrites a .t7 file (the work is in ../convert.ts).

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseLongSize } from './options.js';

interface ConvertFlags {
  ascii?: boolean;
  binary?: boolean;
  float?: boolean;
  nn?: boolean;
  longSize?: 4 | 8;
  bigEndian?: boolean;
  littleEndian?: boolean;
}

export function addConvertCommand(program: Command): void {
  program
    .command('convert')
    .description('rewrite a .t7 file: ascii/binary, 4/8-byte longs, CUDA/Double -> Float, cudnn -> nn (never overwrites IN)')
    .argument('<in>', "input .t7 file ('-' for standard input)")
    .argument('<out>', "output .t7 file, written atomically ('-' for standard output)")
    .option('--ascii', 'write ascii mode')
    .option('--binary', 'write binary mode')
    .option('--float', 'CUDA and Double tensors and storages become Float (torch.CudaTensor -> torch.FloatTensor)')
    .option('--nn', 'cudnn.* modules become their nn.* twins (as cudnn.convert(model, nn))')
    .option('--long-size <n>', 'bytes per long in binary mode: 4 or 8 (default: as the input)', parseLongSize)
    .option('--big-endian', "write binary mode big-endian, as Torch's bigEndianEncoding() (default: as the input)")
    .option('--little-endian', 'write binary mode little-endian (default: as the input)')
    .action(async (input: string, output: string, opts: ConvertFlags) => {
      if (opts.ascii && opts.binary) throw new UsageError('convert: choose one of --ascii and --binary');
      if (opts.bigEndian && opts.littleEndian) throw new UsageError('convert: choose one of --big-endian and --little-endian');
      if (opts.ascii && opts.longSize !== undefined) throw new UsageError(`convert: --long-size ${opts.longSize} means nothing with --ascii (ascii mode writes numbers as text)`);
      if (opts.ascii && (opts.bigEndian || opts.littleEndian)) throw new UsageError(`convert: --${opts.bigEndian ? 'big' : 'little'}-endian means nothing with --ascii (ascii mode writes numbers as text)`);
      const { convertFile } = await import('../convert.js');
      const r = convertFile(input, output, {
        format: opts.ascii ? 'ascii' : opts.binary ? 'binary' : undefined,
        longSize: opts.longSize,
        endianness: opts.bigEndian ? 'big' : opts.littleEndian ? 'little' : undefined,
        float: opts.float,
        nn: opts.nn,
      });
      const what = [
        opts.float ? `${r.tensorsConverted} tensors and ${r.storagesConverted} storages made Float/CPU` : '',
        opts.nn ? `${r.modulesRenamed} cudnn modules made nn` : '',
      ].filter(Boolean);
      // with '-' the file is the output: nothing else goes there
      if (output !== '-') process.stdout.write(`wrote ${output} (${r.format}${r.format === 'binary' ? `, ${r.endianness === 'big' ? 'big-endian, ' : ''}${r.longSize}-byte longs` : ''})${what.length ? `: ${what.join(', ')}` : ''}\n`);
    });
}
