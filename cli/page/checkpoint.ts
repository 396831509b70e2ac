// Checkpoints of the `train` command: a model file with its trainer's state
// (saveModel with a trainer) plus two metadata entries of the CLI's own —
// `cli-run`, what the run is (resolved model config, training settings, data),
// and `cli-progress`, where it is (epochs done, the held-out figures so far).
// Resuming refuses a checkpoint whose run differs from the one asked for,
// naming the first field that differs.
import { ModelFileError, saveModel, validateOptimizer, validateSchedule, type Autoencoder, type EarlyStopping, type EpochRecord, type LearningRateSchedule, type ModelFile, type OptimizerConfig, type ResolvedConfig, type Trainer } from '../../src/index';
import { InputError, type ImageSet } from './data';

export interface RunDescription {
  model: ResolvedConfig;
  training: { batchSize: number; optimizer: OptimizerConfig; schedule: unknown; seed: number; shuffle: boolean; earlyStopping: EarlyStopping | null };
  data: { train: { source: string; count: number }; test: { source: string; count: number } };
}

export interface CheckpointProgress {
  epochsDone: number;
  /** The held-out loss before the first epoch. */
  initialEval: number;
  history: EpochRecord[];
}

const RUN = 'cli-run';
const PROGRESS = 'cli-progress';

/** What a run is, resolved as the trainer resolves it (so equal runs compare equal). */
export function describeRun(
  config: ResolvedConfig,
  t: { batchSize: number; optimizer: OptimizerConfig; schedule?: LearningRateSchedule; seed?: number; shuffle?: boolean; earlyStopping?: EarlyStopping },
  train: ImageSet,
  test: ImageSet,
): RunDescription {
  const optimizer = validateOptimizer(t.optimizer);
  const run: RunDescription = {
    model: config,
    training: { batchSize: t.batchSize, optimizer, schedule: validateSchedule(t.schedule, optimizer.learningRate), seed: t.seed ?? config.seed, shuffle: t.shuffle ?? true, earlyStopping: t.earlyStopping ?? null },
    data: { train: { source: train.source, count: train.count }, test: { source: test.source, count: test.count } },
  };
  return JSON.parse(JSON.stringify(run)); // as it reads back from the file
}

/** The checkpoint bytes: model, trainer state, run and progress; with early stopping, the best epoch's weights (parameter set "best"). */
export function checkpointFile(model: Autoencoder, trainer: Trainer, run: RunDescription, progress: CheckpointProgress, best?: Record<string, Float32Array>): Promise<Uint8Array> {
  return saveModel(model, { trainer, metadata: { [RUN]: JSON.stringify(run), [PROGRESS]: JSON.stringify(progress) }, ...(best ? { parameterSets: { best } } : {}) });
}

function metadataJson(file: ModelFile, key: string): unknown {
  const text = file.metadata[key];
  if (text === undefined || file.training === undefined) {
    throw new ModelFileError(`the file has no ${file.training === undefined ? 'trainer state' : `"${key}" metadata`}: it is a model file, not a checkpoint written by train (--checkpoint-every, or on interruption)`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(`metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
}

/** The progress recorded in a checkpoint (throws ModelFileError if the file is not one). */
export function checkpointProgress(file: ModelFile): CheckpointProgress {
  const p = metadataJson(file, PROGRESS) as CheckpointProgress;
  if (!Number.isInteger(p?.epochsDone) || !Array.isArray(p.history) || p.history.length !== p.epochsDone || typeof p.initialEval !== 'number') {
    throw new ModelFileError(`metadata "${PROGRESS}" must hold epochsDone, initialEval and the history of every epoch done`);
  }
  return p;
}

/** Leaf fields of a JSON value by dotted path. */
function leaves(v: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  } else out.set(path, JSON.stringify(v));
  return out;
}

/** Refuse a checkpoint of another run, naming the first field that differs. */
export function checkSameRun(file: ModelFile, run: RunDescription, path: string): void {
  const saved = leaves(metadataJson(file, RUN), '', new Map());
  const asked = leaves(run, '', new Map());
  for (const key of new Set([...saved.keys(), ...asked.keys()])) {
    if (saved.get(key) !== asked.get(key)) {
      throw new InputError(
        `--resume ${path}: the checkpoint's run has ${key} = ${saved.get(key) ?? '(absent)'} but this run asks for ${asked.get(key) ?? '(absent)'}; resume with the config and flags the run was started with, or start a new run without --resume`,
      );
    }
  }
}
