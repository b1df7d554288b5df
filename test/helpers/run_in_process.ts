// `mpelu <args>` run in the test's own process through commander (no child process):
// returns what the command wrote to standard output.

import { vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

export async function runMpeluInProcess(...args: string[]): Promise<string> {
  const program = buildProgram();
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'mpelu', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}
