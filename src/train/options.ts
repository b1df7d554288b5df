// fb.resnet.torch's command-line options (opts.lua at 985e569), with the same names,
// defaults and meanings, parsed as torch.CmdLine parses them (`-name value`) and also as
// `--name value` / `--name=value`. Then opts.lua's post-processing: string booleans,
// per-dataset defaults for shortcutType and nEpochs, tensorType from precision, and its
// consistency errors. Options that mean nothing in mpelu are accepted and reported once
// (see `ignoredOptionNotes`); a wrong value is one line naming the option and what it allows.

/** A bad `mpelu train` option: one line naming the option and what it allows. */
export class OptionError extends Error {
  /** Always 'OptionError'. */
  override name = 'OptionError';
}

type Kind = 'string' | 'number' | 'boolean' | 'integer';

interface OptionSpec {
  name: string;
  kind: Kind;
  default: string | number | boolean;
  help: string;
  /** Allowed values (strings), when the option is a choice. */
  choices?: readonly string[];
  /** Why the option has no effect in mpelu (it is still accepted). */
  noEffect?: (value: unknown) => string | undefined;
}

const NET_TYPES = ['resnet', 'preresnet', 'mpelu-preactivation-nopre'] as const;

/** opts.lua's options in its order, then mpelu's additions. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'data', kind: 'string', default: '', help: 'Path to dataset (CIFAR binary release, cifar-10-batches-t7, or where --download puts it)' },
  { name: 'dataset', kind: 'string', default: 'imagenet', help: 'Options: cifar10 | cifar100 (imagenet is not supported by mpelu)' },
  { name: 'manualSeed', kind: 'integer', default: 0, help: 'Manually set RNG seed (0: loader threads are not seeded)' },
  { name: 'nGPU', kind: 'integer', default: 1, help: 'Number of GPUs to use by default', noEffect: (v) => (v !== 1 ? 'mpelu trains on one tfjs backend; -nGPU > 1 (DataParallelTable) is not available, one device is used' : undefined) },
  { name: 'backend', kind: 'string', default: 'cudnn', help: 'Options: cudnn | cunn', choices: ['cudnn', 'cunn', 'nn'], noEffect: () => 'mpelu computes with tfjs (see `mpelu env`); -backend only names the classes, and the model files keep the class names of the model definition' },
  { name: 'cudnn', kind: 'string', default: 'fastest', help: 'Options: fastest | default | deterministic', choices: ['fastest', 'default', 'deterministic'], noEffect: () => 'cuDNN algorithm selection does not exist here; mpelu runs are deterministic on one backend' },
  { name: 'gen', kind: 'string', default: 'gen', help: 'Path to save generated files (the gen/<dataset>.t7 cache)' },
  { name: 'precision', kind: 'string', default: 'single', help: 'Options: single | double | half (mpelu: single)', choices: ['single', 'double', 'half'] },
  { name: 'nThreads', kind: 'integer', default: 2, help: 'number of data loading threads (0: prepare batches on the main thread)' },
  { name: 'nEpochs', kind: 'integer', default: 0, help: 'Number of total epochs to run' },
  { name: 'epochNumber', kind: 'integer', default: 1, help: 'Manual epoch number (useful on restarts)' },
  { name: 'batchSize', kind: 'integer', default: 32, help: 'mini-batch size (1 = pure stochastic)' },
  { name: 'testOnly', kind: 'boolean', default: false, help: 'Run on validation set only' },
  { name: 'tenCrop', kind: 'boolean', default: false, help: 'Ten-crop testing' },
  { name: 'save', kind: 'string', default: 'checkpoints', help: 'Directory in which to save checkpoints' },
  { name: 'resume', kind: 'string', default: 'none', help: 'Resume from the latest checkpoint in this directory' },
  { name: 'LR', kind: 'number', default: 0.1, help: 'initial learning rate' },
  { name: 'momentum', kind: 'number', default: 0.9, help: 'momentum' },
  { name: 'weightDecay', kind: 'number', default: 1e-4, help: 'weight decay' },
  { name: 'netType', kind: 'string', default: 'resnet', help: 'Options: resnet | preresnet | mpelu-preactivation-nopre | FILE.lua' },
  { name: 'depth', kind: 'integer', default: 34, help: 'ResNet depth: 20 | 32 | 110 (resnet, preresnet: 6n+2), 164 | 1001 (mpelu: 9n+2)' },
  { name: 'shortcutType', kind: 'string', default: '', help: 'Options: A | B | C', choices: ['', 'A', 'B', 'C'] },
  { name: 'retrain', kind: 'string', default: 'none', help: 'Path to model to retrain with' },
  { name: 'optimState', kind: 'string', default: 'none', help: 'Path to an optimState to reload from', noEffect: (v) => (v !== 'none' ? "fb.resnet.torch parses -optimState but never reads it (checkpoints.latest loads the optimState of -resume); mpelu does the same" : undefined) },
  { name: 'shareGradInput', kind: 'boolean', default: false, help: 'Share gradInput tensors to reduce memory usage', noEffect: () => 'tfjs owns activation memory; gradInput buffers are not shared' },
  { name: 'optnet', kind: 'boolean', default: false, help: 'Use optnet to reduce memory usage', noEffect: () => 'optnet is a Torch memory optimizer; tfjs manages memory itself' },
  { name: 'resetClassifier', kind: 'boolean', default: false, help: 'Reset the fully connected layer for fine-tuning' },
  { name: 'nClasses', kind: 'integer', default: 0, help: 'Number of classes in the dataset' },
  // mpelu's additions
  { name: 'lrSteps', kind: 'string', default: '', help: "mpelu: epochs at which the learning rate is multiplied by 0.1, e.g. 81,122 (default: the paper's train.lua, 150,225 on CIFAR)" },
  { name: 'download', kind: 'boolean', default: false, help: 'mpelu: fetch the official CIFAR binary release into -data when it is missing' },
  { name: 'progress', kind: 'string', default: 'auto', help: 'mpelu: auto | bar | lines (bar on a terminal, one line per batch otherwise)', choices: ['auto', 'bar', 'lines'] },
];

export type Dataset = 'cifar10' | 'cifar100';

/** The options after opts.lua's processing (names as in Lua's `opt` table). */
export interface TrainOptions {
  /** -data: the CIFAR folder (binary release, cifar-10-batches-t7, or where -download puts it) (default ''). */
  data: string;
  /** -dataset: cifar10 or cifar100 (fb.resnet.torch's default imagenet is refused). */
  dataset: Dataset;
  /** -manualSeed: the seed of Torch's generator and of the loader threads (default 0: loader threads are not seeded). */
  manualSeed: number;
  /** -nGPU: Number of GPUs to use by default (default 1). */
  nGPU: number;
  /** -backend: Options: cudnn | cunn (default cudnn). */
  backend: string;
  /** -cudnn: Options: fastest | default | deterministic (default fastest). */
  cudnn: string;
  /** -gen: Path to save generated files (the gen/<dataset>.t7 cache) (default gen). */
  gen: string;
  /** -precision: single (the default; tensorType follows), double or half. */
  precision: 'single' | 'double' | 'half';
  /** -nThreads: number of data loading threads (0: prepare batches on the main thread) (default 2). */
  nThreads: number;
  /** -nEpochs: the number of epochs (0 = opts.lua's CIFAR default, 164). */
  nEpochs: number;
  /** -epochNumber: Manual epoch number (useful on restarts) (default 1). */
  epochNumber: number;
  /** -batchSize: mini-batch size (1 = pure stochastic) (default 32). */
  batchSize: number;
  /** -testOnly: Run on validation set only (default false). */
  testOnly: boolean;
  /** -tenCrop: Ten-crop testing (default false). */
  tenCrop: boolean;
  /** -save: Directory in which to save checkpoints (default checkpoints). */
  save: string;
  /** -resume: Resume from the latest checkpoint in this directory (default none). */
  resume: string;
  /** -LR: initial learning rate (default 0.1). */
  LR: number;
  /** -momentum: momentum (default 0.9). */
  momentum: number;
  /** -weightDecay: weight decay (default 1e-4). */
  weightDecay: number;
  /** -netType: Options: resnet | preresnet | mpelu-preactivation-nopre | FILE.lua (default resnet). */
  netType: string;
  /** -depth: ResNet depth: 20 | 32 | 110 (resnet, preresnet: 6n+2), 164 | 1001 (9n+2) (default 34). */
  depth: number;
  /** -shortcutType: A, B or C (default A on CIFAR, opts.lua's rule). */
  shortcutType: 'A' | 'B' | 'C';
  /** -retrain: Path to model to retrain with (default none). */
  retrain: string;
  /** -optimState: Path to an optimState to reload from (default none). */
  optimState: string;
  /** -shareGradInput: Share gradInput tensors to reduce memory usage (default false). */
  shareGradInput: boolean;
  /** -optnet: Use optnet to reduce memory usage (default false). */
  optnet: boolean;
  /** -resetClassifier: Reset the fully connected layer for fine-tuning (default false). */
  resetClassifier: boolean;
  /** -nClasses: the number of classes (0 = the data set's: 10 or 100). */
  nClasses: number;
  /** -lrSteps: epochs at which the learning rate is multiplied by 0.1, e.g. [81, 122]; null for the default schedule. */
  lrSteps: number[] | null;
  /** -download: fetch the official CIFAR binary release into -data when it is missing (default false). */
  download: boolean;
  /** -progress: auto | bar | lines (bar on a terminal, one line per batch otherwise) (default auto). */
  progress: 'auto' | 'bar' | 'lines';
  /** opts.lua: torch.CudaTensor for single precision (the class names a GPU run uses). */
  tensorType: string;
  /** Options the user gave that mean nothing here, each with why (reported once at start). */
  notes: string[];
}

