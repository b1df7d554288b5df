// tf.reshape without a kernel launch. On the wasm and cpu backends a Reshape only counts one
// more reference to the same data and wraps it in a new handle; doing that here skips the
// engine's kernel dispatch (~6 us -> ~1 us). Every module's input and output passes through
// a reshape (flat storage <-> 4-d view): ~3,500 per ResNet-164 training step. Elsewhere (the
// tensorflow backend, a gradient tape recording, string tensors) it is tf.reshape.

import { tf } from './tfjs_core.js';

const SHARING_BACKENDS = ['wasm', 'cpu'];

/** Whether `backend` (the one holding the data) is one whose Reshape shares data. */
function sharesData(engine: EngineInternals, backend: unknown): boolean {
  return SHARING_BACKENDS.some((name) => engine.registry[name] === backend);
}

interface EngineInternals {
  registry: Record<string, unknown>;
  isTapeOn(): boolean;
  state: { tensorInfo: Map<object, { backend: { incRef(dataId: object): void } }> };
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }, backend: unknown): tf.Tensor;
}

/** A new handle on `t`'s data with `shape` (same element count); the caller owns it. */
export function reshapeShared<T extends tf.Tensor = tf.Tensor>(t: tf.Tensor, shape: readonly number[]): T {
  const engine = tf.engine() as unknown as EngineInternals;
  let size = 1;
  for (const d of shape) size *= d;
  const info = engine.state.tensorInfo.get(t.dataId);
  if (!info || size !== t.size || t.dtype === 'string' || !sharesData(engine, info.backend) || engine.isTapeOn() || t.isDisposed) {
    return tf.reshape(t, shape as number[]) as T;
  }
  info.backend.incRef(t.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: shape.slice(), dtype: t.dtype }, info.backend) as T;
}
