// The command line's jobs (train, eval, grad), the same code in both runtimes:
// the job page in headless Chromium (job-page.ts, driven by cli/node/run-job.mjs)
// and Node through Dawn (cli/node/node-job.mjs, --runtime node). Each job takes a
// plain JSON description and a JobHost, and resolves to { ok: true, value } or
// { ok: false, error }. The host is what differs between runtimes: how input
// files are read, where progress and checkpoints go, and how a picture becomes a
// PNG. Outputs go back as PNG data URLs and base64 files, the same in both.
import {
  ConfigError,
  createAutoencoder,
  loadModel,
  readModelFile,
  resolveConfig,
  resumeTrainer,
  saveModel,
  validateOptimizer,
  validateSchedule,
  type Autoencoder,
  type EarlyStopping,
  type EpochRecord,
  type LearningRateSchedule,
  type ModelFile,
  type Trainer,
  type AutoencoderConfig,
  type OptimizerConfig,
  type MatmulKernelOption,
  type RgbaImage,
} from '../../src/index';
import { InputError, loadImageSet, type FileRef, type ImageSet, type ImageSetSpec, type ReadFile } from './data';
import { heldOutMeasures, modelPictures, type ProbeSettings } from './measures';
import { lossCurve } from './chart';
import { gradientFile, readGradBatch } from './grad-file';
import { checkpointFile, checkpointProgress, checkSameRun, describeRun, type RunDescription } from './checkpoint';
import { runExperiment, type ExperimentJob } from './experiments/run';
import { checkFineTuneSettings, fineTune, type FineTuneSettings } from './finetune';
import { confusionImage } from './confusion';

export interface TrainJob {
  /** An AutoencoderConfig; inputSize may be left out (then rows×cols of the images). */
  model: Partial<AutoencoderConfig>;
  training: {
    epochs: number;
    batchSize: number;
    optimizer: OptimizerConfig;
    seed?: number;
    shuffle?: boolean;
    /** The trainer's matmul kernel family (TrainerOptions.matmulKernel); not part of the run a checkpoint names. */
    matmulKernel?: MatmulKernelOption;
    /** Training steps per queue submit (TrainerOptions.stepsPerSubmit); like matmulKernel, not part of the run's identity (the results are the same). */
    stepsPerSubmit?: number;
    /** A cosine schedule without totalSteps decays over every step of the run. */
    schedule?: LearningRateSchedule;
    earlyStopping?: EarlyStopping;
  };
  data: { train: ImageSetSpec; test: ImageSetSpec };
  /** The linear probe on the codes (false: none). */
  probe: ProbeSettings | false;
  /** Hand a checkpoint to the host (JobHost.writeCheckpoint) every this many epochs. */
  checkpointEvery?: number;
  /** A checkpoint of this run to continue from. */
  resume?: FileRef;
  /** After training: fine-tune a classifier made from the model on the labelled training set (classifier.safetensors). */
  classifier?: FineTuneSettings;
}

export interface FinetuneJob {
  /** An autoencoder (a classifier is made from it) or a classifier (fine-tuned further). */
  model: FileRef;
  /** Both labelled. */
  data: { train: ImageSetSpec; test: ImageSetSpec };
  classifier: FineTuneSettings;
}

export interface EvalJob {
  model: FileRef;
  /** `train` (labelled) is only for the linear probe. */
  data: { test: ImageSetSpec; train?: ImageSetSpec };
  probe: ProbeSettings | false;
}

export interface GradJob {
  model: FileRef;
  batch: FileRef;
}

export type JobResult = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string; usage: boolean } };

/** What a runtime gives the jobs. */
export interface JobHost {
  /** A progress event for the terminal (cli/node/progress.mjs prints it). */
  report(event: Record<string, unknown>): void;
  /** A job input's bytes; a file that cannot be read is an InputError naming FileRef.path. */
  readFile: ReadFile;
  /** Write a checkpoint (base64 safetensors) atomically; resolves once it is on disk. */
  writeCheckpoint(base64: string, epoch: number): Promise<void>;
  /** The image as a PNG data URL. */
  png(image: RgbaImage): string;
}

/** Errors that mean the user's input was wrong (the CLI exits with 2); anything else is a failure (1). */
const USAGE_ERRORS = new Set(['ConfigError', 'InputError', 'ModelFileError', 'SafetensorsError']);

