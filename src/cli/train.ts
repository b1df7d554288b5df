// `mpelu train`: fb.resnet.torch's `th main.lua` options (torch.CmdLine spelling -name value,
// or --name value), parsed by src/train/options.ts rather than commander, so that names
// such as -backend, -data or -LR mean what opts.lua says.

import type { Command } from 'commander';

export function addTrainCommand(program: Command): Command {
  program
    .command('train')
    .description("train a ResNet on CIFAR as fb.resnet.torch's main.lua does (options as in its opts.lua; mpelu train --help)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'fb.resnet.torch options: -dataset cifar10 -netType mpelu-preactivation-nopre -depth 164 ...')
    .action(async (_args: string[], _opts: unknown, cmd: Command) => {
      const { parseTrainOptions, optionsHelp } = await import('../train/options.js');
      const args = cmd.args;
      if (args.includes('--help') || args.includes('-help') || args.includes('-h')) {
        process.stdout.write(`${optionsHelp()}\n`);
        return;
      }
      const opt = parseTrainOptions(args);
      const { runTraining } = await import('../train/run.js');
      const result = await runTraining(opt);
      if (result.interrupted) process.exitCode = 130;
    });
  return program;
}
