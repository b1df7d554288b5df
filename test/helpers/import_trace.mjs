// Loaded with `node --import`: records the file of every module the process loads
// (ES modules through a load hook, CommonJS through Module._load) into the file named
// by MPELU_IMPORT_TRACE. Used by the CLI tests to check which packages a command loads.
import { appendFileSync } from 'node:fs';
import { register, createRequire } from 'node:module';

const log = process.env.MPELU_IMPORT_TRACE;
if (log) {
  register(new URL('./import_trace_hooks.mjs', import.meta.url), { data: { log } });
  const Module = createRequire(import.meta.url)('node:module');
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    try {
      const file = Module._resolveFilename(request, parent, isMain);
      if (file.startsWith('/')) appendFileSync(log, `${file}\n`);
    } catch {
      // resolution errors surface in the real load below
    }
    return original.apply(this, arguments);
  };
}
