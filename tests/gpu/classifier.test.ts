// Supervised fine-tuning on the GPU (config.classifier): one training step's loss
// and the gradient of every parameter against the float64 reference, on awkward
// shapes (odd sizes, class counts not multiples of 4, a partial batch, batch 1),
// for 1- and 3-layer encoders and a VAE's μ, with dropout and input noise, frozen
// and unfrozen, with and without the reconstruction term; then what fine-tuning
// adds to the model: frozen tensors that never move, predict(), evaluate(), a
// safetensors round trip, createClassifier() and device-loss recovery.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAutoencoder, createClassifier, decodeSafetensors, loadModel, saveModel, type AutoencoderConfig } from '../../src/index';
import { autoencoderStepRef, type Params } from '../../src/reference/autoencoder';
import { dropoutScaleRef } from '../../src/reference/dropout';
import { rngNormal, STREAM_VAE_EPS } from '../../src/random/rng';
import { readFloats } from '../../src/gpu/arena';
import { architecture, trainedTensors } from '../../src/model/architecture';
import { compare, randomArray, testGpu, type TestGpu, tensorBits } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const D = 13;
const COUNT = 8;

function toF64(p: Record<string, Float32Array>): Params {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));
}

function labelsFor(n: number, classes: number, seed: number): Uint8Array {
  return Uint8Array.from(randomArray(n, seed, 0, classes), (v) => Math.min(classes - 1, Math.floor(v)));
}

// The same float32 bound as train-step.test.ts: each gradient entry sums at most
// max(B, D, H, C) = 13 products of O(1) factors with f32 exp/log rounding
// (~1e-7 relative), so |gpu − ref| < 13 · 6e-8 · max|g| ≈ 1e-6 · max|g|; allowed:
// 1e-5 · max|g| absolute plus 1e-4 relative.
function expectClose(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>) {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  const r = compare(gpu, ref, 1e-4, 1e-5 * Math.max(scale, 1e-3));
  console.log(`${name}: max |gpu − ref| = ${r.maxAbs.toExponential(2)} (scale ${scale.toExponential(2)})`);
  expect(r.worst, `${name} worst at ${r.at}: gpu ${gpu[r.at]} ref ${ref[r.at]}`).toBeLessThanOrEqual(1);
}

