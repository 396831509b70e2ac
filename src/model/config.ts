// The autoencoder's configuration: what a user may ask for, its defaults, and
// validation that says what was wrong and what is allowed.
import { ACTIVATIONS, isActivation, type Activation } from '../kernels/activations';
import type { InputNoise } from '../kernels/gather';
import type { LossKind } from '../kernels/loss';
import { MAX_DROPOUT_LAYER } from '../random/rng';

export type { InputNoise, LossKind };

export type Sparsity = { type: 'none' } | { type: 'l1'; lambda: number } | { type: 'kl'; rho: number; beta: number };

export interface AutoencoderConfig {
  /** Number of input features (784 for MNIST). */
  inputSize: number;
  /** Number of hidden units (the code size) of a one-layer encoder. Give this or `hiddenSizes`. */
  hiddenSize?: number;
  /**
   * Widths of the encoder's layers, input side first; the last is the code size
   * (for a VAE: the latent size, produced by the μ and log σ² heads). The decoder
   * mirrors them: [500, 250, 30] gives D–500–250–30–250–500–D.
   */
  hiddenSizes?: number[];
  /** g in h = g(W x + b), for every encoder layer (not the VAE heads, which are linear). Default 'sigmoid'. */
  encoderActivation?: Activation;
  /**
   * One activation per encoder layer instead (for a VAE: per layer before the
   * heads). A decoder layer uses the activation of the encoder layer whose width
   * it produces; the output layer uses decoderActivation.
   */
  encoderActivations?: Activation[];
  /** f in x̂ = f(W* h + c). Default 'sigmoid'. */
  decoderActivation?: Activation;
  /** 'bce' (cross-entropy from logits; needs a sigmoid decoder) or 'mse' (Σ (x̂−x)²). Default: 'bce' with a sigmoid decoder, else 'mse'. */
  loss?: LossKind;
  /** Decoder weight W* = Wᵀ. Default false. */
  tiedWeights?: boolean;
  /** λ in λ·Σ W² over weight matrices (not biases). Default 0. */
  weightDecay?: number;
  /** Seed of the weight initialisation. Default 1. */
  seed?: number;
  /** Input corruption (denoising autoencoder). Default none. */
  noise?: InputNoise;
  /** Dropout rate on the hidden units during training, in [0, 1). Default 0. */
  dropout?: number;
  /** Activity sparsity penalty on the hidden units. Default none. */
  sparsity?: Sparsity;
  /** λ of the contractive penalty λ·mean ‖∂h/∂x‖²_F (one-layer encoders). Default 0. */
  contractive?: number;
  /**
   * A variational autoencoder: true, or { beta, warmupSteps }. The KL term is
   * weighted by β·min(1, step / warmupSteps). Default false.
   */
  variational?: boolean | { beta?: number; warmupSteps?: number };
  /**
   * A classifier: a softmax layer on the code (μ for a VAE), trained with
   * cross-entropy against the dataset's labels (supervised fine-tuning). Usually
   * made from a trained autoencoder with createClassifier(). Default none.
   */
  classifier?: ClassifierConfig;
}

/** The softmax head of a classifier (config.classifier). */
export interface ClassifierConfig {
  /** Number of classes C; labels are integers 0..C−1. At least 2. */
  classes: number;
  /**
   * Weight w of the reconstruction objective (reconstruction, and a VAE's β·KL)
   * kept while fine-tuning: L = cross-entropy + w·reconstruction (w > 0:
   * semi-supervised). Default 0: the decoder is not run in training.
   */
  reconstructionWeight?: number;
  /** Train the head alone: the encoder gets no updates (a linear probe on the codes). Default false. */
  freezeEncoder?: boolean;
  /**
   * Standardise the frozen codes before the head, with fixed per-unit statistics of
   * the training codes: (code − mean)/√(var + 1e-5), PyTorch's BatchNorm1d(affine=False)
   * in eval mode (tensors `code_norm.running_mean`, `code_norm.running_var`). The
   * linear probe's setting. Needs freezeEncoder (statistics of a changing encoder go
   * stale). Default false.
   */
  standardiseCodes?: boolean;
}

export interface ResolvedClassifier {
  classes: number;
  reconstructionWeight: number;
  freezeEncoder: boolean;
  standardiseCodes: boolean;
}

/** ε of the code standardisation, as PyTorch's BatchNorm1d default. */
export const CODE_NORM_EPS = 1e-5;

/** The VAE's KL weight β and its linear warm-up over the first `warmupSteps` steps (0: none). */
export interface Variational {
  beta: number;
  warmupSteps: number;
}

