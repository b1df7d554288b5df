// Module hooks (run off the main thread) for import_trace.mjs: log each file: URL loaded.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let log = '';
export function initialize(data) {
  log = data.log;
}
export async function load(url, context, next) {
  if (log && url.startsWith('file:')) appendFileSync(log, `${fileURLToPath(url)}\n`);
  return next(url, context);
}
