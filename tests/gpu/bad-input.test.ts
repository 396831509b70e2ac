// More bad input, table-driven, on a real device (with tests/unit/config.test.ts,
// tests/gpu/validation.test.ts and the file rejections in model-file.test.ts):
// every call throws a message naming the field and what is allowed, and nothing
// stays allocated on the GPU afterwards.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory, loadModel, saveModel, type Autoencoder, type Gpu } from '../../src/index';
import { testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const sgd = { type: 'sgd', learningRate: 0.1 } as const;
const pixels = (n: number) => new Uint8Array(n * 6);
const floats = (...v: number[]) => Float32Array.from(v);

type Case = [string, (m: Autoencoder, gpu: Gpu) => unknown, RegExp];
const CASES: Case[] = [
  // Data
  ['pixel value above 1 for the cross-entropy', (m) => m.uploadDataset({ data: floats(0, 0.5, 1.5, 0, 0, 0), features: 6 }), /value 1\.5 at sample 0, feature 2 is outside \[0, 1\] \(the 'bce' loss reads inputs as probabilities/],
  ['negative pixel value for the cross-entropy', (m) => m.uploadDataset({ data: floats(0, 0, 0, 0, 0, 0, 0, -0.25, 0, 0, 0, 0), features: 6 }), /value -0\.25 at sample 1, feature 1 is outside \[0, 1\]/],
  ['infinite value', (m) => m.uploadDataset({ data: floats(0, 0, 0, 0, 0, Infinity), features: 6 }), /value Infinity at sample 0, feature 5 is not finite/],
  ['data neither bytes nor floats', (m) => m.uploadDataset({ data: [0, 1, 2, 3, 4, 5] as unknown as Uint8Array, features: 6 }), /data must be a Uint8Array \(pixels 0\.\.255\) or a Float32Array/],
  ['count beyond the data', (m) => m.uploadDataset({ data: pixels(2), features: 6, count: 3 }), /data has 12 values but count×features = 3×6 = 18/],
  ['labels for the wrong number of samples', (m) => m.uploadDataset({ data: pixels(2), features: 6, labels: new Uint8Array(3) }), /3 labels for 2 samples/],
  ['empty data', (m) => m.uploadDataset({ data: new Uint8Array(0), features: 6 }), /count must be a positive integer, got 0/],
  // Training options and calls
  ['fractional batch size', (m) => m.createTrainer({ batchSize: 2.5, optimizer: sgd }), /batchSize must be a positive integer \(got 2\.5\)/],
  ['batch beyond maxStorageBufferBindingSize', (m, gpu) => m.createTrainer({ batchSize: Math.floor(gpu.limits.maxStorageBufferBindingSize / 24) + 1, optimizer: sgd }), /needs \d+-byte batch buffers, above maxStorageBufferBindingSize \(\d+\); use a batch of at most \d+/],
  ['syncEvery 0', (m) => m.createTrainer({ batchSize: 2, optimizer: sgd, syncEvery: 0 }), /syncEvery must be a positive integer \(got 0\)/],
  ['snapshotEvery 0', (m) => m.createTrainer({ batchSize: 2, optimizer: sgd, snapshotEvery: 0 }), /snapshotEvery must be a positive integer \(got 0\)/],
  ['unknown device-loss action', (m) => m.createTrainer({ batchSize: 2, optimizer: sgd, onDeviceLost: 'retry' as never }), /onDeviceLost must be 'recover', 'stop' or a function \(got "retry"\)/],
  ['unknown matmul kernel', (m) => m.createTrainer({ batchSize: 2, optimizer: sgd, matmulKernel: 'naive' as never }), /matmulKernel must be one of 'auto', 'tune', 'blocked', 'tiled', 'subgroup' \(got "naive"\)/],
  ['trainer seed 2^32', (m) => m.createTrainer({ batchSize: 2, optimizer: sgd, seed: 2 ** 32 }), /seed must be an integer in \[0, 2\^32\) \(got 4294967296\)/],
  ['Adam beta1 of 1', (m) => m.createTrainer({ batchSize: 2, optimizer: { type: 'adam', learningRate: 1e-3, beta1: 1 } }), /beta1 must be a number in \[0, 1\), got 1/],
  ['negative learning rate', (m) => m.createTrainer({ batchSize: 2, optimizer: { type: 'momentum', learningRate: -0.1 } }), /learningRate must be a finite number > 0, got -0\.1/],
  ['zero epochs', (m) => m.createTrainer({ batchSize: 2, optimizer: sgd }).fit(m.uploadDataset({ data: pixels(4), features: 6 }), { epochs: 0 }), /epochs must be a positive integer \(got 0\)/],
  ['negative step count', (m) => m.createTrainer({ batchSize: 2, optimizer: sgd }).steps(m.uploadDataset({ data: pixels(4), features: 6 }), -1), /n must be a non-negative integer \(got -1\)/],
  ['evaluation data of another width', async (m) => {
    const other = await createAutoencoder({ inputSize: 5, hiddenSize: 2 }, { gpu: t.gpu });
    try {
      await m.createTrainer({ batchSize: 2, optimizer: sgd }).fit(m.uploadDataset({ data: pixels(4), features: 6 }), { epochs: 1, evalData: other.uploadDataset({ data: new Uint8Array(10), features: 5 }) });
    } finally {
      other.dispose();
    }
  }, /dataset has 5 features per sample but the model's inputSize is 6/],
  ['negative start row', (m) => m.encode(m.uploadDataset({ data: pixels(4), features: 6 }), -1, 2), /rows \[-1, 1\) are outside the dataset's 0\.\.4/],
  ['zero inference batch size', () => createAutoencoder({ inputSize: 6, hiddenSize: 3 }, { gpu: t.gpu, inferenceBatchSize: 0 }), /inferenceBatchSize must be a positive integer \(got 0\)/],
  // Model files that do not match
  ['saved state imported into a trainer with another seed', async (m) => {
    const state = await m.createTrainer({ batchSize: 2, optimizer: sgd, seed: 4 }).exportState();
    m.createTrainer({ batchSize: 2, optimizer: sgd, seed: 5 }).importState(state);
  }, /saved run used seed 4, shuffle true; this trainer has seed 5, shuffle true/],
  ['saved Adam state imported into an SGD trainer', async (m) => {
    const adam = m.createTrainer({ batchSize: 2, optimizer: { type: 'adam', learningRate: 1e-3 } });
    const state = await adam.exportState();
    m.createTrainer({ batchSize: 2, optimizer: sgd }).importState(state);
  }, /saved optimizer is 'adam', this trainer's is 'sgd'/],
  ['model file loaded with an inference batch beyond the device limit', async (m) => {
    const bytes = await saveModel(m);
    await loadModel(bytes, { gpu: t.gpu, inferenceBatchSize: Math.floor(t.device.limits.maxStorageBufferBindingSize / 24) + 1 });
  }, /needs \d+ bytes, above this device's maxStorageBufferBindingSize \(\d+\); use smaller layers/],
  ['trainer used after its dispose()', (m) => {
    const tr = m.createTrainer({ batchSize: 2, optimizer: sgd });
    tr.dispose();
    return tr.steps(m.uploadDataset({ data: pixels(4), features: 6 }), 1);
  }, /this Trainer was disposed/],
];

for (const [name, call, message] of CASES) {
  test(name, async () => {
    const before = liveGpuMemory();
    const model = await createAutoencoder({ inputSize: 6, hiddenSize: 3 }, { gpu: t.gpu });
    await expect(async () => call(model, t.gpu)).rejects.toThrow(message);
    model.dispose();
    expect(liveGpuMemory()).toEqual(before);
  });
}
