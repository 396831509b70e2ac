// Linear probe: how linearly decodable the classes are from a representation.
// A softmax-regression classifier is trained on the GPU on frozen features
// (autoencoder codes, raw pixels or PCA codes) and its accuracy on held-out
// samples is reported, so every representation can be compared in one table.
// On an autoencoder's codes (probeAutoencoder) it is the classifier path with
// the encoder frozen and the codes standardised (createClassifier); on features
// given as arrays (raw pixels, PCA codes) it is linearProbe below:
//
//   x̃ = (x − μ) ⊙ s                 standardised (μ, s = 1/σ from the training set; s = 0 for constant features)
//   z = x̃ Wᵀ + b                     W [C, F], b [C]       (matmul 'nt' with bias)
//   L = mean_r −log softmax(z_r)_{y_r}                      (shaders/softmax.wgsl, also ∂L/∂z and argmax)
//   ∂L/∂W = (∂L/∂z)ᵀ x̃,  ∂L/∂b = Σ_r ∂L/∂z_r                (matmul 'tn', column sum)
//   Adam on [W | b] (shaders/optimizer.wgsl); W and b start at zero (the problem is convex)
//
// Batches are gathered on the GPU from the uploaded features through a shuffled
// permutation, standardised in the gather kernel. One submit per step; losses and
// correct counts accumulate in a small GPU log read once per epoch.
import { BufferArena, readFloats, UNIFORM } from '../gpu/arena';
import type { Gpu } from '../gpu/device';
import type { KernelContext } from '../gpu/context';
import { PipelineCache, type Dispatch } from '../gpu/kernel';
import { BatchRunner } from '../gpu/runner';
import { STEP_BYTES } from '../gpu/step';
import { uploadDataset, type GpuDataset } from '../data/dataset';
import type { LabelledImages } from '../data/mnist';
import { shuffledIndices } from '../data/shuffle';
import { gatherDispatch } from '../kernels/gather';
import { matmulDispatch } from '../kernels/matmul';
import { adamCorrector, optimizerDispatch, type OptimizerConfig } from '../kernels/optimizer';
import { columnSumDispatch, lossLogDispatch } from '../kernels/reduce';
import { softmaxCrossEntropyDispatch, softmaxCrossEntropyForwardDispatch } from '../kernels/softmax';
import { pca, pcaProject, type Pca } from './pca';
import { columnMoments } from './statistics';
import type { AutoencoderModel } from '../model/autoencoder';
import { NO_REGULARISERS } from '../model/config';
import { createClassifier } from '../autoencoder';

/** Features of n samples, row-major [n, features]: bytes are read as byte/255 (pixels). */
export type ProbeFeatures = Float32Array | Uint8Array;

export interface ProbeData {
  trainFeatures: ProbeFeatures;
  /** Class of each training sample, integers in 0..classes−1. */
  trainLabels: ArrayLike<number>;
  testFeatures: ProbeFeatures;
  testLabels: ArrayLike<number>;
  /** Features per sample. */
  features: number;
}

export interface ProbeOptions {
  /** Number of classes. Default 10. */
  classes?: number;
  /** Passes over the training set. Default 20. */
  epochs?: number;
  /** Samples per step (the last batch of an epoch may be smaller). Default 128. */
  batchSize?: number;
  /** Adam's learning rate. Default 0.01. */
  learningRate?: number;
  /** Standardise each feature with the training set's mean and standard deviation. Default true. */
  standardise?: boolean;
  /** Seed of the epoch shuffles. Default 1. */
  seed?: number;
  /** Prefix of every GPU object's label. Default 'linear probe'. */
  label?: string;
}

export interface ProbeResult {
  /** Fraction of training samples classified correctly by the final classifier. */
  trainAccuracy: number;
  /** Fraction of test samples classified correctly. */
  testAccuracy: number;
  /** Final mean cross-entropy on the training and the test set. */
  trainLoss: number;
  testLoss: number;
  /** Mean training cross-entropy of each epoch (averaged over its steps, as training went). */
  lossHistory: number[];
  features: number;
  classes: number;
  trainCount: number;
  testCount: number;
  epochs: number;
  seconds: number;
}

const LOG_LOSS = 0; // loss-log components used here
const LOG_CORRECT = 1;

