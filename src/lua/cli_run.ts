// What `mpelu run` does once the command has started the backend: make a Lua runtime, run -l, -e, the script
// or the prompt; a Lua error prints its message and traceback on stderr and exits 1.

import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { homedir } from 'node:os';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LuaRuntime, LuaScriptError, LuaExit } from './runtime.js';
import { setDefaultTensorType } from '../torch/tensor.js';

export interface RunOptions {
  script?: string;
  args: string[];
  execute?: string;
  libraries: string[];
  interactive: boolean;
}

function report(rt: LuaRuntime, e: unknown): number {
  rt.flush();
  if (e instanceof LuaExit) return e.code;
  if (e instanceof LuaScriptError) {
    rt.stderr(`mpelu: ${e.message}\n${e.traceback ? e.traceback + '\n' : ''}`);
  } else {
    rt.stderr(`mpelu: ${(e as Error)?.message ?? String(e)}\n`);
  }
  return 1;
}

export async function runLua(o: RunOptions): Promise<number> {
  setDefaultTensorType('torch.DoubleTensor'); // th's default
  const rt = new LuaRuntime();
  rt.setArgs(o.script ?? 'mpelu', o.args);
  rt.addScriptDir(o.script ? dirname(resolve(o.script)) : process.cwd());
  try {
    for (const lib of o.libraries) rt.require(lib);
    if (o.execute !== undefined) await rt.runStringAsync(o.execute);
    if (o.script) await rt.runScriptAsync(o.script);
  } catch (e) {
    return report(rt, e);
  }
  rt.flush();
  if (!o.script && o.execute === undefined && o.libraries.length === 0) return prompt(rt);
  if (o.interactive) return prompt(rt);
  return 0;
}

/** th's prompt: expressions print their values, incomplete input continues on the next line. */
async function prompt(rt: LuaRuntime): Promise<number> {
  const historyFile = join(homedir(), '.mpelu_history');
  const history = existsSync(historyFile) ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500) : [];
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY, history, historySize: 500 });
  let pending = '';
  rl.setPrompt('th> ');
  rl.prompt();
  for await (const line of rl) {
    const source = pending ? pending + '\n' + line : line;
    try {
      rt.evalLine(source);
      pending = '';
    } catch (e) {
      if (e instanceof LuaScriptError && /<eof>/.test(e.message)) {
        pending = source;
        rl.setPrompt('..> ');
        rl.prompt();
        continue;
      }
      pending = '';
      if (e instanceof LuaExit) {
        rl.close();
        return e.code;
      }
      report(rt, e);
    }
    rt.flush();
    if (line.trim() && process.stdin.isTTY) {
      try {
        appendFileSync(historyFile, line + '\n');
      } catch {
        /* history is optional */
      }
    }
    rl.setPrompt('th> ');
    rl.prompt();
  }
  rt.flush();
  return 0;
}
