// One training step on the GPU against the float64 reference: the loss and the
// gradient of every parameter, for the basic variants, on awkward sizes and on a
// partial last batch; then the optimizer update itself.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAutoencoder, type AutoencoderConfig } from '../../src/index';
import { autoencoderStepRef, type Params } from '../../src/reference/autoencoder';
import { dropoutScaleRef } from '../../src/reference/dropout';
import { rngNormal, STREAM_VAE_EPS } from '../../src/random/rng';
import { readFloats } from '../../src/gpu/arena';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const D = 13;
const H = 7;
const B = 5;
const COUNT = 8; // batches of 5 then 3: the second one has padding rows

const CASES: Array<[string, AutoencoderConfig]> = [
  ['sigmoid / bce', { inputSize: D, hiddenSize: H }],
  ['linear / mse', { inputSize: D, hiddenSize: H, encoderActivation: 'linear', decoderActivation: 'linear' }],
  ['sigmoid / bce, tied', { inputSize: D, hiddenSize: H, tiedWeights: true }],
  ['tanh / sigmoid-mse, weight decay', { inputSize: D, hiddenSize: H, encoderActivation: 'tanh', loss: 'mse', weightDecay: 0.05 }],
  ['relu / linear-mse, tied, weight decay', { inputSize: D, hiddenSize: H, encoderActivation: 'relu', decoderActivation: 'linear', tiedWeights: true, weightDecay: 0.05 }],
  // Each regulariser alone.
  ['masking noise', { inputSize: D, hiddenSize: H, noise: { type: 'masking', rate: 0.3 } }],
  ['gaussian noise', { inputSize: D, hiddenSize: H, noise: { type: 'gaussian', stddev: 0.2 } }],
  ['salt-and-pepper noise', { inputSize: D, hiddenSize: H, noise: { type: 'salt-and-pepper', rate: 0.25 } }],
  ['dropout on h', { inputSize: D, hiddenSize: H, dropout: 0.4 }],
  ['L1 sparsity', { inputSize: D, hiddenSize: H, sparsity: { type: 'l1', lambda: 0.3 } }],
  ['KL sparsity', { inputSize: D, hiddenSize: H, sparsity: { type: 'kl', rho: 0.05, beta: 0.5 } }],
  ['contractive, sigmoid', { inputSize: D, hiddenSize: H, contractive: 0.4 }],
  ['contractive, tanh', { inputSize: D, hiddenSize: H, encoderActivation: 'tanh', loss: 'mse', contractive: 0.4 }],
  ['contractive, relu', { inputSize: D, hiddenSize: H, encoderActivation: 'relu', decoderActivation: 'linear', contractive: 0.4 }],
  // Combinations.
  ['masking + KL sparsity', { inputSize: D, hiddenSize: H, noise: { type: 'masking', rate: 0.2 }, sparsity: { type: 'kl', rho: 0.1, beta: 0.3 } }],
  ['L1 sparsity + contractive', { inputSize: D, hiddenSize: H, sparsity: { type: 'l1', lambda: 0.1 }, contractive: 0.3 }],
  [
    'gaussian + contractive + tied + weight decay',
    { inputSize: D, hiddenSize: H, noise: { type: 'gaussian', stddev: 0.1 }, contractive: 0.3, tiedWeights: true, weightDecay: 0.02 },
  ],
  [
    'salt-and-pepper + dropout + KL + contractive + weight decay',
    { inputSize: D, hiddenSize: H, noise: { type: 'salt-and-pepper', rate: 0.1 }, dropout: 0.2, sparsity: { type: 'kl', rho: 0.2, beta: 0.2 }, contractive: 0.1, weightDecay: 0.01 },
  ],
  // Deep encoders (three layers) and variational models.
  ['3 layers 13–9–6–3, sigmoid / bce', { inputSize: D, hiddenSizes: [9, 6, 3] }],
  ['3 layers, tanh-relu-linear / mse, tied', { inputSize: D, hiddenSizes: [9, 5, 3], encoderActivations: ['tanh', 'relu', 'linear'], decoderActivation: 'linear', tiedWeights: true }],
  ['3 layers, masking + dropout + L1 + weight decay', { inputSize: D, hiddenSizes: [10, 7, 5], noise: { type: 'masking', rate: 0.2 }, dropout: 0.25, sparsity: { type: 'l1', lambda: 0.1 }, weightDecay: 0.01 }],
  ['VAE 13–9–3, relu / bce', { inputSize: D, hiddenSizes: [9, 3], encoderActivation: 'relu', variational: true }],
  ['VAE 13–2, heads on the input', { inputSize: D, hiddenSizes: [2], variational: true }],
  ['VAE 13–9–5–3, β 2 warming up, mse', { inputSize: D, hiddenSizes: [9, 5, 3], encoderActivation: 'tanh', decoderActivation: 'linear', variational: { beta: 2, warmupSteps: 4 } }],
];

function toF64(p: Record<string, Float32Array>): Params {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));
}

/** Rows [start, start+valid) of `data`, zero-padded to B rows (what the gather kernel produces). */
function batchRows(data: Float32Array, start: number, valid: number): Float64Array {
  const out = new Float64Array(B * D);
  for (let k = 0; k < valid * D; k++) out[k] = data[start * D + k];
  return out;
}

// Float32 error bound: every gradient entry is a sum of at most max(B, D, H) = 13
// products of O(1) factors, each carrying the f32 rounding of exp/log1p (~1e-7
// relative); the accumulated error is below 13 · 6e-8 · max|g| ≈ 1e-6 · max|g|.
// We allow 1e-5 · max|g| absolute plus 1e-4 relative.
function expectClose(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>) {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  const r = compare(gpu, ref, 1e-4, 1e-5 * Math.max(scale, 1e-3));
  console.log(`${name}: max |gpu − ref| = ${r.maxAbs.toExponential(2)} (scale ${scale.toExponential(2)})`);
  expect(r.worst, `${name} worst at ${r.at}: gpu ${gpu[r.at]} ref ${ref[r.at]}`).toBeLessThanOrEqual(1);
}