/**
 * Train a softmax-regression probe on the GPU and report its accuracy.
 * `target` is a `Gpu` (e.g. `model.gpu`) or a bare `GPUDevice`; every buffer the
 * probe creates is labelled and destroyed before it returns (also on error).
 */
export async function linearProbe(target: Gpu | GPUDevice, data: ProbeData, options: ProbeOptions = {}): Promise<ProbeResult> {
  const o = resolveOptions(options);
  const F = data?.features;
  if (!Number.isInteger(F) || F < 1) throw new RangeError(`linearProbe: features must be a positive integer, got ${String(F)}`);
  const trainCount = checkSet('train', data.trainFeatures, data.trainLabels, F, o.classes);
  const testCount = checkSet('test', data.testFeatures, data.testLabels, F, o.classes);
  if (o.batchSize > trainCount) throw new RangeError(`linearProbe: batchSize ${o.batchSize} is larger than the training set (${trainCount} samples)`);

  const gpu = 'queue' in target ? { device: target, debug: false } : target;
  const device = gpu.device;
  const C = o.classes;
  const B = o.batchSize;
  const t0 = performance.now();
  const arena = new BufferArena(device, o.label);
  try {
    const ctx: KernelContext = { device, cache: new PipelineCache(device, gpu.debug), arena };
    const stats = o.standardise ? standardisation(data.trainFeatures, trainCount, F) : undefined;
    const center = stats && arena.storage('mean μ', Float32Array.from(stats.mean));
    const scale = stats && arena.storage('scale 1/σ', Float32Array.from(stats.scale));
    const sets = {
      train: uploadSet(ctx, 'train', data.trainFeatures, data.trainLabels, F, trainCount),
      test: uploadSet(ctx, 'test', data.testFeatures, data.testLabels, F, testCount),
    };

    // Parameters [W (C·F) | gap | b (C) | gap]: each tensor at a multiple of 64 floats (256 bytes).
    const bOffset = roundUp(C * F, 64);
    const total = roundUp(bOffset + C, 64);
    const params = arena.storage('params [W | b]', total * 4);
    const grads = arena.storage('grads', total * 4);
    const adamState = [arena.storage('adam m', total * 4), arena.storage('adam v', total * 4)];
    const W = { buffer: params, offset: 0, size: C * F * 4 };
    const bias = { buffer: params, offset: bOffset * 4, size: C * 4 };
    const dW = { buffer: grads, offset: 0, size: C * F * 4 };
    const db = { buffer: grads, offset: bOffset * 4, size: C * 4 };

    const x = arena.storage('batch x̃', B * F * 4);
    const y = arena.storage('batch labels', B * 4);
    const logits = arena.storage('logits', B * C * 4);
    const dz = arena.storage('dL/dlogits', B * C * 4);
    const rowLoss = arena.storage('row loss', B * 4);
    const correct = arena.storage('row correct', B * 4);
    const log = arena.storage('loss log', 8 * 4);
    const step = arena.create('step', STEP_BYTES, UNIFORM);
    const permutation = arena.storage('train permutation', trainCount * 4);
    const inOrder = (n: number, name: string) => arena.storage(name, Uint32Array.from({ length: n }, (_, i) => i));
    const order = { train: inOrder(trainCount, 'train order'), test: inOrder(testCount, 'test order') };

    const gathers = (set: { x: GpuDataset; y: GpuDataset }, indices: GPUBuffer, name: string): Dispatch[] => [
      gatherDispatch(ctx, { dataset: set.x, indices, step, batchSize: B, clean: x, center, scale, label: `${o.label}/gather ${name}` }),
      gatherDispatch(ctx, { dataset: set.y, indices, step, batchSize: B, clean: y, label: `${o.label}/gather ${name} labels` }),
    ];
    const forward = matmulDispatch(ctx, { form: 'nt', M: B, N: C, K: F, a: x, b: W, c: logits, bias, label: `${o.label}/logits` });
    const logSums = [
      lossLogDispatch(ctx, { values: rowLoss, count: B, log, step, component: LOG_LOSS, label: `${o.label}/log loss` }),
      lossLogDispatch(ctx, { values: correct, count: B, log, step, component: LOG_CORRECT, label: `${o.label}/log correct` }),
    ];
    const optimizer: OptimizerConfig = { type: 'adam', learningRate: o.learningRate };
    const trainStep = [
      ...gathers(sets.train, permutation, 'train (shuffled)'),
      forward,
      softmaxCrossEntropyDispatch(ctx, { logits, labels: y, rowLoss, correct, grad: dz, step, rows: B, classes: C, label: `${o.label}/softmax xent` }),
      matmulDispatch(ctx, { form: 'tn', M: C, N: F, K: B, a: dz, b: x, c: dW, label: `${o.label}/dW` }),
      columnSumDispatch(ctx, { input: dz, output: db, rows: B, cols: C, label: `${o.label}/db` }),
      ...logSums,
      optimizerDispatch(ctx, { config: optimizer, params, grads, state: adamState, count: total, step, label: `${o.label}/adam` }),
    ];
    const evalForward = softmaxCrossEntropyForwardDispatch(ctx, { logits, labels: y, rowLoss, correct, step, rows: B, classes: C, label: `${o.label}/softmax xent (eval)` });
    const evalSteps = {
      train: [...gathers(sets.train, order.train, 'train (in order)'), forward, evalForward, ...logSums],
      test: [...gathers(sets.test, order.test, 'test'), forward, evalForward, ...logSums],
    };

    const corrections = adamCorrector(optimizer);
    const runner = new BatchRunner(device, ctx.cache, step, { buffer: log, slots: 1 });
    let stepCount = 0;
    // Each pass (an epoch, an evaluation) sums into the log's one slot: cleared by its first batch.
    const submit = (dispatches: Dispatch[], values: { batchOffset: number; validRows: number; training: boolean }, clearLog: boolean, what: string) => {
      const t = stepCount + (values.training ? 1 : 0);
      const { c1, c2 } = values.training ? corrections(t) : { c1: 1, c2: 1 };
      runner.submitBatch(
        { step: Math.max(t, 1), seed: o.seed, lr: o.learningRate, adamC1: c1, adamC2: c2, lossSlot: 0, ...values },
        { label: `${o.label}/${what}`, dispatches, clearSlot: clearLog },
      );
      if (values.training) stepCount = t;
    };
    const readLog = async (count: number, what: string) => {
      const sums = await readFloats(device, log, 2);
      await ctx.cache.checkErrors();
      const loss = sums[LOG_LOSS] / count;
      if (!Number.isFinite(loss)) throw new Error(`linearProbe: the ${what} loss became ${loss}; lower the learningRate`);
      return { loss, accuracy: sums[LOG_CORRECT] / count };
    };
    const evaluate = async (which: 'train' | 'test', count: number) => {
      for (let start = 0; start < count; start += B) {
        submit(evalSteps[which], { batchOffset: start, validRows: Math.min(B, count - start), training: false }, start === 0, `evaluate ${which}`);
      }
      return readLog(count, `${which}-set`);
    };

    const lossHistory: number[] = [];
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      device.queue.writeBuffer(permutation, 0, shuffledIndices(trainCount, o.seed, epoch) as Uint32Array<ArrayBuffer>);
      for (let start = 0; start < trainCount; start += B) {
        submit(trainStep, { batchOffset: start, validRows: Math.min(B, trainCount - start), training: true }, start === 0, `train epoch ${epoch + 1}`);
      }
      lossHistory.push((await readLog(trainCount, `epoch ${epoch + 1} training`)).loss);
    }
    const trainEval = await evaluate('train', trainCount);
    const testEval = await evaluate('test', testCount);
    return {
      trainAccuracy: trainEval.accuracy,
      testAccuracy: testEval.accuracy,
      trainLoss: trainEval.loss,
      testLoss: testEval.loss,
      lossHistory,
      features: F,
      classes: C,
      trainCount,
      testCount,
      epochs: o.epochs,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    arena.dispose();
  }
}

