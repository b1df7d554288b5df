// Runs before every test file. The suite shares worker processes between files
// (vitest.config.ts: isolate off, so tfjs and its wasm binary load once per worker, not
// once per file); this puts back the process-wide settings a file may have changed, so
// every file starts as it would in a fresh process: the default tensor type and the
// fused / SIMD kernel switches. (tfjs's active backend is not reset: every suite that
// depends on it selects it itself, through initBackend or forEachBackend.)
//
// Fengari reads its configuration once, when first loaded: src/lua/fengari.ts must load
// it (LuaJIT's number printing and numerals) before any suite loads plain 'fengari', or
// the Lua suites that follow in the same process would print "2.0" for 2.

import '../../src/lua/fengari.js';
import { setDefaultTensorType } from '../../src/torch/tensor.js';
import { setFusedKernelsEnabled } from '../../src/backend/fused/register.js';
import { wasmSimd } from '../../src/backend/wasm/kill_switch.js';
import { convForwardSimd } from '../../src/backend/wasm/conv_forward.js';
import { convInputGradSimd } from '../../src/backend/wasm/conv_input_grad.js';
import { convWeightGradSimd } from '../../src/backend/wasm/conv_weight_grad.js';

setDefaultTensorType('torch.DoubleTensor');
setFusedKernelsEnabled(true);
for (const s of [wasmSimd, convForwardSimd, convInputGradSimd, convWeightGradSimd]) s.reset();
