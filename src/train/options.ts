// The trainer's options (and their checks), records and errors: the public types of src/train/trainer.ts.
import { validateOptimizer, type OptimizerConfig } from '../kernels/optimizer';
import { guardName } from '../kernels/finite';
import { MATMUL_KERNEL_OPTIONS, type MatmulKernelOption } from '../kernels/matmul-tuning';
import type { ParameterLayout } from '../model/layout';
import type { GpuDataset } from '../data/dataset';
import type { Evaluation } from '../model/autoencoder';
import type { LossComponents } from '../model/objective';
import type { DeviceLossPolicy } from './recovery';
import type { TrainableModel } from './trainable';
import { validateSchedule, type LearningRateSchedule, type ResolvedSchedule } from './schedule';

export interface TrainerOptions {
  /** Samples per step; the last batch of an epoch may be smaller. */
  batchSize: number;
  optimizer: OptimizerConfig;
  /**
   * How the learning rate changes from step to step (src/train/schedule.ts): an
   * optional linear warm-up, then constant (default), step decay or cosine decay
   * of optimizer.learningRate. Counted in optimizer steps over the trainer's life.
   */
  schedule?: LearningRateSchedule;
  /** Seed of the shuffling and of the noise/dropout draws. Default: the model's seed. */
  seed?: number;
  /** Shuffle the samples every epoch. Default true. */
  shuffle?: boolean;
  /** Steps between loss read-backs and progress events. Default 20. */
  syncEvery?: number;
  /**
   * Training steps recorded into one queue submit (each still reads its own Step
   * values: src/gpu/runner.ts), cutting per-submit overhead; a group also ends at
   * every sync and epoch end, so progress, snapshots and the guard keep their
   * meaning and the results are bit-identical to one submit per step. Default 4.
   */
  stepsPerSubmit?: number;
  /**
   * Steps between in-memory snapshots of the parameters, optimizer state and
   * counters (taken with a sync's read-back, so they cost no extra GPU wait).
   * After a device loss at most this many steps are redone. Default 50.
   */
  snapshotEvery?: number;
  /**
   * What to do when the GPU device is lost during fit() or steps(): 'recover'
   * (default: a new device, the model rebuilt, the last snapshot restored, the
   * lost steps redone) or 'stop' (throw a DeviceLostError). A function is told
   * what happened and returns the choice (nothing means 'recover').
   */
  onDeviceLost?: DeviceLossPolicy;
  /**
   * Which matmul kernel family the trainer's matmuls run on (src/kernels/matmul-tuning.ts):
   * 'blocked', 'tiled' or 'subgroup' for all of them; 'tune' times every family the device can run on each shape before the
   * first step and keeps the fastest (cached per adapter and shape for the session);
   * 'auto' (default) tunes on a GPU and uses 'blocked' on a CPU fallback adapter
   * (SwiftShader), where it is the fastest and timing would cost seconds.
   * trainer.matmulKernels() tells what was chosen.
   */
  matmulKernel?: MatmulKernelOption;
}

export interface StepLoss {
  step: number;
  epoch: number;
  rows: number;
  total: number;
  components: LossComponents;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** Mean total loss per sample over the steps since the last event. */
  loss: number;
  samplesPerSecond: number;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss per sample (all terms) over the epoch. */
  trainLoss: number;
  components: LossComponents;
  /** Mean loss per held-out sample, when evalData is given: the reconstruction loss, a VAE's negative ELBO, or a classifier's cross-entropy. */
  evalLoss?: number;
  /** Every held-out term (reconstruction, and a VAE's KL and negative ELBO). */
  evaluation?: Evaluation;
  seconds: number;
  samplesPerSecond: number;
  /** With early stopping: the epoch (1-based, of this fit) with the lowest held-out loss so far. */
  bestEpoch?: number;
}

