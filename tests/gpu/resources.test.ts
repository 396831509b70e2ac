// Resources: models created, trained and disposed in a loop leave no GPU memory
// behind, and two models training on one device do not disturb each other.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory, type AutoencoderConfig } from '../../src/index';
import { randomArray, testGpu, type TestGpu, tensorBits } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const D = 11;
const H = 6;
const DATA = randomArray(20 * D, 5, 0, 1);

test('200 models created, trained one step and disposed leave the live-buffer count and bytes where they started', async () => {
  const start = liveGpuMemory();
  let peak = start;
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) {
    // Alternate a plain and a fuller variant so every buffer kind is allocated.
    const config: AutoencoderConfig = i % 2 ? { inputSize: D, hiddenSize: H, seed: i } : { inputSize: D, hiddenSize: H, seed: i, tiedWeights: true, noise: { type: 'masking', rate: 0.2 }, dropout: 0.1, weightDecay: 0.01 };
    const model = await createAutoencoder(config, { gpu: t.gpu });
    const data = model.uploadDataset({ data: DATA, features: D });
    const trainer = model.createTrainer({ batchSize: 8, optimizer: { type: i % 3 === 0 ? 'adam' : 'sgd', learningRate: 0.1 } });
    const [loss] = await trainer.steps(data, 1);
    expect(Number.isFinite(loss.total)).toBe(true);
    if (liveGpuMemory().bytes > peak.bytes) peak = liveGpuMemory();
    model.dispose();
  }
  console.log(`200 models in ${((performance.now() - t0) / 1000).toFixed(1)} s; live ${JSON.stringify(liveGpuMemory())}, start ${JSON.stringify(start)}, peak while a model lived ${JSON.stringify(peak)}`);
  expect(peak.buffers).toBeGreaterThan(start.buffers + 20); // the loop did allocate
  expect(liveGpuMemory()).toEqual(start);
});

test('two models training interleaved on one device each end bit-identical to training alone', async () => {
  const configs: AutoencoderConfig[] = [
    { inputSize: D, hiddenSize: H, seed: 7, noise: { type: 'gaussian', stddev: 0.1 } },
    { inputSize: D, hiddenSize: H + 3, seed: 8, encoderActivation: 'tanh', dropout: 0.2 },
  ];
  const options = [
    { batchSize: 8, optimizer: { type: 'adam', learningRate: 0.01 } },
    { batchSize: 5, optimizer: { type: 'momentum', learningRate: 0.05 } },
  ] as const;
  const STEPS = 7;

  const alone = [];
  for (let i = 0; i < 2; i++) {
    const m = await createAutoencoder(configs[i], { gpu: t.gpu });
    await m.createTrainer(options[i]).steps(m.uploadDataset({ data: DATA, features: D }), STEPS);
    alone.push(tensorBits(await m.getParameters()));
    m.dispose();
  }

  const models = await Promise.all(configs.map((c) => createAutoencoder(c, { gpu: t.gpu })));
  const datasets = models.map((m) => m.uploadDataset({ data: DATA, features: D }));
  const trainers = models.map((m, i) => m.createTrainer(options[i]));
  // Step by step, alternating, and also with both loops in flight at once.
  for (let s = 0; s < 3; s++) for (let i = 0; i < 2; i++) await trainers[i].steps(datasets[i], 1);
  await Promise.all(trainers.map((tr, i) => tr.steps(datasets[i], STEPS - 3)));
  for (let i = 0; i < 2; i++) {
    expect(trainers[i].stepsTaken).toBe(STEPS);
    expect(tensorBits(await models[i].getParameters())).toEqual(alone[i]);
  }
  models.forEach((m) => m.dispose());
});
