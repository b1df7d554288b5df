// Worker threads of the heap pool never keep a process alive or hang it: a process that used
// the pool exits on its own, and a kernel that traps inside a worker fails the caller's call
// with an Error (the process then exits with the error, no hang). Each case runs in a child
// Node process with a time limit.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs test/helpers/heap_pool_child.ts in its own Node process (one minute at most). */
function child(mode: 'exit' | 'trap'): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/heap_pool_child.ts', mode], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('heap pool workers and the process', () => {
  it('a process that used the pool exits by itself', () => {
    const r = child('exit');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toContain('ran 2');
    expect(r.status).toBe(0);
  }, 70_000);

  it('a trap in a worker fails the call with an Error and the process ends', () => {
    const r = child('trap');
    expect(r.stdout).toMatch(/caught: heap pool: a kernel failed in (worker 0|part 1 \(taken back by the calling thread\)): RuntimeError: memory access out of bounds/);
    expect(r.stderr).toContain('stop here');
    expect(r.status).toBe(1);
  }, 70_000);
});
