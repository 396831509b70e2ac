// The float64 reference autoencoder's gradients against central finite
// differences of its own loss, for every parameter entry, in many configurations.
import { describe, expect, test } from 'vitest';
import { resolveConfig, type AutoencoderConfig } from '../../src/model/config';
import { autoencoderLayout } from '../../src/model/layout';
import { autoencoderStepRef, jacobianNormSqRef, type Params, type ReferenceBatch } from '../../src/reference/autoencoder';

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
  const keepMasks = cfg.hiddenSizes.map((n) => Float64Array.from({ length: B * n }, () => (r() < cfg.dropout ? 0 : 1)));
  const eps = Float64Array.from({ length: B * H }, () => (r() - 0.5) * 3);
  const batch: ReferenceBatch = { clean, input, rows: B, validRows: V, keepMasks, eps, step: 3 };
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
  // Deep (three encoder layers) and variational models.
  ['3 layers, sigmoid / bce', { inputSize: 6, hiddenSizes: [5, 4, 2] }],
  ['3 layers, tanh / bce', { inputSize: 6, hiddenSizes: [5, 4, 2], encoderActivation: 'tanh' }],
  ['3 layers, tanh-relu-linear / mse, tied', { inputSize: 5, hiddenSizes: [4, 3, 2], encoderActivations: ['tanh', 'sigmoid', 'linear'], decoderActivation: 'linear', tiedWeights: true }],
  ['3 layers, dropout + L1 + weight decay + gaussian', { inputSize: 5, hiddenSizes: [4, 4, 3], dropout: 0.3, sparsity: { type: 'l1', lambda: 0.2 }, weightDecay: 0.02, noise: { type: 'gaussian', stddev: 0.1 } }],
  ['2 layers, KL sparsity on the code', { inputSize: 5, hiddenSizes: [4, 3], sparsity: { type: 'kl', rho: 0.2, beta: 0.4 } }],
  ['VAE 5–4–2, tanh', { inputSize: 5, hiddenSizes: [4, 2], encoderActivation: 'tanh', variational: true }],
  ['VAE 5–2 (heads on the input)', { inputSize: 5, hiddenSizes: [2], variational: true }],
  ['VAE 6–4–3–2, β 0.5 warming up, mse, weight decay', { inputSize: 6, hiddenSizes: [4, 3, 2], variational: { beta: 0.5, warmupSteps: 10 }, decoderActivation: 'linear', loss: 'mse', weightDecay: 0.01 }],
];

describe('reference autoencoder gradients vs central finite differences', () => {
  for (const [name, cfgIn] of CASES) {
    test(name, () => {
      const { cfg, params, batch } = setup(cfgIn, 4, 3, 7);
      const { grads, loss } = autoencoderStepRef(cfg, params, batch);
      expect(Number.isFinite(loss.total)).toBe(true);
      // h = 1e-5 balances the two errors of a central difference: truncation h²|L'''|/6
      // (~1e-11 here) and rounding ε|L|/h (~1e-10 for L ≈ 5). With h = 1e-6 the rounding
      // (~1e-9) swamps the ~1e-5 gradients of a deep encoder's first layer.
      const eps = 1e-5;
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
          // Allowed: 1e-5 relative, plus the rounding noise of the difference itself,
          // 10·ε·|L|/h (≈ 1e-9 absolute): a deep encoder's first-layer gradients can be
          // ~1e-7, where that noise, not the analytic gradient, sets the mismatch.
          const noise = (10 * Number.EPSILON * Math.max(1, Math.abs(loss.total))) / eps;
          const err = Math.abs(fd - an) / (1e-5 * Math.abs(fd) + noise) * 1e-5;
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

  test('VAE: the KL term is the closed form, weighted by β warming up linearly', () => {
    const { cfg, params, batch } = setup({ inputSize: 4, hiddenSizes: [3, 2], variational: { beta: 2, warmupSteps: 8 } }, 3, 3, 5);
    const at = (step: number) => autoencoderStepRef(cfg, params, { ...batch, step }).loss;
    const a = at(2);
    const b = at(100);
    expect(a.vaeKl).toBeGreaterThan(0);
    expect(b.vaeKl).toBe(a.vaeKl); // the reported KL is unweighted
    expect(a.total - a.reconstruction).toBeCloseTo(2 * (2 / 8) * a.vaeKl, 12);
    expect(b.total - b.reconstruction).toBeCloseTo(2 * b.vaeKl, 12);
  });
});

describe('exact Jacobian of a deep encoder', () => {
  for (const [name, cfgIn] of [
    ['3 layers, sigmoid-tanh-linear', { inputSize: 5, hiddenSizes: [4, 3, 2], encoderActivations: ['sigmoid', 'tanh', 'linear'] }],
    ['VAE μ through a relu layer', { inputSize: 4, hiddenSizes: [3, 2], encoderActivation: 'relu', variational: true }],
  ] as Array<[string, AutoencoderConfig]>) {
    test(`${name}: ‖∂h/∂x‖²_F equals finite differences of the code`, () => {
      const { cfg, params, batch } = setup(cfgIn, 2, 2, 9);
      const D = cfg.inputSize;
      const norms = jacobianNormSqRef(cfg, params, batch.input, 2);
      const code = (x: Float64Array) => autoencoderStepRef(cfg, params, { ...batch, input: x, rows: 1, validRows: 1 }).h;
      for (let r = 0; r < 2; r++) {
        const x = Float64Array.from({ length: D }, (_, i) => batch.input[r * D + i]);
        let fd = 0;
        for (let i = 0; i < D; i++) {
          const up = Float64Array.from(x);
          const down = Float64Array.from(x);
          up[i] += 1e-6;
          down[i] -= 1e-6;
          const hu = code(up);
          const hd = code(down);
          for (let j = 0; j < hu.length; j++) fd += ((hu[j] - hd[j]) / 2e-6) ** 2;
        }
        expect(Math.abs(norms[r] - fd) / fd).toBeLessThan(1e-6);
      }
    });
  }
});
