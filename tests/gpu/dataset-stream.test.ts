// A data set that streams from its host copy through two windows (maxGpuBytes,
// or more than 3 bindings' worth): forced here with windows of 8 samples on
// awkward shapes (7 features, so u8 rows straddle words; 37 samples; batches of 5
// that cross the windows' edges; 4 steps per submit, so a submit group outruns a
// window). Training (shuffled epochs, input noise), codes, reconstructions and
// evaluation are bit-identical to the same samples resident in one buffer, and a
// classifier fine-tuned on streamed labelled digits matches too.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, createClassifier, liveGpuMemory, NO_REGULARISERS, type AutoencoderConfig } from '../../src/index';
import { randomArray, floatBits, tensorBits } from './helpers';

const D = 7;
const COUNT = 37;
const WINDOW = 8;

let start: ReturnType<typeof liveGpuMemory>;
beforeAll(() => {
  start = liveGpuMemory();
});
afterAll(() => expect(liveGpuMemory()).toEqual(start));

/** Train 2 shuffled epochs, then encode, reconstruct and evaluate; maxGpuBytes streams the data set. */
async function run(config: AutoencoderConfig, data: Uint8Array | Float32Array, maxGpuBytes?: number) {
  // Inference batches of 6 rows: they too cross the windows' edges.
  const model = await createAutoencoder(config, { inferenceBatchSize: 6 });
  try {
    const ds = model.uploadDataset({ data, features: D, label: 'stream test', ...(maxGpuBytes !== undefined ? { maxGpuBytes } : {}) });
    const trainer = model.createTrainer({ batchSize: 5, optimizer: { type: 'adam', learningRate: 0.05 }, syncEvery: 3, stepsPerSubmit: 4 });
    const history = await trainer.fit(ds, { epochs: 2 });
    const trainLoads = ds.stream?.loads ?? 0;
    const codes = await model.encode(ds);
    const middle = await model.reconstruct(ds, 11, 13); // from inside the second window
    const evaluation = await model.evaluate(ds);
    return { streamed: ds.stream !== undefined, windowRows: ds.rowsPerPart, trainLoads, params: tensorBits(await model.getParameters()), losses: history.map((h) => h.trainLoss), codes: floatBits(codes), middle: floatBits(middle), reconstruction: evaluation.reconstruction };
  } finally {
    model.dispose();
  }
}

test.each([
  { format: 'u8', rowBytes: D, data: Uint8Array.from(randomArray(COUNT * D, 3, 0, 255), Math.round), config: { noise: { type: 'masking', rate: 0.3 } } },
  { format: 'f32', rowBytes: 4 * D, data: randomArray(COUNT * D, 4, -1, 1), config: { loss: 'mse', decoderActivation: 'linear', noise: { type: 'gaussian', stddev: 0.1 } } },
] as const)('$format: streamed through windows of 8 samples, training, codes, reconstructions and evaluation are bit-identical to a resident copy', async ({ rowBytes, data, config }) => {
  const full: AutoencoderConfig = { inputSize: D, hiddenSize: 3, seed: 6, ...config };
  // Two windows of 8 rows fit, of 9 would not.
  const streamed = await run(full, data, 2 * (WINDOW + 3) * rowBytes);
  const resident = await run(full, data);
  expect([streamed.streamed, streamed.windowRows]).toEqual([true, WINDOW]);
  expect([resident.streamed, resident.windowRows]).toEqual([false, COUNT]);
  // Each epoch's 8 batches of 5 (the last of 2) need at least ⌈37 / 8⌉ = 5 windows: the windows really turned over.
  expect(streamed.trainLoads).toBeGreaterThanOrEqual(10);
  expect(streamed.losses).toEqual(resident.losses);
  expect(streamed.params).toEqual(resident.params);
  expect(streamed.codes).toEqual(resident.codes);
  expect(streamed.middle).toEqual(resident.middle);
  expect(streamed.reconstruction).toBe(resident.reconstruction);
  expect(resident.losses[1]).not.toBe(resident.losses[0]); // it trained
});

