// The on/off switches of the WebAssembly SIMD kernels, one helper for all of them: each
// kernel family can be turned off from the environment (NAME=0 at start) or at run time
// (set(false)) to fall back to the tfjs path it replaces, and counts how often it ran so
// tests and benchmarks can tell which path computed a result.

/** One kernel family's switch: its environment variable, its setting and its run count. */
export class KillSwitch {
  private on: boolean;
  private count = 0;

  /** `parent`: a switch that, when off, turns this one off too (MPELU_WASM_SIMD for all). */
  constructor(
    readonly envVar: string,
    private readonly parent: KillSwitch | null = null,
  ) {
    this.on = this.fromEnv();
  }

  private fromEnv(): boolean {
    return typeof process === 'undefined' || process.env?.[this.envVar] !== '0';
  }

  /** Back to the setting the environment gives (test suites sharing one process start from it). */
  reset(): void {
    this.on = this.fromEnv();
  }

  /** Turns the kernels on or off (off: the tfjs path they replace computes instead). */
  set(on: boolean): void {
    this.on = on;
  }

  /** Whether this switch and its parent are on. */
  enabled(): boolean {
    return this.on && (this.parent === null || this.parent.enabled());
  }

  /** Counts one run of the kernel. */
  ran(): void {
    this.count++;
  }

  /** How many times the kernel ran (for tests and benchmarks). */
  runs(): number {
    return this.count;
  }
}

/**
 * Every WebAssembly SIMD kernel (MPELU, batch norm, the three convolutions): off, wasm runs
 * MPELU with JS loops, batch norm and the convolutions with tfjs kernels. MPELU_WASM_SIMD=0
 * starts off. Its run count is that of the fused MPELU / batch-norm SIMD calls.
 */
export const wasmSimd = new KillSwitch('MPELU_WASM_SIMD');
