// A linear autoencoder with squared error on centred inputs learns the principal
// subspace (Baldi & Hornik 1989; Bourlard & Kamp 1988): trained on MNIST digits on
// the GPU, its encoder's row space matches the top-k PCA subspace from the float64
// reference (covariance eigen-decomposition), and its reconstruction error comes
// within 1% of PCA's, which is the least any rank-k linear map can reach.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, loadMnist, type Mnist } from '../../src/index';
import { pca, principalAngles } from '../../src/analysis/pca';
import { testGpu, type TestGpu } from './helpers';

let t: TestGpu;
let mnist: Mnist;
beforeAll(async () => {
  t = await testGpu();
  mnist = await loadMnist({ trainLimit: 500, testLimit: 1 });
});
afterAll(() => t.gpu.destroy());

const K = 6;
const D = 784;

test(`a linear ${D}–${K}–${D} autoencoder spans the top-${K} principal subspace`, async () => {
  const n = mnist.train.count;
  const x = Float64Array.from(mnist.train.images, (v) => v / 255);
  const ref = pca(x, n, D, K);
  console.log(`eigenvalues ${Array.from(ref.eigenvalues.subarray(0, K + 2), (v) => v.toFixed(3)).join(', ')}; PCA error ${ref.residualVariance.toFixed(4)}`);

  const model = await createAutoencoder(
    { inputSize: D, hiddenSize: K, encoderActivation: 'linear', decoderActivation: 'linear', loss: 'mse', tiedWeights: true, seed: 3 },
    { gpu: t.gpu },
  );
  try {
    const data = model.uploadDataset({ data: mnist.train.images, features: D, center: true });
    // Full-batch Adam: no minibatch noise, so it settles on the subspace itself
    // instead of jittering around it (with batches of 100 it stalls near 6°).
    const trainer = model.createTrainer({ batchSize: n, optimizer: { type: 'adam', learningRate: 0.01 }, syncEvery: 50 });
    let angles: Float64Array = new Float64Array(K);
    let error = 0;
    for (let round = 0; round < 2; round++) {
      await trainer.steps(data, 100);
      const W = (await model.getParameters())['encoder.0.weight'];
      angles = principalAngles(W, ref.components, K, D);
      error = (await model.evaluate(data)).reconstruction;
      console.log(`after ${(round + 1) * 100} steps: largest principal angle ${angles[0].toFixed(2)}°, error ${error.toFixed(4)} (PCA ${ref.residualVariance.toFixed(4)})`);
    }
    expect(angles[0]).toBeLessThan(1);
    expect(error).toBeLessThan(1.01 * ref.residualVariance);
    expect(error).toBeGreaterThan(0.999 * ref.residualVariance); // PCA is optimal: nothing linear beats it
  } finally {
    model.dispose();
  }
});