function job<A>(fn: (arg: A, host: JobHost) => Promise<unknown>): (arg: A, host: JobHost) => Promise<JobResult> {
  return async (arg, host) => {
    try {
      return { ok: true, value: await fn(arg, host) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return { ok: false, error: { name: err.name, message: err.message, usage: USAGE_ERRORS.has(err.name) } };
    }
  };
}

function adapterOf(model: Autoencoder) {
  const info = (model.gpu.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return info
    ? { vendor: info.vendor, architecture: info.architecture, description: info.description, isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null }
    : null;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function checkFeatures(model: { inputSize: number }, set: ImageSet, what: string): void {
  if (set.rows * set.cols !== model.inputSize) {
    throw new InputError(`${what} images ${set.source} are ${set.rows}×${set.cols} = ${set.rows * set.cols} pixels but the model's inputSize is ${model.inputSize}`);
  }
}

/**
 * The schedule to train with: a cosine decay without totalSteps spans the whole
 * run (before the data is loaded, stepsPerEpoch is unknown: any valid length does).
 */
function runSchedule(j: TrainJob, stepsPerEpoch?: number): LearningRateSchedule | undefined {
  const s = j.training.schedule;
  if (s?.type !== 'cosine' || s.totalSteps !== undefined) return s;
  return { ...s, totalSteps: stepsPerEpoch === undefined ? (s.warmupSteps ?? 0) + 1 : j.training.epochs * stepsPerEpoch };
}

/** Library checks of the training settings, as usage errors naming the config field. */
function checkTraining(j: TrainJob, stepsPerEpoch?: number): void {
  try {
    validateOptimizer(j.training.optimizer);
  } catch (e) {
    throw new ConfigError(`training.${(e as Error).message}`);
  }
  try {
    validateSchedule(runSchedule(j, stepsPerEpoch), j.training.optimizer.learningRate);
  } catch (e) {
    throw new ConfigError(`training.${(e as Error).message}`);
  }
}

/** The checkpoint to resume from, read and checked before anything else is loaded. */
async function readCheckpoint(ref: FileRef, read: ReadFile): Promise<{ file: ModelFile; bytes: Uint8Array }> {
  const bytes = await read(ref);
  try {
    const file = readModelFile(bytes);
    checkpointProgress(file); // a checkpoint of `train`, not any model file
    return { file, bytes };
  } catch (e) {
    const err = e as Error;
    err.message = `--resume ${ref.path}: ${err.message}. It is not a usable checkpoint (cut short or overwritten?): resume from an intact checkpoint, or start the run again without --resume`;
    throw err;
  }
}

let stopRequested: AbortController | undefined;

/** Ask the running train job to stop: it abandons the current epoch and resolves with the last epoch's checkpoint. */
export function stopTrainJob(): void {
  stopRequested?.abort(new DOMException('training was interrupted', 'AbortError'));
}

/** Encode a job's pictures as PNG data URLs. */
function pngs(images: Record<string, RgbaImage>, host: JobHost): Record<string, string> {
  return Object.fromEntries(Object.entries(images).map(([name, image]) => [name, host.png(image)]));
}

export const runTrainJob = job(async (j: TrainJob, host: JobHost) => {
  const say = (event: Record<string, unknown>) => host.report(event);
  const stop = (stopRequested = new AbortController());
  // Check the config and the training settings before loading anything (the library's own messages).
  const draft = { ...j.model, inputSize: j.model.inputSize ?? 1 } as AutoencoderConfig;
  resolveConfig(draft);
  checkTraining(j);
  if (j.classifier) checkFineTuneSettings(j.classifier);
  const checkpointed = j.resume ? await readCheckpoint(j.resume, host.readFile) : undefined;
  const resumed = checkpointed?.file;
  say({ kind: 'status', message: `loading ${j.data.train.images.path}` });
  const [train, test] = await Promise.all([loadImageSet(j.data.train, 'training', host.readFile), loadImageSet(j.data.test, 'test', host.readFile)]);
  const config = resolveConfig({ ...j.model, inputSize: j.model.inputSize ?? train.rows * train.cols } as AutoencoderConfig);
  checkFeatures(config, train, 'training');
  checkFeatures(config, test, 'test');
  if (j.classifier) needLabels(train, test);
  if (j.training.batchSize > train.count) {
    throw new InputError(`training.batchSize ${j.training.batchSize} is larger than the training set (${train.count} samples); use at most ${train.count}`);
  }
  const stepsPerEpoch = Math.ceil(train.count / j.training.batchSize);
  checkTraining(j, stepsPerEpoch);
  const schedule = runSchedule(j, stepsPerEpoch);
  const run: RunDescription = describeRun(config, { ...j.training, schedule }, train, test);
  const progress = resumed ? checkpointProgress(resumed) : undefined;
  if (resumed && progress) {
    checkSameRun(resumed, run, j.resume!.path);
    if (progress.epochsDone > j.training.epochs) {
      throw new InputError(`--resume ${j.resume!.path}: the checkpoint has ${progress.epochsDone} epochs done, more than the ${j.training.epochs} asked for; ask for at least ${progress.epochsDone} with --epochs`);
    }
  }

  const model = checkpointed ? await loadModel(checkpointed.bytes) : await createAutoencoder(config);
  try {
    const adapter = adapterOf(model);
    say({ kind: 'adapter', adapter });
    const trainData = model.uploadDataset({ data: train.images, features: config.inputSize, labels: train.labels, label: 'train' });
    const testData = model.uploadDataset({ data: test.images, features: config.inputSize, labels: test.labels, label: 'test' });
    const trainer: Trainer = resumed
      ? await resumeTrainer(model, resumed.training!, { matmulKernel: j.training.matmulKernel, stepsPerSubmit: j.training.stepsPerSubmit })
      : model.createTrainer({ batchSize: j.training.batchSize, optimizer: j.training.optimizer, schedule, seed: j.training.seed, shuffle: j.training.shuffle, matmulKernel: j.training.matmulKernel, stepsPerSubmit: j.training.stepsPerSubmit });
    // The held-out loss as fit() reports it after each epoch: reconstruction, or a VAE's negative ELBO.
    let initialEval: number;
    if (progress) initialEval = progress.initialEval;
    else {
      const before = await model.evaluate(testData);
      initialEval = before.negativeElbo ?? before.reconstruction;
    }
    const history: EpochRecord[] = progress ? [...progress.history] : [];
    const done = history.length;
    say({ kind: 'status', message: progress ? `resuming after epoch ${done} (step ${trainer.stepsTaken}) from ${j.resume!.path}` : `held-out loss before training: ${initialEval.toFixed(3)}` });
    // Early stopping's best epoch so far and, to restore at the end, its weights: they go into each
    // checkpoint (a parameter set), so a resumed run stops and restores as the uninterrupted one would.
    const keepBest = j.training.earlyStopping !== undefined && (j.training.earlyStopping.restoreBest ?? true);
    let bestParameters = keepBest ? resumed?.parameterSets.best : undefined;
    if (keepBest && resumed && done > 0 && !bestParameters) throw new InputError(`--resume ${j.resume!.path}: the checkpoint holds no best-epoch weights for early stopping`);
    const bestSoFar = history.at(-1)?.bestEpoch;
    const earlyStoppingFrom =
      j.training.earlyStopping && bestSoFar !== undefined && bestSoFar > 0
        ? { epochsBefore: done, bestEpoch: bestSoFar, bestLoss: history[bestSoFar - 1].evalLoss!, bestParameters }
        : undefined;
    // The state at the last epoch's end, in memory: what an interruption writes.
    const checkpoint = () => checkpointFile(model, trainer, run, { epochsDone: history.length, initialEval, history }, bestParameters);
    let latest = await checkpoint();
    const t0 = performance.now();
    const remaining = j.training.epochs - done;
    try {
      if (remaining > 0) {
        await trainer.fit(trainData, {
          epochs: remaining,
          evalData: testData,
          signal: stop.signal,
          earlyStopping: j.training.earlyStopping,
          earlyStoppingFrom,
          onProgress: (p) => say({ kind: 'progress', ...p, epoch: p.epoch + done, epochs: j.training.epochs }),
          onEpoch: async (r) => {
            const record = { ...r, epoch: r.epoch + done, ...(r.bestEpoch === undefined ? {} : { bestEpoch: r.bestEpoch + done }) };
            history.push(record);
            say({ kind: 'epoch', ...record });
            if (keepBest && record.bestEpoch === record.epoch) bestParameters = await model.getParameters(); // the epoch-end snapshot: no read-back
            latest = await checkpoint();
            if (j.checkpointEvery && record.epoch % j.checkpointEvery === 0) await host.writeCheckpoint(base64(latest), record.epoch);
          },
        });
      }
    } catch (e) {
      if (!stop.signal.aborted) throw e;
    }
    if (stop.signal.aborted) return { interrupted: { epochsDone: history.length, epochs: j.training.epochs, step: trainer.stepsTaken }, checkpoint: base64(latest) };
    const trainSeconds = (performance.now() - t0) / 1000; // with the held-out evaluation after each epoch
    say({ kind: 'status', message: `measuring the trained model on the held-out set${j.probe && train.labels && test.labels ? ` (linear probe: ${j.probe.epochs} epochs on ${Math.min(train.count, j.probe.trainLimit)} codes)` : ''}` });
    const heldOut = await heldOutMeasures(model, testData, train, j.probe);
    const widths = model.arch.widths;
    const shape = [...widths, ...widths.slice(0, -1).reverse()].join('–');
    const images = pngs({
      'loss.png': lossCurve(
        [
          { name: 'training (all terms)', color: '#1f77b4', values: history.map((h) => h.trainLoss) },
          { name: config.variational ? 'held-out negative ELBO' : 'held-out reconstruction', color: '#d62728', values: history.map((h) => h.evalLoss ?? NaN) },
        ],
        `loss per sample (${config.loss}${config.variational ? ' + KL' : ''}) — ${shape}`,
      ),
      ...(await modelPictures(model, testData, test)),
    }, host);
    const modelFile = await saveModel(model, { trainer });
    let classifierFile: Uint8Array | undefined;
    if (j.classifier) {
      const tuned = await fineTune(model, train, test, testData, j.classifier, say);
      try {
        heldOut.classifier = tuned.measures;
        Object.assign(images, pngs(tuned.images, host));
        classifierFile = await saveModel(tuned.classifier);
      } finally {
        tuned.classifier.dispose();
      }
    }
    // Throughput of the training steps alone (EpochRecord.seconds excludes the held-out evaluation), over this process's epochs.
    const mine = history.slice(done);
    const stepSeconds = mine.reduce((a, h) => a + h.seconds, 0);
    const best = history.at(-1)?.bestEpoch;
    return {
      adapter,
      config,
      data: {
        train: { source: train.source, count: train.count, rows: train.rows, cols: train.cols, labelled: train.labels !== undefined },
        test: { source: test.source, count: test.count, rows: test.rows, cols: test.cols, labelled: test.labels !== undefined },
      },
      initialEval,
      history,
      heldOut,
      schedule: trainer.schedule,
      earlyStopping: best === undefined ? undefined : { bestEpoch: best, epochsRun: history.length, stoppedEarly: history.length < j.training.epochs, restoredBest: j.training.earlyStopping?.restoreBest ?? true },
      resumedAfterEpoch: progress ? done : undefined,
      kernels: { matmul: trainer.matmulKernels(), stepDispatches: trainer.stepDispatches(trainData) },
      throughput: { trainSamplesPerSecond: mine.length > 0 ? (mine.length * train.count) / stepSeconds : 0, stepSeconds, trainSeconds, steps: trainer.stepsTaken },
      images,
      model: base64(modelFile),
      ...(classifierFile ? { classifier: base64(classifierFile) } : {}),
    };
  } finally {
    model.dispose();
    stopRequested = undefined;
  }
});

/** A model file read and checked before anything loads on the GPU; a bad file's message names it. */
function readModelNamed(bytes: Uint8Array, ref: FileRef): ModelFile {
  try {
    return readModelFile(bytes);
  } catch (e) {
    (e as Error).message = `${ref.path}: ${(e as Error).message}`;
    throw e;
  }
}

export const runEvalJob = job(async (j: EvalJob, host: JobHost) => {
  const bytes = await host.readFile(j.model);
  const { config } = readModelNamed(bytes, j.model);
  const [test, train] = await Promise.all([loadImageSet(j.data.test, 'test', host.readFile), j.data.train ? loadImageSet(j.data.train, 'training', host.readFile) : undefined]);
  checkFeatures(config, test, 'test');
  if (train) checkFeatures(config, train, 'training');
  const model = await loadModel(bytes);
  try {
    const adapter = adapterOf(model);
    host.report({ kind: 'adapter', adapter });
    const testData = model.uploadDataset({ data: test.images, features: config.inputSize, labels: test.labels, label: 'test' });
    host.report({ kind: 'status', message: `measuring on ${test.count} held-out samples` });
    const heldOut = await heldOutMeasures(model, testData, train, j.probe);
    const pictures = await modelPictures(model, testData, test);
    if (heldOut.classifier) pictures['confusion.png'] = confusionImage(heldOut.classifier.confusion);
    const images = pngs(pictures, host);
    return { adapter, config: model.config, data: { test: describeSet(test), ...(train ? { train: describeSet(train) } : {}) }, heldOut, images };
  } finally {
    model.dispose();
  }
});

function describeSet(set: ImageSet) {
  return { source: set.source, count: set.count, rows: set.rows, cols: set.cols, labelled: set.labels !== undefined };
}

/** Fine-tuning needs labelled training and held-out sets: checked before anything trains. */
function needLabels(train: ImageSet, test: ImageSet): void {
  for (const [set, what, flag] of [[train, 'training', '--train-labels (or data.train.labels)'], [test, 'test', '--test-labels (or data.test.labels)']] as const) {
    if (!set.labels) throw new InputError(`fine-tuning a classifier needs labels for the ${what} images ${set.source}; give ${flag}`);
  }
}

export const runFinetuneJob = job(async (j: FinetuneJob, host: JobHost) => {
  const say = (event: Record<string, unknown>) => host.report(event);
  checkFineTuneSettings(j.classifier);
  const bytes = await host.readFile(j.model);
  const { config } = readModelNamed(bytes, j.model);
  const [train, test] = await Promise.all([loadImageSet(j.data.train, 'training', host.readFile), loadImageSet(j.data.test, 'test', host.readFile)]);
  checkFeatures(config, train, 'training');
  checkFeatures(config, test, 'test');
  needLabels(train, test);
  const model = await loadModel(bytes);
  let classifier: Autoencoder | undefined;
  try {
    const adapter = adapterOf(model);
    say({ kind: 'adapter', adapter });
    const testData = model.uploadDataset({ data: test.images, features: config.inputSize, labels: test.labels, label: 'test' });
    const tuned = await fineTune(model, train, test, testData, j.classifier, say);
    classifier = tuned.classifier;
    say({ kind: 'status', message: `measuring the classifier on ${test.count} held-out samples` });
    const tunedTest = classifier === model ? testData : classifier.uploadDataset({ data: test.images, features: config.inputSize, labels: test.labels, label: 'test' });
    const heldOut = await heldOutMeasures(classifier, tunedTest, undefined, false);
    heldOut.classifier = tuned.measures;
    const images = pngs({ ...(await modelPictures(classifier, tunedTest, test)), ...tuned.images }, host);
    const file = await saveModel(classifier);
    return { adapter, config: classifier.config, data: { train: describeSet(train), test: describeSet(test) }, heldOut, images, classifier: base64(file) };
  } finally {
    if (classifier && classifier !== model) classifier.dispose();
    model.dispose();
  }
});

export const runGradJob = job(async (j: GradJob, host: JobHost) => {
  const [modelBytes, batchBytes] = await Promise.all([host.readFile(j.model), host.readFile(j.batch)]);
  readModelNamed(modelBytes, j.model);
  const model = await loadModel(modelBytes);
  try {
    const adapter = adapterOf(model);
    host.report({ kind: 'adapter', adapter });
    const batch = readGradBatch(batchBytes, j.batch.path, model);
    const { bytes, loss } = await gradientFile(model, batch);
    return { adapter, config: model.config, rows: batch.rows, step: batch.step, seed: batch.seed, loss, file: base64(bytes) };
  } finally {
    model.dispose();
  }
});

/** One experiment of cli/page/experiments/ (the `experiment` command). */
export const runExperimentJob = job((j: ExperimentJob, host: JobHost) => runExperiment(j, host));
