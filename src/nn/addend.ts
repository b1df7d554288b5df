// One-shot residual addends for a convolution's next updateOutput or updateGradInput: nn.ConcatTable
// offers one when it holds a residual unit ({branch of convolutions, nn.Identity} summed by
// CAddTable(true)), so the sum is made in the convolution kernel's store instead of a pass of
// its own; the convolution marks it done when its kernel could do it (same arithmetic: the
// conv's float32 result + the addend, one rounding, as the separate add).

import type { Tensor } from '../torch/tensor.js';

let enabled = typeof process === 'undefined' || process.env?.['MPELU_RESIDUAL_FUSION'] !== '0';

/** Turns the residual fusion on or off (on by default; MPELU_RESIDUAL_FUSION=0 starts off): tests compare both. */
export function setResidualFusion(on: boolean): void {
  enabled = on;
}

export function residualFusionEnabled(): boolean {
  return enabled;
}

export interface Addend {
  readonly tensor: Tensor;
  done: boolean;
}

export type AddendKind = 'output' | 'gradInput';

const slots: Record<AddendKind, WeakMap<object, Addend>> = { output: new WeakMap(), gradInput: new WeakMap() };

/** Offers `tensor` to `module`'s next updateOutput ('output') or updateGradInput ('gradInput'). */
export function offerAddend(module: object, kind: AddendKind, tensor: Tensor): Addend {
  const a = { tensor, done: false };
  slots[kind].set(module, a);
  return a;
}

/** The offered addend, removed (a call takes it or leaves it; never the one after). */
export function takeAddend(module: object, kind: AddendKind): Addend | undefined {
  const a = slots[kind].get(module);
  if (a) slots[kind].delete(module);
  return a;
}
