// `mpelu convert IN.t7 OUT.t7`: rewrites a .t7 file in another mode (--ascii /
// --binary), long size (--long-size 4|8), with CUDA and Double tensors made Float
// (--float) and cudnn modules made nn ones (--nn). It never overwrites its input and
// writes atomically (temporary file + rename).

import * as fs from 'node:fs';
import * as path from 'node:path';
import '../nn/index.js';
import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { halfToNumber, typeFromClassName } from '../torch/types.js';
import { checkWritableDestination, loadWithInfo, save } from '../t7/index.js';
import { UsageError } from './errors.js';
import { LuaFunction } from '../t7/lua_function.js';
import { LuaTable } from '../t7/lua_table.js';
import { TdsHash, TdsVec } from '../t7/tds.js';
import { TorchObject, createTorchObject } from '../t7/torch_object.js';

export interface ConvertOptions {
  format?: 'binary' | 'ascii';
  longSize?: 4 | 8;
  /** Byte order of a binary output (default: as the input). */
  endianness?: 'little' | 'big';
  float?: boolean;
  nn?: boolean;
}

export interface ConvertReport {
  format: 'binary' | 'ascii';
  longSize: 4 | 8;
  endianness: 'little' | 'big';
  tensorsConverted: number;
  storagesConverted: number;
  modulesRenamed: number;
}

/**
 * Replaces values throughout an object graph: `replace(v)` returns a substitute or
 * undefined. Containers (tables, objects' fields, tds, upvalues) are changed in place;
 * keys keep their position. Each object is replaced once, so sharing survives.
 */
export function mapGraph(root: unknown, replace: (v: object) => unknown): unknown {
  const memo = new Map<object, unknown>();
  const work: object[] = [];
  const conv = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (memo.has(v)) return memo.get(v);
    const r = replace(v);
    const out = r === undefined ? v : r;
    memo.set(v, out);
    if (out !== null && typeof out === 'object' && out !== v) memo.set(out, out);
    if (out !== null && typeof out === 'object') work.push(out);
    return out;
  };
  const result = conv(root);
  const done = new Set<object>();
  while (work.length) {
    const o = work.pop()!;
    if (done.has(o)) continue;
    done.add(o);
    if (o instanceof TorchObject) conv(o.fields);
    else if (o instanceof LuaTable) {
      for (const [k, v] of [...o]) {
        if (typeof k === 'object') conv(k);
        const nv = conv(v);
        if (nv !== v) o.set(k, nv);
      }
    } else if (o instanceof TdsHash) {
      for (const [k, v] of [...o.entries]) {
        const nv = conv(v);
        if (nv !== v) o.entries.set(k, nv);
      }
    } else if (o instanceof TdsVec) o.values = o.values.map(conv);
    else if (Array.isArray(o)) o.forEach((v, i) => (o[i] = conv(v)));
    else if (o instanceof LuaFunction) o.upvalues = conv(o.upvalues);
  }
  return result;
}

/** CUDA and Double/Half-on-GPU tensors become Float (CUDA integer ones their CPU type), keeping views and sharing. */
function toFloat(root: unknown, report: ConvertReport): unknown {
  const storages = new Map<Storage, Storage>();
  const floatStorage = (s: Storage): Storage => {
    let out = storages.get(s);
    if (out) return out;
    const cuda = s.sourceClass !== undefined;
    if (s.type === 'Double' || (cuda && s.type === 'Half')) {
      const d = s.data();
      out = new Storage('Float', s.type === 'Half' ? Float32Array.from(d as Uint16Array, halfToNumber) : Float32Array.from(d as Float64Array));
      report.storagesConverted++;
    } else {
      if (cuda) report.storagesConverted++;
      s.sourceClass = undefined;
      out = s;
    }
    storages.set(s, out);
    return out;
  };
  return mapGraph(root, (v) => {
    if (v instanceof Storage) return floatStorage(v);
    if (v instanceof Tensor) {
      const cuda = v.sourceClass !== undefined;
      if (v.elementType === 'Double' || (cuda && v.elementType === 'Half')) {
        report.tensorsConverted++;
        return v.hasStorage() ? Tensor.fromStorage(floatStorage(v.storage()), v.offset(), v.size(), v.stride()) : new Tensor('Float', null, v.offset(), v.size(), v.stride());
      }
      if (cuda) report.tensorsConverted++;
      v.sourceClass = undefined;
      if (v.hasStorage()) floatStorage(v.storage());
      return v;
    }
    if (v instanceof TorchObject) {
      const t = v.fields.get('_type');
      if (typeof t === 'string') {
        const parsed = typeFromClassName(t);
        if (parsed && parsed.kind === 'Tensor' && (parsed.cuda || parsed.type === 'Double')) {
          v.fields.set('_type', parsed.type === 'Double' || parsed.type === 'Float' || parsed.type === 'Half' ? 'torch.FloatTensor' : `torch.${parsed.type}Tensor`);
        }
      }
    }
    return undefined;
  });
}