/** Stop when the held-out loss has not improved for `patience` epochs. */
export interface EarlyStopping {
  /** Epochs without an improvement of more than minDelta after which fit() stops. */
  patience: number;
  /** An epoch improves when its held-out loss is below the best so far by more than this. Default 0. */
  minDelta?: number;
  /** At the end, put back the parameters of the best epoch (the optimizer state and counters stay those of the last). Default true. */
  restoreBest?: boolean;
}

export interface FitOptions {
  epochs: number;
  /** Held-out data, evaluated after every epoch (EpochRecord.evalLoss); needed by earlyStopping. */
  evalData?: GpuDataset;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Called after each epoch; a returned promise is awaited before the next epoch starts (e.g. to save a checkpoint with saveModel). */
  onEpoch?: (r: EpochRecord) => unknown; // awaited when it returns a promise
  /** Stop early on the held-out loss of evalData (see EarlyStopping). */
  earlyStopping?: EarlyStopping;
  /** Early stopping carried over from earlier fit() calls of the same run (resuming it): the best epoch so far. */
  earlyStoppingFrom?: EarlyStoppingState;
}

/**
 * Where early stopping stood after earlier fit() calls: with it, patience and the
 * best epoch run on across calls as in one uninterrupted fit. Epochs count over the
 * whole run; this call's EpochRecord.epoch/bestEpoch still count from its own start.
 */
export interface EarlyStoppingState {
  /** Epochs the earlier calls ran. */
  epochsBefore: number;
  /** The best epoch so far, 1 … epochsBefore (over the whole run). */
  bestEpoch: number;
  /** Its held-out loss. */
  bestLoss: number;
  /** Its parameters (the flat layout of model.getParameters()' tensors, by name), restored at the end if no later epoch beats it; needed unless restoreBest is false. */
  bestParameters?: Record<string, Float32Array>;
}

/** EarlyStopping with its defaults, checked with messages naming the field. */
export function resolveEarlyStopping(e: EarlyStopping | undefined, hasEvalData: boolean): Required<EarlyStopping> | undefined {
  if (e === undefined) return undefined;
  if (typeof e !== 'object' || e === null) throw new RangeError(`earlyStopping must be an object like { patience: 3 } (got ${String(e)})`);
  if (!hasEvalData) throw new RangeError('earlyStopping needs evalData: it watches the held-out loss');
  if (!Number.isSafeInteger(e.patience) || e.patience < 1) throw new RangeError(`earlyStopping.patience must be a positive integer (got ${e.patience})`);
  const minDelta = e.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0) throw new RangeError(`earlyStopping.minDelta must be a number ≥ 0 (got ${minDelta})`);
  const restoreBest = e.restoreBest ?? true;
  if (typeof restoreBest !== 'boolean') throw new RangeError(`earlyStopping.restoreBest must be true or false (got ${String(restoreBest)})`);
  return { patience: e.patience, minDelta, restoreBest };
}

/** Everything needed to resume training exactly: optimizer state and counters. */
export interface TrainerState {
  optimizer: OptimizerConfig;
  /** The learning-rate schedule (absent: constant). */
  schedule?: ResolvedSchedule;
  /** Optimizer steps taken. */
  step: number;
  /** Epoch and next row of the permutation of the dataset being trained on. */
  epoch: number;
  row: number;
  seed: number;
  shuffle: boolean;
  /** Optimizer state buffers (momentum: [v]; Adam: [m, v]), each layout.totalFloats long. */
  state: Float32Array[];
}

