// Inference paths of deep and variational models against the float64 reference:
// the exact multi-layer Jacobian metric, the VAE's held-out ELBO (with ε from the
// counter-based hash), encode = μ, reconstructions, decode and prior samples.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAutoencoder, type AutoencoderConfig } from '../../src/index';
import { autoencoderStepRef, decodeRef, jacobianNormSqRef, type Params } from '../../src/reference/autoencoder';
import { activate } from '../../src/reference/activations';
import { rngNormal, STREAM_PRIOR, STREAM_VAE_EPS } from '../../src/random/rng';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const D = 13;
const COUNT = 10;
const ROWS = 4; // inference batches of 4, 4, 2: the last one is partial

function toF64(p: Record<string, Float32Array>): Params {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));
}

function expectClose(what: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, rtol = 1e-4, atol = 1e-5) {
  const r = compare(gpu, ref, rtol, atol);
  expect(r.worst, `${what} worst at ${r.at}: gpu ${gpu[r.at]} ref ${ref[r.at]}`).toBeLessThanOrEqual(1);
}

/** Train a few steps so the parameters are not just the initialisation. */
async function trained(cfg: AutoencoderConfig, data: Float32Array) {
  const model = await createAutoencoder({ ...cfg, seed: 4 }, { gpu: t.gpu, inferenceBatchSize: ROWS });
  const ds = model.uploadDataset({ data, features: cfg.inputSize });
  const trainer = model.createTrainer({ batchSize: 5, optimizer: { type: 'adam', learningRate: 0.01 } });
  await trainer.steps(ds, 3);
  return { model, ds, params: toF64(await model.getParameters()) };
}

describe('exact Jacobian of deep encoders (contraction())', () => {
  const cases: Array<[string, AutoencoderConfig]> = [
    ['one layer, closed form', { inputSize: D, hiddenSize: 5, encoderActivation: 'tanh' }],
    ['3 layers sigmoid-tanh-relu', { inputSize: D, hiddenSizes: [9, 6, 3], encoderActivations: ['sigmoid', 'tanh', 'relu'] }],
    ['2 layers with dropout (off at evaluation)', { inputSize: D, hiddenSizes: [7, 5], dropout: 0.3 }],
    ['VAE: Jacobian of μ', { inputSize: D, hiddenSizes: [6, 2], encoderActivation: 'tanh', variational: true }],
    // Blocks 70 and 67 wide: the seed, column-scaling and norm kernels cross their 64-wide workgroups.
    ['2 layers 70–67–5, wider than a workgroup', { inputSize: 70, hiddenSizes: [67, 5], encoderActivation: 'tanh' }],
  ];
  for (const [name, cfg] of cases) {
    test(name, async () => {
      const data = randomArray(COUNT * cfg.inputSize, 21, 0, 1);
      const { model, ds, params } = await trained(cfg, data);
      try {
        const ref = jacobianNormSqRef(model.config, params, data, COUNT);
        const got = await model.contraction(ds);
        const refSq = ref.reduce((a, v) => a + v, 0) / COUNT;
        const refNorm = ref.reduce((a, v) => a + Math.sqrt(v), 0) / COUNT;
        console.log(`${name}: mean ‖J‖²_F gpu ${got.meanJacobianNormSq} ref ${refSq}`);
        expect(Math.abs(got.meanJacobianNormSq - refSq)).toBeLessThan(1e-5 * refSq);
        expect(Math.abs(got.meanJacobianNorm - refNorm)).toBeLessThan(1e-5 * refNorm);
      } finally {
        model.dispose();
      }
    });
  }
});

