// The float64 reference autoencoder's gradients against central finite
// differences of its own loss, for every parameter entry, in many configurations.
import { describe, expect, test } from 'vitest';
import { resolveConfig, type AutoencoderConfig } from '../../src/model/config';
import { autoencoderLayout } from '../../src/model/layout';
import { autoencoderStepRef, type Params, type ReferenceBatch } from '../../src/reference/autoencoder';

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
  for (const t of autoencoderLayout(cfg).tensors) {
    params[t.name] = Float64Array.from({ length: t.size }, () => (r() * 2 - 1) * 0.8);
  }
  const D = cfg.inputSize;
  const H = cfg.hiddenSize;
  const clean = Float64Array.from({ length: B * D }, () => r());
  const input = Float64Array.from(clean, (v) => v + (cfg.noise.type === 'none' ? 0 : (r() - 0.5) * 0.4));
  const keepMask = Float64Array.from({ length: B * H }, () => (r() < cfg.dropout ? 0 : 1));
  const batch: ReferenceBatch = { clean, input, rows: B, validRows: V, keepMask };
  return { cfg, params, batch };
}

const CASES: Array<[string, AutoencoderConfig]> = [
  ['sigmoid / bce', { inputSize: 5, hiddenSize: 3 }],
  ['linear / mse', { inputSize: 5, hiddenSize: 3, encoderActivation: 'linear', decoderActivation: 'linear' }],
  ['tanh / sigmoid-mse, tied', { inputSize: 4, hiddenSize: 3, encoderActivation: 'tanh', loss: 'mse', tiedWeights: true }],
  ['relu / linear-mse', { inputSize: 6, hiddenSize: 4, encoderActivation: 'relu', decoderActivation: 'linear' }],
  ['weight decay, untied', { inputSize: 5, hiddenSize: 3, weightDecay: 0.03 }],
  ['weight decay, tied', { inputSize: 5, hiddenSize: 3, weightDecay: 0.03, tiedWeights: true }],
  ['L1 sparsity', { inputSize: 5, hiddenSize: 4, sparsity: { type: 'l1', lambda: 0.2 } }],
  ['KL sparsity', { inputSize: 5, hiddenSize: 4, sparsity: { type: 'kl', rho: 0.1, beta: 0.7 } }],
  ['contractive, sigmoid', { inputSize: 5, hiddenSize: 3, contractive: 0.3 }],
  ['contractive, tanh, tied', { inputSize: 5, hiddenSize: 3, encoderActivation: 'tanh', loss: 'mse', tiedWeights: true, contractive: 0.3 }],
  ['dropout + masking noise', { inputSize: 5, hiddenSize: 4, dropout: 0.3, noise: { type: 'masking', rate: 0.2 } }],
  [
    'gaussian + contractive + tied + weight decay',
    { inputSize: 5, hiddenSize: 3, noise: { type: 'gaussian', stddev: 0.1 }, contractive: 0.2, tiedWeights: true, weightDecay: 0.01 },
  ],
  ['KL + contractive', { inputSize: 5, hiddenSize: 3, sparsity: { type: 'kl', rho: 0.05, beta: 0.5 }, contractive: 0.2 }],
];

describe('reference autoencoder gradients vs central finite differences', () => {
  for (const [name, cfgIn] of CASES) {
    test(name, () => {
      const { cfg, params, batch } = setup(cfgIn, 4, 3, 7);
      const { grads, loss } = autoencoderStepRef(cfg, params, batch);
      expect(Number.isFinite(loss.total)).toBe(true);
      const eps = 1e-6;
      let worst = 0;
      for (const [tensor, values] of Object.entries(params)) {
        for (let k = 0; k < values.length; k++) {
          const keep = values[k];
          values[k] = keep + eps;
          const up = autoencoderStepRef(cfg, params, batch).loss.total;
          values[k] = keep - eps;
          const down = autoencoderStepRef(cfg, params, batch).loss.total;
          values[k] = keep;
          const fd = (up - down) / (2 * eps);
          const an = grads[tensor][k];
          // Central differences in float64 are accurate to ~1e-9 here (h² error + rounding ε·L/h).
          const err = Math.abs(fd - an) / (1e-7 + Math.abs(fd));
          worst = Math.max(worst, err);
          if (err > 1e-5) throw new Error(`${tensor}[${k}]: analytic ${an}, finite difference ${fd}`);
        }
      }
      console.log(`${name}: worst relative error ${worst.toExponential(2)}`);
    });
  }

  test('padding rows contribute nothing', () => {
    const { cfg, params, batch } = setup({ inputSize: 5, hiddenSize: 3, contractive: 0.1, sparsity: { type: 'l1', lambda: 0.1 } }, 4, 2, 3);
    const a = autoencoderStepRef(cfg, params, batch);
    const clean = Float64Array.from(batch.clean as Float64Array);
    const input = Float64Array.from(batch.input as Float64Array);
    for (let k = 2 * 5; k < 4 * 5; k++) clean[k] = input[k] = 123; // garbage in rows 2, 3
    const b = autoencoderStepRef(cfg, params, { ...batch, clean, input });
    expect(b.loss.total).toBe(a.loss.total);
    for (const t of Object.keys(a.grads)) expect(Array.from(b.grads[t])).toEqual(Array.from(a.grads[t]));
  });
});