/** The probe on raw pixels: the baseline every learned representation is compared with. */
export function probeRawPixels(target: Gpu | GPUDevice, data: { train: LabelledImages; test: LabelledImages }, options: ProbeOptions = {}): Promise<ProbeResult> {
  const features = data.train.rows * data.train.cols;
  if (data.test.rows * data.test.cols !== features) {
    throw new RangeError(`probeRawPixels: train images are ${data.train.rows}×${data.train.cols} but test images are ${data.test.rows}×${data.test.cols}`);
  }
  return linearProbe(
    target,
    { trainFeatures: data.train.images, trainLabels: data.train.labels, testFeatures: data.test.images, testLabels: data.test.labels, features },
    { label: 'linear probe (raw pixels)', ...options },
  );
}

export interface PcaProbeOptions extends ProbeOptions {
  /** Fit the PCA on the first `pcaRows` training samples (the covariance costs rows·F² on the CPU). Default min(trainCount, 10 000). */
  pcaRows?: number;
}

/**
 * The probe on the top-k PCA codes of the features (the PCA fitted on the
 * training set, in float64 on the CPU): the baseline for codes of size k.
 */
export async function probeWithPca(
  target: Gpu | GPUDevice,
  data: ProbeData,
  k: number,
  options: PcaProbeOptions = {},
): Promise<ProbeResult & { pca: Pca }> {
  const F = data.features;
  if (!Number.isInteger(F) || F < 1) throw new RangeError(`probeWithPca: features must be a positive integer, got ${String(F)}`);
  if (!Number.isInteger(k) || k < 1 || k > F) throw new RangeError(`probeWithPca: k must be an integer in [1, features = ${F}], got ${k}`);
  const trainCount = data.trainFeatures.length / F;
  if (!Number.isInteger(trainCount) || trainCount < 1) {
    throw new RangeError(`probeWithPca: trainFeatures has ${data.trainFeatures.length} values, not a positive multiple of features = ${F}`);
  }
  const rows = options.pcaRows ?? Math.min(trainCount, 10_000);
  if (!Number.isInteger(rows) || rows < 1 || rows > trainCount) {
    throw new RangeError(`probeWithPca: pcaRows must be an integer in [1, ${trainCount}] (training samples), got ${rows}`);
  }
  const model = pca(asUnitFloats(data.trainFeatures, 0, rows * F), rows, F, k);
  const { pcaRows: _, ...probeOptions } = options;
  const result = await linearProbe(
    target,
    { trainFeatures: pcaCodes(model, data.trainFeatures), trainLabels: data.trainLabels, testFeatures: pcaCodes(model, data.testFeatures), testLabels: data.testLabels, features: k },
    { label: `linear probe (PCA ${k})`, ...probeOptions },
  );
  return { ...result, pca: model };
}

