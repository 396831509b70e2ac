// Bad calls on a real device: each throws a message naming what was wrong and
// what is allowed, and nothing stays allocated on the GPU afterwards.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory, type Autoencoder } from '../../src/index';
import { testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

type Case = [string, (m: Autoencoder) => unknown, RegExp];
const CASES: Case[] = [
  ['batch size 0', (m) => m.createTrainer({ batchSize: 0, optimizer: { type: 'sgd', learningRate: 0.1 } }), /batchSize must be a positive integer \(got 0\)/],
  ['NaN learning rate', (m) => m.createTrainer({ batchSize: 4, optimizer: { type: 'sgd', learningRate: NaN } }), /learningRate must be a finite number > 0, got NaN/],
  ['data length not a multiple of features', (m) => m.uploadDataset({ data: new Uint8Array(10), features: 6 }), /count must be a positive integer, got 1\.6\d* \(data.length 10 \/ features 6\)/],
  ['features ≠ inputSize', (m) => m.uploadDataset({ data: new Uint8Array(10), features: 5 }), /5 features per sample but the model's inputSize is 6/],
  ['NaN in float data', (m) => m.uploadDataset({ data: Float32Array.from([0, 1, 2, NaN, 4, 5]), features: 6 }), /NaN|finite/],
  ['rows outside the dataset', (m) => m.reconstruct(m.uploadDataset({ data: new Uint8Array(12), features: 6 }), 1, 5), /rows \[1, 6\) are outside the dataset's 0\.\.2/],
  [
    'batch larger than the dataset',
    (m) => m.createTrainer({ batchSize: 8, optimizer: { type: 'sgd', learningRate: 0.1 } }).steps(m.uploadDataset({ data: new Uint8Array(12), features: 6 }), 1),
    /batchSize 8 is larger than the dataset \(2 samples\)/,
  ],
  ['wrong parameter length', (m) => m.setParameters({ 'encoder.0.bias': [1, 2] }), /encoder.0.bias has 3 values \(shape \[3\]\), got 2/],
  ['unknown parameter', (m) => m.setParameters({ 'encoder.1.weight': [1] }), /no parameter 'encoder.1.weight'/],
  ['non-finite parameter', (m) => m.setParameters({ 'encoder.0.bias': [0, Infinity, 0] }), /encoder.0.bias\[1\] is Infinity/],
];

for (const [name, call, message] of CASES) {
  test(name, async () => {
    const before = liveGpuMemory();
    const model = await createAutoencoder({ inputSize: 6, hiddenSize: 3 }, { gpu: t.gpu });
    await expect(async () => call(model)).rejects.toThrow(message);
    model.dispose();
    expect(liveGpuMemory()).toEqual(before);
  });
}

test('calls after dispose() are refused', async () => {
  const model = await createAutoencoder({ inputSize: 6, hiddenSize: 3 }, { gpu: t.gpu });
  const data = model.uploadDataset({ data: new Uint8Array(12), features: 6 });
  model.dispose();
  expect(() => model.uploadDataset({ data: new Uint8Array(6), features: 6 })).toThrow(/disposed/);
  await expect(model.evaluate(data)).rejects.toThrow(/disposed/);
  await expect(model.getParameters()).rejects.toThrow(/disposed/);
  expect(() => model.createTrainer({ batchSize: 1, optimizer: { type: 'sgd', learningRate: 1 } })).toThrow(/disposed/);
});

test("a dataset freed with its model, or on another device, is refused by name", async () => {
  const first = await createAutoencoder({ inputSize: 6, hiddenSize: 3 }, { gpu: t.gpu });
  const second = await createAutoencoder({ inputSize: 6, hiddenSize: 3 }, { gpu: t.gpu });
  const shared = first.uploadDataset({ data: new Uint8Array(12), features: 6 });
  expect((await second.evaluate(shared)).reconstruction).toBeGreaterThan(0); // same device: fine
  first.dispose();
  await expect(second.evaluate(shared)).rejects.toThrow(/freed when the model that uploaded it was disposed/);
  const elsewhere = await createAutoencoder({ inputSize: 6, hiddenSize: 3 }); // its own device
  await expect(elsewhere.evaluate(second.uploadDataset({ data: new Uint8Array(12), features: 6 }))).rejects.toThrow(/another GPUDevice/);
  elsewhere.dispose();
  second.dispose();
});

test('a layer beyond maxStorageBufferBindingSize is refused up front with the limit named', async () => {
  const before = liveGpuMemory();
  const limit = t.device.limits.maxStorageBufferBindingSize;
  const hidden = Math.ceil(limit / 4 / 1000) + 1;
  await expect(createAutoencoder({ inputSize: 1000, hiddenSize: hidden }, { gpu: t.gpu })).rejects.toThrow(/maxStorageBufferBindingSize/);
  expect(liveGpuMemory()).toEqual(before);
});
