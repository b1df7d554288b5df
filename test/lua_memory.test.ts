// Tensors a Lua script drops are released while it runs (src/lua/release.ts): a loop that
// creates and drops 100,000 tensors (1,000 of them with 1 MB device copies, made by
// fresh nn modules) keeps tf.memory() and the RSS under fixed ceilings far below what it
// allocated; collectgarbage() releases dropped device copies at once; what Lua or
// TypeScript still holds (a model kept in a global, its weights and output) is never
// released. Each case runs in its own Node process (test/helpers/lua_memory_child.ts),
// so RSS and tf.memory() are the script's alone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function runLua(code: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/lua_memory_child.ts', code], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

const MB = 1024 * 1024;

describe('Lua-dropped tensors are released while the script runs', () => {
  it('100,000 tensors created and dropped in a loop keep tf.memory() and RSS bounded', () => {
    const out = runLua(`
      require 'nn'
      local x = torch.FloatTensor(256, 1024):normal()  -- 1 MB: each ReLU output on the device is as big
      local made, maxTensors, maxBytes, maxRss, rss0 = 0, 0, 0, 0, nil
      for i = 1, 100000 do
        local t = torch.FloatTensor(256):fill(i)        -- a host tensor, dropped at once
        made = made + 1
        if i % 100 == 0 then
          local y = nn.ReLU():float():forward(x)       -- a fresh module: its output lives on the device
          made = made + 1
        end
        if i % 1000 == 0 then
          local m = memory()
          maxTensors, maxBytes, maxRss = math.max(maxTensors, m[1]), math.max(maxBytes, m[2]), math.max(maxRss, m[3])
          rss0 = rss0 or m[3]
        end
      end
      print(made, maxTensors, maxBytes, rss0, maxRss)
    `);
    const [made, maxTensors, maxBytes, rss0, maxRss] = out.trim().split(/\s+/).map(Number);
    expect(made).toBe(101000);
    // 1,000 device copies of 1 MB (1 GB) were made and dropped: at most a few dozen live at once
    expect(maxTensors).toBeLessThan(400);
    expect(maxBytes).toBeLessThan(100 * MB);
    // RSS (MB): at most 250 over its value after the first 1,000 iterations, while the loop made
    // 1 GB on the device and 99 MB on the host (the wasm heap keeps its high-water mark)
    expect(maxRss! - rss0!).toBeLessThan(250);
  }, 130_000);

  it('collectgarbage() releases dropped device copies before the script goes on; what is held stays', () => {
    const out = runLua(`
      require 'nn'
      local x = torch.FloatTensor(4, 8):normal()
      model = nn.Sequential():add(nn.Linear(8, 3)):add(nn.ReLU()):float()  -- held in a global
      local before = model:forward(x):clone()
      local held = nn.ReLU():float()
      held:forward(x)                                   -- a module output Lua keeps through 'held'
      local m0 = memory()[1]
      for i = 1, 50 do local y = nn.ReLU():float():forward(x) end
      local m1 = memory()[1]
      print(collectgarbage(), type(collectgarbage('count')))
      local m2 = memory()[1]
      print(m1 - m0, m2 <= m0)
      print((model:forward(x) - before):abs():max(), (held.output - x:clone():clamp(0, math.huge)):abs():max())
    `);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('0\tnumber\t');
    expect(lines[1]).toBe('50\ttrue\t');
    expect(lines[2]).toBe('0\t0');
  }, 130_000);
});
