// Runs a Lua loop (argv[2]) the way `mpelu run` runs scripts (resumable, releasing what
// Lua drops) in its own process, with a global memory() that returns tf.memory()'s
// tensors and bytes and the process RSS in MB: test/lua_memory.test.ts reads what the
// script prints.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { LuaRuntime } from '../../src/lua/runtime.js';
import { setDefaultTensorType } from '../../src/torch/tensor.js';

await initBackend('wasm');
setDefaultTensorType('torch.DoubleTensor');
const rt = new LuaRuntime();
rt.bridge.setGlobalFunction('memory', () => {
  const m = tf.memory();
  return [m.numTensors, m.numBytes, Math.round(process.memoryUsage().rss / 1e6)];
});
try {
  await rt.runStringAsync(process.argv[2]!, '=loop');
} catch (e) {
  rt.flush();
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
rt.flush();
