// `mpelu env`: the compute backend in use. It computes nothing but starts the backend
// it reports on.

import type { Command } from 'commander';
import { backendRequest, startBackend } from '../backend.js';

export function addEnvCommand(program: Command): void {
  program
    .command('env')
    .description('print the compute backend in use, its version and thread count, and the optional native packages found')
    .option('--json', 'machine-readable output')
    // `mpelu env --backend cpu` reads as "the env of cpu": the program option, accepted here too
    .option('--backend <name>', 'the backend to start and report on (as mpelu --backend)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await startBackend(cmd);
      const { collectEnv, formatEnv } = await import('../env.js');
      const report = await collectEnv(backendRequest(cmd).name);
      process.stdout.write((opts.json ? JSON.stringify(report, null, 2) : formatEnv(report)) + '\n');
    });
}
