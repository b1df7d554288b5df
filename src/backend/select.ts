import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Placeholder until the backend work lands: the cpu backend, always available. */
export async function initBackend(): Promise<BackendName> {
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}