// cudnn.convert's list: modules that become their nn twin with the same fields.
const CUDNN_TO_NN = new Set([
  'BatchNormalization',
  'SpatialBatchNormalization',
  'SpatialConvolution',
  'SpatialCrossMapLRN',
  'SpatialFullConvolution',
  'SpatialMaxPooling',
  'SpatialAveragePooling',
  'ReLU',
  'Tanh',
  'Sigmoid',
  'SoftMax',
  'LogSoftMax',
  'VolumetricBatchNormalization',
  'VolumetricConvolution',
  'VolumetricFullConvolution',
  'VolumetricMaxPooling',
  'VolumetricAveragePooling',
]);

/** cudnn.X -> nn.X as cudnn.convert(net, nn) does, fields kept. */
function toNN(root: unknown, report: ConvertReport): unknown {
  return mapGraph(root, (v) => {
    if (!(v instanceof TorchObject)) return undefined;
    const m = /^cudnn\.(.+)$/.exec(v.className);
    if (!m || !CUDNN_TO_NN.has(m[1]!)) return undefined;
    const name = m[1]!;
    const out = createTorchObject(`nn.${name}`, v.version);
    const fields = new LuaTable();
    if (name === 'ReLU') {
      // cudnn.convert builds nn.ReLU() (Threshold(0, 0)) and then copies the fields over
      fields.set('threshold', 0).set('val', 0).set('inplace', false);
    }
    for (const [k, x] of v.fields) fields.set(k, x);
    if (name === 'SpatialAveragePooling') {
      // cudnn averages over the padded window unless its mode says otherwise (cudnn.convert
      // reads `v.mode` from the class-name string there and always gets false; we use the field)
      const mode = v.fields.get('mode');
      fields.set('divide', true);
      fields.set('count_include_pad', mode === undefined || mode === 'CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING');
    }
    out.fields = fields;
    out.onLoad();
    report.modulesRenamed++;
    return out;
  });
}

function sameFile(a: string, b: string): boolean {
  if (a === '-' || b === '-') return false;
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Converts IN to OUT ('-' for standard input or output). Throws, writing nothing, if OUT
 * is IN or exists and is not a regular file, or if the options ask for something
 * meaningless (a long size for an ascii file).
 */
export function convertFile(input: string, output: string, options: ConvertOptions = {}): ConvertReport {
  if (sameFile(input, output)) throw new Error(`convert: refusing to overwrite the input file ${input}; choose another output path`);
  if (output !== '-') checkWritableDestination(output);
  const info = loadWithInfo(input);
  const format = options.format ?? info.format;
  if (format === 'ascii' && (options.longSize !== undefined || options.endianness !== undefined)) {
    const flag = options.longSize !== undefined ? `--long-size ${options.longSize}` : `--${options.endianness}-endian`;
    throw new UsageError(`convert: ${flag} means nothing for an ascii file (ascii mode writes numbers as text)${options.format ? '' : `; ${input} is ascii: add --binary to write binary`}`);
  }
  const report: ConvertReport = {
    format,
    longSize: options.longSize ?? info.longSize,
    endianness: options.endianness ?? info.endianness,
    tensorsConverted: 0,
    storagesConverted: 0,
    modulesRenamed: 0,
  };
  let value = info.value;
  if (options.nn) value = toNN(value, report);
  if (options.float) value = toFloat(value, report);
  save(output, value, { format: report.format, longSize: report.longSize, endianness: report.endianness });
  return report;
}
