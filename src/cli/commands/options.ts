// Parsers for option values shared by several commands; each error names its option.

import { InvalidArgumentError } from 'commander';

/** --long-size: 4 or 8 bytes per Torch long. */
export function parseLongSize(v: string): 4 | 8 {
  if (v !== '4' && v !== '8') throw new InvalidArgumentError(`expected 4 or 8, got '${v}'`);
  return Number(v) as 4 | 8;
}

/** A count such as --depth: an integer >= 0. */
export function parseCount(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
}
