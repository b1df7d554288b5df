// `mpelu export MODEL.t7 OUT.onnx|OUT.safetensors` and `mpelu import-weights MODEL.t7
// WEIGHTS.safetensors OUT.t7`. The exporter is imported when a command runs, so other
// commands do not load it. Files are written atomically; no command overwrites its input.

import type { Command } from 'commander';
import * as path from 'node:path';

/** '3x32x32' (or '3,32,32') as [3, 32, 32]. */
export function parseInputShape(v: string): number[] {
  const dims = v.split(/[x,]/).map((s) => Number(s.trim()));
  if (dims.length === 0 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`--input expects one sample's sizes like 3x32x32 (no batch dimension), got '${v}'`);
  }
  return dims;
}

function sameFile(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** The model in a .t7 file, or an error saying what the file holds instead. */
async function loadModel(file: string) {
  const [{ load }, { Module }] = await Promise.all([import('../t7/index.js'), import('../nn/index.js')]);
  const model = load(file);
  if (!(model instanceof Module)) {
    const what = model !== null && typeof model === 'object' ? (model as { className?: string }).className ?? model.constructor.name : typeof model;
    throw new Error(`${file}: expected an nn module (a model), found ${what}`);
  }
  return model;
}

export function addExportCommands(program: Command): Command {
  program
    .command('export')
    .description('export a Torch model to ONNX (evaluation mode, opset 17) or safetensors (every parameter and buffer, named by module path)')
    .argument('<model>', 'the .t7 model')
    .argument('<out>', 'OUT.onnx or OUT.safetensors (written atomically)')
    .option('--input <CxHxW>', "ONNX: one sample's input sizes, e.g. 3x32x32 (the batch is symbolic; default: channels from the first convolution, symbolic height and width)", parseInputShape)
    .option('--fold-bn', 'ONNX: fold each SpatialBatchNormalization into the convolution before it')
    .option('--names <style>', "safetensors: 'torch' (modules.4.modules.1.weight, Torch's 1-based indices) or 'pytorch' (3.0.weight, torch.nn.Sequential names)", (v) => {
      if (v !== 'torch' && v !== 'pytorch') throw new Error(`--names must be torch or pytorch, got '${v}'`);
      return v;
    })
    .option('--format <format>', 'onnx or safetensors (default: from OUT\'s extension)', (v) => {
      if (v !== 'onnx' && v !== 'safetensors') throw new Error(`--format must be onnx or safetensors, got '${v}'`);
      return v;
    })
    .action(async (model: string, out: string, opts: { input?: number[]; foldBn?: boolean; names?: 'torch' | 'pytorch'; format?: 'onnx' | 'safetensors' }) => {
      if (sameFile(model, out)) throw new Error(`export: the output ${out} is the input model; choose another file`);
      const { exportModel, formatOf } = await import('../export/index.js');
      const format = opts.format ?? formatOf(out);
      if (format === 'onnx' && opts.names) throw new Error('export: --names applies to safetensors output, not ONNX');
      if (format === 'safetensors' && (opts.input || opts.foldBn)) throw new Error('export: --input and --fold-bn apply to ONNX output, not safetensors');
      const m = await loadModel(model);
      const t0 = performance.now();
      const r = exportModel(m, out, { format, inputShape: opts.input, foldBn: opts.foldBn, names: opts.names, source: path.basename(model) });
      process.stdout.write(`wrote ${out} (${r.format}, ${r.bytes} bytes, ${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
    });
  program
    .command('import-weights')
    .description('fill a Torch model\'s parameters and buffers from a safetensors file with the same names (shapes checked, every mismatch listed) and save it as OUT.t7')
    .argument('<model>', 'the .t7 model whose definition receives the weights')
    .argument('<weights>', 'WEIGHTS.safetensors (torch or pytorch names, as its metadata says)')
    .argument('<out>', 'OUT.t7 (written atomically; never the input model)')
    .action(async (model: string, weights: string, out: string) => {
      if (sameFile(model, out) || sameFile(weights, out)) throw new Error(`import-weights: the output ${out} is one of the inputs; choose another file`);
      const [{ importWeights }, { save }] = await Promise.all([import('../export/index.js'), import('../t7/index.js')]);
      const m = await loadModel(model);
      const r = importWeights(m, weights);
      save(out, m);
      process.stdout.write(`wrote ${out}: ${r.filled} tensors from ${weights} (${r.names} names)\n`);
    });
  return program;
}
