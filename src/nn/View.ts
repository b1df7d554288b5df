// nn.View(...sizes): the input seen with other sizes (one may be -1), with Torch's batch
// rule: setNumInputDims(n) says how many trailing dims form one sample, the rest is the
// batch. A contiguous input is viewed (shared storage, as in Torch); the view reads the
// device copy in whatever order its storage keeps it.

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { Module, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { detachFrom, engineOf, expectTensor, hostValues, setOutputHost, setOutputTF } from './tensor_helpers.js';

/** Sizes given as numbers, an array, or a LongStorage (as Torch's View/Reshape accept). */
export function sizeList(args: readonly unknown[], where: string): number[] {
  if (args.length === 1 && args[0] instanceof Storage) {
    const s = args[0];
    return Array.from({ length: s.size() }, (_, i) => s.getNumber(i));
  }
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as unknown[]).map((x) => checkSize(x, where));
  return args.map((x) => checkSize(x, where));
}

function checkSize(x: unknown, where: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${where}: sizes must be integers, got ${String(x)}`);
  return x;
}

export function longStorage(values: readonly number[]): Storage {
  const s = new Storage('Long', values.length);
  values.forEach((v, i) => s.setNumber(i, v));
  return s;
}

/** Reads a LongStorage (or array) field as numbers. */
export function storageNumbers(v: unknown, where: string): number[] {
  if (v instanceof Storage) return Array.from({ length: v.size() }, (_, i) => v.getNumber(i));
  if (Array.isArray(v)) return v as number[];
  throw new TypeError(`${where}: expected a torch.LongStorage, found ${v === undefined ? 'nil' : typeof v}`);
}

/** Gives `out` the values of `src` with new sizes: a view when src is contiguous, otherwise a row-major copy. */
export function viewOrCopy(out: Tensor, src: Tensor, sizes: readonly number[], where: string): Tensor {
  if (src.isContiguous() && src.hasStorage()) {
    out.set(src.view(...sizes));
    return out;
  }
  detachFrom(out, src);
  if (engineOf(src, where) === 'tf') {
    const y = tf.tidy(() => tf.reshape(src.toTF(), sizes.slice()));
    setOutputTF(out, y);
  } else {
    setOutputHost(out, sizes, hostValues(src));
  }
  return out;
}

/** gradInput for a reshaping module: gradOutput seen with the input's sizes (a view, as Torch's). */
export function gradBackToInput(out: Tensor, gradOutput: Tensor, input: Tensor, where: string): Tensor {
  return viewOrCopy(out, gradOutput, input.size(), where);
}

/**
 * nn.View(...sizes): the input viewed with new sizes, no copy when it is contiguous (Torch's View).
 * One size may be -1 (inferred). With setNumInputDims(n), inputs with more than n dimensions keep
 * their first (batch) dimension.
 */
export class View extends Module<Tensor, Tensor> {
  /** @param sizes the new sizes, as numbers, one array or a LongStorage; -1 for one inferred size. */
  constructor(...sizes: (number | number[] | Storage)[]) {
    super('nn.View');
    this.resetSize(...sizes);
  }

  /** Sets new target sizes (as the constructor) and returns this. */
  resetSize(...sizes: (number | number[] | Storage)[]): this {
    const list = sizeList(sizes, 'nn.View');
    let numElements = 1;
    let inferred = false;
    for (const s of list) {
      if (s >= 0) numElements *= s;
      else {
        if (s !== -1) throw new RangeError(`nn.View: size should be positive or -1, got ${s}`);
        if (inferred) throw new RangeError('nn.View: only one dimension can be at -1');
        inferred = true;
      }
    }
    this.fields.set('size', longStorage(list));
    this.fields.set('numElements', numElements);
    return this;
  }

  /** The number of dimensions of one (non-batch) input: a larger input is a batch, and its first size is kept. Returns this. */
  setNumInputDims(numInputDims: number): this {
    this.fields.set('numInputDims', numInputDims);
    return this;
  }

  /** The target sizes (-1 for the inferred one). */
  get sizes(): number[] {
    return storageNumbers(this.fields.get('size'), 'nn.View.size');
  }

  /** Torch's batchsize(): the batch size to prepend, or undefined for no batch dim. */
  private batchSize(input: Tensor): number | undefined {
    const size = this.sizes;
    const numElements = this.numberField('numElements');
    const numInputDims = this.fields.get('numInputDims') as number | undefined;
    const isz = input.size();
    const ind = isz.length;
    const maxdim = numInputDims ?? ind;
    let ine = 1;
    for (let i = ind; i >= ind - maxdim + 1; i--) ine *= isz[i - 1]!;
    if (ine % numElements !== 0) {
      throw new RangeError(`nn.View: input view (${isz.join('x')}) and desired view (${size.join('x')}) do not match`);
    }
    let bsz = ine / numElements;
    if (size.includes(-1)) bsz = 1;
    for (let i = ind - maxdim; i >= 1; i--) bsz *= isz[i - 1]!;
    if (bsz === 1 && (numInputDims === undefined || ind <= numInputDims)) return undefined;
    return bsz;
  }

  override updateOutput(input: Activity): Tensor {
    const x = expectTensor(input, 'nn.View');
    const bsz = this.batchSize(x);
    const sizes = bsz === undefined ? this.sizes : [bsz, ...this.sizes];
    return viewOrCopy(this.buffer('output', x), x, sizes, 'nn.View');
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = expectTensor(input, 'nn.View');
    const g = expectTensor(gradOutput, 'nn.View gradOutput');
    return gradBackToInput(this.buffer('gradInput', g), g, x, 'nn.View');
  }

  override __tostring__(): string {
    return `${this.className}(${this.sizes.join(', ')})`;
  }
}

registerModule('nn.View', View);
