// The pure-JS cpu backend, registered without its banner: tfjs-backend-cpu prints
// "install our node backend" on its first tensor in Node. mpelu picks its backend itself
// (and says which in `mpelu env`), so the banner is noise that contradicts the README.
// Import this module instead of '@tensorflow/tfjs-backend-cpu'.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const cpuFactory = tf.findBackendFactory('cpu');
// Wrapped once per process (the flag survives a second evaluation of this module).
const WRAPPED = Symbol.for('mpelu.quietCpuBackend');
if (cpuFactory && !(cpuFactory as { [WRAPPED]?: boolean })[WRAPPED]) {
  const quiet = Object.assign(
    () => {
      const backend = cpuFactory() as tf.KernelBackend & { firstUse?: boolean };
      backend.firstUse = false; // the banner is printed when firstUse is true
      return backend;
    },
    { [WRAPPED]: true },
  );
  tf.removeBackend('cpu');
  tf.registerBackend('cpu', quiet, 1);
}