const head = (classes: number, more: object = {}) => ({ classifier: { classes, ...more } });
/** [name, config, batch size]: batches of B then COUNT − B (padding rows), or 1 and 1. */
const CASES: Array<[string, AutoencoderConfig, number]> = [
  ['1 layer 13–7, C 3, head only', { inputSize: D, hiddenSize: 7, ...head(3) }, 5],
  ['1 layer, batch 1, C 5, w 0.5', { inputSize: D, hiddenSize: 7, ...head(5, { reconstructionWeight: 0.5 }) }, 1],
  ['1 layer, dropout + masking, C 7, w 0.7, weight decay', { inputSize: D, hiddenSize: 7, dropout: 0.3, noise: { type: 'masking', rate: 0.25 }, weightDecay: 0.02, ...head(7, { reconstructionWeight: 0.7 }) }, 5],
  ['1 layer, tied, relu / mse, C 3, w 0.4', { inputSize: D, hiddenSize: 5, tiedWeights: true, encoderActivation: 'relu', decoderActivation: 'linear', ...head(3, { reconstructionWeight: 0.4 }) }, 5],
  ['1 layer, frozen, dropout + gaussian, weight decay', { inputSize: D, hiddenSize: 7, dropout: 0.2, noise: { type: 'gaussian', stddev: 0.2 }, weightDecay: 0.02, ...head(5, { freezeEncoder: true }) }, 5],
  ['1 layer, frozen, w 1.5', { inputSize: D, hiddenSize: 7, ...head(3, { freezeEncoder: true, reconstructionWeight: 1.5 }) }, 5],
  ['3 layers 13–9–6–3, tanh, dropout + salt-and-pepper, C 7', { inputSize: D, hiddenSizes: [9, 6, 3], encoderActivation: 'tanh', dropout: 0.25, noise: { type: 'salt-and-pepper', rate: 0.2 }, ...head(7) }, 5],
  ['3 layers, dropout + masking, w 0.3, L1', { inputSize: D, hiddenSizes: [10, 7, 5], dropout: 0.2, noise: { type: 'masking', rate: 0.2 }, sparsity: { type: 'l1', lambda: 0.1 }, ...head(3, { reconstructionWeight: 0.3 }) }, 5],
  ['3 layers, frozen, dropout + masking, w 0.3', { inputSize: D, hiddenSizes: [9, 5, 3], dropout: 0.3, noise: { type: 'masking', rate: 0.2 }, ...head(5, { freezeEncoder: true, reconstructionWeight: 0.3 }) }, 5],
  ['3 layers, frozen, batch 1', { inputSize: D, hiddenSizes: [9, 6, 3], ...head(3, { freezeEncoder: true }) }, 1],
  ['VAE 13–9–3 μ path, C 5', { inputSize: D, hiddenSizes: [9, 3], encoderActivation: 'relu', variational: true, ...head(5) }, 5],
  ['1 layer, frozen, standardised codes, C 3', { inputSize: D, hiddenSize: 7, ...head(3, { freezeEncoder: true, standardiseCodes: true }) }, 5],
  ['3 layers, frozen, standardised, dropout, batch 1', { inputSize: D, hiddenSizes: [9, 6, 5], dropout: 0.25, ...head(5, { freezeEncoder: true, standardiseCodes: true }) }, 1],
  ['VAE μ, frozen, standardised, w 0.5', { inputSize: D, hiddenSizes: [9, 3], variational: true, ...head(3, { freezeEncoder: true, standardiseCodes: true, reconstructionWeight: 0.5 }) }, 5],
  ['VAE 13–9–5–3, w 0.5, β 2 warming up', { inputSize: D, hiddenSizes: [9, 5, 3], encoderActivation: 'tanh', decoderActivation: 'linear', variational: { beta: 2, warmupSteps: 4 }, ...head(3, { reconstructionWeight: 0.5 }) }, 5],
];

