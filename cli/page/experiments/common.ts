// Helpers shared by the experiments: train a model on a labelled image set the
// same way for every contender, corrupt test digits on the host with a seeded
// generator, and the measures that are not the library's own.
import { createAutoencoder, createClassifier, NO_REGULARISERS, probeAutoencoder, type Autoencoder, type ClassifierEvaluation, type AutoencoderConfig, type GpuDataset, type InputNoise, type OptimizerConfig, type ProbeResult } from '../../../src/index';
import type { ImageSet } from '../data';
import type { ExperimentContext } from './experiment';

export interface TrainingBudget {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** Seed of the weights, the shuffling and the noise: the same for every model compared. */
  seed: number;
}

export interface Trained {
  model: Autoencoder;
  train: GpuDataset;
  test: GpuDataset;
  /** Seconds of the training steps. */
  seconds: number;
  trainLoss: number;
}

/** Train one contender on `train` (evaluated on `test` only at the end). The caller disposes the model. */
export async function trainOn(ctx: ExperimentContext, name: string, config: AutoencoderConfig, sets: { train: ImageSet; test: ImageSet }, budget: TrainingBudget): Promise<Trained> {
  const model = await createAutoencoder({ ...config, seed: budget.seed });
  try {
    const features = config.inputSize;
    const train = model.uploadDataset({ data: sets.train.images, features, labels: sets.train.labels, label: `${name} train` });
    const test = model.uploadDataset({ data: sets.test.images, features, labels: sets.test.labels, label: `${name} test` });
    const trainer = model.createTrainer({ batchSize: budget.batchSize, optimizer: budget.optimizer, seed: budget.seed });
    let seconds = 0;
    let trainLoss = NaN;
    // epochs 0: the model as initialised (a baseline that is only fine-tuned).
    if (budget.epochs > 0) await trainer.fit(train, {
      epochs: budget.epochs,
      onEpoch: (r) => {
        seconds += r.seconds;
        trainLoss = r.trainLoss;
        ctx.say(`${name}: epoch ${r.epoch}/${budget.epochs}, training loss ${r.trainLoss.toFixed(3)}`);
      },
    });
    return { model, train, test, seconds, trainLoss };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The frozen-code linear probe (softmax regression on the codes), the same settings for every contender. */
export function probeCodes(t: Trained, epochs: number, seed: number): Promise<ProbeResult> {
  return probeAutoencoder(t.model, t.train, t.test, { classes: 10, epochs, seed });
}

/**
 * Fine-tune a 10-class softmax classifier made from `t.model` (the encoder and a
 * new head, trained end to end on the labelled training digits with no noise or
 * penalties, as the literature fine-tunes) and measure it
 * on the test digits. The same settings for every contender.
 */
export async function fineTuneOn(ctx: ExperimentContext, name: string, t: Trained, budget: TrainingBudget): Promise<ClassifierEvaluation & { seconds: number }> {
  const classifier = await createClassifier(t.model, { classes: 10, seed: budget.seed, ...NO_REGULARISERS });
  try {
    const features = t.model.config.inputSize;
    const train = classifier.uploadDataset({ data: t.train.host, features, labels: t.train.labels!, label: `${name} fine-tuning train` });
    const test = classifier.uploadDataset({ data: t.test.host, features, labels: t.test.labels!, label: `${name} fine-tuning test` });
    const trainer = classifier.createTrainer({ batchSize: budget.batchSize, optimizer: budget.optimizer, seed: budget.seed });
    let seconds = 0;
    await trainer.fit(train, {
      epochs: budget.epochs,
      onEpoch: (r) => {
        seconds += r.seconds;
        ctx.say(`${name}: fine-tuning epoch ${r.epoch}/${budget.epochs}, cross-entropy ${r.components.classifier.toFixed(4)}`);
      },
    });
    return { ...(await classifier.evaluate(test)).classifier!, seconds };
  } finally {
    classifier.dispose();
  }
}

/** A small seeded generator (mulberry32) for the experiments' own draws on the host. */
export function hostRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a uniform generator. */
export function hostNormal(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Pixels 0..255 as values in [0, 1]. */
export function unitPixels(images: Uint8Array): Float32Array {
  return Float32Array.from(images, (v) => v / 255);
}

/**
 * Corrupted copies of clean inputs in [0, 1], drawn on the host (seeded), the
 * way the training noise corrupts: masking zeroes each value with probability
 * `rate`; salt-and-pepper sets it to 0 or 1 (even odds) with probability `rate`;
 * Gaussian adds N(0, σ²) and clips to [0, 1] (so a cross-entropy model may read it).
 */
export function corrupt(clean: Float32Array, noise: InputNoise, seed: number): Float32Array {
  const u = hostRandom(seed);
  const n = hostNormal(u);
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const x = clean[i];
    switch (noise.type) {
      case 'none':
        out[i] = x;
        break;
      case 'masking':
        out[i] = u() < noise.rate ? 0 : x;
        break;
      case 'salt-and-pepper':
        out[i] = u() < noise.rate ? (u() < 0.5 ? 0 : 1) : x;
        break;
      case 'gaussian':
        out[i] = Math.min(1, Math.max(0, x + noise.stddev * n()));
        break;
    }
  }
  return out;
}

/** Mean over samples of Σ_i (x̂_i − x_i)²: the squared error of reconstructions against the clean inputs. */
export function meanSquaredError(reconstruction: Float32Array, clean: Float32Array, features: number): number {
  let sum = 0;
  for (let i = 0; i < clean.length; i++) sum += (reconstruction[i] - clean[i]) ** 2;
  return sum / (clean.length / features);
}

export function noiseName(noise: InputNoise): string {
  switch (noise.type) {
    case 'none':
      return 'none';
    case 'masking':
      return `masking q=${noise.rate}`;
    case 'salt-and-pepper':
      return `salt-and-pepper q=${noise.rate}`;
    case 'gaussian':
      return `Gaussian σ=${noise.stddev}`;
  }
}

/** A number for a table: `digits` significant figures. */
export function fmt(v: number, digits = 4): number {
  return Number(v.toPrecision(digits));
}
