// The `nn` namespace: Torch-style constructors. nn.Linear(10, 5) works without `new`
// (and with it); `x instanceof nn.Linear` works too. Importing this file registers
// every class with the .t7 reader.
//
// To add a class: import it and add one line `X: torchClass(X, callable(X)),` to `nn` below.

import { Module } from './module.js';
import { Container } from './Container.js';
import { Sequential } from './Sequential.js';
import { Identity } from './Identity.js';
import { Linear } from './Linear.js';
import { ConcatTable } from './ConcatTable.js';
import { Concat } from './Concat.js';
import { ParallelTable } from './ParallelTable.js';
import { CAddTable } from './CAddTable.js';
import { View } from './View.js';
import { Reshape } from './Reshape.js';
import { MulConstant } from './MulConstant.js';
import { SoftMax } from './SoftMax.js';
import { LogSoftMax } from './LogSoftMax.js';
import { Criterion } from './Criterion.js';
import { ClassNLLCriterion } from './ClassNLLCriterion.js';
import { CrossEntropyCriterion } from './CrossEntropyCriterion.js';
import { MSECriterion } from './MSECriterion.js';
import { ReLU } from './ReLU.js';
import { Tanh } from './Tanh.js';
import { Sigmoid } from './Sigmoid.js';
import { Abs } from './Abs.js';
import { JoinTable } from './JoinTable.js';
import { Narrow } from './Narrow.js';
import { ELU } from './ELU.js';
import { LeakyReLU } from './LeakyReLU.js';
import { PReLU } from './PReLU.js';
import { SPELU } from './SPELU.js';
import { MPELU } from './MPELU.js';
import { SpatialConvolution } from './SpatialConvolution.js';
import { SpatialBatchNormalization } from './SpatialBatchNormalization.js';
import { SpatialMaxPooling } from './SpatialMaxPooling.js';
import { SpatialAveragePooling } from './SpatialAveragePooling.js';
import { Dropout } from './Dropout.js';
import { CudnnReLU, CudnnSpatialConvolution, CudnnSpatialBatchNormalization, CudnnSpatialMaxPooling, CudnnSpatialAveragePooling } from './cudnn.js';
import { UnknownModule } from './UnknownModule.js';
import { DataParallelTable } from './DataParallelTable.js';

export type { Activity, TensorCache } from './module.js';
export { Module, Container, Sequential, Identity, Linear, UnknownModule, DataParallelTable };
export { ConcatTable, Concat, ParallelTable, CAddTable, View, Reshape, MulConstant, SoftMax, LogSoftMax, JoinTable, Narrow };
export { Criterion, ClassNLLCriterion, CrossEntropyCriterion, MSECriterion };
export type { Target } from './Criterion.js';
export { ReLU, CudnnReLU, ELU, LeakyReLU, PReLU, SPELU, MPELU, Tanh, Sigmoid, Abs };
export { SpatialConvolution, SpatialBatchNormalization, SpatialMaxPooling, SpatialAveragePooling, Dropout };
export { CudnnSpatialConvolution, CudnnSpatialBatchNormalization, CudnnSpatialMaxPooling, CudnnSpatialAveragePooling };
export { registerModule, moduleClass, registeredModuleNames } from './registry.js';
export { flattenParameters } from './get_parameters.js';

/**
 * A module class as Torch code calls it: `nn.Linear(10, 5)` or `new nn.Linear(10, 5)`, and
 * `m instanceof nn.Linear`. Its type is the class's own (construct signature, prototype)
 * plus a call signature made by callable(), so generic classes keep their type
 * parameters and defaults (`nn.ConcatTable()` gives a ConcatTable<Tensor, Tensor>).
 */
export type TorchClass<C, F> = C & F & {
  /** The TS class behind the constructor. */
  readonly cls: C;
};

/** `(...args) => new cls(...args)`, typed so that a generic class gives a generic function. */
export function callable<A extends unknown[], R>(cls: new (...args: A) => R): (...args: A) => R {
  return function (...args: A): R {
    return new cls(...args);
  };
}

/**
 * The function `call` (callable(cls)) made to stand for the class: callable with or
 * without `new` (it returns the instance it built either way), with cls's prototype, so
 * instanceof works, and cls's name.
 */
export function torchClass<C extends abstract new (...args: never[]) => unknown, F extends (...args: never[]) => unknown>(cls: C, call: F): TorchClass<C, F> {
  Object.defineProperty(call, 'prototype', { value: cls.prototype });
  Object.defineProperty(call, 'cls', { value: cls });
  Object.defineProperty(call, 'name', { value: cls.name });
  return call as TorchClass<C, F>;
}

