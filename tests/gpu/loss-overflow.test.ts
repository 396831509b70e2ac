// The decoder's loss epilogue feeds the non-finite guard: a loss that is
// infinite stops training before the update, named as the loss, with the last
// finite weights kept.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory } from '../../src/index';

const D = 7;
const COUNT = 13;

let start: ReturnType<typeof liveGpuMemory>;
beforeAll(() => {
  start = liveGpuMemory();
});
afterAll(() => expect(liveGpuMemory()).toEqual(start));

test('a reconstruction loss that overflows only in its sum is caught before the update and named as the loss', async () => {
  // Targets of 1e20 under MSE: every (x̂ − x)² is 1e40, +Infinity in f32, so the
  // per-element losses of the decoder's epilogue and their logged sum are infinite.
  // The guard reads the step's loss row after the loss log wrote it (code 0, the
  // loss, wins over any gradient it also finds).
  const model = await createAutoencoder({ inputSize: D, hiddenSize: 3, loss: 'mse', decoderActivation: 'linear', seed: 2 });
  try {
    const ds = model.uploadDataset({ data: new Float32Array(COUNT * D).fill(1e20), features: D });
    const before = await model.getParameters();
    const trainer = model.createTrainer({ batchSize: 5, optimizer: { type: 'sgd', learningRate: 0.1 } });
    const err = (await trainer.steps(ds, 1).catch((e: Error) => e)) as Error & { step: number; tensor: string };
    expect(err.name).toBe('TrainingDivergedError');
    expect([err.step, err.tensor]).toEqual([1, 'loss (reconstruction = Infinity)']);
    expect(trainer.stepsTaken).toBe(0);
    const after = await model.getParameters();
    for (const k of Object.keys(before)) expect(Array.from(after[k])).toEqual(Array.from(before[k]));
  } finally {
    model.dispose();
  }
});
