// The THNN functions a Lua layer class calls (`input.THNN.X(input:cdata(), ...)`), on
// mpelu's own kernels: each call hands the given tensors to a throwaway instance of the
// built-in module (its fields ARE the caller's tensors), so outputs, gradInputs and
// parameter gradients are written into the caller's tensors in place, as THNN does, with
// exactly the numbers of the built-in nn.PReLU / nn.SPELU / nn.MPELU / nn.ELU /
// nn.SpatialConvolution / nn.SpatialBatchNormalization.
//
// Argument lists are THNN's (torch/nn lib/THNN/generic/THNN.h, and the MPELU paper's
// Code-for-MPELU THNN.h for PReLU/SPELU/MPELU), without the leading THNNState.

import { Tensor } from '../torch/tensor.js';
import { LuaTable } from '../t7/lua_table.js';
import type { TorchObject } from '../t7/torch_object.js';
import { PReLU } from '../nn/PReLU.js';
import { SPELU } from '../nn/SPELU.js';
import type { ChannelParamModule } from '../nn/ChannelParamModule.js';
import { MPELU } from '../nn/MPELU.js';
import { ELU } from '../nn/ELU.js';
import { SpatialConvolution } from '../nn/SpatialConvolution.js';
import type { ConvParams } from '../nn/float64/conv.js';
import { SpatialBatchNormalization } from '../nn/SpatialBatchNormalization.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** An instance of `cls` whose fields are `fields` (no constructor run: nothing allocated or drawn). */
function shim<T extends TorchObject>(cls: abstract new (...a: any[]) => T, className: string, fields: Record<string, unknown>): T {
  const m = Object.create(cls.prototype) as T;
  m.className = className;
  m.version = 1;
  m.fields = new LuaTable();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) m.fields.set(k, v);
  return m;
}

type T = Tensor;
type Opt = Tensor | undefined;

// ---- PReLU / SPELU / MPELU (the paper's THNN.h) ------------------------------------------

/** PReLU and SPELU take the same arguments: one weight per channel (or one shared). */
function oneWeightFamily(cls: abstract new (...a: any[]) => ChannelParamModule, className: string) {
  return {
    updateOutput(input: T, output: T, weight: T, nOutputPlane: number): void {
      shim(cls, className, { nOutputPlane, weight, output }).updateOutput(input);
    },
    updateGradInput(input: T, gradOutput: T, gradInput: T, weight: T, nOutputPlane: number): void {
      shim(cls, className, { nOutputPlane, weight, gradInput }).updateGradInput(input, gradOutput);
    },
    /** gradInput, gradWeightBuf and gradWeightBuf2 are in THNN's list; its kernel does not use them. */
    accGradParameters(input: T, gradOutput: T, _gradInput: T, weight: T, gradWeight: T, gradWeightBuf: T, gradWeightBuf2: T, nOutputPlane: number, scale: number): void {
      shim(cls, className, { nOutputPlane, weight, gradWeight, gradWeightBuf, gradWeightBuf2 }).accGradParameters(input, gradOutput, scale);
    },
  };
}

const prelu = oneWeightFamily(PReLU, 'THNN.PReLU');
export const PReLU_updateOutput = prelu.updateOutput;
export const PReLU_updateGradInput = prelu.updateGradInput;
export const PReLU_accGradParameters = prelu.accGradParameters;

const spelu = oneWeightFamily(SPELU, 'THNN.SPELU');
export const SPELU_updateOutput = spelu.updateOutput;
export const SPELU_updateGradInput = spelu.updateGradInput;
export const SPELU_accGradParameters = spelu.accGradParameters;

export function MPELU_updateOutput(input: T, output: T, weight: T, bias: T, nOutputPlane: number): void {
  shim(MPELU, 'THNN.MPELU', { nOutputPlane, weight, bias, output }).updateOutput(input);
}

export function MPELU_updateGradInput(input: T, gradOutput: T, gradInput: T, weight: T, bias: T, nOutputPlane: number): void {
  shim(MPELU, 'THNN.MPELU', { nOutputPlane, weight, bias, gradInput }).updateGradInput(input, gradOutput);
}

export function MPELU_accGradParameters(
  input: T, gradOutput: T, _gradInput: T, weight: T, gradWeight: T, gradWeightBuf: T, gradWeightBuf2: T,
  bias: T, gradBias: T, gradBiasBuf: T, gradBiasBuf2: T, nOutputPlane: number, scale: number,
): void {
  const fields = { nOutputPlane, weight, bias, gradWeight, gradBias, gradWeightBuf, gradWeightBuf2, gradBiasBuf, gradBiasBuf2 };
  shim(MPELU, 'THNN.MPELU', fields).accGradParameters(input, gradOutput, scale);
}

// ---- ELU (torch/nn) ---------------------------------------------------------------------

export function ELU_updateOutput(input: T, output: T, alpha: number, inplace: boolean): void {
  shim(ELU, 'THNN.ELU', { alpha, inplace, output }).updateOutput(input);
}

export function ELU_updateGradInput(input: T, gradOutput: T, gradInput: T, output: T, alpha: number, inplace: boolean): void {
  shim(ELU, 'THNN.ELU', { alpha, inplace, output, gradInput }).updateGradInput(input, gradOutput);
}

// ---- SpatialConvolutionMM (torch/nn) -----------------------------------------------------

