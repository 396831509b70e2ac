// What the regularisers are for, on real digits (2 000 training digits, small
// models, a few epochs, the same number for the regularised and the plain model): KL sparsity drives the mean activation to ρ; the
// contractive penalty makes the encoder contract; a denoising autoencoder
// repairs corrupted digits better than a plain one.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { activationStatistics, createAutoencoder, loadMnist, type AutoencoderConfig, type Mnist, type OptimizerConfig } from '../../src/index';
import { rngUniform } from '../../src/random/rng';
import { testGpu, type TestGpu } from './helpers';

let t: TestGpu;
let mnist: Mnist;
beforeAll(async () => {
  t = await testGpu();
  mnist = await loadMnist({ trainLimit: 2000, testLimit: 500 });
});
afterAll(() => t.gpu.destroy());

/** Train a fresh model on the 2 000 digits and return it (caller disposes). */
async function trained(config: Partial<AutoencoderConfig>, optimizer: OptimizerConfig, epochs: number) {
  const model = await createAutoencoder({ inputSize: 784, hiddenSize: 64, seed: 4, ...config }, { gpu: t.gpu });
  const train = model.uploadDataset({ data: mnist.train.images, features: 784 });
  const test = model.uploadDataset({ data: mnist.test.images, features: 784 });
  const trainer = model.createTrainer({ batchSize: 20, optimizer });
  await trainer.fit(train, { epochs });
  return { model, test };
}

test('KL sparsity drives the mean hidden activation to ρ', async () => {
  // The reconstruction term is summed over 784 pixels, so β must be large for the
  // KL term to hold its own (β = 3 of the classic exercise assumes ½·MSE).
  const rho = 0.05;
  const adam = { type: 'adam', learningRate: 0.002 } as const;
  const sparse = await trained({ sparsity: { type: 'kl', rho, beta: 300 } }, adam, 4);
  const plain = await trained({}, adam, 4);
  const stats = async (m: typeof sparse) => activationStatistics(await m.model.encode(m.test), m.test.count, 64);
  const s = await stats(sparse);
  const p = await stats(plain);
  console.log(`mean activation: KL-sparse ${s.mean.toFixed(4)} (ρ = ${rho}), plain ${p.mean.toFixed(4)}; near zero: ${s.fractionNearZero.toFixed(3)} vs ${p.fractionNearZero.toFixed(3)}`);
  // Measured after 4 epochs each: sparse 0.061 (near zero 0.52), plain 0.945 (0.02).
  // Within ρ/2 of ρ: the reconstruction term keeps ρ̂ a little above ρ (0.011 here),
  // so this leaves 2× headroom while still telling ρ from, say, 2ρ.
  expect(Math.abs(s.mean - rho)).toBeLessThan(0.025);
  // The plain model is nowhere near ρ (> 3ρ; measured 19ρ), so reaching ρ is the penalty's doing.
  expect(p.mean).toBeGreaterThan(3 * rho);
  // Sparse means more units near zero, not just a lower mean (0.52 vs 0.02 measured).
  expect(s.fractionNearZero).toBeGreaterThan(p.fractionNearZero);
  sparse.model.dispose();
  plain.model.dispose();
});

test('the contractive penalty lowers the encoder’s mean Jacobian norm', async () => {
  // tanh units: a saturated sigmoid encoder is already flat, which would hide the effect.
  const adam = { type: 'adam', learningRate: 0.002 } as const;
  const cae = await trained({ encoderActivation: 'tanh', contractive: 1 }, adam, 3);
  const plain = await trained({ encoderActivation: 'tanh' }, adam, 3);
  const jc = await cae.model.contraction(cae.test);
  const jp = await plain.model.contraction(plain.test);
  console.log(`mean ‖J‖_F: contractive ${jc.meanJacobianNorm.toFixed(3)}, plain ${jp.meanJacobianNorm.toFixed(3)}`);
  // Measured 0.41 vs 1.87 (4.5× smaller) after 3 epochs each; at least 2× smaller
  // leaves that much headroom and is far beyond what initialisation alone gives (same seed).
  expect(jc.meanJacobianNorm).toBeLessThan(0.5 * jp.meanJacobianNorm);
  cae.model.dispose();
  plain.model.dispose();
});

test('a denoising autoencoder repairs corrupted digits better than a plain one', async () => {
  // Salt-and-pepper: white specks in the background are what a plain encoder never
  // learned to ignore. (With masking or Gaussian noise, a 64-unit bottleneck already
  // removes most of the noise, and four short epochs do not separate the two.)
  const adam = { type: 'adam', learningRate: 0.002 } as const;
  const relu = { encoderActivation: 'relu' } as const;
  const dae = await trained({ ...relu, noise: { type: 'salt-and-pepper', rate: 0.2 } }, adam, 4);
  const plain = await trained(relu, adam, 4);
  // 200 test digits with 20% of their pixels set to 0 or 1 (fixed seed), in [0, 1].
  const n = 200;
  const clean = Float32Array.from(mnist.test.images.subarray(0, n * 784), (v) => v / 255);
  const corrupted = clean.map((v, k) => (rngUniform(77, 1, 0, k) < 0.2 ? (rngUniform(78, 1, 0, k) < 0.5 ? 0 : 1) : v));
  const error = async (m: typeof dae) => {
    const data = m.model.uploadDataset({ data: corrupted, features: 784 });
    const recon = await m.model.reconstruct(data);
    let e = 0;
    for (let k = 0; k < n * 784; k++) e += (recon[k] - clean[k]) ** 2;
    return e / n;
  };
  const ed = await error(dae);
  const ep = await error(plain);
  let ec = 0;
  for (let k = 0; k < n * 784; k++) ec += (corrupted[k] - clean[k]) ** 2;
  console.log(`squared error to the clean digits: corrupted input ${(ec / n).toFixed(2)}, plain AE ${ep.toFixed(2)}, denoising AE ${ed.toFixed(2)}`);
  // Measured after 4 epochs each: denoising 22.7, plain 26.7 (ratio 0.85), corrupted
  // input 75.6. At least 8% better than plain keeps about half the measured gain as
  // headroom; and it must remove at least half the noise's squared error (it removes 70%).
  expect(ed).toBeLessThan(0.92 * ep);
  expect(ed).toBeLessThan(0.5 * (ec / n));
  dae.model.dispose();
  plain.model.dispose();
});
