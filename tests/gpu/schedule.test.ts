// Learning-rate schedules and early stopping in the trainer. Each SGD step's
// learning rate is read off the update itself (Δp = −lr·g against the float64
// reference gradient) and compared with the schedule's formula; early stopping
// stops after `patience` epochs without improvement and puts back the best
// epoch's parameters bit for bit; a checkpoint saved mid-schedule resumes it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAutoencoder, loadModel, readModelFile, resumeTrainer, saveModel, scheduledLearningRate, validateSchedule, type LearningRateSchedule } from '../../src/index';
import { autoencoderStepRef, type Params } from '../../src/reference/autoencoder';
import { randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const D = 9;
const H = 5;
const COUNT = 6;
const DATA = randomArray(COUNT * D, 31, 0, 1);
const LR = 0.4;
const f64 = (p: Record<string, Float32Array>): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));

/** The learning rate each of `steps` full-batch SGD steps used: lr = −Σ Δp·g / Σ g² over every parameter, g from the float64 reference. */
async function observedRates(schedule: LearningRateSchedule, steps: number): Promise<number[]> {
  const model = await createAutoencoder({ inputSize: D, hiddenSize: H, seed: 3 }, { gpu: t.gpu });
  try {
    const ds = model.uploadDataset({ data: DATA, features: D });
    // One batch of the whole set, unshuffled: every step sees exactly DATA.
    const trainer = model.createTrainer({ batchSize: COUNT, optimizer: { type: 'sgd', learningRate: LR }, schedule, shuffle: false });
    const x = Float64Array.from(DATA);
    const rates: number[] = [];
    for (let s = 0; s < steps; s++) {
      const before = await model.getParameters();
      const { grads } = autoencoderStepRef(model.config, f64(before), { clean: x, input: x, rows: COUNT, validRows: COUNT });
      await trainer.steps(ds, 1);
      const after = await model.getParameters();
      let num = 0;
      let den = 0;
      for (const k of Object.keys(before)) {
        for (let i = 0; i < before[k].length; i++) {
          num -= (after[k][i] - before[k][i]) * grads[k][i];
          den += grads[k][i] * grads[k][i];
        }
      }
      rates.push(num / den);
    }
    return rates;
  } finally {
    model.dispose();
  }
}

describe('learning-rate schedules', () => {
  const CASES: Array<[string, LearningRateSchedule]> = [
    ['warm-up 3 + step decay ×0.5 every 2', { warmupSteps: 3, type: 'step', stepSize: 2, gamma: 0.5 }],
    ['warm-up 2 + cosine to 0.05 over 7 steps', { warmupSteps: 2, type: 'cosine', totalSteps: 7, minLearningRate: 0.05 }],
  ];
  test.each(CASES)("%s: each step's update uses the formula's learning rate", async (_name, schedule) => {
    const steps = 9;
    const rates = await observedRates(schedule, steps);
    const resolved = validateSchedule(schedule, LR);
    const want = Array.from({ length: steps }, (_, i) => scheduledLearningRate(resolved, LR, i + 1));
    console.log(`observed ${rates.map((r) => r.toFixed(5)).join(' ')}\nformula  ${want.map((r) => r.toFixed(5)).join(' ')}`);
    // The observed rate carries the f32 rounding of the GPU gradient and of Δp
    // (parameters ~0.1–1, steps ~1e-2): about 1e-4 relative; the schedules'
    // neighbouring rates differ by 10% or more, so 1e-3 tells them apart.
    rates.forEach((r, i) => expect(Math.abs(r - want[i]), `step ${i + 1}: ${r} vs ${want[i]}`).toBeLessThanOrEqual(1e-3 * want[i]));
    expect(new Set(want.map((w) => w.toFixed(6))).size).toBeGreaterThanOrEqual(5); // the schedule really varies over these steps
  });

  test('a saved trainer resumes the schedule; a trainer with another schedule refuses the state', async () => {
    const schedule: LearningRateSchedule = { type: 'cosine', totalSteps: 8, warmupSteps: 2 };
    const optimizer = { type: 'adam' as const, learningRate: 0.05 };
    const a = await createAutoencoder({ inputSize: D, hiddenSize: H }, { gpu: t.gpu });
    const dsA = a.uploadDataset({ data: DATA, features: D });
    const ta = a.createTrainer({ batchSize: 4, optimizer, schedule });
    await ta.steps(dsA, 3);
    const bytes = await saveModel(a, { trainer: ta, metadata: { note: 'mid-schedule' } });
    const file = readModelFile(bytes);
    expect(file.training!.schedule).toEqual({ type: 'cosine', totalSteps: 8, warmupSteps: 2, minLearningRate: 0 });
    expect(file.metadata.note).toBe('mid-schedule');
    await ta.steps(dsA, 5);
    const b = await loadModel(bytes, { gpu: t.gpu });
    const tb = await resumeTrainer(b, file.training!);
    expect(tb.learningRateAt(5)).toBe(ta.learningRateAt(5));
    await tb.steps(b.uploadDataset({ data: DATA, features: D }), 5);
    const [pa, pb] = [await a.getParameters(), await b.getParameters()];
    for (const k of Object.keys(pa)) expect(Array.from(new Uint32Array(pb[k].buffer)), k).toEqual(Array.from(new Uint32Array(pa[k].buffer)));
    const other = b.createTrainer({ batchSize: 4, optimizer, seed: file.training!.seed });
    expect(() => other.importState(file.training!)).toThrow(/saved run used the learning-rate schedule .*cosine.*; this trainer has .*constant/);
    a.dispose();
    b.dispose();
  });

  test('bad schedules are refused when the trainer is created, naming the field', async () => {
    const model = await createAutoencoder({ inputSize: D, hiddenSize: H }, { gpu: t.gpu });
    expect(() => model.createTrainer({ batchSize: 2, optimizer: { type: 'sgd', learningRate: 0.1 }, schedule: { type: 'cosine' } })).toThrow(/'cosine' needs totalSteps/);
    model.dispose();
  });
});

