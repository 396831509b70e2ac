// The page the command-line jobs run in (headless Chromium, driven by
// cli/node/run-job.mjs). Each job is a window function that takes a plain
// JSON description and resolves to { ok: true, value } or { ok: false, error };
// progress goes to Node through window.reportProgress. Files come from the CLI's
// file server (FileRef.url); outputs go back as data URLs / base64.
import {
  ConfigError,
  createAutoencoder,
  loadModel,
  readModelFile,
  resolveConfig,
  saveModel,
  validateOptimizer,
  type Autoencoder,
  type AutoencoderConfig,
  type OptimizerConfig,
} from '../../src/index';
import { fetchFile, InputError, loadImageSet, type FileRef, type ImageSet, type ImageSetSpec } from './data';
import { heldOutMeasures, modelPictures, type ProbeSettings } from './measures';
import { lossCurve } from './pictures';
import { gradientFile, readGradBatch } from './grad-file';

export interface TrainJob {
  /** An AutoencoderConfig; inputSize may be left out (then rows×cols of the images). */
  model: Partial<AutoencoderConfig>;
  training: { epochs: number; batchSize: number; optimizer: OptimizerConfig; seed?: number; shuffle?: boolean };
  data: { train: ImageSetSpec; test: ImageSetSpec };
  /** The linear probe on the codes (false: none). */
  probe: ProbeSettings | false;
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

type JobResult = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string; usage: boolean } };

declare global {
  interface Window {
    runTrainJob: (job: TrainJob) => Promise<JobResult>;
    runEvalJob: (job: EvalJob) => Promise<JobResult>;
    runGradJob: (job: GradJob) => Promise<JobResult>;
    reportProgress?: (event: Record<string, unknown>) => void;
  }
}

/** Errors that mean the user's input was wrong (the CLI exits with 2); anything else is a failure (1). */
const USAGE_ERRORS = new Set(['ConfigError', 'InputError', 'ModelFileError', 'SafetensorsError']);

function job<A>(fn: (arg: A) => Promise<unknown>): (arg: A) => Promise<JobResult> {
  return async (arg) => {
    try {
      return { ok: true, value: await fn(arg) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return { ok: false, error: { name: err.name, message: err.message, usage: USAGE_ERRORS.has(err.name) } };
    }
  };
}

const say = (event: Record<string, unknown>) => window.reportProgress?.(event);

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

window.runTrainJob = job(async (j: TrainJob) => {
  // Check the config and the optimizer before loading anything (the library's own messages).
  const draft = { ...j.model, inputSize: j.model.inputSize ?? 1 } as AutoencoderConfig;
  resolveConfig(draft);
  try {
    validateOptimizer(j.training.optimizer);
  } catch (e) {
    throw new ConfigError(`training.${(e as Error).message}`);
  }
  say({ kind: 'status', message: `loading ${j.data.train.images.path}` });
  const [train, test] = await Promise.all([loadImageSet(j.data.train, 'training'), loadImageSet(j.data.test, 'test')]);
  const config = resolveConfig({ ...j.model, inputSize: j.model.inputSize ?? train.rows * train.cols } as AutoencoderConfig);
  checkFeatures(config, train, 'training');
  checkFeatures(config, test, 'test');
  if (j.training.batchSize > train.count) {
    throw new InputError(`training.batchSize ${j.training.batchSize} is larger than the training set (${train.count} samples); use at most ${train.count}`);
  }

  const model = await createAutoencoder(config);
  try {
    const adapter = adapterOf(model);
    say({ kind: 'adapter', adapter });
    const trainData = model.uploadDataset({ data: train.images, features: config.inputSize, labels: train.labels, label: 'train' });
    const testData = model.uploadDataset({ data: test.images, features: config.inputSize, labels: test.labels, label: 'test' });
    const trainer = model.createTrainer({ batchSize: j.training.batchSize, optimizer: j.training.optimizer, seed: j.training.seed, shuffle: j.training.shuffle });
    // The held-out loss as fit() reports it after each epoch: reconstruction, or a VAE's negative ELBO.
    const before = await model.evaluate(testData);
    const initialEval = before.negativeElbo ?? before.reconstruction;
    say({ kind: 'status', message: `held-out loss before training: ${initialEval.toFixed(3)}` });
    const t0 = performance.now();
    const history = await trainer.fit(trainData, {
      epochs: j.training.epochs,
      evalData: testData,
      onProgress: (p) => say({ kind: 'progress', ...p }),
      onEpoch: (r) => say({ kind: 'epoch', ...r }),
    });
    const trainSeconds = (performance.now() - t0) / 1000; // with the held-out evaluation after each epoch
    say({ kind: 'status', message: `measuring the trained model on the held-out set${j.probe && train.labels && test.labels ? ` (linear probe: ${j.probe.epochs} epochs on ${Math.min(train.count, j.probe.trainLimit)} codes)` : ''}` });
    const heldOut = await heldOutMeasures(model, testData, train, j.probe);
    const widths = model.arch.widths;
    const shape = [...widths, ...widths.slice(0, -1).reverse()].join('–');
    const images = {
      'loss.png': lossCurve(
        [
          { name: 'training (all terms)', color: '#1f77b4', values: history.map((h) => h.trainLoss) },
          { name: config.variational ? 'held-out negative ELBO' : 'held-out reconstruction', color: '#d62728', values: history.map((h) => h.evalLoss ?? NaN) },
        ],
        `loss per sample (${config.loss}${config.variational ? ' + KL' : ''}) — ${shape}`,
      ),
      ...(await modelPictures(model, testData, test)),
    };
    const modelFile = await saveModel(model, { trainer });
    // Throughput of the training steps alone (EpochRecord.seconds excludes the held-out evaluation).
    const stepSeconds = history.reduce((a, h) => a + h.seconds, 0);
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
      throughput: { trainSamplesPerSecond: (history.length * train.count) / stepSeconds, stepSeconds, trainSeconds, steps: trainer.stepsTaken },
      images,
      model: base64(modelFile),
    };
  } finally {
    model.dispose();
  }
});

