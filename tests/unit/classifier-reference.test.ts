// The float64 reference of a classifier (softmax head on the code, trained end to
// end with cross-entropy, src/reference/autoencoder.ts) against central finite
// differences of its own loss: every trained parameter entry, and exact zeros for
// the tensors a configuration does not train (a frozen encoder, an unused decoder).
import { describe, expect, test } from 'vitest';
import { resolveConfig, type AutoencoderConfig } from '../../src/model/config';
import { autoencoderLayout } from '../../src/model/layout';
import { architecture, trainedTensors } from '../../src/model/architecture';
import { autoencoderStepRef, type Params, type ReferenceBatch } from '../../src/reference/autoencoder';
import { softmaxCrossEntropyRef } from '../../src/reference/softmax';

function rand(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 13;
    return (s >>> 0) / 4294967296;
  };
}

function setup(cfgIn: AutoencoderConfig, B: number, V: number, seed: number) {
  const cfg = resolveConfig(cfgIn);
  const r = rand(seed);
  const params: Params = {};
  for (const t of autoencoderLayout(cfg).tensors) params[t.name] = Float64Array.from({ length: t.size }, () => (r() * 2 - 1) * 0.8);
  // A code standardisation's variances are positive (0.05–2.05), so the head's inputs are scaled up and down.
  for (const t of autoencoderLayout(cfg).tensors) if (t.name.endsWith('running_var')) params[t.name] = params[t.name].map((v) => 1.05 + 1.25 * v);
  const D = cfg.inputSize;
  const clean = Float64Array.from({ length: B * D }, () => r());
  const input = Float64Array.from(clean, (v) => v + (cfg.noise.type === 'none' ? 0 : (r() - 0.5) * 0.4));
  const keepMasks = cfg.hiddenSizes.map((n) => Float64Array.from({ length: B * n }, () => (r() < cfg.dropout ? 0 : 1)));
  const eps = Float64Array.from({ length: B * cfg.hiddenSize }, () => (r() - 0.5) * 3);
  const labels = Array.from({ length: V }, () => Math.floor(r() * cfg.classifier!.classes));
  const batch: ReferenceBatch = { clean, input, rows: B, validRows: V, keepMasks, eps, step: 3, labels };
  return { cfg, params, batch };
}

const head = (classes: number, more: object = {}) => ({ classifier: { classes, ...more } });
const CASES: Array<[string, AutoencoderConfig]> = [
  ['1 layer, head only (w = 0)', { inputSize: 5, hiddenSize: 3, ...head(4) }],
  ['1 layer, semi-supervised w = 0.5, tied, weight decay', { inputSize: 5, hiddenSize: 3, tiedWeights: true, weightDecay: 0.02, ...head(3, { reconstructionWeight: 0.5 }) }],
  ['1 layer, frozen encoder', { inputSize: 5, hiddenSize: 3, weightDecay: 0.02, ...head(4, { freezeEncoder: true }) }],
  ['1 layer, frozen encoder, w = 2', { inputSize: 5, hiddenSize: 3, ...head(2, { freezeEncoder: true, reconstructionWeight: 2 }) }],
  ['1 layer, dropout + masking + L1 + contractive', { inputSize: 5, hiddenSize: 4, dropout: 0.3, noise: { type: 'masking', rate: 0.2 }, sparsity: { type: 'l1', lambda: 0.1 }, contractive: 0.2, ...head(3) }],
  ['3 layers, tanh, dropout, w = 0', { inputSize: 6, hiddenSizes: [5, 4, 3], encoderActivation: 'tanh', dropout: 0.25, ...head(5) }],
  ['3 layers, gaussian noise + dropout, w = 0.3, mse', { inputSize: 5, hiddenSizes: [4, 4, 3], noise: { type: 'gaussian', stddev: 0.1 }, dropout: 0.2, decoderActivation: 'linear', ...head(3, { reconstructionWeight: 0.3 }) }],
  ['3 layers, frozen', { inputSize: 5, hiddenSizes: [4, 3, 2], dropout: 0.3, ...head(3, { freezeEncoder: true }) }],
  ['VAE μ path, w = 0', { inputSize: 5, hiddenSizes: [4, 2], encoderActivation: 'tanh', variational: true, ...head(3) }],
  ['VAE, w = 0.5, β 2 warming up', { inputSize: 5, hiddenSizes: [4, 3], variational: { beta: 2, warmupSteps: 10 }, ...head(3, { reconstructionWeight: 0.5 }) }],
  ['1 layer, frozen, standardised codes', { inputSize: 5, hiddenSize: 3, weightDecay: 0.02, ...head(4, { freezeEncoder: true, standardiseCodes: true }) }],
  ['3 layers, frozen, standardised, dropout', { inputSize: 5, hiddenSizes: [4, 3, 2], dropout: 0.3, ...head(3, { freezeEncoder: true, standardiseCodes: true }) }],
  ['VAE, frozen, standardised μ, w = 1', { inputSize: 5, hiddenSizes: [4, 3], variational: true, ...head(3, { freezeEncoder: true, standardiseCodes: true, reconstructionWeight: 1 }) }],
  ['VAE, frozen, w = 1', { inputSize: 5, hiddenSizes: [3], variational: true, ...head(2, { freezeEncoder: true, reconstructionWeight: 1 }) }],
];

