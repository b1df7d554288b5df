// The `nn` namespace: Torch-style constructors. nn.Linear(10, 5) works without `new`
// (and with it); `x instanceof nn.Linear` works too. Importing this file registers
// every class with the .t7 reader.
//
// To add a class: import it and add one line `X: torchClass(X),` to `nn` below.

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
export { ConcatTable, Concat, ParallelTable, CAddTable, View, Reshape, MulConstant, SoftMax, LogSoftMax };
export { Criterion, ClassNLLCriterion, CrossEntropyCriterion, MSECriterion };
export type { Target } from './Criterion.js';
export { ReLU, CudnnReLU, ELU, LeakyReLU, PReLU, SPELU, MPELU };
export { SpatialConvolution, SpatialBatchNormalization, SpatialMaxPooling, SpatialAveragePooling, Dropout };
export { CudnnSpatialConvolution, CudnnSpatialBatchNormalization, CudnnSpatialMaxPooling, CudnnSpatialAveragePooling };
export { registerModule, moduleClass, registeredModuleNames } from './registry.js';
export { flattenParameters } from './get_parameters.js';

/** A class callable with or without `new`, with the class's prototype (so instanceof works). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TorchClass<C extends abstract new (...args: any[]) => any> = {
  (...args: ConstructorParameters<C>): InstanceType<C>;
  new (...args: ConstructorParameters<C>): InstanceType<C>;
  readonly prototype: InstanceType<C>;
  /** The TS class behind the constructor. */
  readonly cls: C;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function torchClass<C extends new (...args: any[]) => any>(cls: C): TorchClass<C> {
  // A plain function: called with or without `new`, it returns the instance it built.
  const ctor = function (...args: ConstructorParameters<C>) {
    return new cls(...args);
  } as unknown as TorchClass<C>;
  Object.defineProperty(ctor, 'prototype', { value: cls.prototype });
  Object.defineProperty(ctor, 'cls', { value: cls });
  Object.defineProperty(ctor, 'name', { value: cls.name });
  return ctor;
}

export const nn = {
  Module: torchClass(Module),
  Container: torchClass(Container),
  Sequential: torchClass(Sequential),
  Identity: torchClass(Identity),
  Linear: torchClass(Linear),
  ConcatTable: torchClass(ConcatTable),
  Concat: torchClass(Concat),
  ParallelTable: torchClass(ParallelTable),
  CAddTable: torchClass(CAddTable),
  View: torchClass(View),
  Reshape: torchClass(Reshape),
  MulConstant: torchClass(MulConstant),
  SoftMax: torchClass(SoftMax),
  LogSoftMax: torchClass(LogSoftMax),
  Criterion: torchClass(Criterion),
  ClassNLLCriterion: torchClass(ClassNLLCriterion),
  CrossEntropyCriterion: torchClass(CrossEntropyCriterion),
  MSECriterion: torchClass(MSECriterion),
  ReLU: torchClass(ReLU),
  ELU: torchClass(ELU),
  LeakyReLU: torchClass(LeakyReLU),
  PReLU: torchClass(PReLU),
  SPELU: torchClass(SPELU),
  MPELU: torchClass(MPELU),
  SpatialConvolution: torchClass(SpatialConvolution),
  SpatialBatchNormalization: torchClass(SpatialBatchNormalization),
  SpatialMaxPooling: torchClass(SpatialMaxPooling),
  SpatialAveragePooling: torchClass(SpatialAveragePooling),
  Dropout: torchClass(Dropout),
  DataParallelTable: torchClass(DataParallelTable),
};

/** The cudnn.* twins (same computation as nn, cudnn's class names and constructor defaults). */
export const cudnn = {
  SpatialConvolution: torchClass(CudnnSpatialConvolution),
  SpatialBatchNormalization: torchClass(CudnnSpatialBatchNormalization),
  SpatialMaxPooling: torchClass(CudnnSpatialMaxPooling),
  SpatialAveragePooling: torchClass(CudnnSpatialAveragePooling),
  ReLU: torchClass(CudnnReLU),
};
