// A training step folds its loss-log sums into the non-finite guard's dispatch
// (shaders/finite.wgsl, check_step) instead of one loss_log dispatch per term; a
// gradients-only step (computeGradients) still runs them on their own. Both
// compute the same batch of the same first step, so every logged term must be
// bit-identical between them, for each objective with 1 to 4 terms, on awkward
// shapes (7 inputs, 3 units, batches of 5 rows of 13 samples), and a folded step
// has exactly those dispatches fewer.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, createClassifier, liveGpuMemory, type AutoencoderConfig } from '../../src/index';
import { randomArray } from './helpers';

const D = 7;
const COUNT = 13;
const DATA = randomArray(COUNT * D, 5, 0, 1);
const LABELS = Uint8Array.from({ length: COUNT }, (_, i) => i % 3);

let start: ReturnType<typeof liveGpuMemory>;
beforeAll(() => {
  start = liveGpuMemory();
});
afterAll(() => expect(liveGpuMemory()).toEqual(start));

const bits = (v: Record<string, number>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, new Uint32Array(Float32Array.of(x).buffer)[0]]));

const CASES: Array<{ name: string; config: Omit<AutoencoderConfig, 'inputSize'>; classifier?: boolean; terms: string[] }> = [
  { name: 'plain', config: { hiddenSize: 3 }, terms: ['reconstruction'] },
  { name: 'L1 sparsity + weight decay (logged in its kernel) + dropout', config: { hiddenSize: 3, sparsity: { type: 'l1', lambda: 0.3 }, weightDecay: 0.01, dropout: 0.2 }, terms: ['reconstruction', 'l1'] },
  { name: 'KL sparsity + contractive, MSE', config: { hiddenSize: 3, sparsity: { type: 'kl', rho: 0.1, beta: 2 }, contractive: 0.5, loss: 'mse', decoderActivation: 'linear' }, terms: ['reconstruction', 'klSparsity', 'contractive'] },
  { name: 'VAE', config: { hiddenSizes: [5, 2], variational: true, noise: { type: 'gaussian', stddev: 0.1 } }, terms: ['reconstruction', 'vaeKl'] },
  { name: 'classifier keeping a reconstruction term, with KL sparsity and contractive', config: { hiddenSize: 3, sparsity: { type: 'kl', rho: 0.1, beta: 2 }, contractive: 0.5 }, classifier: true, terms: ['reconstruction', 'klSparsity', 'contractive', 'classifier'] },
];

test.each(CASES)('$name: the folded step logs every term bit-identically to separate loss_log dispatches', async ({ config, classifier, terms }) => {
  const make = async () => {
    const ae = await createAutoencoder({ ...config, inputSize: D, seed: 9 });
    if (!classifier) return { model: ae, dispose: () => ae.dispose() };
    const c = await createClassifier(ae, { classes: 3, reconstructionWeight: 0.5 });
    return { model: c, dispose: () => (c.dispose(), ae.dispose()) };
  };
  const options = { batchSize: 5, optimizer: { type: 'adam', learningRate: 0.01 } } as const;
  const a = await make();
  const b = await make();
  try {
    const dsA = a.model.uploadDataset({ data: DATA, features: D, labels: LABELS });
    const dsB = b.model.uploadDataset({ data: DATA, features: D, labels: LABELS });
    const gradientsOnly = a.model.createTrainer(options);
    const training = b.model.createTrainer(options);
    const separate = (await gradientsOnly.computeGradients(dsA)).loss;
    const [folded] = await training.steps(dsB, 1);
    const logged = Object.entries(folded.components).filter(([, v]) => v !== 0).map(([k]) => k);
    expect(logged.sort()).toEqual([...terms].concat(config.weightDecay ? ['weightDecay'] : []).sort());
    expect(bits(folded.components)).toEqual(bits(separate.components));
    expect(folded.total).toBe(separate.total);
    // The step: forward and backward without the terms' loss_log dispatches (one per logged term but weight decay), then the guard and the optimizer.
    const plan = training.plan;
    const unfolded = [...plan.forward, ...plan.backward];
    const logs = unfolded.filter((d) => d.pipeline.label.startsWith('loss_log'));
    expect(logs).toHaveLength(terms.length);
    const full = training.stepDispatches(dsB);
    expect(full.filter((d) => d.kernel.startsWith('loss_log'))).toEqual([]);
    expect(full.length).toBe(1 + unfolded.length - logs.length + 2 + (classifier ? 1 : 0)); // the gather (and the labels' gather), the guard, the optimizer
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('a term that overflows only in its folded sum is caught by the same dispatch, before the update, and named as the loss', async () => {
  // Targets of 1e20 under MSE: every (x̂ − x)² is 1e40, +Infinity in f32, so the
  // reconstruction's row losses and their sum are infinite. The guard must see the
  // row after the fold (code 0, the loss, wins over any gradient it also finds).
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
