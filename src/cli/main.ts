#!/usr/bin/env node
// The `mpelu` command. Each command lives in its own file and exports an
// add...Command(program) function: adding one is an import and a call in buildProgram.

import { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { addEnvCommand } from './env.js';
import { addT7Commands } from './inspect.js';
import { addExportCommands } from './export.js';

function ownVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mpelu')
    .description('Torch7-era deep learning on Node: MPELU networks, .t7 files, Torch nn on TensorFlow.js')
    .version(ownVersion())
    .option('--backend <name>', 'compute backend: auto | tensorflow | wasm | cpu (default: $MPELU_BACKEND or auto)')
    .hook('preAction', (cmd) => {
      const backend = cmd.opts<{ backend?: string }>().backend;
      if (backend) process.env.MPELU_BACKEND = backend;
    });
  addEnvCommand(program);
  addT7Commands(program);
  addExportCommands(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`mpelu: ${(e as Error).message}\n`);
    process.exitCode = 1;
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
