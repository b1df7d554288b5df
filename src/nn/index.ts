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
import { ReLU, CudnnReLU } from './ReLU.js';
import { ELU } from './ELU.js';
import { LeakyReLU } from './LeakyReLU.js';
import { PReLU } from './PReLU.js';
import { SPELU } from './SPELU.js';
import { MPELU } from './MPELU.js';

export type { Activity, TensorCache } from './module.js';
export { Module, Container, Sequential, Identity, Linear };
export { ReLU, CudnnReLU, ELU, LeakyReLU, PReLU, SPELU, MPELU };
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
  ReLU: torchClass(ReLU),
  ELU: torchClass(ELU),
  LeakyReLU: torchClass(LeakyReLU),
  PReLU: torchClass(PReLU),
  SPELU: torchClass(SPELU),
  MPELU: torchClass(MPELU),
};