describe('classifier training step: GPU gradients equal the float64 reference', () => {
  for (const [name, cfg, B] of CASES) {
    test(name, async () => {
      const model = await createAutoencoder({ ...cfg, seed: 3 }, { gpu: t.gpu });
      try {
        const c = model.config;
        const C = c.classifier!.classes;
        const data = randomArray(COUNT * D, 11, 0, 1);
        const labels = labelsFor(COUNT, C, 12);
        const ds = model.uploadDataset({ data, features: D, labels });
        const norm = model.arch.codeNorm;
        // Statistics far from the identity (means across the codes' range, variances 0.01–2), so the standardisation shows.
        if (norm) model.setParameters({ [norm.mean]: randomArray(norm.size, 13, -0.5, 1), [norm.variance]: randomArray(norm.size, 14, 0.01, 2) });
        const trainer = model.createTrainer({ batchSize: B, optimizer: { type: 'sgd', learningRate: 0.1 }, shuffle: false });
        const params = toF64(await model.getParameters());
        const trained = trainedTensors(architecture(c), c);
        for (const [start, valid] of B === 1 ? [[0, 1], [1, 1]] : [[0, B], [B, COUNT - B]]) {
          const { rows, loss } = await trainer.computeGradients(ds);
          expect(rows).toBe(valid);
          const x = new Float64Array(B * D);
          for (let k = 0; k < valid * D; k++) x[k] = data[start * D + k];
          const input = trainer.plan.batch.noisy ? Float64Array.from(await readFloats(t.device, trainer.plan.batch.noisy, B * D)) : x;
          // Input noise changes the batch the encoder reads; without it the plan has no noisy copy.
          expect(input.some((v, k) => v !== x[k])).toBe(c.noise.type !== 'none');
          const keepMasks = c.hiddenSizes.map((n, l) => Float64Array.from(dropoutScaleRef(B, n, c.dropout, l, trainer.seed, 1, true), (v) => (v > 0 ? 1 : 0)));
          const Z = c.hiddenSize;
          const eps = c.variational ? Float64Array.from({ length: B * Z }, (_, k) => rngNormal(trainer.seed, STREAM_VAE_EPS, 1, start * Z + k)) : undefined;
          const batchLabels = Array.from(labels.subarray(start, start + valid));
          const ref = autoencoderStepRef(c, params, { clean: x, input, rows: B, validRows: valid, keepMasks: c.dropout > 0 ? keepMasks : undefined, eps, step: 1, labels: batchLabels });
          const grads = await trainer.readGradients();
          // Frozen, stated from the config here rather than taken from the library: a frozen encoder
          // (and its VAE heads), and a decoder (with log σ²) when no reconstruction term is kept.
          const { freezeEncoder, reconstructionWeight } = c.classifier!;
          // The code statistics are never trained.
          const isFrozen = (k: string) => (freezeEncoder && /^(encoder|mu|logvar)\./.test(k)) || (reconstructionWeight === 0 && /^(decoder|logvar)\./.test(k)) || k.startsWith('code_norm.');
          const names = Object.keys(ref.grads);
          expect(names.filter((k) => !isFrozen(k)).sort()).toEqual([...trained].sort());
          for (const k of names.filter((n) => !isFrozen(n))) expectClose(`${name} rows ${start}+${valid} ${k}`, grads[k], ref.grads[k]);
          for (const k of names.filter(isFrozen)) expect(grads[k].every((g) => g === 0), `${k} is not trained but has a gradient`).toBe(true);
          for (const part of ['classifier', 'reconstruction', 'vaeKl', 'l1', 'weightDecay'] as const) {
            expect(Math.abs(loss.components[part] - ref.loss[part]), part).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref.loss[part])));
          }
          expect(loss.components.classifier).toBeGreaterThan(0);
          expect(Math.abs(loss.total - ref.loss.total)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.loss.total));
        }
        trainer.dispose();
      } finally {
        model.dispose();
      }
    });
  }
});

