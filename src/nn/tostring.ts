// Torch's print format for modules: the pieces every class's __tostring__ uses.
//
// Lua turns a number into text with "%.14g" (tostring, `..`); string.format's %d,
// %f and %g follow C. Containers indent their children's lines with gsub('\n', ...).

import { formatG as formatGExact } from '../t7/number_format.js';
import { TorchObject } from '../t7/torch_object.js';

/** C's %.<precision>g, exactly as glibc prints it (ties to even). */
export function formatG(x: number, precision = 6): string {
  return formatGExact(x, precision);
}

/** How Lua 5.1 writes a number in tostring() and string concatenation. */
export function luaNumber(x: number): string {
  return formatG(x, 14);
}

/** C's %.<precision>f. */
export function formatF(x: number, precision = 6): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return x.toFixed(precision);
}

/**
 * A small string.format: %d %i %f %g %s %% with optional precision (%.3f). Numbers
 * given to %s print as Lua would.
 */
export function luaFormat(fmt: string, ...args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(?:\.(\d+))?([difgs%])/g, (_m, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const v = args[i++];
    const p = prec === undefined ? undefined : Number(prec);
    switch (conv) {
      case 'd':
      case 'i': {
        const n = Number(v);
        if (!Number.isFinite(n)) throw new TypeError(`string.format: bad argument #${i} to '%${conv}' (number expected, got ${String(v)})`);
        return String(Math.trunc(n));
      }
      case 'f':
        return formatF(Number(v), p ?? 6);
      case 'g':
        return formatG(Number(v), p ?? 6);
      default:
        return typeof v === 'number' ? luaNumber(v) : String(v);
    }
  });
}

/** Lua's str:gsub('\n', '\n' .. prefix): indents every line but the first. */
export function indentTail(s: string, prefix: string): string {
  return s.split('\n').join('\n' + prefix);
}

/** Anything printable the Torch way: modules through __tostring__, numbers as Lua does. */
export function torchToString(x: unknown): string {
  if (x && typeof x === 'object' && typeof (x as { __tostring__?: unknown }).__tostring__ === 'function') {
    return (x as { __tostring__(): string }).__tostring__();
  }
  if (typeof x === 'number') return luaNumber(x);
  // A torch object with no __tostring (not a module) prints as Torch's default: its class.
  if (x instanceof TorchObject) return x.className;
  return String(x);
}

/** nn.Sequential's format: a chain, then each child on its own indented line. */
export function chainString(name: string, children: readonly unknown[]): string {
  const tab = '  ';
  let s = `${name} {\n${tab}[input`;
  for (let i = 1; i <= children.length; i++) s += ` -> (${i})`;
  s += ' -> output]';
  children.forEach((c, i) => {
    s += `\n${tab}(${i + 1}): ${indentTail(torchToString(c), tab)}`;
  });
  return `${s}\n}`;
}

/** The branching format of nn.ConcatTable, nn.Concat, nn.ParallelTable. */
export function branchString(name: string, children: readonly unknown[]): string {
  const tab = '  ';
  let s = `${name} {\n${tab}input`;
  children.forEach((c, i) => {
    const last = i === children.length - 1;
    const arrow = last ? '   `-> ' : '  |`-> ';
    const ext = last ? '       ' : '  |    ';
    s += `\n${tab}${arrow}(${i + 1}): ${indentTail(torchToString(c), tab + ext)}`;
  });
  s += `\n${tab}   ... -> output`;
  return `${s}\n}`;
}