describe('reference classifier gradients vs central finite differences', () => {
  for (const [name, cfgIn] of CASES) {
    test(name, () => {
      const { cfg, params, batch } = setup(cfgIn, 4, 3, 11);
      const { grads, loss } = autoencoderStepRef(cfg, params, batch);
      expect(loss.classifier).toBeGreaterThan(0);
      const trained = trainedTensors(architecture(cfg), cfg);
      const eps = 1e-5; // as in autoencoder-reference.test.ts: truncation h² vs rounding ε/h
      let worst = 0;
      let checked = 0;
      for (const [tensor, values] of Object.entries(params)) {
        if (!trained.has(tensor)) {
          // Not trained by this configuration: no gradient at all (so no update).
          expect(grads[tensor].every((g) => g === 0), `${tensor} has a gradient`).toBe(true);
          continue;
        }
        for (let k = 0; k < values.length; k++) {
          const keep = values[k];
          values[k] = keep + eps;
          const up = autoencoderStepRef(cfg, params, batch).loss.total;
          values[k] = keep - eps;
          const down = autoencoderStepRef(cfg, params, batch).loss.total;
          values[k] = keep;
          const fd = (up - down) / (2 * eps);
          const an = grads[tensor][k];
          const noise = (10 * Number.EPSILON * Math.max(1, Math.abs(loss.total))) / eps;
          const err = (Math.abs(fd - an) / (1e-5 * Math.abs(fd) + noise)) * 1e-5;
          worst = Math.max(worst, err);
          checked += 1;
          if (err > 1e-5) throw new Error(`${tensor}[${k}]: analytic ${an}, finite difference ${fd}`);
        }
      }
      expect(trained.has('classifier.weight') && trained.has('classifier.bias')).toBe(true);
      console.log(`${name}: ${checked} entries, worst relative error ${worst.toExponential(2)}`);
    });
  }

  test('the loss is the head cross-entropy plus w times the reconstruction objective', () => {
    const { cfg, params, batch } = setup({ inputSize: 4, hiddenSizes: [3, 2], variational: { beta: 2, warmupSteps: 8 }, ...head(3, { reconstructionWeight: 0.25 }) }, 3, 3, 5);
    const l = autoencoderStepRef(cfg, params, batch).loss;
    expect(l.reconstruction).toBeGreaterThan(0);
    expect(l.total).toBeCloseTo(l.classifier + 0.25 * (l.reconstruction + 2 * (3 / 8) * l.vaeKl), 12);
    // The head's logits are μ·W_cᵀ + b_c and its loss is the softmax reference's.
    const r = autoencoderStepRef(cfg, params, batch);
    const sm = softmaxCrossEntropyRef(r.classLogits!, batch.labels!, 3, 3, 3);
    expect(l.classifier).toBeCloseTo(sm.rowLoss.reduce((a, b) => a + b, 0) / 3, 14);
    // Without a reconstruction weight the decoder is not run: its term is 0.
    const { cfg: c0, params: p0, batch: b0 } = setup({ inputSize: 4, hiddenSize: 3, ...head(3) }, 3, 3, 5);
    const l0 = autoencoderStepRef(c0, p0, b0).loss;
    expect(l0.reconstruction).toBe(0);
    expect(l0.total).toBe(l0.classifier);
  });

  test('padding rows contribute nothing', () => {
    const { cfg, params, batch } = setup({ inputSize: 5, hiddenSize: 3, ...head(3, { reconstructionWeight: 0.5 }) }, 4, 2, 3);
    const a = autoencoderStepRef(cfg, params, batch);
    const clean = Float64Array.from(batch.clean as Float64Array);
    const input = Float64Array.from(batch.input as Float64Array);
    for (let k = 2 * 5; k < 4 * 5; k++) clean[k] = input[k] = 123;
    const b = autoencoderStepRef(cfg, params, { ...batch, clean, input, labels: [...Array.from(batch.labels!), 2, 1] });
    expect(b.loss.total).toBe(a.loss.total);
    for (const t of Object.keys(a.grads)) expect(Array.from(b.grads[t])).toEqual(Array.from(a.grads[t]));
  });
});
