// tfjs-core, loaded on first use.
//
// Every module that computes with tfjs imports `tf` from here instead of from
// '@tensorflow/tfjs-core', so that loading mpelu (a .t7 file, the nn classes, the CLI)
// does not load tfjs: commands that only read and write files (`mpelu inspect`,
// `convert`, `--help`) start without it (tfjs-core alone takes ~0.7 s to load). The
// first property read of `tf` (an op, a class, `tf.tidy`) requires the package: its
// Node build is one CommonJS file, the same module instance an `import` gets (the
// backend starter, backend/select.ts, imports it directly).
//
// `tf` is also a namespace of the tfjs types mpelu names (tf.Tensor, tf.Tensor4D, ...),
// so code reads as it does with `import * as tf`.

import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs-core';

let loaded: typeof TF | undefined;

function load(): typeof TF {
  loaded ??= createRequire(import.meta.url)('@tensorflow/tfjs-core') as typeof TF;
  return loaded;
}

/** True once tfjs-core has been loaded (by a computation here or by the backend). */
export function tfLoaded(): boolean {
  return loaded !== undefined;
}

// `tf` is a plain object whose prototype is, until the first use, a Proxy that loads the
// package, and from then on the package itself: later reads are ordinary prototype-chain
// property reads (a Proxy trap on every `tf.x` cost ~8 ms per ResNet-164 training step).
export const tf: typeof TF = Object.create(
  new Proxy({}, {
    get: (_target, key) => {
      const mod = load();
      Object.setPrototypeOf(tf, mod);
      return (mod as unknown as Record<string | symbol, unknown>)[key];
    },
    has: (_target, key) => {
      const mod = load();
      Object.setPrototypeOf(tf, mod);
      return key in mod;
    },
  }),
) as typeof TF;

/* eslint-disable @typescript-eslint/no-namespace */
export declare namespace tf {
  type Rank = TF.Rank;
  type Tensor<R extends TF.Rank = TF.Rank> = TF.Tensor<R>;
  type Tensor1D = TF.Tensor1D;
  type Tensor3D = TF.Tensor3D;
  type Tensor4D = TF.Tensor4D;
  type TensorInfo = TF.TensorInfo;
  type TensorContainer = TF.TensorContainer;
  type NamedTensorMap = TF.NamedTensorMap;
  type NamedTensorInfoMap = TF.NamedTensorInfoMap;
  type NamedAttrMap = TF.NamedAttrMap;
  type DataId = TF.DataId;
  type DataType = TF.DataType;
  type TypedArray = TF.TypedArray;
  type KernelBackend = TF.KernelBackend;
  type KernelFunc = TF.KernelFunc;
  type KernelConfig = TF.KernelConfig;
  type UnsortedSegmentSumAttrs = TF.UnsortedSegmentSumAttrs;
  type MaxPoolGradAttrs = TF.MaxPoolGradAttrs;
  type Conv2DBackpropInputAttrs = TF.Conv2DBackpropInputAttrs;
  type Conv2DBackpropFilterAttrs = TF.Conv2DBackpropFilterAttrs;
  namespace backend_util {
    type BackendValues = TF.backend_util.BackendValues;
  }
}
