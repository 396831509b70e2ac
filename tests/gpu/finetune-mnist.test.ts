// Supervised fine-tuning on real digits: an autoencoder pretrained on 2 000 MNIST
// digits, then a softmax head on its codes trained with labels, once with the
// encoder frozen (the linear probe as a special case of the same path) and once
// end to end. Fine-tuning the encoder must beat the frozen probe on the same
// codes, on held-out digits.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, createClassifier, liveGpuMemory, loadMnist, type Autoencoder, type Mnist } from '../../src/index';
import { testGpu, type TestGpu } from './helpers';

let t: TestGpu;
let mnist: Mnist;
beforeAll(async () => {
  t = await testGpu();
  mnist = await loadMnist({ trainLimit: 2000, testLimit: 500 });
});
afterAll(() => t.gpu.destroy());

async function fineTune(ae: Autoencoder, freezeEncoder: boolean, epochs: number, learningRate: number) {
  const clf = await createClassifier(ae, { classes: 10, freezeEncoder });
  try {
    const train = clf.uploadDataset({ data: mnist.train.images, features: 784, labels: mnist.train.labels });
    const test = clf.uploadDataset({ data: mnist.test.images, features: 784, labels: mnist.test.labels });
    const trainer = clf.createTrainer({ batchSize: 50, optimizer: { type: 'adam', learningRate }, seed: 5 });
    const history = await trainer.fit(train, { epochs });
    const ev = await clf.evaluate(test);
    return { history, ev: ev.classifier!, reconstruction: ev.reconstruction, samplesPerSecond: history.at(-1)!.samplesPerSecond };
  } finally {
    clf.dispose();
  }
}

test('fine-tuning the encoder beats the frozen-encoder probe on the same codes (2 000 digits, 500 held out)', async () => {
  const before = liveGpuMemory();
  const ae = await createAutoencoder({ inputSize: 784, hiddenSize: 32, encoderActivation: 'relu', seed: 2 }, { gpu: t.gpu });
  try {
    const train = ae.uploadDataset({ data: mnist.train.images, features: 784 });
    await ae.createTrainer({ batchSize: 50, optimizer: { type: 'adam', learningRate: 0.003 } }).fit(train, { epochs: 2 });
    const aeParams = await ae.getParameters();

    // The frozen head is a convex problem on fixed codes: it gets three times the
    // epochs and a larger step, so the comparison favours the probe.
    const frozen = await fineTune(ae, true, 12, 0.01);
    const tuned = await fineTune(ae, false, 4, 0.003);
    // Neither touched the autoencoder.
    for (const [k, v] of Object.entries(await ae.getParameters())) expect(Array.from(v), k).toEqual(Array.from(aeParams[k]));
    const line = (name: string, r: typeof frozen) =>
      `${name}: held-out accuracy ${r.ev.accuracy.toFixed(3)}, cross-entropy ${r.ev.loss.toFixed(3)}, train xent ${r.history.map((h) => h.components.classifier.toFixed(3)).join(' → ')}, ${Math.round(r.samplesPerSecond)} samples/s`;
    console.log(line('frozen encoder (probe)', frozen));
    console.log(line('fine-tuned end to end', tuned));
    console.log(`per-class accuracy, fine-tuned: ${tuned.ev.perClassAccuracy.map((a) => a.toFixed(2)).join(' ')}`);
    // Measured (SwiftShader, these seeds): frozen 0.722, fine-tuned 0.864 (the issue's
    // earlier attempt: 0.770 vs 0.861 on 2 000 digits). The frozen head sees 32 ReLU
    // codes learnt only to reconstruct; end to end, the encoder's 25 000 weights move
    // towards the classes too. Chance is 0.1. We ask for a margin of 5 points (25 of
    // 500 digits; a third of the measured 14) and for each model to have clearly
    // learnt (the probe more than half its measured margin over chance).
    expect(tuned.ev.accuracy).toBeGreaterThan(frozen.ev.accuracy + 0.05);
    expect(tuned.ev.accuracy).toBeGreaterThan(0.8);
    expect(frozen.ev.accuracy).toBeGreaterThan(0.5);
    expect(tuned.ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500);
  } finally {
    ae.dispose();
  }
  expect(liveGpuMemory()).toEqual(before);
});
