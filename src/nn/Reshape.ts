// nn.Reshape(...sizes[, batchMode]): like View without -1, with Torch's batch rule: the
// first dim is kept as the batch unless the input has exactly the target element count
// (and its first size is not 1), or batchMode is false.

import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { Module, clearFields, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { expectTensor } from './tensor_helpers.js';
import { gradBackToInput, longStorage, sizeList, storageNumbers, viewOrCopy } from './View.js';

/**
 * nn.Reshape(...sizes[, batchMode]): the input copied or viewed into new sizes (no -1). The first
 * dimension is kept as the batch unless the input has exactly the target element count (and its first
 * size is not 1), or batchMode is false.
 */
export class Reshape extends Module<Tensor, Tensor> {
  /**
   * @param args the target sizes (numbers, one array or a LongStorage), then optionally batchMode (a boolean: true forces, false forbids a batch dimension).
   */
  constructor(...args: (number | number[] | Storage | boolean)[]) {
    super('nn.Reshape');
    const rest = args.slice();
    if (typeof rest[rest.length - 1] === 'boolean') this.fields.set('batchMode', rest.pop() as boolean);
    const size = sizeList(rest, 'nn.Reshape');
    this.fields.set('size', longStorage(size));
    this.fields.set('nelement', size.reduce((a, b) => a * b, 1));
    this.fields.set('batchsize', longStorage([0, ...size]));
  }

  /** The target sizes of one (non-batch) input. */
  get sizes(): number[] {
    return storageNumbers(this.fields.get('size'), 'nn.Reshape.size');
  }

  override updateOutput(input: Activity): Tensor {
    const x = expectTensor(input, 'nn.Reshape');
    const batchMode = this.fields.get('batchMode') as boolean | undefined;
    const nelement = this.numberField('nelement');
    const noBatch = batchMode === false || (batchMode === undefined && x.nElement() === nelement && x.size(1) !== 1);
    let sizes: number[];
    if (noBatch) sizes = this.sizes;
    else {
      sizes = [x.size(1), ...this.sizes];
      this.fields.set('batchsize', longStorage(sizes));
    }
    return viewOrCopy(this.buffer('output', x), x, sizes, 'nn.Reshape');
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const x = expectTensor(input, 'nn.Reshape');
    const g = expectTensor(gradOutput, 'nn.Reshape gradOutput');
    return gradBackToInput(this.buffer('gradInput', g), g, x, 'nn.Reshape');
  }

  override clearState(): this {
    clearFields(this, ['_input', '_gradOutput']);
    return super.clearState();
  }

  override __tostring__(): string {
    return `${this.className}(${this.sizes.join('x')})`;
  }
}

registerModule('nn.Reshape', Reshape);
