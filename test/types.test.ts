// The public types as a user meets them: the README's TypeScript example and a tour of
// the API compile under `tsc --noEmit` (strict) without a single cast (test/types/).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url).pathname;
const TYPES = join(ROOT, 'test/types');

function codeOnly(file: string): string {
  return readFileSync(join(TYPES, file), 'utf8')
    .split('\n')
    .map((l) => l.replace(/\/\/.*$/, ''))
    .join('\n');
}

describe('the public types', () => {
  it("the README's TypeScript example is test/types/readme_example.ts", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /## Using it from TypeScript\n\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(block, 'README: a ```ts block right under "## Using it from TypeScript"').not.toBeNull();
    expect(block![1]).toBe(readFileSync(join(TYPES, 'readme_example.ts'), 'utf8'));
  });

  it('the example and the API tour use no cast and no non-null assertion', () => {
    for (const f of ['readme_example.ts', 'api_usage.ts']) {
      const code = codeOnly(f);
      expect(code.match(/\bas\s+(?!const\b)\w/g), f).toBeNull();
      expect(code.match(/(^|[=(,:?\s])<[A-Z]\w*>\s*[\w(]/gm), f).toBeNull(); // <T>x, not load<T>(
      expect(code.match(/[\w)\]]!(?!=)/g), f).toBeNull();
    }
  });

  it('tsc --noEmit (strict) accepts them', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = await new Promise<{ status: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [tsc, '-p', join(TYPES, 'tsconfig.json')]);
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, out }));
    });
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });
});
