// Every name the package exports (src/index.ts) has a doc comment a user sees on hover:
// classes and their public members, constructor arguments (@param: Torch's defaults,
// units, 1-based conventions), functions, option interfaces and their fields, the
// namespaces. Walked with the TypeScript compiler API (test/helpers/doc_coverage.ts).


import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { undocumentedNames } from './helpers/doc_coverage.js';

const ROOT = new URL('../', import.meta.url).pathname.replace(/\/$/, '');

describe('the project documents itself', () => {
  it('the README links the architecture page in the repository, not a file outside it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('[docs/ARCHITECTURE.md](docs/ARCHITECTURE.md)');
    expect(readme).not.toMatch(/shared\/DESIGN\.md/);
    const page = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    for (const section of ['## The data path', '## Folders', '## Decisions', '## Departures from the first plan']) expect(page).toContain(section);
    expect(page).toContain('**Parameters live on the host.**'); // the departures moved here from the README
  });
});

describe('TSDoc on the public API', () => {
  it('every exported name has a doc comment (Tensor, Storage and torch.* included)', () => {
    const missing = undocumentedNames(ROOT).map((u) => `${u.name} (${u.where}): no ${u.missing}`);
    expect(missing).toEqual([]);
  }, 120_000);

  it('the walker reports what lacks a comment (a small project of its own)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpelu-docs-'));
    try {
      mkdirSync(join(dir, 'src/ns'), { recursive: true });
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: [] }, include: ['src/**/*.ts'] }));
      const ns = `/** Documented. */
export function good(): void {}
export function bare(): void {}
/** A class. */
export class Base {
  /** Documented. */
  run(): void {}
  plain(): void {}
}
/** A subclass. */
export class Sub extends Base {
  override run(): void {}
  /** @param size how many */
  constructor(size: number, other: number) {
    super();
    void [size, other];
  }
}
/** Options. */
export interface Opts {
  /** Documented. */
  a?: number;
  b?: number;
}
`;
      writeFileSync(join(dir, 'src/ns/index.ts'), ns);
      const index = `/** The namespace. */
export * as ns from './ns/index.js';
export const table = {
  /** Documented. */
  x: 1,
  y: 2,
};
`;
      writeFileSync(join(dir, 'src/index.ts'), index);
      const names = undocumentedNames(dir).map((u) => `${u.name}: ${u.missing}`);
      expect(names.sort()).toEqual(['ns.Base#plain: doc comment', 'ns.Opts#b: doc comment', 'ns.Sub constructor: @param other', 'ns.bare: doc comment', 'table: doc comment', 'table.y: doc comment'].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