describe('early stopping', () => {
  // A learning rate far too large for SGD on this tiny set makes the held-out loss
  // go up after the first epochs, so there is a best epoch before the last one.
  const config = { inputSize: D, hiddenSize: H, seed: 8 };
  const HELD_OUT = randomArray(4 * D, 32, 0, 1);
  const options = { batchSize: 2, optimizer: { type: 'sgd' as const, learningRate: 6 } };

  async function run(epochs: number, earlyStopping?: { patience: number; minDelta?: number; restoreBest?: boolean }) {
    const model = await createAutoencoder(config, { gpu: t.gpu });
    const trainer = model.createTrainer(options);
    const history = await trainer.fit(model.uploadDataset({ data: DATA, features: D }), { epochs, evalData: model.uploadDataset({ data: HELD_OUT, features: D }), earlyStopping });
    const params = await model.getParameters();
    model.dispose();
    return { history, params };
  }

  test('stops after `patience` epochs without improvement and restores the best epoch exactly', async () => {
    const patience = 2;
    const stopped = await run(12, { patience });
    const losses = stopped.history.map((h) => h.evalLoss!);
    console.log(`held-out losses ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(best).toBeLessThan(stopped.history.length); // the run got worse after its best epoch (else nothing is restored)
    expect(stopped.history.length).toBe(best + patience); // stopped exactly `patience` epochs after the best
    expect(stopped.history.length).toBeLessThan(12);
    expect(stopped.history.map((h) => h.bestEpoch)).toEqual(losses.map((_, i) => losses.slice(0, i + 1).indexOf(Math.min(...losses.slice(0, i + 1))) + 1));

    const reference = await run(best); // the same run, stopped at the best epoch by hand
    for (const k of Object.keys(reference.params)) {
      expect(Array.from(new Uint32Array(stopped.params[k].buffer)), k).toEqual(Array.from(new Uint32Array(reference.params[k].buffer)));
    }
    const kept = await run(stopped.history.length, { patience, restoreBest: false });
    expect(kept.history.map((h) => h.evalLoss)).toEqual(losses);
    expect(Array.from(kept.params['encoder.0.weight'])).not.toEqual(Array.from(reference.params['encoder.0.weight'])); // without restoreBest: the last epoch's weights
  });

  test('minDelta: an improvement must exceed it', async () => {
    const strict = await run(12, { patience: 1, minDelta: 1e9 });
    expect(strict.history.map((h) => h.bestEpoch)).toEqual([1, 1]); // nothing beats epoch 1 by 1e9
  });

  test('bad settings are refused naming the field', async () => {
    const model = await createAutoencoder(config, { gpu: t.gpu });
    const trainer = model.createTrainer(options);
    const data = model.uploadDataset({ data: DATA, features: D });
    await expect(trainer.fit(data, { epochs: 2, earlyStopping: { patience: 2 } })).rejects.toThrow(/earlyStopping needs evalData/);
    await expect(trainer.fit(data, { epochs: 2, evalData: data, earlyStopping: { patience: 0 } })).rejects.toThrow(/earlyStopping.patience must be a positive integer \(got 0\)/);
    await expect(trainer.fit(data, { epochs: 2, evalData: data, earlyStopping: { patience: 1, minDelta: -1 } })).rejects.toThrow(/minDelta must be a number ≥ 0/);
    model.dispose();
  });
});
