// Runs before every test file. The suite shares worker processes between files
// (vitest.config.ts: isolate off, so tfjs and its wasm binary load once per worker, not
// once per file); this puts back the process-wide settings a file may have changed, so
// every file starts as it would in a fresh process: the default tensor type and the
// fused / SIMD kernel switches and the kernel thread count. (tfjs's active backend is not reset: every suite that
// depends on it selects it itself, through initBackend or forEachBackend.)
//
// Fengari reads its configuration once, when first loaded: src/lua/fengari.ts must load
// it (LuaJIT's number printing and numerals) before any suite loads plain 'fengari', or
// the Lua suites that follow in the same process would print "2.0" for 2.

import '../../src/lua/fengari.js';
// before any suite starts tfjs-wasm: its heap is then shared (mpelu's kernels on every thread)
import '../../src/backend/select.js';
// tfjs's cpu backend without its "install our node backend" banner, even for suites that
// import '@tensorflow/tfjs-backend-cpu' themselves (the package registers itself once)
import '../../src/backend/cpu.js';
import { setDefaultTensorType } from '../../src/torch/tensor.js';
import { setFusedKernelsEnabled } from '../../src/backend/fused/register.js';
import { wasmSimd } from '../../src/backend/wasm/kill_switch.js';
import { convForwardSimd } from '../../src/backend/wasm/conv_forward.js';
import { convInputGradSimd } from '../../src/backend/wasm/conv_input_grad.js';
import { convWeightGradSimd } from '../../src/backend/wasm/conv_weight_grad.js';
import { resetNumThreads } from '../../src/backend/threads.js';
import { hostParams } from '../../src/backend/host_params.js';

setDefaultTensorType('torch.DoubleTensor');
setFusedKernelsEnabled(true);
for (const s of [wasmSimd, convForwardSimd, convInputGradSimd, convWeightGradSimd, hostParams]) s.reset();
resetNumThreads();

// The backend the environment asked for, as the worker process started: an in-process CLI
// run with `--backend X` (src/cli/main.ts) writes MPELU_BACKEND for library code, and a
// suite may set it; the next file in the same worker must not inherit that.
const started = ((globalThis as { __mpeluStartBackend?: { value: string | undefined } }).__mpeluStartBackend ??= {
  value: process.env.MPELU_BACKEND,
});
if (started.value === undefined) delete process.env.MPELU_BACKEND;
else process.env.MPELU_BACKEND = started.value;