const SPEC_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

function parseValue(spec: OptionSpec, raw: string): string | number | boolean {
  const where = `-${spec.name}`;
  switch (spec.kind) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) {
        const shown = spec.choices.filter((c) => c !== '').join(' | ');
        throw new OptionError(`${where}: '${raw}' is not allowed (allowed: ${shown})`);
      }
      return raw;
    case 'boolean':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new OptionError(`${where}: expected true or false, got '${raw}'`);
    case 'number':
    case 'integer': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) throw new OptionError(`${where}: expected a number, got '${raw}'`);
      if (spec.kind === 'integer' && !Number.isInteger(v)) throw new OptionError(`${where}: expected a whole number, got '${raw}'`);
      return v;
    }
  }
}

function parseLrSteps(raw: string): number[] | null {
  if (raw === '') return null;
  const parts = raw.split(',').map((p) => p.trim());
  const steps = parts.map(Number);
  if (steps.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new OptionError(`-lrSteps: expected epoch numbers separated by commas (e.g. 81,122), got '${raw}'`);
  }
  return steps;
}

/** The list of options with their defaults, for `mpelu train --help`. */
export function optionsHelp(): string {
  const lines = ['Usage: mpelu train [options]   (options as fb.resnet.torch: -name value or --name value)', '', 'Options:'];
  for (const s of OPTION_SPECS) {
    const def = s.default === '' ? "''" : String(s.default);
    lines.push(`  -${s.name.padEnd(16)} ${s.help} [${def}]`);
  }
  return lines.join('\n');
}