/**
 * The probe on an autoencoder's codes (μ for a VAE) of two uploaded, labelled
 * datasets, on the model's own device. It is the classifier path with the
 * encoder frozen: createClassifier(model, { freezeEncoder: true, standardiseCodes })
 * with no regularisers, its code statistics fitted to `train`, trained with Adam
 * by a Trainer, then evaluated: the same softmax regression as linearProbe on the
 * encode() output, from the same start (a zero head: the problem is convex),
 * computed through the model. `options.label` is not used (the classifier's GPU
 * objects carry the model's labels).
 */
export async function probeAutoencoder(model: AutoencoderModel, train: GpuDataset, test: GpuDataset, options: ProbeOptions = {}): Promise<ProbeResult> {
  const o = resolveOptions(options);
  for (const [name, d] of [['train', train], ['test', test]] as const) {
    if (!d.labels) throw new RangeError(`probeAutoencoder: the ${name} dataset has no labels; pass labels to uploadDataset`);
  }
  if (o.batchSize > train.count) throw new RangeError(`probeAutoencoder: batchSize ${o.batchSize} is larger than the training set (${train.count} samples)`);
  const t0 = performance.now();
  const classifier = await createClassifier(model, { classes: o.classes, freezeEncoder: true, standardiseCodes: o.standardise, seed: o.seed, ...NO_REGULARISERS });
  try {
    const head = classifier.arch.classifier!;
    classifier.setParameters({ [head.weight]: new Float32Array(o.classes * head.inputs), [head.bias]: new Float32Array(o.classes) });
    if (o.standardise) await classifier.fitCodeStatistics(train);
    const trainer = classifier.createTrainer({ batchSize: o.batchSize, optimizer: { type: 'adam', learningRate: o.learningRate }, seed: o.seed });
    const history = await trainer.fit(train, { epochs: o.epochs });
    const lossHistory = history.map((r) => r.components.classifier);
    const [onTrain, onTest] = [(await classifier.evaluate(train)).classifier!, (await classifier.evaluate(test)).classifier!];
    return {
      trainAccuracy: onTrain.accuracy,
      testAccuracy: onTest.accuracy,
      trainLoss: onTrain.loss,
      testLoss: onTest.loss,
      lossHistory,
      features: classifier.arch.codeSize,
      classes: o.classes,
      trainCount: train.count,
      testCount: test.count,
      epochs: o.epochs,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    classifier.dispose();
  }
}

/** A Markdown table comparing probes: one row per representation. */
export function probeTable(rows: ReadonlyArray<{ name: string; result: ProbeResult }>): string {
  const lines = ['| representation | features | train accuracy | test accuracy | test loss |', '|---|---|---|---|---|'];
  for (const { name, result: r } of rows) {
    lines.push(`| ${name} | ${r.features} | ${r.trainAccuracy.toFixed(4)} | ${r.testAccuracy.toFixed(4)} | ${r.testLoss.toFixed(4)} |`);
  }
  return lines.join('\n');
}

/** Mean and 1/σ of each feature over the training set (float64); s = 0 where σ is (relatively) zero. */
export function standardisation(features: ProbeFeatures, count: number, F: number): { mean: Float64Array; scale: Float64Array } {
  const { mean, variance } = columnMoments(features, count, F, features instanceof Uint8Array ? 1 / 255 : 1);
  const std = variance.map(Math.sqrt);
  const largest = std.reduce((a, b) => Math.max(a, b), 0);
  // A feature whose spread is at float32 rounding level carries no signal, only noise.
  const scale = std.map((s) => (s > 1e-6 * largest && s > 0 ? 1 / s : 0));
  return { mean, scale };
}

function resolveOptions(options: ProbeOptions): Required<ProbeOptions> {
  const o = { classes: 10, epochs: 20, batchSize: 128, learningRate: 0.01, standardise: true, seed: 1, label: 'linear probe', ...options };
  for (const key of ['classes', 'epochs', 'batchSize'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`linearProbe: ${key} must be a positive integer, got ${String(o[key])}`);
  }
  if (typeof o.learningRate !== 'number' || !Number.isFinite(o.learningRate) || o.learningRate <= 0) {
    throw new RangeError(`linearProbe: learningRate must be a finite number > 0, got ${String(o.learningRate)}`);
  }
  if (typeof o.standardise !== 'boolean') throw new RangeError(`linearProbe: standardise must be a boolean, got ${String(o.standardise)}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new RangeError(`linearProbe: seed must be an integer in [0, 2^32), got ${String(o.seed)}`);
  return o;
}

function checkSet(name: string, features: ProbeFeatures, labels: ArrayLike<number>, F: number, classes: number): number {
  if (!(features instanceof Float32Array) && !(features instanceof Uint8Array)) {
    throw new RangeError(`linearProbe: ${name}Features must be a Float32Array or a Uint8Array (pixels 0..255)`);
  }
  const count = features.length / F;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`linearProbe: ${name}Features has ${features.length} values, not a positive multiple of features = ${F}`);
  }
  if (!labels || labels.length !== count) throw new RangeError(`linearProbe: ${name}Labels has ${labels?.length} entries for ${count} samples`);
  for (let i = 0; i < count; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new RangeError(`linearProbe: ${name}Labels[${i}] is ${l}; labels must be integers in 0..${classes - 1} (classes = ${classes})`);
    }
  }
  return count;
}

function uploadSet(ctx: KernelContext, name: string, features: ProbeFeatures, labels: ArrayLike<number>, F: number, count: number) {
  return {
    x: uploadDataset(ctx, { data: features, features: F, count, label: `${name} features` }),
    // Labels as a one-feature f32 dataset: the same gather kernel and permutation fetch them.
    y: uploadDataset(ctx, { data: Float32Array.from(labels), features: 1, count, label: `${name} labels` }),
  };
}

/** Values [start, start + n) as float64, bytes read as byte/255. */
function asUnitFloats(features: ProbeFeatures, start: number, n: number): Float64Array {
  const unit = features instanceof Uint8Array ? 1 / 255 : 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = features[start + i] * unit;
  return out;
}

/** Top-k PCA codes of every row, as f32, converted in chunks (no float64 copy of the whole set). */
function pcaCodes(model: Pca, features: ProbeFeatures): Float32Array {
  const F = model.cols;
  const count = features.length / F;
  const out = new Float32Array(count * model.k);
  const chunk = 1024;
  for (let r = 0; r < count; r += chunk) {
    const rows = Math.min(chunk, count - r);
    out.set(pcaProject(model, asUnitFloats(features, r * F, rows * F), rows), r * model.k);
  }
  return out;
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
