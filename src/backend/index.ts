// Backend selection, missing kernels, and the compute ops the nn modules call.
export * from './select.js';
export * from './ops.js';
export { registerMissingKernels, REGISTERED_KERNELS, KernelScope } from './kernels.js';
export { FUSED, hasFusedKernel, setFusedKernelsEnabled, fusedKernelsEnabled } from './fused.js';
