// `mpelu train`: fb.resnet.torch's `th main.lua` options (torch.CmdLine spelling -name value,
// or --name value), parsed by src/train/options.ts rather than commander, so that names such
// as -data, -LR or -backend mean what opts.lua says. (mpelu's own --backend, the compute
// backend, is read by the program before the command: fb's -backend keeps its single dash.)

import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { UsageError } from '../errors.js';

export function addTrainCommand(program: Command): void {
  program
    .command('train')
    .description("train a ResNet on CIFAR as fb.resnet.torch's main.lua does (its opts.lua options; `mpelu train -help` lists them)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'fb.resnet.torch options, e.g. -dataset cifar10 -netType mpelu-preactivation-nopre -depth 164')
    .action(async (_args: string[], _opts: unknown, cmd: Command) => {
      const { OptionError, parseTrainOptions, optionsHelp } = await import('../../train/options.js');
      const args = cmd.args;
      if (args.some((a) => a === '--help' || a === '-help' || a === '-h')) {
        process.stdout.write(`${optionsHelp()}\n`);
        return;
      }
      let opt;
      try {
        opt = parseTrainOptions(args);
      } catch (e) {
        throw e instanceof OptionError ? new UsageError(`train: ${e.message}`) : e;
      }
      await startBackend(cmd);
      const { runTraining } = await import('../../train/run.js');
      try {
        const result = await runTraining(opt);
        if (result.interrupted) process.exitCode = 130;
      } catch (e) {
        throw e instanceof OptionError ? new UsageError(`train: ${e.message}`) : e;
      }
    });
}