/** A config with every default filled in. */
export interface ResolvedConfig {
  inputSize: number;
  /** The code (or latent) size: the last of hiddenSizes. */
  hiddenSize: number;
  hiddenSizes: number[];
  /** The last of encoderActivations ('linear' for a VAE without hidden layers). */
  encoderActivation: Activation;
  /** One per encoder layer (a VAE: per layer before the heads). */
  encoderActivations: Activation[];
  decoderActivation: Activation;
  loss: LossKind;
  tiedWeights: boolean;
  weightDecay: number;
  seed: number;
  noise: InputNoise;
  dropout: number;
  sparsity: Sparsity;
  contractive: number;
  variational: Variational | false;
  /** A classifier's head; absent for an autoencoder (so its saved config has no such key). */
  classifier?: ResolvedClassifier;
}

/** Whether training runs the decoder: every autoencoder, a classifier only with a reconstruction weight > 0. */
export function trainsDecoder(c: ResolvedConfig): boolean {
  return !c.classifier || c.classifier.reconstructionWeight > 0;
}

/** The weight of the reconstruction objective (and a VAE's KL): 1, a classifier's reconstructionWeight. */
export function reconstructionWeight(c: ResolvedConfig): number {
  return c.classifier ? c.classifier.reconstructionWeight : 1;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The config fields of the single-layer regularisers: what a greedy pretraining
 * stage may set on its own (src/train/stacked.ts StageOptions). A new regulariser
 * adds its field here.
 */
export const REGULARISER_FIELDS = ['noise', 'dropout', 'sparsity', 'contractive', 'weightDecay'] as const;
export type RegulariserOptions = Pick<AutoencoderConfig, (typeof REGULARISER_FIELDS)[number]>;

/**
 * Every regulariser off: for createClassifier(model, { classes, ...NO_REGULARISERS }),
 * supervised fine-tuning on the labels' cross-entropy alone, as the literature
 * fine-tunes pretrained encoders (otherwise the classifier keeps the autoencoder's).
 */
export const NO_REGULARISERS: Required<RegulariserOptions> = { noise: { type: 'none' }, dropout: 0, sparsity: { type: 'none' }, contractive: 0, weightDecay: 0 };

const KNOWN_KEYS = [
  'inputSize',
  'hiddenSize',
  'hiddenSizes',
  'encoderActivation',
  'encoderActivations',
  'decoderActivation',
  'loss',
  'tiedWeights',
  'weightDecay',
  'seed',
  'noise',
  'dropout',
  'sparsity',
  'contractive',
  'variational',
  'classifier',
];

function fail(field: string, got: unknown, allowed: string): never {
  const shown = typeof got === 'string' ? `"${got}"` : typeof got === 'object' && got !== null ? JSON.stringify(got) : String(got);
  throw new ConfigError(`${field} must be ${allowed} (got ${shown})`);
}

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(field, v, 'a positive integer');
  return v;
}

/** A finite number ≥ 0; `dflt` when absent (required when no default is given). */
function nonNegative(field: string, v: unknown, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(field, v, 'a finite number ≥ 0');
  return v;
}

/** A probability in [0, 1); `dflt` when absent (required when no default is given). */
function rate(field: string, v: unknown, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(field, v, 'a number in [0, 1)');
  return v;
}

function activation(field: string, v: unknown, dflt: Activation): Activation {
  if (v === undefined) return dflt;
  if (!isActivation(v)) fail(field, v, `one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}`);
  return v;
}

function noise(v: unknown): InputNoise {
  if (v === undefined) return { type: 'none' };
  if (typeof v !== 'object' || v === null) fail('noise', v, "an object like { type: 'masking', rate: 0.3 }");
  const n = v as Record<string, unknown>;
  switch (n.type) {
    case 'none':
      return { type: 'none' };
    case 'masking':
      return { type: 'masking', rate: rate('noise.rate', n.rate) };
    case 'salt-and-pepper':
      return { type: 'salt-and-pepper', rate: rate('noise.rate', n.rate) };
    case 'gaussian': {
      const s = n.stddev;
      if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) fail('noise.stddev', s, 'a finite number ≥ 0');
      return { type: 'gaussian', stddev: s };
    }
    default:
      return fail('noise.type', n.type, "one of 'none', 'masking', 'gaussian', 'salt-and-pepper'");
  }
}