/**
 * Torch's nn: module classes callable with or without `new`, constructor arguments and
 * defaults as in Lua (`nn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1)`). Modules hold
 * Double tensors (Torch's default tensor type) until `.float()`.
 */
export const nn = {
  /** The base of every module: forward/backward, parameters(), getParameters(), training()/evaluate(), clearState(), type()/float()/double(). */
  Module: torchClass(Module, callable(Module)),
  /** nn.Container(): the base of the containers (a `modules` table, add/get/size/insert/remove); not used directly. */
  Container: torchClass(Container, callable(Container)),
  /** nn.Sequential(): runs its modules one after another; add(m) appends one. */
  Sequential: torchClass(Sequential, callable(Sequential)),
  /** nn.Identity(): output = input, gradInput = gradOutput (the shortcut of a residual block). */
  Identity: torchClass(Identity, callable(Identity)),
  /** nn.Linear(inputSize, outputSize, bias = true): y = W x + b, W of outputSize x inputSize; input 1-d or a batch (2-d). */
  Linear: torchClass(Linear, callable(Linear)),
  /** nn.ConcatTable(): applies each of its modules to the same input; the output is the table (array) of their outputs. */
  ConcatTable: torchClass(ConcatTable, callable(ConcatTable)),
  /** nn.Concat(dimension): each child gets the input; their output tensors are concatenated along the 1-based dimension. */
  Concat: torchClass(Concat, callable(Concat)),
  /** nn.ParallelTable(): child i gets entry i of the input table; the output is the table of their outputs. */
  ParallelTable: torchClass(ParallelTable, callable(ParallelTable)),
  /** nn.CAddTable(inplace = false): the sum of a table of tensors. */
  CAddTable: torchClass(CAddTable, callable(CAddTable)),
  /** nn.View(...sizes): the input viewed with new sizes (-1 for one inferred size); setNumInputDims(n) keeps the batch dimension. */
  View: torchClass(View, callable(View)),
  /** nn.Reshape(...sizes[, batchMode]): the input reshaped to sizes, keeping a batch dimension by Torch's rule. */
  Reshape: torchClass(Reshape, callable(Reshape)),
  /** nn.JoinTable(dimension, nInputDims?): a table of tensors concatenated along dimension (one further for a batch when nInputDims is given). */
  JoinTable: torchClass(JoinTable, callable(JoinTable)),
  /** nn.Narrow(dimension, offset, length = 1): a copy of input:narrow(dimension, offset, length); negative values count from the end. */
  Narrow: torchClass(Narrow, callable(Narrow)),
  /** nn.MulConstant(constant_scalar, inplace = false): output = constant_scalar x input. */
  MulConstant: torchClass(MulConstant, callable(MulConstant)),
  /** nn.SoftMax(): exp(x_i) / Σ exp(x_j) over the class dimension (the second of a batch N x classes). */
  SoftMax: torchClass(SoftMax, callable(SoftMax)),
  /** nn.LogSoftMax(): log of SoftMax; the input ClassNLLCriterion expects. */
  LogSoftMax: torchClass(LogSoftMax, callable(LogSoftMax)),
  /**
   * nn.Criterion(): the base of the loss functions: forward(input, target) gives a number,
   * backward(input, target) its gradient.
   */
  Criterion: torchClass(Criterion, callable(Criterion)),
  /**
   * nn.ClassNLLCriterion(weights?, sizeAverage = true, ignoreIndex = -100): -log-probability of the
   * 1-based target classes, averaged over the batch.
   */
  ClassNLLCriterion: torchClass(ClassNLLCriterion, callable(ClassNLLCriterion)),
  /** nn.CrossEntropyCriterion(weights?, sizeAverage = true): LogSoftMax then ClassNLLCriterion; targets are 1-based class indices. */
  CrossEntropyCriterion: torchClass(CrossEntropyCriterion, callable(CrossEntropyCriterion)),
  /** nn.MSECriterion(sizeAverage = true): Σ (x - t)², averaged over the elements. */
  MSECriterion: torchClass(MSECriterion, callable(MSECriterion)),
  /** nn.ReLU(inplace = false): max(0, x) (Torch's Threshold(0, 0)). */
  ReLU: torchClass(ReLU, callable(ReLU)),
  /** nn.Tanh(): tanh(x). */
  Tanh: torchClass(Tanh, callable(Tanh)),
  /** nn.Sigmoid(): 1 / (1 + e^-x). */
  Sigmoid: torchClass(Sigmoid, callable(Sigmoid)),
  /** nn.Abs(): |x|. */
  Abs: torchClass(Abs, callable(Abs)),
  /** nn.ELU(alpha = 1, inplace = false): x for x > 0, alpha (e^x - 1) otherwise. */
  ELU: torchClass(ELU, callable(ELU)),
  /** nn.LeakyReLU(negval = 0.01, inplace = false): x for x > 0, negval x otherwise. */
  LeakyReLU: torchClass(LeakyReLU, callable(LeakyReLU)),
  /** nn.PReLU(nOutputPlane = 0) or the MPELU code's nn.PReLU(alpha, nOutputPlane): x for x > 0, a x otherwise; a learned, 0.25 at start, one per channel (or one shared when nOutputPlane is 0). */
  PReLU: torchClass(PReLU, callable(PReLU)),
  /** nn.SPELU(alpha = 1, nOutputPlane = 0): the MPELU paper's single-parameter ELU, x for x > 0, alpha (e^x - 1) otherwise, alpha learned per channel (shared when 0). */
  SPELU: torchClass(SPELU, callable(SPELU)),
  /** nn.MPELU(alpha = 1, beta = 1, nOutputPlane = 0): the paper's activation (arXiv:1606.00305), x for x > 0, alpha (e^(beta x) - 1) otherwise; alpha and beta are learned, one per channel (nOutputPlane) or shared (0). alpha = 0 is ReLU, alpha = beta = 1 is ELU; initialise the next layer with init.taylor. */
  MPELU: torchClass(MPELU, callable(MPELU)),
  /** nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW = 1, dH = 1, padW = 0, padH = padW): 2-d convolution on N x C x H x W (or C x H x W) input; weights drawn as Torch's reset() does (uniform +-1/sqrt(kW kH nInputPlane)). */
  SpatialConvolution: torchClass(SpatialConvolution, callable(SpatialConvolution)),
  /** nn.SpatialBatchNormalization(nFeature, eps = 1e-5, momentum = 0.1, affine = true): batch norm per channel; running_mean/running_var used in evaluate() mode. */
  SpatialBatchNormalization: torchClass(SpatialBatchNormalization, callable(SpatialBatchNormalization)),
  /** nn.SpatialMaxPooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0); :ceil() rounds output sizes up, as Torch. */
  SpatialMaxPooling: torchClass(SpatialMaxPooling, callable(SpatialMaxPooling)),
  /** nn.SpatialAveragePooling(kW, kH, dW = 1, dH = 1, padW = 0, padH = 0): count_include_pad and divide as Torch's defaults (true). */
  SpatialAveragePooling: torchClass(SpatialAveragePooling, callable(SpatialAveragePooling)),
  /** nn.Dropout(p = 0.5, v1 = false, inplace = false): zeroes each input with probability p in training, scaling the rest by 1/(1-p) (v1: scales at evaluation instead). */
  Dropout: torchClass(Dropout, callable(Dropout)),
  /**
   * cunn's nn.DataParallelTable(dimension, flattenParams = false, usenccl = false): replicas of one
   * model, each on a slice of the batch (run one after another here).
   */
  DataParallelTable: torchClass(DataParallelTable, callable(DataParallelTable)),
};

