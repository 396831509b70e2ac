// The trainer's loss log has a fixed number of slots (one per step between
// syncs): a syncEvery above it must still sync before a slot is reused, in
// fit() as in steps(), so every step's loss is its own.
import { expect, test } from 'vitest';
import { createAutoencoder } from '../../src/index';
import { randomArray } from './helpers';

test('fit() with syncEvery above the loss log slots reports the same losses as with frequent syncs', async () => {
  const D = 4;
  const COUNT = 300; // batch 1: 300 steps in the epoch, more than the log's 256 slots
  const data = randomArray(COUNT * D, 5, 0, 1);
  const run = async (syncEvery: number) => {
    const model = await createAutoencoder({ inputSize: D, hiddenSize: 2, seed: 3 });
    const steps: number[] = [];
    const [record] = await model
      .createTrainer({ batchSize: 1, optimizer: { type: 'sgd', learningRate: 0.05 }, syncEvery, snapshotEvery: 1000 })
      .fit(model.uploadDataset({ data, features: D }), { epochs: 1, onProgress: (p) => void steps.push(p.step) });
    model.dispose();
    return { trainLoss: record.trainLoss, steps };
  };
  const frequent = await run(20);
  const rare = await run(1000);
  console.log(`epoch loss: syncEvery 20 ${frequent.trainLoss}, syncEvery 1000 ${rare.trainLoss}; progress at steps ${rare.steps.join(', ')}`);
  expect(rare.trainLoss).toBe(frequent.trainLoss);
  expect(rare.steps).toEqual([256, 300]);
});
