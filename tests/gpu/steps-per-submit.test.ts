// Several training steps per queue submit (stepsPerSubmit): each step of a group
// reads its own Step values (seed of the noise and dropout draws, batch offset and
// valid rows, scheduled learning rate, Adam's corrections), so any grouping ends
// bit-identical to one submit per step, across epochs whose last batch is partial,
// with fewer submits.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory, type AutoencoderConfig, type TrainerOptions } from '../../src/index';
import { randomArray, tensorBits } from './helpers';

const D = 13;
const H = 5;
const COUNT = 37; // batches of 8: 5 steps per epoch, the last one of 5 rows
const DATA = randomArray(COUNT * D, 8, 0, 1);
const CONFIG: AutoencoderConfig = { inputSize: D, hiddenSize: H, seed: 4, noise: { type: 'masking', rate: 0.3 }, dropout: 0.2 };
// syncEvery 7 and groups of 3 or 4: groups end at syncs and epoch ends at different places.
const OPTIONS: TrainerOptions = { batchSize: 8, optimizer: { type: 'adam', learningRate: 0.02 }, schedule: { type: 'cosine', warmupSteps: 3, totalSteps: 19 }, syncEvery: 7 };

let start: ReturnType<typeof liveGpuMemory>;
beforeAll(() => {
  start = liveGpuMemory();
});
afterAll(() => expect(liveGpuMemory()).toEqual(start));

/** Train 3 epochs and 4 more steps with `stepsPerSubmit`; the weights, losses and queue submits of the training calls. */
async function run(stepsPerSubmit: number) {
  const model = await createAutoencoder(CONFIG);
  try {
    const data = model.uploadDataset({ data: DATA, features: D });
    const trainer = model.createTrainer({ ...OPTIONS, stepsPerSubmit });
    const queue = model.gpu.device.queue;
    const submit = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (buffers) => {
      submits++;
      return submit(buffers);
    };
    try {
      const history = await trainer.fit(data, { epochs: 3 });
      const steps = await trainer.steps(data, 4);
      return { params: tensorBits(await model.getParameters()), losses: [...history.map((h) => h.trainLoss), ...steps.map((s) => s.total)], submits, stepCount: trainer.stepsTaken };
    } finally {
      queue.submit = submit;
      trainer.dispose();
    }
  } finally {
    model.dispose();
  }
}

test('any grouping of steps into submits ends bit-identical to one submit per step, with fewer submits', async () => {
  const one = await run(1);
  expect(one.stepCount).toBe(3 * 5 + 4);
  for (const k of [3, 4, 64]) {
    const grouped = await run(k);
    expect(grouped.params, `stepsPerSubmit ${k}: weights`).toEqual(one.params);
    expect(grouped.losses, `stepsPerSubmit ${k}: losses`).toEqual(one.losses);
    // The same syncs and snapshots (their submits) in both runs; only the steps' own submits are grouped.
    expect(grouped.submits, `stepsPerSubmit ${k}`).toBeLessThan(one.submits - 5);
  }
});

test('stepsPerSubmit must be an integer in [1, 64]', async () => {
  const model = await createAutoencoder(CONFIG);
  try {
    for (const bad of [0, 65, 2.5]) {
      expect(() => model.createTrainer({ ...OPTIONS, stepsPerSubmit: bad })).toThrow(`stepsPerSubmit must be an integer in [1, 64] (got ${bad})`);
    }
  } finally {
    model.dispose();
  }
});