function sparsity(v: unknown, encoder: Activation): Sparsity {
  if (v === undefined) return { type: 'none' };
  if (typeof v !== 'object' || v === null) fail('sparsity', v, "an object like { type: 'kl', rho: 0.05, beta: 3 }");
  const s = v as Record<string, unknown>;
  switch (s.type) {
    case 'none':
      return { type: 'none' };
    case 'l1':
      return { type: 'l1', lambda: nonNegative('sparsity.lambda', s.lambda) };
    case 'kl': {
      const rho = s.rho;
      if (typeof rho !== 'number' || !(rho > 0 && rho < 1)) fail('sparsity.rho', rho, 'a number in (0, 1)');
      if (encoder !== 'sigmoid') fail('encoderActivation', encoder, "'sigmoid' when sparsity.type is 'kl' (ρ̂ must be a mean activation in (0, 1))");
      return { type: 'kl', rho, beta: nonNegative('sparsity.beta', s.beta) };
    }
    default:
      return fail('sparsity.type', s.type, "one of 'none', 'l1', 'kl'");
  }
}

/** Check a user's config and fill in defaults; throws ConfigError naming the field. */
export function resolveConfig(config: AutoencoderConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) fail('config', config, 'an object');
  for (const k of Object.keys(config)) {
    if (!KNOWN_KEYS.includes(k)) throw new ConfigError(`unknown config field '${k}' (allowed: ${KNOWN_KEYS.join(', ')})`);
  }
  const inputSize = positiveInt('inputSize', config.inputSize);
  const variational = vae(config.variational);
  const hiddenSizes = layerSizes(config);
  const encoderActivations = layerActivations(config, variational ? hiddenSizes.length - 1 : hiddenSizes.length);
  const encoderActivation = encoderActivations[encoderActivations.length - 1] ?? 'linear';
  const decoderActivation = activation('decoderActivation', config.decoderActivation, 'sigmoid');
  const loss = config.loss ?? (decoderActivation === 'sigmoid' ? 'bce' : 'mse');
  if (loss !== 'bce' && loss !== 'mse') fail('loss', loss, "'bce' or 'mse'");
  if (loss === 'bce' && decoderActivation !== 'sigmoid') {
    fail('decoderActivation', decoderActivation, "'sigmoid' when loss is 'bce' (cross-entropy is computed from the sigmoid's logits)");
  }
  if (config.tiedWeights !== undefined && typeof config.tiedWeights !== 'boolean') fail('tiedWeights', config.tiedWeights, 'true or false');
  const seed = config.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail('seed', seed, 'an integer in [0, 2^32)');
  const resolved: ResolvedConfig = {
    inputSize,
    hiddenSize: hiddenSizes[hiddenSizes.length - 1],
    hiddenSizes,
    encoderActivation,
    encoderActivations,
    decoderActivation,
    loss,
    tiedWeights: config.tiedWeights ?? false,
    weightDecay: nonNegative('weightDecay', config.weightDecay, 0),
    seed,
    noise: noise(config.noise),
    dropout: rate('dropout', config.dropout, 0),
    sparsity: sparsity(config.sparsity, encoderActivation),
    contractive: nonNegative('contractive', config.contractive, 0),
    variational,
  };
  const head = classifier(config.classifier);
  if (head) resolved.classifier = head;
  checkCombinations(resolved);
  return resolved;
}

/** At most this many encoder layers (dropout gives each its own random stream). */
export const MAX_LAYERS = MAX_DROPOUT_LAYER + 1;

function layerSizes(config: AutoencoderConfig): number[] {
  if (config.hiddenSizes === undefined) {
    return [positiveInt('hiddenSize', config.hiddenSize)];
  }
  const sizes = config.hiddenSizes;
  if (!Array.isArray(sizes) || sizes.length < 1 || sizes.length > MAX_LAYERS) {
    fail('hiddenSizes', sizes, `an array of 1 to ${MAX_LAYERS} positive integers, e.g. [500, 250, 30]`);
  }
  sizes.forEach((n, i) => positiveInt(`hiddenSizes[${i}]`, n));
  if (config.hiddenSize !== undefined && positiveInt('hiddenSize', config.hiddenSize) !== sizes[sizes.length - 1]) {
    fail('hiddenSize', config.hiddenSize, `the last of hiddenSizes (${sizes[sizes.length - 1]}) when both are given`);
  }
  return [...sizes];
}

