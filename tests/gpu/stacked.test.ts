// Greedy layer-wise pretraining on real digits: each stage trains the variant it
// was given on the codes of the stages below, the stacked weights land in the deep
// model, fine-tuning continues from them, and the pretrained stack beats the
// same deep model trained from a random start for as many epochs in all.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, liveGpuMemory, loadMnist, trainStacked, type Mnist, type StageEvent } from '../../src/index';
import { testGpu, type TestGpu } from './helpers';

let t: TestGpu;
let mnist: Mnist;
beforeAll(async () => {
  t = await testGpu();
  mnist = await loadMnist({ trainLimit: 1000, testLimit: 300 });
});
afterAll(() => t.gpu.destroy());

const ADAM = { type: 'adam', learningRate: 0.003 } as const;
const CONFIG = { inputSize: 784, hiddenSizes: [128, 32], seed: 5 };

test('a 784–128–32 sigmoid stack: denoising then contractive stages, then fine-tuning', async () => {
  const start = liveGpuMemory();
  const model = await createAutoencoder(CONFIG, { gpu: t.gpu });
  const train = model.uploadDataset({ data: mnist.train.images, features: 784 });
  const test = model.uploadDataset({ data: mnist.test.images, features: 784 });
  const stages: StageEvent[] = [];
  let progress = 0;
  const result = await trainStacked(model, train, {
    pretrain: { epochs: 2, batchSize: 20, optimizer: ADAM },
    stages: [{ noise: { type: 'masking', rate: 0.25 } }, { contractive: 0.1 }],
    fineTune: { epochs: 2, batchSize: 20, optimizer: ADAM },
    evalData: test,
    onStage: (s) => stages.push(s),
    onProgress: (p) => {
      expect(p.stage).toBe(stages.at(-1));
      progress += 1;
    },
  });
  expect(stages.map((s) => `${s.kind}${s.layer ?? ''}`)).toEqual(['pretrain0', 'pretrain1', 'fine-tune']);
  expect(stages[1].config).toMatchObject({ inputSize: 128, hiddenSize: 32, decoderActivation: 'sigmoid', loss: 'bce', contractive: 0.1 });
  expect(progress).toBeGreaterThanOrEqual(6);
  expect(result.pretrain.map((r) => r.length)).toEqual([2, 2]);
  // Each stage trained what it was asked to: stage 1 paid a contractive penalty, and both learned.
  expect(result.pretrain[1][0].components.contractive).toBeGreaterThan(0);
  expect(result.pretrain[0][0].components.contractive).toBe(0);
  for (const r of result.pretrain) expect(r[1].trainLoss).toBeLessThan(r[0].trainLoss);
  const stacked = result.fineTune.at(-1)!.evalLoss!;

  // The same deep model from its random initialisation, trained end to end for as
  // many epochs as the stack had in all: 2 per pretrained layer, then 2 of fine-tuning.
  const totalEpochs = 2 * CONFIG.hiddenSizes.length + 2;
  const scratch = await createAutoencoder(CONFIG, { gpu: t.gpu });
  const train2 = scratch.uploadDataset({ data: mnist.train.images, features: 784 });
  const test2 = scratch.uploadDataset({ data: mnist.test.images, features: 784 });
  const history = await scratch.createTrainer({ batchSize: 20, optimizer: ADAM }).fit(train2, { epochs: totalEpochs, evalData: test2 });
  const fromScratch = history.at(-1)!.evalLoss!;
  console.log(
    `held-out BCE per digit: pretrained stack ${result.fineTune.map((r) => r.evalLoss!.toFixed(1)).join(' → ')}; ` +
      `random start ${history.map((r) => r.evalLoss!.toFixed(1)).join(' → ')}; ` +
      `stage losses ${result.pretrain.map((r) => r.map((e) => e.trainLoss.toFixed(2)).join('→')).join(' | ')}`,
  );
  // At equal epochs the random start nearly catches up: measured 183.8 for the stack vs
  // 187.8 (and flat: 187.9 → 187.8 over its last epoch), a 2.1% gap. Requiring 1% keeps
  // half of it as headroom, and is still a gap the random start does not close by
  // training on (seeds are fixed; another adapter's float32 sums move these by far less).
  expect(stacked).toBeLessThan(0.99 * fromScratch);
  scratch.dispose();
  model.dispose();
  expect(liveGpuMemory()).toEqual(start); // stage models and their code datasets were freed
});

test('trainStacked rejects what it cannot do, naming the reason', async () => {
  const vae = await createAutoencoder({ inputSize: 784, hiddenSizes: [16, 2], variational: true }, { gpu: t.gpu });
  const data = vae.uploadDataset({ data: mnist.test.images.subarray(0, 784 * 10), features: 784 });
  const opts = { pretrain: { epochs: 1, batchSize: 5, optimizer: ADAM }, fineTune: false as const };
  await expect(trainStacked(vae, data, opts)).rejects.toThrow(/variational autoencoder is trained end to end/);
  vae.dispose();
  const deep = await createAutoencoder({ inputSize: 784, hiddenSizes: [16, 8] }, { gpu: t.gpu });
  const d2 = deep.uploadDataset({ data: mnist.test.images.subarray(0, 784 * 10), features: 784 });
  await expect(trainStacked(deep, d2, { ...opts, stages: [{}, {}, {}] })).rejects.toThrow(/at most 2 entries/);
  deep.dispose();
});
