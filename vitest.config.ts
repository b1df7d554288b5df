import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, each running test files one after another in the same process (isolate off):
    // tfjs and its wasm binary start once per worker instead of once per file (collection
    // fell from ~95 s to ~17 s at load ~18 on 2 cores). setup.ts resets the process-wide
    // settings a file may change; suites select their tfjs backend themselves.
    pool: 'forks',
    poolOptions: { forks: { isolate: false } },
    setupFiles: ['./test/helpers/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary_reporter.ts'],
    // Every test must check something through expect (a test that only runs code asserts nothing).
    expect: { requireAssertions: true },
  },
});
