// The compression trade-off: held-out reconstruction error against code size,
// for two autoencoders (sigmoid code units, and a linear code as Hinton &
// Salakhutdinov's code layer; both with a sigmoid decoder) and for PCA with the
// same number of codes, all measured as squared error on the same test digits.
import { pca, pcaProject, pcaReconstruct, pcaTruncate } from '../../../src/index';
import type { Experiment, ExperimentSize } from './experiment';
import { comparisonGrid } from './figures';
import { fmt, meanSquaredError, trainOn, unitPixels, type TrainingBudget } from './common';

// Adam's rate falls as the runs get longer: 0.03 gets 1 000 digits off the sigmoid plateau in 10 epochs.
const SIZES: Record<ExperimentSize, { train: number; test: number; codes: number[]; epochs: number; learningRate: number }> = {
  quick: { train: 1000, test: 500, codes: [2, 8, 32], epochs: 10, learningRate: 0.03 },
  medium: { train: 10000, test: 10000, codes: [2, 4, 8, 16, 32, 64, 128, 256], epochs: 10, learningRate: 0.01 },
  full: { train: 60000, test: 10000, codes: [2, 4, 8, 16, 32, 64, 128, 256], epochs: 30, learningRate: 0.003 },
};

const SEED = 11;

export const bottleneckExperiment: Experiment = {
  name: 'bottleneck',
  title: 'Reconstruction error against code size: autoencoder and PCA',
  question: 'How much does each extra code unit buy, and where does a non-linear autoencoder beat the best linear code (PCA) of the same size?',
  mnist: (size) => ({ train: SIZES[size].train, test: SIZES[size].test }),
  async run(ctx) {
    const s = SIZES[ctx.size];
    const { train, test } = ctx.mnist!;
    const D = test.rows * test.cols;
    const clean = unitPixels(test.images);
    const trainPixels = unitPixels(train.images);
    ctx.say(`PCA of ${train.count} training digits`);
    const kMax = Math.max(...s.codes);
    const full = pca(trainPixels, train.count, D, kMax);
    // Trained with cross-entropy (its gradients leave the sigmoid plateau sooner than squared error's),
    // judged by squared error as PCA is: Hinton & Salakhutdinov's protocol.
    const budget: TrainingBudget = { epochs: s.epochs, batchSize: 50, optimizer: { type: 'adam', learningRate: s.learningRate }, seed: SEED };
    const shown = 10;
    const rows: Array<{ k: number; ae: number; saturated: number; linear: number; pca: number; seconds: number }> = [];
    const pictures: Float32Array[] = [clean.subarray(0, shown * D)];
    // One autoencoder per code kind and size: its held-out squared error and its first reconstructions.
    const trainOne = async (k: number, code: 'sigmoid' | 'linear') => {
      const t = await trainOn(ctx, `${code} code ${k}`, { inputSize: D, hiddenSize: k, encoderActivation: code }, { train, test }, budget);
      try {
        const codes = await t.model.encode(t.test);
        // A sigmoid code value within 0.01 of 0 or 1 is saturated: its unit passes almost no gradient there.
        const saturated = code === 'sigmoid' ? codes.reduce((n, h) => n + (h < 0.01 || h > 0.99 ? 1 : 0), 0) / codes.length : NaN;
        return { mse: meanSquaredError(await t.model.reconstruct(t.test), clean, D), shown: await t.model.reconstruct(t.test, 0, shown), saturated, seconds: t.seconds };
      } finally {
        t.model.dispose();
      }
    };
    for (const k of s.codes) {
      const [sig, lin] = [await trainOne(k, 'sigmoid'), await trainOne(k, 'linear')];
      const p = pcaTruncate(full, k);
      const pcaRecon = Float32Array.from(pcaReconstruct(p, pcaProject(p, clean, test.count), test.count));
      rows.push({ k, ae: sig.mse, saturated: sig.saturated, linear: lin.mse, pca: meanSquaredError(pcaRecon, clean, D), seconds: sig.seconds + lin.seconds });
      pictures.push(sig.shown, lin.shown, pcaRecon.subarray(0, shown * D));
    }
    const decreasing = (v: number[]) => v.every((x, i) => i === 0 || x < v[i - 1]);
    const smallest = rows[0];
    const curve = (v: (r: (typeof rows)[number]) => number) => rows.map((r) => `${r.k}: ${v(r).toFixed(2)}`).join(', ');
    return {
      settings: { ...s, batchSize: budget.batchSize, optimizer: budget.optimizer, seed: SEED, encoders: ['sigmoid', 'linear'], decoder: 'sigmoid', loss: 'bce', measure: 'squared error', pca: `fitted on the ${train.count} training digits` },
      tables: [
        {
          title: 'Held-out squared error per image',
          columns: ['code size', 'autoencoder (sigmoid code)', 'sigmoid code saturated %', 'autoencoder (linear code)', 'PCA', 'linear code / PCA', 'training s'],
          rows: rows.map((r) => [r.k, fmt(r.ae), fmt(100 * r.saturated, 3), fmt(r.linear), fmt(r.pca), fmt(r.linear / r.pca, 3), fmt(r.seconds, 3)]),
          note: `Σ(x̂−x)² per test digit (pixels in [0, 1]), on ${test.count} test digits. Autoencoders: ${D}–k–${D}, the code sigmoid or linear, the decoder sigmoid, trained with cross-entropy, ${s.epochs} epochs of Adam on ${train.count} digits (training s: both). Saturated: the share of the sigmoid codes of the test digits within 0.01 of 0 or 1. PCA: the top k components of the same digits.`,
        },
      ],
      figures: { 'reconstructions.png': ctx.png(comparisonGrid(pictures, shown, test.rows, test.cols)) },
      captions: { 'reconstructions.png': `Rows: test digits, then for each code size (${s.codes.join(', ')}) the sigmoid-code autoencoder's reconstruction, the linear-code one's, and PCA's.` },
      // The claims are the linear code's. The sigmoid code's own curve is reported, not claimed: at medium
      // (2026-12-04, before the linear code was added) its 2-, 4- and 8-unit models stayed on the plateau
      // where every digit is reconstructed as about the mean image (≈ 53), so it neither fell with every
      // larger code nor beat PCA at 2 units. The suspected cause: Adam moves each of a unit's 784 input
      // weights by about the rate per step, which can drive a few sigmoid code units into saturation,
      // where they get no gradient (the saturated column measures it); a linear code unit cannot
      // saturate, and Hinton & Salakhutdinov's code layer is linear.
      checks: [
        // At quick size (1 000 digits, 200 steps) the claims are the end points; medium and full claim the whole curve.
        ctx.size === 'quick'
          ? { claim: "the linear-code autoencoder's error is lower at the largest code than at the smallest", passed: rows.at(-1)!.linear < smallest.linear, measured: curve((r) => r.linear) }
          : { claim: "the linear-code autoencoder's error falls with every larger code", passed: decreasing(rows.map((r) => r.linear)), measured: curve((r) => r.linear) },
        { claim: "PCA's error falls with every larger code", passed: decreasing(rows.map((r) => r.pca)), measured: curve((r) => r.pca) },
        ...(ctx.size === 'quick'
          ? []
          : [
              {
                // The non-linear decoder wins where the linear code is starved: at 2 units PCA keeps about 17% of the variance.
                claim: `at the smallest code (${smallest.k}) the linear-code autoencoder reconstructs better than PCA`,
                passed: smallest.linear < smallest.pca,
                measured: `autoencoder ${smallest.linear.toFixed(2)} vs PCA ${smallest.pca.toFixed(2)}`,
              },
            ]),
      ],
      notes: [
        'Hinton & Salakhutdinov 2006: a deep autoencoder with a 30-unit code reconstructs MNIST far better than 30-component PCA; a shallow one gains most where the code is small.',
        'A linear autoencoder trained with squared error spans the PCA subspace (Baldi & Hornik 1989): with enough units and training the two curves meet, and PCA is the better of the two when the budget is short. The linear code here has a sigmoid decoder trained with cross-entropy (a logistic PCA, Collins et al. 2001), which fits near-binary pixels better than a linear map can.',
      ],
    };
  },
};
