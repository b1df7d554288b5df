// Backend selection, the patches to tfjs's kernels, and the compute ops the nn modules call.
export * from './select.js';
export * from './layer_ops.js';
export { patchTfjsKernels, TFJS_PATCHED_KERNELS, KernelScope } from './tfjs_patches.js';
export { FUSED, hasFusedKernel, setFusedKernelsEnabled, fusedKernelsEnabled } from './fused/register.js';
