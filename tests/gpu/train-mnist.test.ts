// End to end on real digits: a small autoencoder trained on 2 000 MNIST digits
// lowers its held-out loss far below the loss at initialisation, reconstructs
// digits recognisably, and gives every GPU buffer back when disposed.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory, loadMnist, type Mnist } from '../../src/index';
import { testGpu, type TestGpu } from './helpers';

let t: TestGpu;
let mnist: Mnist;
beforeAll(async () => {
  t = await testGpu();
  mnist = await loadMnist({ trainLimit: 2000, testLimit: 500 });
});
afterAll(() => t.gpu.destroy());

test('training on 2 000 digits lowers the held-out loss well below its initial value', async () => {
  const before = liveGpuMemory();
  const model = await createAutoencoder({ inputSize: 784, hiddenSize: 64, encoderActivation: 'relu', seed: 2 }, { gpu: t.gpu });
  const train = model.uploadDataset({ data: mnist.train.images, features: 784 });
  const test = model.uploadDataset({ data: mnist.test.images, features: 784 });
  const trainer = model.createTrainer({ batchSize: 20, optimizer: { type: 'adam', learningRate: 0.002 } });
  const initial = (await model.evaluate(test)).reconstruction;
  const events: number[] = [];
  const history = await trainer.fit(train, { epochs: 4, evalData: test, onProgress: (p) => events.push(p.loss) });
  const final = history.at(-1)!.evalLoss!;
  const baseline = meanDigitLoss(mnist);
  console.log(
    `held-out BCE per digit: ${initial.toFixed(1)} → ${history.map((h) => h.evalLoss!.toFixed(1)).join(' → ')}; ` +
      `best constant image (the mean digit) ${baseline.toFixed(1)}; ${Math.round(history.at(-1)!.samplesPerSecond)} samples/s`,
  );
  // Untrained (outputs ≈ 0.5): about 784·ln 2 ≈ 543 nats. An autoencoder first
  // learns the mean digit (≈ 200 nats here, the best constant output) and only then
  // the digits themselves; a 64-unit ReLU code gets to ≈ 110 in four epochs, so we
  // ask for a clear margin below the constant predictor.
  expect(initial).toBeGreaterThan(400);
  expect(final).toBeLessThan(0.7 * baseline);
  expect(history.every((h, i) => i === 0 || h.trainLoss < history[i - 1].trainLoss)).toBe(true);
  expect(events.length).toBeGreaterThanOrEqual(4);

  // Reconstructions resemble their digits: mean absolute pixel error well under a blank guess's.
  const recon = await model.reconstruct(test, 0, 20);
  let err = 0;
  let blank = 0;
  for (let k = 0; k < 20 * 784; k++) {
    const x = mnist.test.images[k] / 255;
    err += Math.abs(recon[k] - x);
    blank += x;
  }
  console.log(`mean |x̂ − x| ${(err / (20 * 784)).toFixed(4)} vs all-black ${(blank / (20 * 784)).toFixed(4)}`);
  expect(err).toBeLessThan(0.6 * blank);

  const codes = await model.encode(test, 3, 7);
  expect(codes.length).toBe(7 * 64);
  expect(codes.every((v) => v >= 0 && Number.isFinite(v))).toBe(true); // ReLU codes

  trainer.dispose();
  model.dispose();
  expect(liveGpuMemory()).toEqual(before);
});

/** BCE per test digit of predicting every pixel by its mean over the training digits. */
function meanDigitLoss(m: Mnist): number {
  const mean = new Float64Array(784);
  for (let k = 0; k < m.train.count * 784; k++) mean[k % 784] += m.train.images[k] / 255 / m.train.count;
  let total = 0;
  for (let k = 0; k < m.test.count * 784; k++) {
    const p = Math.min(Math.max(mean[k % 784], 1e-7), 1 - 1e-7);
    const x = m.test.images[k] / 255;
    total -= x * Math.log(p) + (1 - x) * Math.log(1 - p);
  }
  return total / m.test.count;
}

test('dispose() frees every buffer of the model, its trainers and its datasets', async () => {
  const before = liveGpuMemory();
  for (let i = 0; i < 3; i++) {
    const model = await createAutoencoder({ inputSize: 784, hiddenSize: 16, tiedWeights: i === 1, weightDecay: i * 0.01 }, { gpu: t.gpu });
    const data = model.uploadDataset({ data: mnist.train.images.subarray(0, 100 * 784), features: 784 });
    const trainer = model.createTrainer({ batchSize: 32, optimizer: { type: i === 2 ? 'adam' : 'momentum', learningRate: 0.01 } });
    await trainer.steps(data, 2);
    await model.evaluate(data);
    await model.reconstruct(data, 0, 5);
    expect(liveGpuMemory().buffers).toBeGreaterThan(before.buffers);
    model.dispose(); // also disposes the trainer
    await expect(trainer.steps(data, 1)).rejects.toThrow(/disposed/);
  }
  expect(liveGpuMemory()).toEqual(before);
});
