// Torch7's print(t) for tensors and storages (torch7's Tensor.lua __tostring__): one
// number format for all the values, chosen from their magnitudes (integers as %Nd,
// else %N.4f, with a common "1e+03 *" scale factor, or %N.4e when they span more than
// four decades); matrices wider than 80 columns in "Columns a to b" blocks; tensors of
// three or more dimensions as their (i,j,.,.) matrices, the FIRST index varying fastest.

import { formatE, formatF, formatG } from '../t7/number_format.js';
import { Storage } from './storage.js';
import { Tensor } from './tensor.js';
import { halfToNumber } from './types.js';

interface PrintFormat {
  format: (x: number) => string;
  /** Values are printed divided by scale (Torch prints "scale *" above them). */
  scale: number | undefined;
  /** Width of one value. */
  sz: number;
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** The log10 exponent Torch uses: floor(log10(|x|)) + 1, or 1 for 0. */
function exponent(x: number): number {
  return x === 0 ? 1 : Math.floor(Math.log10(x)) + 1;
}

/** Torch's Storage__printformat over the values (as doubles). */
export function torchPrintFormat(values: ArrayLike<number>): PrintFormat {
  const n = values.length;
  if (n === 0) return { format: () => '', scale: undefined, sz: 0 };
  let intMode = true;
  let min = Infinity;
  let max = -Infinity;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x !== Math.ceil(x)) intMode = false; // NaN too
    const a = Math.abs(x);
    if (a !== a) nan = true;
    if (a < min) min = a;
    if (a > max) max = a;
  }
  // Torch's min/max propagate NaN, which makes the format "%nan.4f", replaced by "%f"
  if (nan) return { format: (x) => formatF(x, 6), scale: undefined, sz: 0 };
  const expMin = exponent(min);
  const expMax = exponent(max);
  let scale: number | undefined;
  let sz: number;
  let format: (x: number) => string;
  if (intMode) {
    if (expMax > 9) {
      sz = 11;
      format = (x) => pad(formatE(x, 4), 11);
    } else {
      sz = expMax + 1;
      const w = sz;
      // %d of an integral double (Lua converts it; -0 prints as 0)
      format = (x) => pad(String(x === 0 ? 0 : x), w);
    }
  } else if (expMax - expMin > 4) {
    sz = 11;
    if (Math.abs(expMax) > 99 || Math.abs(expMin) > 99) sz += 1;
    const w = sz;
    format = (x) => pad(formatE(x, 4), w);
  } else {
    if (expMax > 5 || expMax < 0) {
      sz = 7;
      scale = 10 ** (expMax - 1);
    } else {
      sz = expMax === 0 ? 7 : expMax + 6;
    }
    const w = sz;
    format = (x) => pad(formatF(x, 4), w);
  }
  if (scale === 1) scale = undefined;
  return { format, scale, sz };
}

/** Torch's Tensor__printMatrix for rows x cols values (row-major), every line after the first prefixed by indent. */
function printMatrix(values: Float64Array, rows: number, cols: number, f: PrintFormat, indent: string): string {
  const scale = f.scale ?? 1;
  const out: string[] = [indent];
  const perLine = Math.floor((80 - indent.length) / (f.sz + 1));
  let first = 1;
  while (first <= cols) {
    const last = first + perLine - 1 <= cols ? first + perLine - 1 : cols;
    if (perLine < cols) {
      if (first !== 1) out.push('\n');
      out.push(`Columns ${first} to ${last}\n${indent}`);
    }
    if (scale !== 1) out.push(`${formatG(scale, 6)} *\n ${indent}`);
    for (let l = 1; l <= rows; l++) {
      for (let c = first; c <= last; c++) {
        out.push(f.format(values[(l - 1) * cols + (c - 1)]! / scale));
        if (c === last) {
          out.push('\n');
          if (l !== rows) out.push(scale !== 1 ? `${indent} ` : indent);
        } else out.push(' ');
      }
    }
    first = last + 1;
  }
  return out.join('');
}

/** One value per line, with the scale line first. */
function printColumn(values: ArrayLike<number>, f: PrintFormat): string {
  const out: string[] = [];
  const scale = f.scale;
  if (scale !== undefined) out.push(`${formatG(scale, 6)} *\n`);
  for (let i = 0; i < values.length; i++) out.push(`${f.format(scale !== undefined ? values[i]! / scale : values[i]!)}\n`);
  return out.join('');
}

/** The values of a tensor as doubles, in logical (row-major) order, as Torch's DoubleTensor copy. */
export function tensorDoubles(t: Tensor): Float64Array {
  if (t.elementType === 'Long') return Float64Array.from(t.bigValues(), Number);
  return Float64Array.from(t.values() as ArrayLike<number>);
}

/** What Torch7's print(t) shows for a tensor (without the final newline). */
export function tensorToString(t: Tensor): string {
  const name = t.className();
  const sizes = t.size();
  if (sizes.length === 0 || t.nElement() === 0) return `[${name} with no dimension]`;
  const v = tensorDoubles(t);
  const f = torchPrintFormat(v);
  const sizeText = `[${name} of size ${sizes.join('x')}]`;
  if (sizes.length === 1) return `${printColumn(v, f)}${sizeText}`;
  if (sizes.length === 2) return `${printMatrix(v, sizes[0]!, sizes[1]!, f, '')}${sizeText}`;
  // (i,j,.,.) matrices; the first index varies fastest, as in Torch's counter loop
  const outer = sizes.slice(0, -2);
  const rows = sizes[sizes.length - 2]!;
  const cols = sizes[sizes.length - 1]!;
  const counter = outer.map(() => 1);
  const parts: string[] = [];
  for (;;) {
    let offset = 0;
    for (let i = 0; i < outer.length; i++) offset = offset * outer[i]! + (counter[i]! - 1);
    const slice = v.subarray(offset * rows * cols, (offset + 1) * rows * cols);
    parts.push(`(${counter.join(',')},.,.) = \n${printMatrix(slice, rows, cols, f, ' ')}`);
    let i = 0;
    while (i < outer.length && ++counter[i]! > outer[i]!) counter[i++] = 1;
    if (i === outer.length) break;
  }
  return `${parts.join('\n')}${sizeText}`;
}

/** What Torch7's print(s) shows for a storage (without the final newline). */
export function storageToString(s: Storage): string {
  const n = s.size();
  const d = s.data();
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = d[i]!;
    v[i] = typeof x === 'bigint' ? Number(x) : s.type === 'Half' ? halfToNumber(x) : x;
  }
  // Torch's Storage __tostring__ starts with an empty line
  return `\n${printColumn(v, torchPrintFormat(v))}[${s.className()} of size ${n}]`;
}
