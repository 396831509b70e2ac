// The measures of metrics.json for a model on a held-out set, and the pictures
// that go with them. Shared by the train and eval jobs so both report the same
// things the same way.
import { activationStatistics, probeAutoencoder, type Autoencoder, type GpuDataset, type ProbeResult, type RgbaImage } from '../../src/index';
import { filtersImage, reconstructionsImage, samplesImage, shownSamples } from './pictures';
import type { ImageSet } from './data';
import { classifierMeasures, type ClassifierMeasures } from './finetune';

export interface HeldOutMeasures {
  samples: number;
  /** Mean reconstruction loss per held-out sample (clean inputs), the model's loss convention. */
  reconstruction: number;
  /** Hidden codes on the held-out set: how sparse the representation is. */
  sparsity: {
    meanActivation: number;
    /** Fraction of all activations with |h| below `threshold`. */
    fractionNearZero: number;
    threshold: number;
    /** Smallest and largest per-unit mean activation. */
    unitMeanMin: number;
    unitMeanMax: number;
  };
  /** ‖∂h/∂x‖_F of the encoder, exact, averaged over held-out samples (clean inputs). */
  jacobian: { meanFrobeniusNorm: number; meanFrobeniusNormSquared: number };
  /** Held-out samples per second of the clean forward pass (evaluation). */
  inferenceSamplesPerSecond: number;
  /**
   * Linear probe: a softmax classifier trained on the codes of the labelled training
   * set (src/analysis/probe.ts), its accuracy on the held-out labels. Null when either
   * set has no labels (or, for eval, when there is no training set).
   */
  probe: null | ProbeResult;
  /** A VAE's held-out ELBO (z sampled once per sample, seed 0) and its terms; null for the other models. */
  vae: null | { elbo: number; negativeElbo: number; kl: number; reconstruction: number };
  /**
   * A classifier's results on the held-out labels (accuracy, confusion, …), with
   * its fine-tuning history in train and finetune; null for an autoencoder, or
   * when the held-out set has no labels.
   */
  classifier: null | ClassifierMeasures;
}

/** How the linear probe is trained: on the first `trainLimit` labelled training samples, for `epochs`. */
export interface ProbeSettings {
  epochs: number;
  trainLimit: number;
}

/** The linear probe on the codes, with as many classes as the labels need. */
async function probe(model: Autoencoder, train: ImageSet | undefined, test: GpuDataset, settings: ProbeSettings | false): Promise<ProbeResult | null> {
  if (!settings || !train?.labels || !test.labels) return null;
  // A prefix of the training set as its own dataset (freed with the model): the probe
  // trains for `epochs` passes over it, which dominates the job's time on a big set.
  const n = Math.min(train.count, settings.trainLimit);
  const per = train.rows * train.cols;
  const labels = train.labels.subarray(0, n);
  const data = model.uploadDataset({ data: train.images.subarray(0, n * per), features: per, labels, label: 'probe train' });
  let top = 0;
  for (const set of [labels, test.labels]) for (const l of set) top = Math.max(top, l);
  return probeAutoencoder(model, data, test, { classes: Math.max(2, top + 1), epochs: settings.epochs });
}

/** Measures on the held-out `data`; the linear probe trains on `train` (when there is one). */
export async function heldOutMeasures(model: Autoencoder, data: GpuDataset, train: ImageSet | undefined, probeSettings: ProbeSettings | false): Promise<HeldOutMeasures> {
  const t0 = performance.now();
  const evaluation = await model.evaluate(data);
  const { reconstruction } = evaluation;
  const inferenceSamplesPerSecond = (data.count * 1000) / Math.max(performance.now() - t0, 1e-3);
  const H = model.arch.codeSize;
  const codes = await model.encode(data);
  const stats = activationStatistics(codes, data.count, H);
  const jac = await model.contraction(data);
  return {
    samples: data.count,
    reconstruction,
    sparsity: {
      meanActivation: stats.mean,
      fractionNearZero: stats.fractionNearZero,
      threshold: stats.threshold,
      unitMeanMin: Math.min(...stats.meanPerUnit),
      unitMeanMax: Math.max(...stats.meanPerUnit),
    },
    jacobian: { meanFrobeniusNorm: jac.meanJacobianNorm, meanFrobeniusNormSquared: jac.meanJacobianNormSq },
    inferenceSamplesPerSecond,
    probe: await probe(model, train, data, probeSettings),
    vae:
      evaluation.negativeElbo === undefined
        ? null
        : { elbo: -evaluation.negativeElbo, negativeElbo: evaluation.negativeElbo, kl: evaluation.vaeKl as number, reconstruction },
    classifier: classifierMeasures(model, evaluation.classifier),
  };
}

/** reconstructions.png, filters.png (the first layer's units) and, for a VAE, samples.png (decoded draws from the prior). */
export async function modelPictures(model: Autoencoder, data: GpuDataset, set: ImageSet): Promise<Record<string, RgbaImage>> {
  const count = shownSamples(set.count);
  const per = set.rows * set.cols;
  const originals = Float32Array.from(set.images.subarray(0, count * per), (v) => v / 255);
  const recon = await model.reconstruct(data, 0, count);
  const params = await model.getParameters();
  // The first layer that reads the input: encoder.0, or a VAE's μ head when it has no hidden layer.
  const first = model.arch.encoder[0] ?? model.arch.heads!.mu;
  const images: Record<string, RgbaImage> = {
    'reconstructions.png': reconstructionsImage(originals, recon, count, set.rows, set.cols),
    'filters.png': filtersImage(params[first.weight], first.outputs, set.rows, set.cols),
  };
  if (model.arch.heads) {
    const { images: samples } = await model.sample(64, 0);
    images['samples.png'] = samplesImage(samples, 64, set.rows, set.cols);
  }
  return images;
}
