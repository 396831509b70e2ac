// Supervised fine-tuning for the command line (the train config's `classifier`
// section and the `finetune` command): a classifier made from an autoencoder
// (createClassifier) or a classifier file continued, trained end to end on the
// labelled training set with the library's trainer, then measured on the
// labelled held-out set. Shared by the train and finetune jobs (cli/page/jobs.ts).
import { createClassifier, validateOptimizer, ConfigError, type Autoencoder, type ClassifierEvaluation, type GpuDataset, type OptimizerConfig, type RgbaImage } from '../../src/index';
import { InputError, type ImageSet } from './data';
import { confusionImage } from './confusion';

/** The fine-tuning settings (the config's `classifier` section, with the flags applied in Node). */
export interface FineTuneSettings {
  epochs: number;
  optimizer: OptimizerConfig;
  batchSize: number;
  /** Fine-tune on the first trainLimit labelled training samples (default: all). */
  trainLimit?: number;
  freezeEncoder?: boolean;
  /** With freezeEncoder: standardise the codes with their statistics on the fine-tuning set (fitCodeStatistics). */
  standardiseCodes?: boolean;
  reconstructionWeight?: number;
}

/** One fine-tuning epoch in metrics.json. */
export interface FineTuneEpoch {
  epoch: number;
  /** Mean training objective per sample (cross-entropy, plus w·reconstruction and penalties). */
  trainLoss: number;
  /** Mean training cross-entropy per sample. */
  trainCrossEntropy: number;
  /** Held-out cross-entropy and accuracy after the epoch. */
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

/** heldOut.classifier of metrics.json: the library's ClassifierEvaluation on the held-out set, and how it was fine-tuned. */
export type ClassifierMeasures = ClassifierEvaluation & {
  classes: number;
  /** Only in train and finetune. */
  fineTuning?: { trainCount: number; settings: FineTuneSettings; continued: boolean; history: FineTuneEpoch[] };
};

/** Where the command-line field names come from in messages: the config section or the flags. */
const WHERE = 'classifier';

/** The library's checks of the optimizer, as a usage error naming the field. */
export function checkFineTuneSettings(s: FineTuneSettings): void {
  try {
    validateOptimizer(s.optimizer);
  } catch (e) {
    throw new ConfigError(`${WHERE}.${(e as Error).message}`);
  }
}

/** The number of classes the labels need: max label + 1, at least 2. */
export function classesOf(...sets: Uint8Array[]): number {
  let top = 0;
  for (const set of sets) for (const l of set) top = Math.max(top, l);
  return Math.max(2, top + 1);
}

/** The labels of a set, or an InputError saying that fine-tuning needs them. */
function labelsOf(set: ImageSet, what: string): Uint8Array {
  if (!set.labels) throw new InputError(`fine-tuning a classifier needs labels for the ${what} images ${set.source}; give ${what === 'training' ? '--train-labels (or data.train.labels)' : '--test-labels (or data.test.labels)'}`);
  return set.labels;
}

/**
 * Fine-tune `from` (an autoencoder: a new classifier is made from it; a classifier:
 * it is trained further, its head settings kept) on `train`, measured on `test`.
 * Resolves to the classifier (the caller disposes it, before `from` when they
 * differ) and heldOut.classifier, with confusion.png.
 */
export async function fineTune(
  from: Autoencoder,
  train: ImageSet,
  test: ImageSet,
  testData: GpuDataset,
  s: FineTuneSettings,
  say: (event: Record<string, unknown>) => void,
): Promise<{ classifier: Autoencoder; measures: ClassifierMeasures; images: Record<string, RgbaImage> }> {
  checkFineTuneSettings(s);
  const trainLabels = labelsOf(train, 'training');
  const testLabels = labelsOf(test, 'test');
  const n = Math.min(train.count, s.trainLimit ?? train.count);
  if (s.batchSize > n) throw new InputError(`${WHERE}.batchSize ${s.batchSize} is larger than the fine-tuning set (${n} samples); use at most ${n}`);
  const head = from.config.classifier;
  let classes: number;
  if (head) {
    classes = head.classes;
    const fixed = (name: 'freezeEncoder' | 'standardiseCodes' | 'reconstructionWeight') => s[name] !== undefined && s[name] !== head[name];
    const differ = (['freezeEncoder', 'standardiseCodes', 'reconstructionWeight'] as const).filter(fixed);
    if (differ.length > 0) {
      throw new InputError(`the model is a classifier already (classifier.${differ[0]} = ${head[differ[0]]}): its head settings are fixed in the file, so ${differ.map((k) => `${WHERE}.${k}`).join(' and ')} cannot change; leave ${differ.length > 1 ? 'them' : 'it'} out to continue fine-tuning it, or fine-tune its autoencoder`);
    }
    const wanted = classesOf(trainLabels.subarray(0, n), testLabels);
    if (wanted > classes) throw new InputError(`the model is a classifier of ${classes} classes (0..${classes - 1}) but the labels go up to ${wanted - 1}`);
  } else {
    classes = classesOf(trainLabels.subarray(0, n), testLabels);
  }
  const per = train.rows * train.cols;
  const classifier = head
    ? from
    : await createClassifier(from, {
        classes,
        ...(s.freezeEncoder !== undefined ? { freezeEncoder: s.freezeEncoder } : {}),
        ...(s.standardiseCodes !== undefined ? { standardiseCodes: s.standardiseCodes } : {}),
        ...(s.reconstructionWeight !== undefined ? { reconstructionWeight: s.reconstructionWeight } : {}),
      });
  try {
    const trainData = classifier.uploadDataset({ data: train.images.subarray(0, n * per), features: per, labels: trainLabels.subarray(0, n), label: 'fine-tuning train' });
    const evalData = head ? testData : classifier.uploadDataset({ data: test.images, features: per, labels: testLabels, label: 'fine-tuning test' });
    say({ kind: 'status', message: `fine-tuning a ${classes}-class classifier${head ? ' (continued)' : ''}: ${s.epochs} epoch(s) on ${n} labelled samples, batch ${s.batchSize}, ${s.optimizer.type} lr ${s.optimizer.learningRate}${classifier.config.classifier!.freezeEncoder ? ', encoder frozen' : ''}${classifier.arch.codeNorm ? ', codes standardised' : ''}` });
    // A new head on standardised codes takes their statistics from the fine-tuning set; a continued one keeps its file's.
    if (classifier.arch.codeNorm && !classifier.codeStatisticsFitted) await classifier.fitCodeStatistics(trainData);
    const trainer = classifier.createTrainer({ batchSize: s.batchSize, optimizer: s.optimizer });
    const history: FineTuneEpoch[] = [];
    await trainer.fit(trainData, {
      epochs: s.epochs,
      evalData,
      onProgress: (p) => say({ kind: 'progress', ...p, phase: 'fine-tuning' }),
      onEpoch: (r) => {
        const record = {
          epoch: r.epoch,
          trainLoss: r.trainLoss,
          trainCrossEntropy: r.components.classifier,
          testLoss: r.evalLoss ?? NaN,
          testAccuracy: r.evaluation?.classifier?.accuracy ?? NaN,
          seconds: r.seconds,
        };
        history.push(record);
        say({ kind: 'status', message: `fine-tuning epoch ${r.epoch}/${s.epochs}: train cross-entropy ${record.trainCrossEntropy.toFixed(4)}, held-out ${record.testLoss.toFixed(4)}, accuracy ${(100 * record.testAccuracy).toFixed(2)}%` });
      },
    });
    const evaluation = (await classifier.evaluate(evalData)).classifier!;
    const measures: ClassifierMeasures = { ...evaluation, classes, fineTuning: { trainCount: n, settings: s, continued: head !== undefined, history } };
    return { classifier, measures, images: { 'confusion.png': confusionImage(evaluation.confusion) } };
  } catch (e) {
    if (classifier !== from) classifier.dispose();
    throw e;
  }
}

/** heldOut.classifier of a classifier model measured on a labelled set (eval); null otherwise. */
export function classifierMeasures(model: Autoencoder, evaluation: ClassifierEvaluation | undefined): ClassifierMeasures | null {
  const head = model.config.classifier;
  return head && evaluation ? { ...evaluation, classes: head.classes } : null;
}