/** The conv module's fields for a weight of nn.SpatialConvolutionMM's 2-d form (nOut, nIn*kH*kW) or the 4-d form. */
function convFields(weight: T, g: ConvParams, where: string): Record<string, unknown> {
  if (weight.dim() !== 2 && weight.dim() !== 4) throw new RangeError(`${where}: weight should be 2D or 4D, got ${weight.dim()}D (sizes [${weight.size().join(', ')}])`);
  const nOutputPlane = weight.size(1) as number;
  const cols = weight.nElement() / nOutputPlane;
  const nInputPlane = cols / (g.kW * g.kH);
  if (!Number.isInteger(nInputPlane) || (weight.dim() === 4 && (weight.size(3) !== g.kH || weight.size(4) !== g.kW))) {
    throw new RangeError(`${where}: weight sizes [${weight.size().join(', ')}] do not fit a ${g.kW}x${g.kH} kernel`);
  }
  return { nInputPlane, nOutputPlane, ...g };
}

export function SpatialConvolutionMM_updateOutput(input: T, output: T, weight: T, bias: Opt, finput: T, fgradInput: T, kW: number, kH: number, dW: number, dH: number, padW: number, padH: number): void {
  const g = { kW, kH, dW, dH, padW, padH };
  const f = convFields(weight, g, 'SpatialConvolutionMM_updateOutput');
  shim(SpatialConvolution, 'THNN.SpatialConvolutionMM', { ...f, weight, bias, output, finput, fgradInput }).updateOutput(input);
}

export function SpatialConvolutionMM_updateGradInput(input: T, gradOutput: T, gradInput: T, weight: T, finput: T, fgradInput: T, kW: number, kH: number, dW: number, dH: number, padW: number, padH: number): void {
  const g = { kW, kH, dW, dH, padW, padH };
  const f = convFields(weight, g, 'SpatialConvolutionMM_updateGradInput');
  shim(SpatialConvolution, 'THNN.SpatialConvolutionMM', { ...f, weight, gradInput, finput, fgradInput }).updateGradInput(input, gradOutput);
}

/** THNN's list has no weight here: gradWeight stands in for it (its sizes and type are the weight's). */
export function SpatialConvolutionMM_accGradParameters(
  input: T, gradOutput: T, gradWeight: T, gradBias: Opt, finput: T, fgradInput: T,
  kW: number, kH: number, dW: number, dH: number, padW: number, padH: number, scale: number,
): void {
  const g = { kW, kH, dW, dH, padW, padH };
  const f = convFields(gradWeight, g, 'SpatialConvolutionMM_accGradParameters');
  shim(SpatialConvolution, 'THNN.SpatialConvolutionMM', { ...f, weight: gradWeight, gradWeight, gradBias, finput, fgradInput }).accGradParameters(input, gradOutput, scale);
}

// ---- BatchNormalization (torch/nn; nn.BatchNormalization and nn.SpatialBatchNormalization call it) ----

/**
 * The input as the 4-d (N, C, H, W) the kernel takes: 2-d (N, C), 3-d and 5-d inputs are
 * viewed as (N, C, rest, 1), which normalizes over the same elements.
 */
function as4d(x: T, where: string): T {
  if (x.dim() === 4) return x;
  if (x.dim() < 2 || x.dim() > 5) throw new RangeError(`${where}: expected a 2D to 5D input (N, C, ...), got ${x.dim()}D`);
  const n = x.size(1) as number;
  const c = x.size(2) as number;
  return x.contiguous().view(n, c, x.nElement() / (n * c), 1);
}

function checkTrainBatch(x: T, train: boolean, where: string): void {
  // nn's Lua classes pass `self.train and input:size(1) > 1`; the kernel follows that rule.
  if (train && x.size(1) === 1) throw new RangeError(`${where}: train = true with a batch of 1 is not supported by mpelu (nn.BatchNormalization passes train = false for a batch of 1)`);
}

export function BatchNormalization_updateOutput(
  input: T, output: T, weight: Opt, bias: Opt, running_mean: T, running_var: T, save_mean: T, save_std: T,
  train: boolean, momentum: number, eps: number,
): void {
  const where = 'BatchNormalization_updateOutput';
  const x4 = as4d(input, where);
  checkTrainBatch(x4, train, where);
  const out = x4 === input ? output : new Tensor(input.elementType);
  const fields = { eps, momentum, train, affine: weight !== undefined, running_mean, running_var, weight, bias, save_mean, save_std, output: out };
  shim(SpatialBatchNormalization, 'THNN.BatchNormalization', fields).updateOutput(x4);
  if (out !== output) output.resizeAs(input).copy(out.view(...(input.size() as number[])));
}

export function BatchNormalization_backward(
  input: T, gradOutput: T, gradInput: Opt, gradWeight: Opt, gradBias: Opt, weight: Opt,
  running_mean: T, running_var: T, save_mean: T, save_std: T, train: boolean, scale: number, eps: number,
): void {
  const where = 'BatchNormalization_backward';
  const x4 = as4d(input, where);
  checkTrainBatch(x4, train, where);
  const dy4 = as4d(gradOutput, `${where} (gradOutput)`);
  const gi = gradInput && x4 !== input ? new Tensor(input.elementType) : gradInput;
  const fields = { eps, train, running_mean, running_var, weight, save_mean, save_std, gradInput: gi, gradWeight, gradBias };
  const m = shim(SpatialBatchNormalization, 'THNN.BatchNormalization', fields);
  const params = gradWeight !== undefined || gradBias !== undefined;
  if (gi && params) m.backward(x4, dy4, scale);
  else if (gi) m.updateGradInput(x4, dy4);
  else if (params) m.accGradParameters(x4, dy4, scale);
  if (gradInput && gi !== gradInput) gradInput.resizeAs(input).copy(gi!.view(...(input.size() as number[])));
}
