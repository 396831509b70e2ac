// A data set larger than one binding (maxStorageBufferBindingSize) is split by
// rows across up to 3 buffers that the gather kernel binds side by side. Forced
// here with maxBindingBytes on awkward shapes (7 features, so u8 rows straddle
// words; 37 samples in parts of 16, 16 and 5): training, encoding and evaluation
// on the split data set are bit-identical to the same samples in one buffer.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory, type AutoencoderConfig } from '../../src/index';
import { randomArray, floatBits, tensorBits } from './helpers';

const D = 7;
const COUNT = 37;
const ROWS_PER_PART = 16;

let start: ReturnType<typeof liveGpuMemory>;
beforeAll(() => {
  start = liveGpuMemory();
});
afterAll(() => expect(liveGpuMemory()).toEqual(start));

/** Train 2 epochs (batches of 5 that cross the parts' boundaries), then encode and evaluate. */
async function run(config: AutoencoderConfig, data: Uint8Array | Float32Array, maxBindingBytes?: number) {
  const model = await createAutoencoder(config);
  try {
    const ds = model.uploadDataset({ data, features: D, label: 'split test', ...(maxBindingBytes !== undefined ? { maxBindingBytes } : {}) });
    const parts = ds.parts.length;
    const trainer = model.createTrainer({ batchSize: 5, optimizer: { type: 'adam', learningRate: 0.05 }, syncEvery: 3 });
    const history = await trainer.fit(ds, { epochs: 2 });
    const codes = await model.encode(ds);
    const evaluation = await model.evaluate(ds);
    return { parts, rowsPerPart: ds.rowsPerPart, params: tensorBits(await model.getParameters()), losses: history.map((h) => h.trainLoss), codes: floatBits(codes), reconstruction: evaluation.reconstruction };
  } finally {
    model.dispose();
  }
}

test.each([
  { format: 'u8', rowBytes: D, data: Uint8Array.from(randomArray(COUNT * D, 3, 0, 255), Math.round), config: { noise: { type: 'masking', rate: 0.3 } } },
  { format: 'f32', rowBytes: 4 * D, data: randomArray(COUNT * D, 4, -1, 1), config: { loss: 'mse', decoderActivation: 'linear', noise: { type: 'gaussian', stddev: 0.1 } } },
] as const)('$format: split into 3 parts, training, codes and evaluation are bit-identical to one buffer', async ({ rowBytes, data, config }) => {
  const full: AutoencoderConfig = { inputSize: D, hiddenSize: 3, seed: 6, ...config };
  // 16 rows fit; a 17th would not, so the split is 16 + 16 + 5.
  const split = await run(full, data, ROWS_PER_PART * rowBytes + rowBytes - 1);
  const whole = await run(full, data);
  expect([split.parts, split.rowsPerPart]).toEqual([3, ROWS_PER_PART]);
  expect([whole.parts, whole.rowsPerPart]).toEqual([1, COUNT]);
  expect(split.losses).toEqual(whole.losses);
  expect(split.params).toEqual(whole.params);
  expect(split.codes).toEqual(whole.codes);
  expect(split.reconstruction).toBe(whole.reconstruction);
  // The runs trained: the loss moved (the same in both, so this rules out two untouched models agreeing).
  expect(whole.losses[1]).not.toBe(whole.losses[0]);
});

test('a data set that needs more than 3 parts streams instead; a binding too small for 4 rows is refused with the numbers', async () => {
  const model = await createAutoencoder({ inputSize: D, hiddenSize: 3 });
  try {
    const data = new Uint8Array(100 * D);
    // 16 rows per 112-byte part: 100 samples would need 7, so they stream through two windows of 16 (tests/gpu/dataset-stream.test.ts).
    const big = model.uploadDataset({ data, features: D, label: 'big', maxBindingBytes: 16 * D });
    expect([big.stream?.windowRows, big.parts.length, big.parts.map((p) => p.label)]).toEqual([16, 2, ['autoencoder/big window 1/2', 'autoencoder/big window 2/2']]);
    model.releaseDataset(big);
    expect(() => model.uploadDataset({ data, features: D, maxBindingBytes: 8 })).toThrow(/maxBindingBytes must be an integer of at least 16 \(got 8\)/);
    // A part must hold at least 4 rows (u8 parts start on a word): 16 bytes is 2 rows of 7.
    expect(() => model.uploadDataset({ data, features: D, maxBindingBytes: 16 })).toThrow(/one buffer of at most 16 bytes \(.*maxBindingBytes 16\) holds fewer than 4 samples of 7 bytes/);
    // Releasing a split data set frees every part.
    const before = liveGpuMemory().buffers;
    const ds = model.uploadDataset({ data: data.subarray(0, 40 * D), features: D, maxBindingBytes: 16 * D });
    expect(ds.parts.length).toBe(3);
    expect(liveGpuMemory().buffers).toBe(before + 3);
    model.releaseDataset(ds);
    expect(liveGpuMemory().buffers).toBe(before);
  } finally {
    model.dispose();
  }
});
