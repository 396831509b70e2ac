// Supervised fine-tuning of a trained autoencoder, as cli/page/finetune.ts does
// it: a 10-class classifier made from the model (createClassifier: its encoder,
// plus a softmax head on the code), trained end to end on labelled training
// digits, then measured on labelled test digits. The Fine-tune button after a run
// and every column of the Compare view use it. The classifier is disposed here;
// the autoencoder it came from is left as it was.
import { createClassifier, NO_REGULARISERS, type Autoencoder, type ClassifierEvaluation, type Mnist, type OptimizerConfig } from '../src/index';
import { PIXELS } from './pictures';

export const DIGIT_CLASSES = 10;
/** The classifier's optimizer unless told otherwise: Adam at the presets' rate. */
const FINE_TUNE_OPTIMIZER: OptimizerConfig = { type: 'adam', learningRate: 1e-3 };

export interface FineTuneOptions {
  /** The first n MNIST training digits (with their labels). */
  trainCount: number;
  /** The first n MNIST test digits. */
  testCount: number;
  epochs: number;
  batchSize: number;
  optimizer?: OptimizerConfig;
  /** Seed of the shuffles and the head's initial weights. Default: the model's. */
  seed?: number;
  signal?: AbortSignal;
  /** Fraction of the fine-tuning done, after each chunk of steps. */
  onProgress?: (fraction: number) => void;
}

export interface FineTuneResult {
  evaluation: ClassifierEvaluation;
  trainCount: number;
  seconds: number;
}

export async function fineTune(model: Autoencoder, mnist: Mnist, o: FineTuneOptions): Promise<FineTuneResult> {
  const t0 = performance.now();
  // Fine-tuned on the labels alone (no noise or penalties), so every variant of the Compare view gets the same supervised training.
  const classifier = await createClassifier(model, { classes: DIGIT_CLASSES, ...NO_REGULARISERS, ...(o.seed !== undefined ? { seed: o.seed } : {}) });
  try {
    const { train: tr, test: te } = mnist;
    const train = classifier.uploadDataset({
      data: tr.images.subarray(0, o.trainCount * PIXELS),
      features: PIXELS,
      labels: tr.labels.subarray(0, o.trainCount),
      label: 'fine-tuning train',
    });
    const test = classifier.uploadDataset({ data: te.images.subarray(0, o.testCount * PIXELS), features: PIXELS, labels: te.labels.subarray(0, o.testCount), label: 'fine-tuning test' });
    const trainer = classifier.createTrainer({ batchSize: o.batchSize, optimizer: o.optimizer ?? FINE_TUNE_OPTIMIZER, ...(o.seed !== undefined ? { seed: o.seed } : {}) });
    await trainer.fit(train, {
      epochs: o.epochs,
      signal: o.signal,
      onProgress: (p) => o.onProgress?.((p.epoch - 1 + p.stepInEpoch / p.stepsPerEpoch) / p.epochs),
    });
    const evaluation = (await classifier.evaluate(test)).classifier!;
    return { evaluation, trainCount: o.trainCount, seconds: (performance.now() - t0) / 1000 };
  } finally {
    classifier.dispose();
  }
}

/** Checks of a fine-tuning request's numbers, as { field: message }; empty when all is well. */
export function fineTuneErrors(o: { trainCount: number; epochs: number; batchSize: number }, maxTrain: number): Record<string, string> {
  const errors: Record<string, string> = {};
  const integerIn = (field: string, what: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) errors[field] = `${what} must be an integer in [${lo}, ${hi}] (got ${Number.isNaN(v) ? 'nothing' : v})`;
  };
  integerIn('trainCount', 'labelled training digits', o.trainCount, 1, maxTrain);
  integerIn('epochs', 'fine-tuning epochs', o.epochs, 1, 100);
  integerIn('batchSize', 'batch size', o.batchSize, 1, Number.isInteger(o.trainCount) && o.trainCount >= 1 ? Math.min(o.trainCount, maxTrain) : maxTrain);
  return errors;
}