/**
 * Training produced a NaN or an infinity. `step` is the first step where it
 * happened and `tensor` what held it ('loss (reconstruction)', 'gradient of
 * encoder.0.weight', …); the model keeps the weights of step − 1.
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    message: string,
    readonly step: number,
    readonly tensor: string,
  ) {
    super(message);
  }

  /**
   * Training diverged at `step`: the guard reported `code` (0: a loss term, else a
   * gradient; see guardName) holding `kinds` of values, and kept the weights of step `kept`.
   */
  static at(layout: ParameterLayout, step: number, code: number, kinds: string[], losses: StepLoss[], kept: number): TrainingDivergedError {
    let what = guardName(layout, code);
    const loss = losses.find((l) => l.step === step);
    if (code === 0 && loss) {
      const terms = Object.entries(loss.components).filter(([, v]) => !Number.isFinite(v));
      what = `loss (${terms.length ? terms.map(([k, v]) => `${k} = ${v}`).join(', ') : `total = ${loss.total}`})`;
    }
    return new TrainingDivergedError(
      `training diverged at step ${step}: the ${what} became non-finite (${kinds.join(', ')}); the model keeps the weights of step ${kept}. Lower the learning rate or check the data`,
      step,
      what,
    );
  }
}

/** Default stepsPerSubmit (see TrainerOptions), and its largest value (a group never outlasts a sync's loss-log slots anyway). */
export const STEPS_PER_SUBMIT = 4;
export const MAX_STEPS_PER_SUBMIT = 64;

/** Options with defaults applied, each checked with a message naming it. */
export function resolveTrainerOptions(options: TrainerOptions, model: Pick<TrainableModel, 'config' | 'gpu' | 'arch'>): Required<Omit<TrainerOptions, 'onDeviceLost' | 'schedule'>> & { onDeviceLost: DeviceLossPolicy; schedule: ResolvedSchedule } {
  const B = options?.batchSize;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`batchSize must be a positive integer (got ${B})`);
  const optimizer = validateOptimizer(options.optimizer);
  const schedule = validateSchedule(options.schedule, optimizer.learningRate);
  const seed = options.seed ?? model.config.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32) (got ${seed})`);
  const syncEvery = options.syncEvery ?? 20;
  if (!Number.isInteger(syncEvery) || syncEvery < 1) throw new RangeError(`syncEvery must be a positive integer (got ${syncEvery})`);
  const maxBinding = model.gpu.limits.maxStorageBufferBindingSize;
  const widest = B * Math.max(...model.arch.widths) * 4;
  if (widest > maxBinding) {
    throw new RangeError(`batchSize ${B} needs ${widest}-byte batch buffers, above maxStorageBufferBindingSize (${maxBinding}); use a batch of at most ${Math.floor(maxBinding / (widest / B))}`);
  }
  const stepsPerSubmit = options.stepsPerSubmit ?? STEPS_PER_SUBMIT;
  if (!Number.isInteger(stepsPerSubmit) || stepsPerSubmit < 1 || stepsPerSubmit > MAX_STEPS_PER_SUBMIT) {
    throw new RangeError(`stepsPerSubmit must be an integer in [1, ${MAX_STEPS_PER_SUBMIT}] (got ${stepsPerSubmit})`);
  }
  const snapshotEvery = options.snapshotEvery ?? 50;
  if (!Number.isInteger(snapshotEvery) || snapshotEvery < 1) throw new RangeError(`snapshotEvery must be a positive integer (got ${snapshotEvery})`);
  const onDeviceLost = options.onDeviceLost ?? 'recover';
  if (onDeviceLost !== 'recover' && onDeviceLost !== 'stop' && typeof onDeviceLost !== 'function') {
    throw new RangeError(`onDeviceLost must be 'recover', 'stop' or a function (got ${JSON.stringify(onDeviceLost)})`);
  }
  const matmulKernel = options.matmulKernel ?? 'auto';
  if (!(MATMUL_KERNEL_OPTIONS as readonly unknown[]).includes(matmulKernel)) {
    throw new RangeError(`matmulKernel must be one of ${MATMUL_KERNEL_OPTIONS.map((k) => `'${k}'`).join(', ')} (got ${JSON.stringify(matmulKernel)})`);
  }
  return { batchSize: B, optimizer, schedule, seed, shuffle: options.shuffle ?? true, syncEvery, stepsPerSubmit, snapshotEvery, onDeviceLost, matmulKernel };
}
