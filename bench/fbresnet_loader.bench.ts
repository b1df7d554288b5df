// The Lua data path of fb.resnet.torch on CIFAR (threads pool + image transforms, see
// bench/lua/fbresnet_loader.lua) under `mpelu run`: images/s of the loader alone, to set
// beside a training step's images/s (README "Run the paper's command").

import { mpeluRun } from '../test/helpers/mpelu_run.js';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const script = fileURLToPath(new URL('./lua/fbresnet_loader.lua', import.meta.url));
const r = await mpeluRun([script, process.env.MPELU_BENCH_IMAGES ?? '2048', '2']);
process.stdout.write(r.stdout.toString());
if (r.code !== 0) {
  process.stderr.write(r.stderr);
  process.exit(1);
}
process.stdout.write(`(load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})\n`);
