// Runs `mpelu run ...` through the real CLI (commander, the run command, the Lua
// runtime) in this process, capturing stdout bytes, stderr text and the exit code.

import { buildProgram } from '../../src/cli/main.js';
import { outputHook } from '../../src/lua/output.js';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

export async function mpeluRun(args: string[], cwd?: string): Promise<RunResult> {
  const chunks: Buffer[] = [];
  let stderr = '';
  const before = process.cwd();
  outputHook.stdout = (b) => chunks.push(Buffer.from(b));
  outputHook.stderr = (s) => {
    stderr += s;
  };
  process.exitCode = 0;
  try {
    if (cwd) process.chdir(cwd);
    await buildProgram().exitOverride().parseAsync(['node', 'mpelu', 'run', ...args]);
  } finally {
    process.chdir(before);
    outputHook.stdout = undefined;
    outputHook.stderr = undefined;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout: Buffer.concat(chunks), stderr, code };
}
