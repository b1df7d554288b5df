// The base of the modules with one parameter per channel (PReLU, SPELU, MPELU).

import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Module, clearFields, type Activity } from './module.js';
import { tensorInput } from './activation.js';

/** Torch's `torch.Tensor(nOutputPlane or 1)`; an explicit 0 also gets one (shared) value. */
export function paramSize(nOutputPlane: number | undefined, where: string): number {
  if (nOutputPlane === undefined) return 1;
  if (!Number.isInteger(nOutputPlane) || nOutputPlane < 0) {
    throw new RangeError(`${where}: nOutputPlane must be a non-negative integer (0 = one shared parameter), got ${nOutputPlane}`);
  }
  return nOutputPlane === 0 ? 1 : nOutputPlane;
}

/** A new parameter tensor of the default type filled with v. */
export function filledParam(n: number, v: number): Tensor {
  const t = Tensor.create(defaultTensorType(), [n]);
  t.storage().fill(v);
  return t;
}

/** Buffers Torch's accGradParameters creates (input.new()), kept so saved files match Torch's. */
export function ensureBuffers(m: Module, names: readonly string[], like: Tensor): void {
  for (const n of names) if (!(m.fields.get(n) instanceof Tensor)) m.fields.set(n, new Tensor(like.elementType));
}

/**
 * What PReLU, SPELU and MPELU share: nOutputPlane (0 = one shared parameter), weight and
 * gradWeight of nOutputPlane (or 1) values, and the backward protocol, where gradInput and
 * the parameter gradients come from one pass (so backward costs one pass, not two).
 */
export abstract class ChannelParamModule extends Module<Tensor, Tensor> {
  /**
   * @param className Torch's class name.
   * @param nOutputPlane the number of channels with a parameter of their own; 0 or undefined: one parameter shared by all.
   * @param weightInit the initial value of every weight entry.
   */
  constructor(className: string, nOutputPlane: number | undefined, weightInit: number) {
    super(className);
    const n = paramSize(nOutputPlane, className);
    this.fields.set('nOutputPlane', nOutputPlane ?? 0);
    this.fields.set('weight', filledParam(n, weightInit));
    this.fields.set('gradWeight', filledParam(n, 0));
  }

  /**
   * The number of channels (dimension 2 of a batch N x C x H x W, 1 of C x H x W) with a parameter
   * each; 0 = one shared parameter.
   */
  get nOutputPlane(): number {
    return this.numberField('nOutputPlane');
  }

  /** The learned parameter per channel (PReLU's slope a, SPELU's and MPELU's alpha): nOutputPlane values, or 1 when shared. */
  get weight(): Tensor {
    return this.param('weight');
  }

  /** The gradient of weight (accumulated by backward). */
  get gradWeight(): Tensor {
    return this.param('gradWeight');
  }

  protected param(name: string): Tensor {
    const t = this.tensorField(name);
    if (!t) throw new Error(`${this.className}: field '${name}' should be a tensor`);
    return t;
  }

  /** The scratch buffers Torch's accGradParameters creates (see ensureBuffers). */
  protected abstract scratchBuffers(): readonly string[];

  /** gradInput (when given) and, with withParams, scale * the parameter gradients, in one pass. */
  protected abstract gradPass(where: string, x: Tensor, g: Tensor, gradInput: Tensor | null, withParams: boolean, scale: number): void;

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor {
    const where = `${this.className}:updateGradInput`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    const gradInput = this.buffer('gradInput', x);
    this.gradPass(where, x, g, gradInput, false, 1);
    return gradInput;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const where = `${this.className}:accGradParameters`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    ensureBuffers(this, this.scratchBuffers(), x);
    this.gradPass(where, x, g, null, true, scale);
  }

  /** updateGradInput + accGradParameters in one pass. */
  override backward(input: Activity, gradOutput: Activity, scale = 1): Tensor {
    const where = `${this.className}:backward`;
    const x = tensorInput(input, where);
    const g = tensorInput(gradOutput, `${where} (gradOutput)`);
    const gradInput = this.buffer('gradInput', x);
    ensureBuffers(this, this.scratchBuffers(), x);
    this.gradPass(where, x, g, gradInput, true, scale);
    return gradInput;
  }

  override clearState(): this {
    clearFields(this, this.scratchBuffers());
    return super.clearState();
  }
}
