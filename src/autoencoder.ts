// The public model class: the model of src/model/autoencoder.ts plus its trainer
// factory. It sits above src/model and src/train so that neither imports the
// other's way up (src/train depends on src/model only).
import { AutoencoderModel, type CreateOptions } from './model/autoencoder';
import { REGULARISER_FIELDS, type AutoencoderConfig, type ClassifierConfig, type RegulariserOptions } from './model/config';
import { Trainer } from './train/trainer';
import type { TrainerOptions } from './train/options';

/** createClassifier()'s options: the head, and the regularisers to fine-tune with (default: the autoencoder's). */
export interface ClassifierOptions extends ClassifierConfig, RegulariserOptions {
  /** Seed of the head's initial weights (Glorot uniform; bias 0). Default: the autoencoder's seed. */
  seed?: number;
  /** Batch size of evaluate/predict/encode. Default: the autoencoder's. */
  inferenceBatchSize?: number;
}

export class Autoencoder extends AutoencoderModel {
  /** A trainer for this model (its own gradients, optimizer state and batch buffers); freed with the model. */
  createTrainer(options: TrainerOptions): Trainer {
    this.assertAlive();
    return new Trainer(this, options);
  }

  /** A classifier on this model's codes, sharing its device: see createClassifier(). */
  classifierFrom(options: ClassifierOptions): Promise<Autoencoder> {
    return createClassifier(this, options);
  }
}

/** Build an autoencoder on a new or given GPU device. */
export function createAutoencoder(config: AutoencoderConfig, options?: CreateOptions): Promise<Autoencoder> {
  return Autoencoder.create(config, options);
}

/**
 * A classifier made from a trained autoencoder (supervised fine-tuning): a new
 * model on the same device with the same layers and the autoencoder's current
 * parameters (encoder, VAE heads, decoder), plus a softmax head
 * `classifier.weight` [classes, code], `classifier.bias` [classes] on the code
 * (μ for a VAE). Train it with createTrainer() on a dataset uploaded with labels.
 * The autoencoder is not changed and the two are disposed separately, but they
 * share its device: dispose the autoencoder last when it acquired the device
 * itself (disposing it destroys that device). Regularisers
 * not given in `options` are the autoencoder's, except that freezeEncoder drops
 * the encoder penalties (sparsity, contractive), which could not act. With
 * standardiseCodes (and freezeEncoder) call fitCodeStatistics(trainData) on the
 * classifier before training it.
 */
export async function createClassifier(from: AutoencoderModel, options: ClassifierOptions): Promise<Autoencoder> {
  from.assertAlive();
  if (typeof options !== 'object' || options === null) throw new TypeError('createClassifier: options must be an object like { classes: 10 }');
  const { classes, reconstructionWeight, freezeEncoder, standardiseCodes, seed, inferenceBatchSize, ...rest } = options;
  const known = new Set<string>(REGULARISER_FIELDS);
  for (const k of Object.keys(rest)) {
    if (!known.has(k)) throw new TypeError(`createClassifier: unknown option '${k}' (allowed: classes, reconstructionWeight, freezeEncoder, standardiseCodes, seed, inferenceBatchSize, ${REGULARISER_FIELDS.join(', ')})`);
  }
  const base = from.config;
  if (base.classifier) throw new Error('createClassifier: this model is a classifier already; make the classifier from its autoencoder');
  const penalties = freezeEncoder ? { sparsity: { type: 'none' as const }, contractive: 0 } : {};
  const config: AutoencoderConfig = {
    ...base,
    ...penalties,
    ...rest,
    seed: seed ?? base.seed,
    classifier: { classes, ...(reconstructionWeight !== undefined ? { reconstructionWeight } : {}), ...(freezeEncoder !== undefined ? { freezeEncoder } : {}), ...(standardiseCodes !== undefined ? { standardiseCodes } : {}) },
  };
  const shared = from.sharedDeviceOptions();
  const model = await Autoencoder.create(config, { ...shared, inferenceBatchSize: inferenceBatchSize ?? shared.inferenceBatchSize });
  try {
    const params = await from.getParameters();
    model.setParameters(params); // every tensor but the head, which keeps its initialisation
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}