/** `count` activations: encoderActivations if given, else encoderActivation (default 'sigmoid') for every layer. */
function layerActivations(config: AutoencoderConfig, count: number): Activation[] {
  const list = config.encoderActivations;
  if (list === undefined) return Array.from({ length: count }, () => activation('encoderActivation', config.encoderActivation, 'sigmoid'));
  if (!Array.isArray(list) || list.length !== count) {
    fail('encoderActivations', list, `an array of ${count} activation${count === 1 ? '' : 's'} (one per encoder layer${config.variational ? ' before the VAE heads' : ''})`);
  }
  const acts = list.map((a, i) => activation(`encoderActivations[${i}]`, a, 'sigmoid'));
  if (config.encoderActivation !== undefined && acts.length > 0 && config.encoderActivation !== acts[acts.length - 1]) {
    fail('encoderActivation', config.encoderActivation, `the last of encoderActivations ('${acts[acts.length - 1]}') when both are given`);
  }
  return acts;
}

function vae(v: unknown): Variational | false {
  if (v === undefined || v === false) return false;
  if (v === true) return { beta: 1, warmupSteps: 0 };
  if (typeof v !== 'object' || v === null) fail('variational', v, 'true, false or an object like { beta: 1, warmupSteps: 0 }');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'beta' && k !== 'warmupSteps') throw new ConfigError(`unknown field 'variational.${k}' (allowed: beta, warmupSteps)`);
  }
  const warmupSteps = o.warmupSteps ?? 0;
  if (typeof warmupSteps !== 'number' || !Number.isInteger(warmupSteps) || warmupSteps < 0) fail('variational.warmupSteps', warmupSteps, 'an integer ≥ 0');
  return { beta: nonNegative('variational.beta', o.beta, 1), warmupSteps };
}

/** At most this many classes: a dataset's labels are bytes (DatasetSource.labels is a Uint8Array). */
export const MAX_CLASSES = 256;

function classifier(v: unknown): ResolvedClassifier | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) fail('classifier', v, 'an object like { classes: 10, reconstructionWeight: 0, freezeEncoder: false }');
  const o = v as Record<string, unknown>;
  const allowed = ['classes', 'reconstructionWeight', 'freezeEncoder', 'standardiseCodes'];
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ConfigError(`unknown field 'classifier.${k}' (allowed: ${allowed.join(', ')})`);
  }
  const classes = o.classes;
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 2 || classes > MAX_CLASSES) fail('classifier.classes', classes, `an integer in [2, ${MAX_CLASSES}]`);
  if (o.freezeEncoder !== undefined && typeof o.freezeEncoder !== 'boolean') fail('classifier.freezeEncoder', o.freezeEncoder, 'true or false');
  if (o.standardiseCodes !== undefined && typeof o.standardiseCodes !== 'boolean') fail('classifier.standardiseCodes', o.standardiseCodes, 'true or false');
  const freezeEncoder = o.freezeEncoder ?? false;
  const standardiseCodes = o.standardiseCodes ?? false;
  if (standardiseCodes && !freezeEncoder) {
    fail('classifier.standardiseCodes', standardiseCodes, 'false unless classifier.freezeEncoder is true (the statistics are of the frozen codes; an encoder that trains would make them stale)');
  }
  return { classes, reconstructionWeight: nonNegative('classifier.reconstructionWeight', o.reconstructionWeight, 0), freezeEncoder, standardiseCodes };
}

/** Variants that do not combine, named with the reason. */
function checkCombinations(c: ResolvedConfig): void {
  const layers = c.hiddenSizes.length;
  if (c.contractive > 0 && (layers > 1 || c.variational)) {
    fail('contractive', c.contractive, '0 for a multi-layer or variational encoder (the penalty is built for one layer; train a contractive layer with trainStacked, and measure any encoder with contraction())');
  }
  const head = c.classifier;
  if (head?.freezeEncoder) {
    const why = 'with classifier.freezeEncoder (the encoder gets no updates, so an encoder penalty would change nothing)';
    if (c.sparsity.type !== 'none') fail('sparsity.type', c.sparsity.type, `'none' ${why}`);
    if (c.contractive > 0) fail('contractive', c.contractive, `0 ${why}`);
    if (c.tiedWeights && head.reconstructionWeight > 0) {
      fail('classifier.reconstructionWeight', head.reconstructionWeight, '0 for a tied-weights model with classifier.freezeEncoder (its decoder shares the frozen encoder weights)');
    }
  }
  if (c.variational) {
    if (c.tiedWeights) fail('tiedWeights', c.tiedWeights, 'false for a variational autoencoder (the μ and log σ² heads have no mirror)');
    if (c.dropout > 0) fail('dropout', c.dropout, '0 for a variational autoencoder (its latent is already noisy)');
    if (c.sparsity.type !== 'none') fail('sparsity.type', c.sparsity.type, "'none' for a variational autoencoder (the KL term already shapes the code)");
  }
}
