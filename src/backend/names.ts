// The backend names mpelu knows, in a file that imports nothing: the CLI checks
// --backend and MPELU_BACKEND against it without loading tfjs.

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

/** Every name initBackend accepts, `auto` first. */
export const BACKEND_NAMES: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