test('a classifier fine-tuned on a streamed labelled data set matches the resident one (the labels stream with their samples)', async () => {
  const data = Uint8Array.from(randomArray(COUNT * D, 8, 0, 255), Math.round);
  const labels = Uint8Array.from({ length: COUNT }, (_, i) => (i * 7) % 3);
  const fineTune = async (maxGpuBytes?: number) => {
    const model = await createAutoencoder({ inputSize: D, hiddenSize: 4, seed: 3 }, { inferenceBatchSize: 6 });
    const classifier = await createClassifier(model, { classes: 3, ...NO_REGULARISERS, seed: 5 });
    try {
      const ds = classifier.uploadDataset({ data, features: D, labels, ...(maxGpuBytes !== undefined ? { maxGpuBytes } : {}) });
      await classifier.createTrainer({ batchSize: 5, optimizer: { type: 'adam', learningRate: 0.05 } }).fit(ds, { epochs: 3 });
      const e = (await classifier.evaluate(ds)).classifier!;
      const predicted = await classifier.predict(ds);
      return { streamed: ds.stream !== undefined, params: tensorBits(await classifier.getParameters()), loss: e.loss, confusion: e.confusion, classes: Array.from(predicted.classes) };
    } finally {
      classifier.dispose();
      model.dispose();
    }
  };
  const streamed = await fineTune(2 * WINDOW * D);
  const resident = await fineTune();
  expect([streamed.streamed, resident.streamed]).toEqual([true, false]);
  expect(streamed.params).toEqual(resident.params);
  expect(streamed.loss).toBe(resident.loss);
  expect(streamed.confusion).toEqual(resident.confusion);
  expect(streamed.classes).toEqual(resident.classes);
});

test('batches larger than a window, and a budget below two windows of 4 samples, are refused with the numbers; releasing frees both windows', async () => {
  const model = await createAutoencoder({ inputSize: D, hiddenSize: 3 });
  try {
    const data = new Uint8Array(100 * D);
    const ds = model.uploadDataset({ data, features: D, label: 'streamed', maxGpuBytes: 2 * WINDOW * D });
    expect(ds.stream?.windowRows).toBe(WINDOW);
    await expect(model.createTrainer({ batchSize: 9, optimizer: { type: 'sgd', learningRate: 0.1 } }).steps(ds, 1)).rejects.toThrow(
      /batchSize 9 is larger than this streamed dataset's windows \(8 samples\); use a batch of at most 8, or upload it with a maxGpuBytes of at least 168/,
    );
    // The default inference batch (256 rows) does not fit either.
    await expect(model.encode(ds)).rejects.toThrow(/a batch of 100 samples does not fit this streamed dataset's windows of 8 samples: use batches of at most 8 \(batchSize, inferenceBatchSize\), or upload it with a maxGpuBytes of at least 1400/);
    expect(() => model.uploadDataset({ data, features: D, maxGpuBytes: 8 * D - 1 })).toThrow(/maxGpuBytes 55 holds fewer than two windows of 4 samples of 7 bytes \(56 bytes\)/);
    expect(() => model.uploadDataset({ data, features: D, maxGpuBytes: 1.5 })).toThrow(/maxGpuBytes must be an integer of at least 16 \(got 1.5\)/);
    const before = liveGpuMemory().buffers;
    model.releaseDataset(ds);
    // Both windows, and the position → window-row buffer that the refused encode made.
    expect(liveGpuMemory().buffers).toBe(before - 3);
  } finally {
    model.dispose();
  }
});

test('a device lost mid-run: the streamed data set is rebuilt on the new device and the run ends bit-identical to an uninterrupted resident one', async () => {
  const data = Uint8Array.from(randomArray(COUNT * D, 9, 0, 255), Math.round);
  const config: AutoencoderConfig = { inputSize: D, hiddenSize: 3, seed: 4, noise: { type: 'masking', rate: 0.25 } };
  const options = { batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 }, syncEvery: 3, snapshotEvery: 7 } as const;
  const resident = await createAutoencoder(config);
  await resident.createTrainer(options).fit(resident.uploadDataset({ data, features: D }), { epochs: 3 });
  const want = tensorBits(await resident.getParameters());
  resident.dispose();

  const model = await createAutoencoder(config, { inferenceBatchSize: 6 });
  try {
    const ds = model.uploadDataset({ data, features: D, maxGpuBytes: 2 * WINDOW * D });
    const trainer = model.createTrainer(options);
    const first = model.gpu.device;
    let destroyed = false;
    await trainer.fit(ds, {
      epochs: 3,
      onProgress: (p) => {
        if (!destroyed && p.step >= 15) {
          destroyed = true;
          first.destroy();
        }
      },
    });
    expect(trainer.recoveries).toHaveLength(1);
    expect(model.gpu.device).not.toBe(first);
    expect(ds.stream?.windowRows).toBe(WINDOW);
    expect(tensorBits(await model.getParameters())).toEqual(want);
    expect((await model.evaluate(ds)).reconstruction).toBeGreaterThan(0);
  } finally {
    model.dispose();
  }
});