/** Parses argv (the words after `train`) into opts.lua's `opt`. Throws OptionError on bad input. */
export function parseTrainOptions(argv: readonly string[]): TrainOptions {
  const given = new Map<string, string | number | boolean>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const m = /^--?([A-Za-z][A-Za-z0-9]*)(?:=(.*))?$/.exec(word);
    if (!m) throw new OptionError(`unexpected argument '${word}' (options are -name value; see mpelu train --help)`);
    const spec = SPEC_BY_NAME.get(m[1]!);
    if (!spec) throw new OptionError(`unknown option '${word}' (see mpelu train --help for the options of fb.resnet.torch's opts.lua)`);
    let raw = m[2];
    if (raw === undefined) {
      if (spec.kind === 'boolean' && (i + 1 >= argv.length || !/^(true|false)$/.test(argv[i + 1]!))) raw = 'true';
      else {
        if (i + 1 >= argv.length) throw new OptionError(`-${spec.name}: missing value`);
        raw = argv[++i]!;
      }
    }
    given.set(spec.name, parseValue(spec, raw));
  }
  const get = <T>(name: string): T => (given.has(name) ? given.get(name) : SPEC_BY_NAME.get(name)!.default) as T;

  const dataset = get<string>('dataset');
  if (dataset !== 'cifar10' && dataset !== 'cifar100') {
    throw new OptionError(`-dataset: '${dataset}' is not supported by mpelu train (allowed: cifar10 | cifar100)`);
  }
  const precision = get<TrainOptions['precision']>('precision');
  if (precision !== 'single') {
    throw new OptionError(`-precision: '${precision}' is not supported by mpelu train (allowed: single; tfjs computes in float32)`);
  }
  const netType = get<string>('netType');
  if (!(NET_TYPES as readonly string[]).includes(netType) && !netType.endsWith('.lua')) {
    throw new OptionError(`-netType: '${netType}' is not allowed (allowed: ${NET_TYPES.join(' | ')} | a model file FILE.lua)`);
  }
  const positive = (name: string, min: number) => {
    const v = get<number>(name);
    if (v < min) throw new OptionError(`-${name}: expected at least ${min}, got ${v}`);
    return v;
  };
  const opt: TrainOptions = {
    data: get('data'),
    dataset,
    manualSeed: get('manualSeed'),
    nGPU: positive('nGPU', 1),
    backend: get('backend'),
    cudnn: get('cudnn'),
    gen: get('gen'),
    precision,
    nThreads: positive('nThreads', 0),
    nEpochs: positive('nEpochs', 0),
    epochNumber: positive('epochNumber', 1),
    batchSize: positive('batchSize', 1),
    testOnly: get('testOnly'),
    tenCrop: get('tenCrop'),
    save: get('save'),
    resume: get('resume'),
    LR: get('LR'),
    momentum: get('momentum'),
    weightDecay: get('weightDecay'),
    netType,
    depth: positive('depth', 1),
    // opts.lua: CIFAR defaults shortcutType A and 164 epochs
    shortcutType: (get<string>('shortcutType') || 'A') as TrainOptions['shortcutType'],
    retrain: get('retrain'),
    optimState: get('optimState'),
    shareGradInput: get('shareGradInput'),
    optnet: get('optnet'),
    resetClassifier: get('resetClassifier'),
    nClasses: positive('nClasses', 0),
    lrSteps: parseLrSteps(get('lrSteps')),
    download: get('download'),
    progress: get('progress'),
    tensorType: 'torch.CudaTensor',
    notes: [],
  };
  if (opt.nEpochs === 0) opt.nEpochs = 164;
  if (opt.resetClassifier && opt.nClasses === 0) throw new OptionError('-nClasses required when resetClassifier is set');
  if (opt.shareGradInput && opt.optnet) throw new OptionError('error: cannot use both -shareGradInput and -optnet');
  if (opt.tenCrop && opt.batchSize < 10) throw new OptionError(`-batchSize: -tenCrop needs at least 10 (each image is 10 crops), got ${opt.batchSize}`);
  for (const [name, value] of given) {
    if (value === SPEC_BY_NAME.get(name)!.default) continue;
    const why = SPEC_BY_NAME.get(name)!.noEffect?.(value);
    if (why) opt.notes.push(`-${name} ${String(value)}: accepted, no effect here (${why})`);
  }
  return opt;
}