/** The cudnn.* twins (same computation as nn, cudnn's class names and constructor defaults). */
export const cudnn = {
  /**
   * cudnn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW = 1, dH = 1, padW = 0, padH = 0,
   * groups = 1): nn's convolution under cudnn's name (padH defaults to 0, not padW).
   */
  SpatialConvolution: torchClass(CudnnSpatialConvolution, callable(CudnnSpatialConvolution)),
  /**
   * cudnn.SpatialBatchNormalization(nFeature, eps = 1e-5, momentum = 0.1, affine = true): nn's batch
   * normalization under cudnn's name (affine only).
   */
  SpatialBatchNormalization: torchClass(CudnnSpatialBatchNormalization, callable(CudnnSpatialBatchNormalization)),
  /** cudnn.SpatialMaxPooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0). */
  SpatialMaxPooling: torchClass(CudnnSpatialMaxPooling, callable(CudnnSpatialMaxPooling)),
  /**
   * cudnn.SpatialAveragePooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0): the stride defaults to
   * the window size, unlike nn's 1.
   */
  SpatialAveragePooling: torchClass(CudnnSpatialAveragePooling, callable(CudnnSpatialAveragePooling)),
  /** cudnn.ReLU(inplace = false): max(0, x) under cudnn's name. */
  ReLU: torchClass(CudnnReLU, callable(CudnnReLU)),
};
