// `mpelu run SCRIPT.lua [args...]`: Torch's `th`, on Fengari and mpelu's nn.

import type { Command } from 'commander';
import { startBackend } from '../backend.js';

export function addRunCommand(program: Command): void {
  program
    .command('run')
    .description("run a Torch7 Lua script as `th` does (no script: an interactive prompt)")
    .argument('[script]', 'the Lua script')
    .argument('[args...]', "the script's arguments (arg[1], arg[2], ...)")
    .option('-e, --execute <code>', 'run Lua code (before the script, if one is given)')
    .option('-l, --library <name>', 'require a module before the script (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('-i, --interactive', 'the prompt after the script')
    .allowUnknownOption(true)
    .passThroughOptions(true)
    .action(async (script: string | undefined, args: string[], opts: { execute?: string; library?: string[]; interactive?: boolean }, cmd: Command) => {
      await startBackend(cmd);
      const { runLua } = await import('../../lua/cli_run.js');
      process.exitCode = await runLua({ script, args, execute: opts.execute, libraries: opts.library ?? [], interactive: opts.interactive ?? false });
    });
}
