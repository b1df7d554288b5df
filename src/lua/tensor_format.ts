// Torch7's tostring of tensors and storages (torch/Tensor.lua's printing rules): one
// format for all elements chosen from the smallest and largest magnitudes (integers,
// fixed with an optional "1e-05 *" scale, or exponent), 80-column matrices, "(i,j,.,.)"
// slices for more than two dimensions.

import { Tensor } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { formatG } from '../t7/number_format.js';
import { sprintfNumber } from './cformat.js';

interface PrintFormat {
  format: string;
  scale: number;
  sz: number;
}

/** torch's Storage__printformat over the given values. */
function printFormat(values: ArrayLike<number>): PrintFormat {
  let intMode = true;
  let min = Infinity;
  let max = -Infinity;
  let nan = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== Math.ceil(v)) intMode = false;
    const a = Math.abs(v);
    if (Number.isNaN(a)) nan = true;
    if (a < min) min = a;
    if (a > max) max = a;
  }
  if (nan) min = max = NaN;
  const expMin = min !== 0 ? Math.floor(Math.log10(min)) + 1 : 1;
  const expMax = max !== 0 ? Math.floor(Math.log10(max)) + 1 : 1;
  let format: string;
  let scale = 1;
  let sz: number;
  if (intMode) {
    if (expMax > 9) {
      format = '%11.4e';
      sz = 11;
    } else {
      sz = expMax + 1;
      format = `%${sz}d`;
    }
  } else if (expMax - expMin > 4) {
    sz = Math.abs(expMax) > 99 || Math.abs(expMin) > 99 ? 12 : 11;
    format = `%${sz}.4e`;
  } else if (expMax > 5 || expMax < 0) {
    sz = 7;
    format = '%7.4f';
    scale = Math.pow(10, expMax - 1);
  } else {
    sz = expMax === 0 ? 7 : expMax + 6;
    format = `%${sz}.4f`;
  }
  // A NaN width ("%nan.4f" in Lua) falls back to %f.
  if (Number.isNaN(sz)) format = '%f';
  return { format, scale, sz };
}

function fmt(format: string, x: number): string {
  return sprintfNumber(format, x);
}

function printMatrix(m: Float64Array, rows: number, cols: number, indent: string, pf: PrintFormat): string {
  const { format, scale, sz } = pf;
  let out = indent;
  const perLine = Math.floor((80 - indent.length) / (sz + 1));
  let first = 1;
  while (first <= cols) {
    const last = first + perLine - 1 <= cols ? first + perLine - 1 : cols;
    if (perLine < cols) {
      if (first !== 1) out += '\n';
      out += `Columns ${first} to ${last}\n${indent}`;
    }
    if (scale !== 1) out += `${formatG(scale, 6)} *\n ${indent}`;
    for (let l = 1; l <= rows; l++) {
      for (let c = first; c <= last; c++) {
        out += fmt(format, m[(l - 1) * cols + (c - 1)]! / scale);
        if (c === last) {
          out += '\n';
          if (l !== rows) out += scale !== 1 ? indent + ' ' : indent;
        } else out += ' ';
      }
    }
    first = last + 1;
  }
  return out;
}

/** All elements in row-major order as doubles. */
function doubles(t: Tensor): Float64Array {
  const n = t.nElement();
  const out = new Float64Array(n);
  if (n === 0) return out;
  const v = t.contiguous().values();
  for (let i = 0; i < n; i++) out[i] = Number(v[i]);
  return out;
}

export function tensorToString(t: Tensor): string {
  const name = `torch.${t.className().replace(/^torch\./, '')}`;
  const dim = t.dim();
  if (dim === 0) return `[${name} with no dimension]\n`;
  const sizes = t.size() as number[];
  const data = doubles(t);
  const pf = printFormat(data);
  let out = '';
  if (dim === 1) {
    if (pf.scale !== 1) out += `${formatG(pf.scale, 6)} *\n`;
    for (let i = 0; i < data.length; i++) out += fmt(pf.format, data[i]! / pf.scale) + '\n';
  } else if (dim === 2) {
    out += printMatrix(data, sizes[0]!, sizes[1]!, '', pf);
  } else {
    const rows = sizes[dim - 2]!;
    const cols = sizes[dim - 1]!;
    const outer = sizes.slice(0, dim - 2);
    const count = outer.reduce((a, b) => a * b, 1);
    const counter = outer.map(() => 1);
    const block = rows * cols;
    for (let k = 0; k < count; k++) {
      // Torch's counter runs the first index fastest.
      let offset = 0;
      let stride = block;
      for (let i = outer.length - 1; i >= 0; i--) {
        offset += (counter[i]! - 1) * stride;
        stride *= outer[i]!;
      }
      if (k > 0) out += '\n';
      out += `(${counter.join(',')},.,.) = \n`;
      out += printMatrix(data.subarray(offset, offset + block), rows, cols, ' ', pf);
      for (let i = 0; i < counter.length; i++) {
        counter[i]!++;
        if (counter[i]! <= outer[i]!) break;
        counter[i] = 1;
      }
    }
  }
  return out + `[${name} of size ${sizes.join('x')}]\n`;
}

export function storageToString(s: Storage): string {
  const n = s.size();
  const name = `torch.${s.className().replace(/^torch\./, '')}`;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = s.getNumber(i);
  let out = '';
  if (n > 0) {
    const pf = printFormat(data);
    if (pf.scale !== 1) out += `${formatG(pf.scale, 6)} *\n`;
    for (let i = 0; i < n; i++) out += fmt(pf.format, data[i]! / pf.scale) + '\n';
  }
  return out + `[${name} of size ${n}]\n`;
}
