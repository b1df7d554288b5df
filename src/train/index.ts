// fb.resnet.torch's training pieces: options (opts.lua), the trainer (the MPELU paper's
// train.lua), the learning-rate schedule, scores, checkpoints (checkpoints.lua) and main.lua.
export { parseTrainOptions, optionsHelp, OptionError, OPTION_SPECS, type TrainOptions } from './options.js';
export { Trainer, Interrupted, luaNumber, createCriterion, type TrainerOptions, type TrainReporter, type BatchFigures, type EpochFigures } from './trainer.js';
export { learningRateAt, learningRateDrops } from './schedule.js';
export { computeScore } from './score.js';
export { saveCheckpoint, readLatest, readResumeState, loadModel, CheckpointError, type ResumeState, type Latest } from './checkpoints.js';
export { LinesReporter, BarReporter, createReporter, batchLine } from './reporter.js';
export { runTraining, createModel, type RunResult, type EpochLogEntry } from './run.js';