describe('variational autoencoder inference', () => {
  const cfg: AutoencoderConfig = { inputSize: D, hiddenSizes: [8, 3], encoderActivation: 'relu', variational: true };
  const Z = 3;

  test('evaluate(): reconstruction, KL and negative ELBO equal the reference with the same ε', async () => {
    const data = randomArray(COUNT * D, 22, 0, 1);
    const { model, ds, params } = await trained(cfg, data);
    try {
      const seed = 7;
      const got = await model.evaluate(ds, { seed });
      let recon = 0;
      let kl = 0;
      for (let row = 0; row < COUNT; row += ROWS) {
        const rows = Math.min(ROWS, COUNT - row);
        const x = Float64Array.from(data.subarray(row * D, (row + rows) * D));
        // ε of row r: normal(seed, STREAM_VAE_EPS, step 1, (batch_offset + r)·Z + j).
        const eps = Float64Array.from({ length: rows * Z }, (_, k) => rngNormal(seed, STREAM_VAE_EPS, 1, row * Z + k));
        const ref = autoencoderStepRef(model.config, params, { clean: x, input: x, rows, validRows: rows, eps });
        recon += ref.loss.reconstruction * rows;
        kl += ref.loss.vaeKl * rows;
      }
      recon /= COUNT;
      kl /= COUNT;
      console.log('evaluate gpu', got, 'ref', { recon, kl });
      expect(got.vaeKl).toBeGreaterThan(0);
      expect(Math.abs(got.reconstruction - recon)).toBeLessThan(1e-5 * recon);
      expect(Math.abs(got.vaeKl! - kl)).toBeLessThan(1e-5 * Math.max(kl, 1e-3));
      expect(got.negativeElbo).toBeCloseTo(got.reconstruction + got.vaeKl!, 4);
      // A different seed draws different ε: a different (but close) estimate.
      const other = await model.evaluate(ds, { seed: seed + 1 });
      expect(other.reconstruction).not.toBe(got.reconstruction);
    } finally {
      model.dispose();
    }
  });

  test('encode() gives μ; reconstruct() decodes the sampled z; decode() runs the decoder alone', async () => {
    const data = randomArray(COUNT * D, 23, 0, 1);
    const { model, ds, params } = await trained(cfg, data);
    try {
      const x = Float64Array.from(data);
      const eps = Float64Array.from({ length: COUNT * Z }, (_, k) => rngNormal(0, STREAM_VAE_EPS, 1, k));
      // One reference batch of all rows: batch_offset + r = the row index, as in the GPU's batches.
      const ref = autoencoderStepRef(model.config, params, { clean: x, input: x, rows: COUNT, validRows: COUNT, eps });
      expectClose('μ', await model.encode(ds), ref.h);
      expectClose('x̂', await model.reconstruct(ds), Array.from(ref.z, (v) => activate(v, 'sigmoid')));

      const latents = randomArray(5 * Z, 24, -2, 2);
      const decoded = await model.decode(latents);
      expect(decoded.length).toBe(5 * D);
      expectClose('decode(z)', decoded, decodeRef(model.config, params, latents, 5));
      const samples = await model.sample(400, 3);
      expect(samples.images.length).toBe(400 * D);
      const mean = samples.latents.reduce((a, v) => a + v, 0) / samples.latents.length;
      const variance = samples.latents.reduce((a, v) => a + (v - mean) ** 2, 0) / samples.latents.length;
      expect(Math.abs(mean)).toBeLessThan(0.1);
      expect(Math.abs(variance - 1)).toBeLessThan(0.1);
      expect(samples.latents[5]).toBeCloseTo(rngNormal(3, STREAM_PRIOR, 0, 5), 6);
      expect(Array.from(samples.images.subarray(0, 10 * D))).toEqual(Array.from(await model.decode(samples.latents.subarray(0, 10 * Z))));
      expect(samples.images.every((v) => v >= 0 && v <= 1)).toBe(true);
      await expect(model.decode([1, 2])).rejects.toThrow(/whole number of 3-value codes/);
    } finally {
      model.dispose();
    }
  });

  test('decode(encode(x)) equals reconstruct(x) for a deep autoencoder', async () => {
    const data = randomArray(COUNT * D, 25, 0, 1);
    const { model, ds } = await trained({ inputSize: D, hiddenSizes: [9, 4], encoderActivation: 'tanh' }, data);
    try {
      const codes = await model.encode(ds);
      expect(codes.length).toBe(COUNT * 4);
      expectClose('decode(encode(x))', await model.decode(codes), await model.reconstruct(ds), 1e-6, 1e-7);
      await expect(model.sample(3)).rejects.toThrow(/variational/);
    } finally {
      model.dispose();
    }
  });
});