window.runEvalJob = job(async (j: EvalJob) => {
  const bytes = await fetchFile(j.model);
  let config;
  try {
    config = readModelFile(bytes).config;
  } catch (e) {
    (e as Error).message = `${j.model.path}: ${(e as Error).message}`;
    throw e;
  }
  const [test, train] = await Promise.all([loadImageSet(j.data.test, 'test'), j.data.train ? loadImageSet(j.data.train, 'training') : undefined]);
  checkFeatures(config, test, 'test');
  if (train) checkFeatures(config, train, 'training');
  const model = await loadModel(bytes);
  try {
    const adapter = adapterOf(model);
    say({ kind: 'adapter', adapter });
    const testData = model.uploadDataset({ data: test.images, features: config.inputSize, labels: test.labels, label: 'test' });
    say({ kind: 'status', message: `measuring on ${test.count} held-out samples` });
    const heldOut = await heldOutMeasures(model, testData, train, j.probe);
    const images = await modelPictures(model, testData, test);
    const describe = (set: ImageSet) => ({ source: set.source, count: set.count, rows: set.rows, cols: set.cols, labelled: set.labels !== undefined });
    return { adapter, config: model.config, data: { test: describe(test), ...(train ? { train: describe(train) } : {}) }, heldOut, images };
  } finally {
    model.dispose();
  }
});

window.runGradJob = job(async (j: GradJob) => {
  const [modelBytes, batchBytes] = await Promise.all([fetchFile(j.model), fetchFile(j.batch)]);
  try {
    readModelFile(modelBytes);
  } catch (e) {
    (e as Error).message = `${j.model.path}: ${(e as Error).message}`;
    throw e;
  }
  const model = await loadModel(modelBytes);
  try {
    const adapter = adapterOf(model);
    say({ kind: 'adapter', adapter });
    const batch = readGradBatch(batchBytes, j.batch.path, model);
    const { bytes, loss } = await gradientFile(model, batch);
    return { adapter, config: model.config, rows: batch.rows, step: batch.step, seed: batch.seed, loss, file: base64(bytes) };
  } finally {
    model.dispose();
  }
});
