// Validation of the form's settings, with the library's own messages
// (resolveConfig's ConfigError, validateOptimizer's Error) placed next to the
// field they name. Returns { formField: message }; empty when all is well.
import { resolveConfig, type AutoencoderConfig } from '../src/index';
import { validateOptimizer } from '../src/kernels/optimizer';
import type { Settings } from './presets';

export const INPUT_SIZE = 784; // MNIST 28×28
export const MNIST_TRAIN = 60000;
export const MNIST_TEST = 10000;
/** Test digits shown in the pictures; the held-out subset must hold at least these. */
export const SHOWN_DIGITS = 10;

export type Errors = Record<string, string>;

/**
 * The hidden-sizes field: '256, 64' (commas, semicolons, spaces or en dashes
 * between) → [256, 64]. Tokens read as numbers ('abc' → NaN, '-5' → −5), so
 * resolveConfig names the bad entry and its value.
 */
export function parseSizes(text: string): number[] {
  return text
    .split(/[\s,;–—]+/)
    .filter((t) => t !== '')
    .map(Number);
}

/** The form field a library message is about, from the field path it starts with. */
const FIELD_OF: Record<string, string> = {
  hiddenSize: 'hiddenSize',
  hiddenSizes: 'hiddenSize',
  encoderActivations: 'encoderActivation',
  variational: 'variational',
  'variational.beta': 'vaeBeta',
  'variational.warmupSteps': 'vaeWarmup',
  encoderActivation: 'encoderActivation',
  decoderActivation: 'decoderActivation',
  loss: 'loss',
  tiedWeights: 'tiedWeights',
  weightDecay: 'weightDecay',
  seed: 'seed',
  noise: 'noiseType',
  'noise.type': 'noiseType',
  'noise.rate': 'noiseLevel',
  'noise.stddev': 'noiseLevel',
  dropout: 'dropout',
  sparsity: 'sparsityType',
  'sparsity.type': 'sparsityType',
  'sparsity.lambda': 'l1Lambda',
  'sparsity.rho': 'klRho',
  'sparsity.beta': 'klBeta',
  contractive: 'contractive',
  // validateOptimizer: "optimizer 'adam': learningRate must be …"
  type: 'optimizerType',
  learningRate: 'learningRate',
  momentum: 'momentum',
  nesterov: 'momentum',
  beta1: 'learningRate',
  beta2: 'learningRate',
  epsilon: 'learningRate',
};

/** 'noise.rate must be …' → 'noiseLevel'; undefined when the message names no known field. */
export function fieldOfMessage(message: string): string | undefined {
  // 'hiddenSizes[1] must …' is about the hidden-sizes field as a whole.
  const m = /^(?:optimizer '\w+': )?([\w.]+)(?:\[\d+\])? must\b/.exec(message) ?? /^optimizer: (unknown type)/.exec(message);
  if (!m) return undefined;
  return m[1] === 'unknown type' ? 'optimizerType' : FIELD_OF[m[1]];
}

function messageOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The config handed to createAutoencoder. */
export function modelConfig(s: Settings): AutoencoderConfig {
  return { inputSize: INPUT_SIZE, ...s.model };
}

function integerIn(field: string, v: number, lo: number, hi: number, errors: Errors): void {
  if (!Number.isInteger(v) || v < lo || v > hi) errors[field] = `${field} must be an integer in [${lo}, ${hi}] (got ${v})`;
}

export function validateSettings(s: Settings): Errors {
  const errors: Errors = {};
  const put = (message: string | undefined, fallback: string) => {
    if (!message) return;
    const field = fieldOfMessage(message) ?? fallback;
    errors[field] ??= message;
  };
  // Each model field on its own (so several messages show at once) …
  const base = { inputSize: INPUT_SIZE, hiddenSizes: [1] };
  const wellFormed: Record<string, unknown> = { inputSize: INPUT_SIZE };
  for (const [key, value] of Object.entries(s.model)) {
    // A size field stands for itself; any other field borrows base's one-unit layer.
    const alone = key === 'hiddenSize' || key === 'hiddenSizes' ? { inputSize: INPUT_SIZE, [key]: value } : { ...base, [key]: value };
    const message = messageOf(() => resolveConfig(alone as AutoencoderConfig));
    if (message) put(message, FIELD_OF[key] ?? 'hiddenSize');
    else wellFormed[key] = value;
  }
  if (wellFormed.hiddenSize === undefined && wellFormed.hiddenSizes === undefined) wellFormed.hiddenSizes = base.hiddenSizes;
  // … then the fields that passed alone, together, for the rules that tie fields
  // (bce needs a sigmoid decoder, KL sparsity a sigmoid encoder).
  put(
    messageOf(() => resolveConfig(wellFormed as unknown as AutoencoderConfig)),
    'hiddenSize',
  );
  put(
    messageOf(() => validateOptimizer(s.optimizer)),
    'optimizerType',
  );
  integerIn('trainSamples', s.trainSamples, 1, MNIST_TRAIN, errors);
  integerIn('evalSamples', s.evalSamples, SHOWN_DIGITS, MNIST_TEST, errors);
  integerIn('epochs', s.epochs, 1, 1000, errors);
  integerIn('pretrainEpochs', s.pretrainEpochs, 0, 1000, errors);
  if (!errors.pretrainEpochs && s.pretrainEpochs > 0) {
    if (s.model.variational) errors.pretrainEpochs = 'pretrainEpochs must be 0 for a VAE (it is trained end to end; greedy pretraining stacks plain layers)';
    else if ((s.model.hiddenSizes?.length ?? 1) < 2) errors.pretrainEpochs = 'pretrainEpochs must be 0 for a one-layer encoder (there is nothing to stack)';
  }
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1) {
    errors.batchSize = `batchSize must be a positive integer (got ${s.batchSize})`;
  } else if (Number.isInteger(s.trainSamples) && s.batchSize > s.trainSamples) {
    errors.batchSize = `batchSize must be at most trainSamples (${s.trainSamples}) (got ${s.batchSize})`;
  }
  return errors;
}
