#!/usr/bin/env node
// The `mpelu` command.
//
// Adding a command: write src/cli/commands/NAME.ts exporting addNameCommand(program),
// which declares the command's arguments and options and, in its action, imports the
// module that does the work (`await import('../name.js')`) and, if it computes,
// `await startBackend(cmd)` (./backend.ts). Then add one import and one line to COMMANDS
// below (alphabetical, so commands added at the same time do not touch the same line).
// Nothing heavy is imported at the top of a commands/ file: --help, --version and the
// commands that do not compute never load tfjs's backends.

import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { backendRequest, checkBackendName } from './backend.js';
import { UsageError } from './errors.js';
import { addConvertCommand } from './commands/convert.js';
import { addEnvCommand } from './commands/env.js';
import { addInspectCommand } from './commands/inspect.js';
import { addPlotCommand } from './commands/plot.js';
import { addRunCommand } from './commands/run.js';
import { addTrainCommand } from './commands/train.js';

const COMMANDS: readonly ((program: Command) => void)[] = [
  addConvertCommand,
  addEnvCommand,
  addInspectCommand,
  addPlotCommand,
  addRunCommand,
  addTrainCommand,
];

function ownVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** A positional argument the command does not take is a usage error naming it. */
function rejectExtraArguments(cmd: Command): void {
  const declared = cmd.registeredArguments;
  if (declared.some((a) => a.variadic)) return;
  const extra = cmd.args.slice(declared.length);
  if (extra.length === 0) return;
  const expected = declared.length === 0 ? 'no arguments' : `${declared.length} argument${declared.length === 1 ? '' : 's'} (${declared.map((a) => `<${a.name()}>`).join(' ')})`;
  throw new UsageError(`${cmd.name()}: unexpected argument '${extra[0]}'; ${cmd.name()} takes ${expected}`);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mpelu')
    .description('Torch7-era deep learning on Node: MPELU networks, .t7 files, Torch nn on TensorFlow.js')
    .version(ownVersion())
    // `mpelu run script.lua -x` passes -x to the script (th does the same)
    .enablePositionalOptions()
    .option('--backend <name>', 'compute backend: auto | tensorflow | wasm | cpu (default: $MPELU_BACKEND or auto)')
    // Errors are printed by main as one `mpelu:` line; subcommands inherit these settings.
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .hook('preAction', (_root, cmd) => {
      rejectExtraArguments(cmd);
      const req = backendRequest(cmd);
      if (req.from === '--backend') {
        checkBackendName(req);
        // Library code that calls initBackend() without a name sees the flag too.
        process.env.MPELU_BACKEND = req.name;
      }
    });
  for (const add of COMMANDS) add(program);
  return program;
}

/** One line for stderr and the exit status: 2 for a wrong command line, 1 for a failure. */
export function describeError(e: unknown, program: Command): { message: string; exitCode: number } {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return { message: '', exitCode: 0 }; // --help, --version
    if (e.code === 'commander.help') {
      const names = program.commands.map((c) => c.name()).join(', ');
      return { message: `expected a command (${names}); mpelu --help describes them`, exitCode: 2 };
    }
    return { message: e.message.replace(/^error: /, ''), exitCode: 2 };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { message: message.trim().replace(/\s*\n\s*/g, '; '), exitCode: e instanceof UsageError ? 2 : 1 };
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const { message, exitCode } = describeError(e, program);
    if (message) process.stderr.write(`mpelu: ${message}\n`);
    process.exitCode = exitCode;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();
