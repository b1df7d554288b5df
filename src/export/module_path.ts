// Where a module sits in a model: the 1-based indices of Torch's `modules` tables from
// the root down. Errors name it the way `mpelu inspect --path` reads it
// (`modules[4].modules[1]`); tensor names use the dotted form (`modules.4.modules.1`).

import type { Module } from '../nn/index.js';

export type ModulePath = readonly number[];

/** `modules[4].modules[1]`, or `the model itself` for the root. */
export function inspectPath(p: ModulePath): string {
  return p.length === 0 ? '(the model itself)' : p.map((i) => `modules[${i}]`).join('.');
}

/** `modules.4.modules.1` (empty for the root). */
export function dottedPath(p: ModulePath): string {
  return p.map((i) => `modules.${i}`).join('.');
}

/** `2.0` : the names a torch.nn.Sequential-shaped PyTorch model gives the same module. */
export function pytorchPath(p: ModulePath): string {
  return p.map((i) => String(i - 1)).join('.');
}

/** A module that cannot be exported (or imported into), naming its class and place. */
export class ExportError extends Error {
  /**
   * @param className the module's class.
   * @param path its 1-based path from the root.
   * @param reason why it cannot be exported.
   */
  constructor(
    readonly className: string,
    readonly path: ModulePath,
    reason: string,
  ) {
    super(`cannot export ${className} at ${inspectPath(path)}: ${reason}`);
    this.name = 'ExportError';
  }
}

/** Every module of the tree with its path, parents before children, children in order. */
export function walkModules(root: Module, visit: (m: Module, path: ModulePath) => void, path: ModulePath = []): void {
  visit(root, path);
  root.children().forEach((child, i) => walkModules(child, visit, [...path, i + 1]));
}

/** How many modules of each Torch class the model holds (containers included), by name. */
export function classCensus(root: Module): Record<string, number> {
  const census: Record<string, number> = {};
  walkModules(root, (m) => {
    census[m.className] = (census[m.className] ?? 0) + 1;
  });
  return Object.fromEntries(Object.entries(census).sort(([a], [b]) => a.localeCompare(b)));
}
