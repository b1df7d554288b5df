// `mpelu export MODEL.t7 OUT.onnx|OUT.safetensors` and `mpelu import-weights MODEL.t7
// WEIGHTS.safetensors OUT.t7` (the work is in ../export.ts; neither starts a backend).

import { InvalidArgumentError, type Command } from 'commander';

/** --input: one sample's sizes, '3x32x32' (or '3,32,32'). */
export function parseInputShape(v: string): number[] {
  const dims = v.split(/[x,]/).map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (!dims.every((d) => Number.isInteger(d) && d > 0)) throw new InvalidArgumentError(`expected one sample's sizes like 3x32x32 (no batch dimension), got '${v}'`);
  return dims;
}

function oneOf<T extends string>(...allowed: T[]) {
  return (v: string): T => {
    if (!(allowed as string[]).includes(v)) throw new InvalidArgumentError(`expected ${allowed.join(' or ')}, got '${v}'`);
    return v as T;
  };
}

export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a Torch model to ONNX (evaluation mode, opset 17) or safetensors (every parameter and buffer, named by module path)')
    .argument('<model>', 'the .t7 model')
    .argument('<out>', 'OUT.onnx or OUT.safetensors (written atomically; never the model)')
    .option('--input <CxHxW>', "ONNX: one sample's input sizes, e.g. 3x32x32 (the batch is symbolic; default: channels from the first convolution, symbolic height and width)", parseInputShape)
    .option('--fold-bn', 'ONNX: fold each SpatialBatchNormalization into the convolution before it')
    .option('--names <style>', "safetensors: torch (modules.4.modules.1.weight, Torch's 1-based indices) or pytorch (3.0.weight, torch.nn.Sequential names)", oneOf('torch', 'pytorch'))
    .option('--format <format>', "onnx or safetensors (default: from OUT's extension)", oneOf('onnx', 'safetensors'))
    .action(async (model: string, out: string, opts: { input?: number[]; foldBn?: boolean; names?: 'torch' | 'pytorch'; format?: 'onnx' | 'safetensors' }) => {
      const { exportFile } = await import('../export.js');
      const r = exportFile(model, out, opts);
      process.stdout.write(`wrote ${out} (${r.format}, ${r.bytes} bytes, ${r.seconds.toFixed(2)} s)\n`);
    });
}

export function addImportWeightsCommand(program: Command): void {
  program
    .command('import-weights')
    .description("fill a Torch model's parameters and buffers from a safetensors file with the same names (shapes checked, every mismatch listed) and save it as OUT.t7")
    .argument('<model>', 'the .t7 model whose definition receives the weights')
    .argument('<weights>', 'WEIGHTS.safetensors (torch or pytorch names, as its metadata says)')
    .argument('<out>', 'OUT.t7 (written atomically; never one of the inputs)')
    .action(async (model: string, weights: string, out: string) => {
      const { importWeightsFile } = await import('../export.js');
      const r = importWeightsFile(model, weights, out);
      process.stdout.write(`wrote ${out}: ${r.filled} tensors from ${weights} (${r.names} names)\n`);
    });
}
