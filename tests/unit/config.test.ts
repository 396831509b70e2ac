// Bad configuration is refused before anything touches the GPU, with a message
// that names the field, what it got and what is allowed.
import { describe, expect, test } from 'vitest';
import { resolveConfig, type AutoencoderConfig } from '../../src/model/config';
import { validateOptimizer } from '../../src/kernels/optimizer';

const ok: AutoencoderConfig = { inputSize: 784, hiddenSize: 64 };

const BAD_CONFIGS: Array<[string, unknown, RegExp]> = [
  ['zero inputSize', { ...ok, inputSize: 0 }, /inputSize must be a positive integer \(got 0\)/],
  ['negative hiddenSize', { ...ok, hiddenSize: -3 }, /hiddenSize must be a positive integer \(got -3\)/],
  ['fractional hiddenSize', { ...ok, hiddenSize: 2.5 }, /hiddenSize must be a positive integer/],
  ['missing hiddenSize', { inputSize: 4 }, /hiddenSize must be a positive integer \(got undefined\)/],
  ['NaN inputSize', { ...ok, inputSize: NaN }, /inputSize must be a positive integer \(got NaN\)/],
  ['unknown activation', { ...ok, encoderActivation: 'swish' }, /encoderActivation must be one of 'linear', 'sigmoid', 'tanh', 'relu' \(got "swish"\)/],
  ['unknown loss', { ...ok, loss: 'l1' }, /loss must be 'bce' or 'mse'/],
  ['bce without sigmoid', { ...ok, decoderActivation: 'linear', loss: 'bce' }, /decoderActivation must be 'sigmoid' when loss is 'bce'/],
  ['negative weight decay', { ...ok, weightDecay: -1 }, /weightDecay must be a finite number ≥ 0 \(got -1\)/],
  ['infinite contractive', { ...ok, contractive: Infinity }, /contractive must be a finite number ≥ 0/],
  // The message names the function to use instead (trainStacked, exported from src/index.ts).
  ['contractive deep encoder', { inputSize: 784, hiddenSizes: [64, 16], contractive: 0.1 }, /contractive must be 0 for a multi-layer or variational encoder .*train a contractive layer with trainStacked,/],
  ['dropout 1', { ...ok, dropout: 1 }, /dropout must be a number in \[0, 1\) \(got 1\)/],
  ['masking rate missing', { ...ok, noise: { type: 'masking' } }, /noise.rate must be a number in \[0, 1\) \(got undefined\)/],
  ['masking rate 1.5', { ...ok, noise: { type: 'masking', rate: 1.5 } }, /noise.rate must be a number in \[0, 1\)/],
  ['negative stddev', { ...ok, noise: { type: 'gaussian', stddev: -0.1 } }, /noise.stddev must be a finite number ≥ 0/],
  ['unknown noise', { ...ok, noise: { type: 'speckle' } }, /noise.type must be one of 'none', 'masking', 'gaussian', 'salt-and-pepper'/],
  ['rho 0', { ...ok, sparsity: { type: 'kl', rho: 0, beta: 1 } }, /sparsity.rho must be a number in \(0, 1\) \(got 0\)/],
  ['KL with relu', { ...ok, encoderActivation: 'relu', sparsity: { type: 'kl', rho: 0.05, beta: 1 } }, /encoderActivation must be 'sigmoid' when sparsity.type is 'kl'/],
  ['L1 without lambda', { ...ok, sparsity: { type: 'l1' } }, /sparsity.lambda must be a finite number ≥ 0 \(got undefined\)/],
  ['unknown sparsity', { ...ok, sparsity: { type: 'l0' } }, /sparsity.type must be one of 'none', 'l1', 'kl'/],
  ['tiedWeights not boolean', { ...ok, tiedWeights: 'yes' }, /tiedWeights must be true or false/],
  ['negative seed', { ...ok, seed: -1 }, /seed must be an integer in \[0, 2\^32\)/],
  ['misspelt field', { ...ok, hidden_size: 3 }, /unknown config field 'hidden_size' \(allowed: inputSize, hiddenSize/],
  ['not an object', null, /config must be an object/],
  ['classifier with 1 class', { ...ok, classifier: { classes: 1 } }, /classifier\.classes must be an integer in \[2, 256\] \(got 1\)/],
  ['classifier with 300 classes', { ...ok, classifier: { classes: 300 } }, /classifier\.classes must be an integer in \[2, 256\] \(got 300\)/],
  ['classifier misspelt field', { ...ok, classifier: { classes: 3, frozen: true } }, /unknown field 'classifier\.frozen' \(allowed: classes, reconstructionWeight, freezeEncoder, standardiseCodes\)/],
  ['negative reconstruction weight', { ...ok, classifier: { classes: 3, reconstructionWeight: -1 } }, /classifier\.reconstructionWeight must be a finite number ≥ 0 \(got -1\)/],
  ['freezeEncoder not boolean', { ...ok, classifier: { classes: 3, freezeEncoder: 1 } }, /classifier\.freezeEncoder must be true or false/],
  ['frozen encoder with sparsity', { ...ok, sparsity: { type: 'l1', lambda: 0.1 }, classifier: { classes: 3, freezeEncoder: true } }, /sparsity\.type must be 'none' with classifier\.freezeEncoder/],
  ['frozen encoder with contractive', { ...ok, contractive: 0.1, classifier: { classes: 3, freezeEncoder: true } }, /contractive must be 0 with classifier\.freezeEncoder/],
  ['standardised codes of an encoder that trains', { ...ok, classifier: { classes: 3, standardiseCodes: true } }, /classifier\.standardiseCodes must be false unless classifier\.freezeEncoder is true/],
  ['standardiseCodes not a boolean', { ...ok, classifier: { classes: 3, freezeEncoder: true, standardiseCodes: 1 } }, /classifier\.standardiseCodes must be true or false \(got 1\)/],
  ['frozen tied encoder with a reconstruction weight', { ...ok, tiedWeights: true, classifier: { classes: 3, freezeEncoder: true, reconstructionWeight: 1 } }, /classifier\.reconstructionWeight must be 0 for a tied-weights model with classifier\.freezeEncoder/],
];

test('a classifier resolves with its defaults; an autoencoder has no classifier key (its saved config is unchanged)', () => {
  expect(resolveConfig({ ...ok, classifier: { classes: 10 } }).classifier).toEqual({ classes: 10, reconstructionWeight: 0, freezeEncoder: false, standardiseCodes: false });
  expect('classifier' in resolveConfig(ok)).toBe(false);
});

describe('resolveConfig rejects bad configurations clearly', () => {
  for (const [name, cfg, message] of BAD_CONFIGS) {
    test(name, () => expect(() => resolveConfig(cfg as AutoencoderConfig)).toThrow(message));
  }
  test('defaults are filled in', () => {
    const c = resolveConfig(ok);
    expect(c).toMatchObject({ encoderActivation: 'sigmoid', decoderActivation: 'sigmoid', loss: 'bce', tiedWeights: false, weightDecay: 0, seed: 1, dropout: 0, contractive: 0 });
    expect(resolveConfig({ ...ok, decoderActivation: 'linear' }).loss).toBe('mse');
  });
});

const BAD_OPTIMIZERS: Array<[string, unknown, RegExp]> = [
  ['NaN learning rate', { type: 'sgd', learningRate: NaN }, /learningRate must be a finite number > 0, got NaN/],
  ['zero learning rate', { type: 'adam', learningRate: 0 }, /learningRate must be a finite number > 0, got 0/],
  ['unknown optimizer', { type: 'rmsprop', learningRate: 0.1 }, /rmsprop/],
  ['momentum 1', { type: 'momentum', learningRate: 0.1, momentum: 1 }, /momentum/],
  ['beta2 negative', { type: 'adam', learningRate: 0.1, beta2: -0.1 }, /beta2/],
  ['epsilon 0', { type: 'adam', learningRate: 0.1, epsilon: 0 }, /epsilon must be a finite number > 0/],
  ['misspelt key', { type: 'sgd', learning_rate: 0.1 }, /learning_rate/],
];

describe('validateOptimizer rejects bad optimizers clearly', () => {
  for (const [name, cfg, message] of BAD_OPTIMIZERS) {
    test(name, () => expect(() => validateOptimizer(cfg)).toThrow(message));
  }
});