// Cases that also run with every matmul on the 'tiled' kernel family (the others run on
// the default, 'auto'): between them every form (nt, nn for tied weights, tn), the
// bias + activation epilogue, accumulation (tied, contractive) and a VAE's heads.
// (Each costs about 10 s on SwiftShader, which compiles the tiled pipelines slowly.)
const TILED_CASES = new Set(['sigmoid / bce, tied', 'contractive, sigmoid', 'VAE 13–9–3, relu / bce']);
const RUNS = CASES.flatMap(([name, cfg]) => [
  [name, cfg, 'auto'] as const,
  ...(TILED_CASES.has(name) ? [[`${name} (tiled matmuls)`, cfg, 'tiled'] as const] : []),
]);

describe('training step: GPU gradients equal the float64 reference', () => {
  test('every tiled case names a case', () => {
    expect(RUNS.length).toBe(CASES.length + TILED_CASES.size);
  });
  for (const [name, cfg, matmulKernel] of RUNS) {
    test(name, async () => {
      const model = await createAutoencoder({ ...cfg, seed: 3 }, { gpu: t.gpu });
      try {
        const data = randomArray(COUNT * D, 11, 0, 1);
        const ds = model.uploadDataset({ data, features: D });
        const trainer = model.createTrainer({ batchSize: B, optimizer: { type: 'sgd', learningRate: 0.1 }, shuffle: false, matmulKernel });
        const kernels = trainer.matmulKernels();
        expect(kernels.length).toBeGreaterThanOrEqual(3); // at least the forward's nt, the backward's tn and nn
        expect(kernels.filter((c) => matmulKernel !== 'auto' && !(c.kernel === matmulKernel && c.source === 'forced'))).toEqual([]);
        const params = toF64(await model.getParameters());
        for (const [start, valid] of [
          [0, 5],
          [5, 3],
        ]) {
          const { rows, loss } = await trainer.computeGradients(ds);
          expect(rows).toBe(valid);
          const x = batchRows(data, start, valid);
          // The corrupted batch is the GPU's own (its bits are checked against the
          // reference generator in gather.test.ts); the dropout mask is recomputed
          // from the same counter-based hash.
          const input = trainer.plan.batch.noisy ? Float64Array.from(await readFloats(t.device, trainer.plan.batch.noisy, B * D)) : x;
          // Dropout masks and the VAE's ε are recomputed from the same counter-based hash.
          const c = model.config;
          const keepMasks = c.hiddenSizes.map((n, l) =>
            Float64Array.from(dropoutScaleRef(B, n, c.dropout, l, trainer.seed, 1, true), (v) => (v > 0 ? 1 : 0)),
          );
          const Z = c.hiddenSize;
          const eps = c.variational ? Float64Array.from({ length: B * Z }, (_, k) => rngNormal(trainer.seed, STREAM_VAE_EPS, 1, start * Z + k)) : undefined;
          // Input noise changes the batch the encoder reads; without it the plan has no noisy copy.
          expect(input.some((v, k) => v !== x[k])).toBe((cfg.noise?.type ?? 'none') !== 'none');
          const ref = autoencoderStepRef(c, params, { clean: x, input, rows: B, validRows: valid, keepMasks: c.dropout > 0 ? keepMasks : undefined, eps, step: 1 });
          const grads = await trainer.readGradients();
          for (const k of Object.keys(ref.grads)) expectClose(`${name} rows ${start}+${valid} ${k}`, grads[k], ref.grads[k]);
          for (const part of ['reconstruction', 'vaeKl', 'l1', 'weightDecay'] as const) {
            expect(Math.abs(loss.components[part] - ref.loss[part]), part).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref.loss[part])));
          }
          expect(Math.abs(loss.total - ref.loss.total)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.loss.total));
        }
        trainer.dispose();
      } finally {
        model.dispose();
      }
    });
  }
});

describe('optimizer step and loss log', () => {
  test('one SGD step moves every parameter by −lr·g and logs the reference loss', async () => {
    const model = await createAutoencoder({ inputSize: D, hiddenSize: H, weightDecay: 0.01, seed: 5 }, { gpu: t.gpu });
    try {
      const data = randomArray(COUNT * D, 12, 0, 1);
      const ds = model.uploadDataset({ data, features: D });
      const trainer = model.createTrainer({ batchSize: B, optimizer: { type: 'sgd', learningRate: 0.5 }, shuffle: false });
      const before = toF64(await model.getParameters());
      const x = batchRows(data, 0, B);
      const ref = autoencoderStepRef(model.config, before, { clean: x, input: x, rows: B, validRows: B });
      const [loss] = await trainer.steps(ds, 1);
      console.log('loss gpu', loss.components, 'ref', ref.loss);
      expect(Math.abs(loss.components.reconstruction - ref.loss.reconstruction)).toBeLessThan(1e-5 * ref.loss.reconstruction);
      expect(Math.abs(loss.components.weightDecay - ref.loss.weightDecay)).toBeLessThan(1e-5 * ref.loss.weightDecay);
      const after = await model.getParameters();
      for (const k of Object.keys(before)) {
        const expected = before[k].map((p, i) => p - 0.5 * ref.grads[k][i]);
        expectClose(`sgd ${k}`, after[k], expected);
      }
    } finally {
      model.dispose();
    }
  });
});
