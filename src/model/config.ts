// The autoencoder's configuration: what a user may ask for, its defaults, and
// validation that says what was wrong and what is allowed.
import { ACTIVATIONS, isActivation, type Activation } from '../kernels/activations';

export type LossKind = 'bce' | 'mse';

/** Corruption of the input for a denoising autoencoder (training only). */
export type InputNoise =
  | { type: 'none' }
  | { type: 'masking'; rate: number }
  | { type: 'gaussian'; stddev: number }
  | { type: 'salt-and-pepper'; rate: number };

export type Sparsity = { type: 'none' } | { type: 'l1'; lambda: number } | { type: 'kl'; rho: number; beta: number };

export interface AutoencoderConfig {
  /** Number of input features (784 for MNIST). */
  inputSize: number;
  /** Number of hidden units (the code size). */
  hiddenSize: number;
  /** g in h = g(W x + b). Default 'sigmoid'. */
  encoderActivation?: Activation;
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
  /** λ of the contractive penalty λ·mean ‖∂h/∂x‖²_F. Default 0. */
  contractive?: number;
}

/** A config with every default filled in. */
export interface ResolvedConfig {
  inputSize: number;
  hiddenSize: number;
  encoderActivation: Activation;
  decoderActivation: Activation;
  loss: LossKind;
  tiedWeights: boolean;
  weightDecay: number;
  seed: number;
  noise: InputNoise;
  dropout: number;
  sparsity: Sparsity;
  contractive: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const KNOWN_KEYS = [
  'inputSize',
  'hiddenSize',
  'encoderActivation',
  'decoderActivation',
  'loss',
  'tiedWeights',
  'weightDecay',
  'seed',
  'noise',
  'dropout',
  'sparsity',
  'contractive',
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
  const hiddenSize = positiveInt('hiddenSize', config.hiddenSize);
  const encoderActivation = activation('encoderActivation', config.encoderActivation, 'sigmoid');
  const decoderActivation = activation('decoderActivation', config.decoderActivation, 'sigmoid');
  const loss = config.loss ?? (decoderActivation === 'sigmoid' ? 'bce' : 'mse');
  if (loss !== 'bce' && loss !== 'mse') fail('loss', loss, "'bce' or 'mse'");
  if (loss === 'bce' && decoderActivation !== 'sigmoid') {
    fail('decoderActivation', decoderActivation, "'sigmoid' when loss is 'bce' (cross-entropy is computed from the sigmoid's logits)");
  }
  if (config.tiedWeights !== undefined && typeof config.tiedWeights !== 'boolean') fail('tiedWeights', config.tiedWeights, 'true or false');
  const seed = config.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail('seed', seed, 'an integer in [0, 2^32)');
  return {
    inputSize,
    hiddenSize,
    encoderActivation,
    decoderActivation,
    loss,
    tiedWeights: config.tiedWeights ?? false,
    weightDecay: nonNegative('weightDecay', config.weightDecay, 0),
    seed,
    noise: noise(config.noise),
    dropout: rate('dropout', config.dropout, 0),
    sparsity: sparsity(config.sparsity, encoderActivation),
    contractive: nonNegative('contractive', config.contractive, 0),
  };
}