describe('fine-tuning a classifier', () => {
  const C = 3;
  /** Three clusters in D = 13 dimensions, values in [0, 1]. */
  function clusters(n: number, seed: number): { data: Float32Array; labels: Uint8Array } {
    const labels = labelsFor(n, C, seed);
    const noise = randomArray(n * D, seed + 1, -0.15, 0.15);
    const data = Float32Array.from({ length: n * D }, (_, k) => {
      const r = Math.floor(k / D);
      const i = k % D;
      return Math.min(1, Math.max(0, (i % C === labels[r] ? 0.8 : 0.2) + noise[k]));
    });
    return { data, labels };
  }

  test('a frozen encoder never moves; the head and (w > 0) the decoder do; predict and evaluate agree', async () => {
    const ae = await createAutoencoder({ inputSize: D, hiddenSizes: [9, 5], encoderActivation: 'tanh', seed: 4 }, { gpu: t.gpu, inferenceBatchSize: 7 });
    const clf = await createClassifier(ae, { classes: C, freezeEncoder: true, reconstructionWeight: 0.5, dropout: 0.2 });
    try {
      expect(clf.config.dropout).toBe(0.2);
      const before = await clf.getParameters();
      const fromAe = await ae.getParameters();
      for (const [k, v] of Object.entries(fromAe)) expect(Array.from(before[k]), k).toEqual(Array.from(v));
      const train = clusters(60, 21);
      const ds = clf.uploadDataset({ data: train.data, features: D, labels: train.labels });
      const trainer = clf.createTrainer({ batchSize: 16, optimizer: { type: 'adam', learningRate: 0.1 }, seed: 2 });
      const history = await trainer.fit(ds, { epochs: 25, evalData: ds });
      const after = await clf.getParameters();
      for (const k of ['encoder.0.weight', 'encoder.0.bias', 'encoder.1.weight', 'encoder.1.bias']) expect(Array.from(after[k]), `${k} moved`).toEqual(Array.from(before[k]));
      for (const k of ['classifier.weight', 'classifier.bias', 'decoder.0.weight', 'decoder.1.bias']) expect(Array.from(after[k]), `${k} did not move`).not.toEqual(Array.from(before[k]));
      expect(history[24].components.classifier).toBeLessThan(history[0].components.classifier);
      expect(history[24].evalLoss).toBe(history[24].evaluation!.classifier!.loss);

      // predict: the same classes and probabilities for a Float32Array, a GPUBuffer and the dataset.
      const fromArray = await clf.predict(train.data);
      const fromDataset = await clf.predict(ds);
      const buffer = t.device.createBuffer({ label: 'test: classifier input', size: train.data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      t.device.queue.writeBuffer(buffer, 0, train.data as Float32Array<ArrayBuffer>);
      const fromBuffer = await clf.predict(buffer, { start: 5, count: 20 });
      buffer.destroy();
      expect(Array.from(fromDataset.classes)).toEqual(Array.from(fromArray.classes));
      expect(Array.from(fromBuffer.classes)).toEqual(Array.from(fromArray.classes.subarray(5, 25)));
      expect(fromArray.probabilities.length).toBe(60 * C);
      for (let r = 0; r < 60; r++) {
        const p = fromArray.probabilities.subarray(r * C, r * C + C);
        expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
        expect(p[fromArray.classes[r]]).toBe(Math.max(...p));
      }

      // evaluate: accuracy, per-class accuracy and the confusion matrix from the same predictions, the loss from the probabilities.
      const ev = (await clf.evaluate(ds)).classifier!;
      const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
      fromArray.classes.forEach((p, r) => (confusion[train.labels[r]][p] += 1));
      expect(ev.confusion).toEqual(confusion);
      const correct = confusion.reduce((a, row, k) => a + row[k], 0);
      expect(ev.accuracy).toBe(correct / 60);
      expect(ev.error).toBe(1 - correct / 60);
      expect(ev.perClassCount).toEqual(confusion.map((row) => row.reduce((a, b) => a + b, 0)));
      ev.perClassAccuracy.forEach((a, k) => expect(a).toBe(confusion[k][k] / ev.perClassCount[k]));
      const xent = -Array.from(train.labels).reduce((a, y, r) => a + Math.log(fromArray.probabilities[r * C + y]), 0) / 60;
      // f32 logits and probabilities: the mean cross-entropy agrees to ~1e-6 relative.
      expect(Math.abs(ev.loss - xent)).toBeLessThan(1e-5 * Math.max(1, xent));
      console.log(`frozen fine-tuning on clusters: accuracy ${ev.accuracy}, loss ${ev.loss.toFixed(4)}`);
      // Chance is 1/3; the clusters differ by 0.6 on a third of the features each, which even
      // the random frozen 13–9–5 tanh codes keep apart (tanh keeps the spread
      // that sigmoid's slope of 1/4 per layer would shrink). Measured: 0.983 (59 of 60).
      expect(ev.accuracy).toBeGreaterThan(0.8);
    } finally {
      clf.dispose();
      ae.dispose();
    }
  });

  test('save and load: PyTorch state_dict names, the same predictions', async () => {
    const clf = await createAutoencoder({ inputSize: D, hiddenSizes: [9, 5], ...head(C, { reconstructionWeight: 0.25 }), seed: 6 }, { gpu: t.gpu });
    try {
      const train = clusters(40, 31);
      const ds = clf.uploadDataset({ data: train.data, features: D, labels: train.labels });
      await clf.createTrainer({ batchSize: 8, optimizer: { type: 'adam', learningRate: 0.02 } }).fit(ds, { epochs: 2 });
      const bytes = await saveModel(clf);
      const file = decodeSafetensors(bytes);
      expect(file.tensors['classifier.weight'].shape).toEqual([C, 5]);
      expect(file.tensors['classifier.bias'].shape).toEqual([C]);
      expect(file.tensors['encoder.1.weight'].shape).toEqual([5, 9]);
      expect(JSON.parse(file.metadata.config).classifier).toEqual({ classes: C, reconstructionWeight: 0.25, freezeEncoder: false, standardiseCodes: false });
      const loaded = await loadModel(bytes, { gpu: t.gpu });
      try {
        const a = await clf.predict(train.data);
        const b = await loaded.predict(train.data);
        expect(Array.from(b.probabilities)).toEqual(Array.from(a.probabilities));
      } finally {
        loaded.dispose();
      }
    } finally {
      clf.dispose();
    }
  });

  test('standardised frozen codes: statistics fitted to the training codes, never trained, saved and loaded; predictions as computed on the host', async () => {
    const ae = await createAutoencoder({ inputSize: D, hiddenSizes: [9, 5], seed: 5 }, { gpu: t.gpu, inferenceBatchSize: 7 });
    const clf = await createClassifier(ae, { classes: C, freezeEncoder: true, standardiseCodes: true });
    try {
      const train = clusters(45, 51);
      const ds = clf.uploadDataset({ data: train.data, features: D, labels: train.labels });
      const trainer = clf.createTrainer({ batchSize: 8, optimizer: { type: 'adam', learningRate: 0.05 }, seed: 3 });
      await expect(trainer.fit(ds, { epochs: 1 })).rejects.toThrow(/statistics were never fitted: call await model\.fitCodeStatistics\(trainData\)/);
      expect(clf.codeStatisticsFitted).toBe(false);
      const codes = await clf.encode(ds);
      const moments = await clf.fitCodeStatistics(ds);
      expect(clf.codeStatisticsFitted).toBe(true);
      for (let j = 0; j < 5; j++) {
        const column = Array.from({ length: 45 }, (_, r) => codes[r * 5 + j]);
        const mean = column.reduce((a, b) => a + b, 0) / 45;
        const variance = column.reduce((a, v) => a + (v - mean) ** 2, 0) / 45;
        expect(Math.abs(moments.mean[j] - mean)).toBeLessThan(1e-12);
        expect(Math.abs(moments.variance[j] - variance)).toBeLessThan(1e-12);
      }
      const before = await clf.getParameters();
      expect(Array.from(before['code_norm.running_mean'])).toEqual(Array.from(moments.mean, Math.fround));
      await trainer.fit(ds, { epochs: 10 });
      const after = await clf.getParameters();
      for (const k of ['code_norm.running_mean', 'code_norm.running_var', 'encoder.0.weight']) expect(Array.from(after[k]), `${k} moved`).toEqual(Array.from(before[k]));
      expect(Array.from(after['classifier.weight'])).not.toEqual(Array.from(before['classifier.weight']));

      // The head on the host in float64 from the GPU's codes and the stored tensors: the same probabilities.
      const got = await clf.predict(ds);
      const W = after['classifier.weight'];
      const b = after['classifier.bias'];
      for (let r = 0; r < 45; r++) {
        const x = Array.from({ length: 5 }, (_, j) => (codes[r * 5 + j] - after['code_norm.running_mean'][j]) / Math.sqrt(after['code_norm.running_var'][j] + 1e-5));
        const logits = Array.from({ length: C }, (_, k) => b[k] + x.reduce((a, v, j) => a + v * W[k * 5 + j], 0));
        const top = Math.max(...logits);
        const sum = logits.reduce((a, z) => a + Math.exp(z - top), 0);
        // f32 standardisation and a 5-term dot product: probabilities agree to ~1e-6.
        for (let k = 0; k < C; k++) expect(Math.abs(got.probabilities[r * C + k] - Math.exp(logits[k] - top) / sum)).toBeLessThan(1e-5);
      }
      const accuracy = (await clf.evaluate(ds)).classifier!.accuracy;
      console.log(`standardised frozen codes on clusters: accuracy ${accuracy}`);
      // The clusters are apart in the random codes (the frozen-encoder test above: 0.983); 0.8 leaves room for a different encoder.
      expect(accuracy).toBeGreaterThan(0.8);

      const bytes = await saveModel(clf);
      const file = decodeSafetensors(bytes);
      expect(file.tensors['code_norm.running_mean'].shape).toEqual([5]);
      expect(file.tensors['code_norm.running_var'].shape).toEqual([5]);
      const loaded = await loadModel(bytes, { gpu: t.gpu });
      try {
        expect(loaded.codeStatisticsFitted).toBe(true);
        expect(Array.from((await loaded.predict(ds)).probabilities)).toEqual(Array.from(got.probabilities));
      } finally {
        loaded.dispose();
      }
      await expect(ae.fitCodeStatistics(ds)).rejects.toThrow(/this model does not standardise its codes/);
      await expect(createClassifier(ae, { classes: C, standardiseCodes: true })).rejects.toThrow(/classifier\.standardiseCodes must be false unless classifier\.freezeEncoder is true/);
    } finally {
      clf.dispose();
      ae.dispose();
    }
  });

  test('device loss while fine-tuning: recovers from the snapshot (labels re-uploaded) and ends bit-identical', async () => {
    const cfg: AutoencoderConfig = { inputSize: D, hiddenSize: 6, dropout: 0.1, noise: { type: 'masking', rate: 0.2 }, seed: 9, ...head(C, { reconstructionWeight: 0.3 }) };
    const options = { batchSize: 4, optimizer: { type: 'adam' as const, learningRate: 0.01 }, syncEvery: 3, snapshotEvery: 5 };
    const train = clusters(30, 41);
    const run = async (destroyAt?: number) => {
      const m = await createAutoencoder(cfg); // its own device, so it can replace it
      try {
        const ds = m.uploadDataset({ data: train.data, features: D, labels: train.labels });
        const trainer = m.createTrainer(options);
        const first = m.gpu.device;
        let destroyed = false;
        const history = await trainer.fit(ds, {
          epochs: 3,
          onProgress: (p) => {
            if (destroyAt !== undefined && !destroyed && p.step >= destroyAt) {
              destroyed = true;
              first.destroy();
            }
          },
        });
        return { history: history.map((h) => h.trainLoss), params: tensorBits(await m.getParameters()), recoveries: trainer.recoveries.length, moved: m.gpu.device !== first };
      } finally {
        m.dispose();
      }
    };
    const want = await run();
    const got = await run(9);
    expect(got.recoveries).toBe(1);
    expect(got.moved).toBe(true);
    expect(got.history).toEqual(want.history);
    expect(got.params).toEqual(want.params);
  });

  test('bad input is refused with a message naming it', async () => {
    const ae = await createAutoencoder({ inputSize: D, hiddenSize: 4 }, { gpu: t.gpu });
    const clf = await createClassifier(ae, { classes: C });
    try {
      const unlabelled = clf.uploadDataset({ data: randomArray(10 * D, 3, 0, 1), features: D });
      await expect(clf.createTrainer({ batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } }).steps(unlabelled, 1)).rejects.toThrow(/train: a classifier needs the dataset's labels/);
      await expect(clf.evaluate(unlabelled)).rejects.toThrow(/evaluate: a classifier needs the dataset's labels/);
      const wrong = clf.uploadDataset({ data: randomArray(10 * D, 3, 0, 1), features: D, labels: new Uint8Array(10).fill(3) });
      await expect(clf.evaluate(wrong)).rejects.toThrow(/label 3 of sample 0 is not a class of this classifier \(0\.\.2/);
      await expect(ae.predict(randomArray(D, 1, 0, 1))).rejects.toThrow(/predict: this model has no classifier head/);
      await expect(createClassifier(ae, { classes: 1 })).rejects.toThrow(/classifier\.classes must be an integer in \[2, 256\]/);
      await expect(createClassifier(ae, { classes: 3, freezeEncoder: true, sparsity: { type: 'l1', lambda: 0.1 } })).rejects.toThrow(/sparsity\.type must be 'none' with classifier\.freezeEncoder/);
      await expect(createClassifier(clf, { classes: 3 })).rejects.toThrow(/is a classifier already/);
    } finally {
      clf.dispose();
      ae.dispose();
    }
  });
});
