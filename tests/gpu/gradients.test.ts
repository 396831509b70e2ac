// computeGradientsWithDraws: the draws it returns are the step's own (the
// counter-based hashes of seed, step and element, mirrored in TypeScript), fed
// to the float64 reference they give its loss and gradients, the weights do not
// move, and a bad batch is refused saying what is wrong.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeGradientsWithDraws, createAutoencoder, liveGpuMemory, type AutoencoderConfig } from '../../src/index';
import { autoencoderStepRef, type Params } from '../../src/reference/autoencoder';
import { dropoutScaleRef } from '../../src/reference/dropout';
import { rngNormal, STREAM_VAE_EPS } from '../../src/random/rng';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const D = 11;
const B = 6;
const STEP = 3;
const SEED = 42;

const toF64 = (p: Record<string, Float32Array>): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));

// Float32 bound as in train-step.test.ts: each gradient entry sums at most
// max(B, D, widths) = 11 products of O(1) factors (~6e-8 relative rounding each),
// below 1e-6 of the largest entry; allow 1e-5 of it plus 1e-4 relative.
function expectClose(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>) {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  const r = compare(gpu, ref, 1e-4, 1e-5 * Math.max(scale, 1e-3));
  console.log(`${name}: max |gpu − ref| = ${r.maxAbs.toExponential(2)} (scale ${scale.toExponential(2)})`);
  expect(r.worst, `${name} worst at ${r.at}: gpu ${gpu[r.at]} ref ${ref[r.at]}`).toBeLessThanOrEqual(1);
}

const CASES: Array<[string, AutoencoderConfig, string[]]> = [
  ['2 layers, masking + dropout', { inputSize: D, hiddenSizes: [9, 5], encoderActivations: ['tanh', 'sigmoid'], noise: { type: 'masking', rate: 0.3 }, dropout: 0.3, seed: 2 }, ['dropout_scale.0', 'dropout_scale.1', 'input']],
  ['VAE 11–7–3, β warming up', { inputSize: D, hiddenSizes: [7, 3], encoderActivation: 'tanh', variational: { beta: 0.5, warmupSteps: 10 }, seed: 3 }, ['epsilon', 'input']],
];

describe('computeGradientsWithDraws', () => {
  for (const [name, config, drawNames] of CASES) {
    test(`${name}: the draws, loss and gradients of step ${STEP} agree with the reference; no update`, async () => {
      const model = await createAutoencoder(config, { gpu: t.gpu });
      try {
        const x = randomArray(B * D, 7, 0, 1);
        const before = await model.getParameters();
        const r = await computeGradientsWithDraws(model, { x, rows: B, step: STEP, seed: SEED });
        expect(r.step).toBe(STEP);
        expect(r.seed).toBe(SEED);
        expect(Object.keys(r.draws).sort()).toEqual(drawNames);
        expect(await model.getParameters()).toEqual(before);

        const c = model.config;
        const input = r.draws.input.data;
        expect(r.draws.input.shape).toEqual([B, D]);
        if (c.noise.type === 'masking') {
          expect(input.every((v, k) => v === x[k] || v === 0)).toBe(true);
          expect(input.some((v, k) => v !== x[k])).toBe(true);
        } else expect(input).toEqual(x);
        const keepMasks =
          c.dropout === 0
            ? undefined
            : c.hiddenSizes.map((n, l) => {
                const scale = r.draws[`dropout_scale.${l}`];
                expect(scale.shape).toEqual([B, n]);
                expect(Array.from(scale.data)).toEqual(Array.from(Float32Array.from(dropoutScaleRef(B, n, c.dropout, l, SEED, STEP, true))));
                return Float64Array.from(scale.data, (v) => (v > 0 ? 1 : 0));
              });
        let eps: Float64Array | undefined;
        if (c.variational) {
          const Z = c.hiddenSize;
          expect(r.draws.epsilon.shape).toEqual([B, Z]);
          eps = Float64Array.from(r.draws.epsilon.data);
          const want = Float64Array.from({ length: B * Z }, (_, k) => rngNormal(SEED, STREAM_VAE_EPS, STEP, k));
          expectClose(`${name} ε`, eps, want);
        }

        const ref = autoencoderStepRef(c, toF64(before), { clean: Float64Array.from(x), input: Float64Array.from(input), rows: B, validRows: B, keepMasks, eps, step: STEP });
        expect(Math.abs(r.loss.total - ref.loss.total)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref.loss.total)));
        for (const part of ['reconstruction', 'vaeKl'] as const) expect(Math.abs(r.loss[part] - ref.loss[part]), part).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref.loss[part])));
        // An autoencoder's loss terms (the grad file's loss.* tensors) are the ones it always had: no classifier entry.
        expect(Object.keys(r.loss)).toEqual(['total', 'reconstruction', 'weightDecay', 'l1', 'klSparsity', 'contractive', 'vaeKl']);
        expect(Object.keys(r.grads).sort()).toEqual(Object.keys(ref.grads).sort());
        for (const [k, want] of Object.entries(ref.grads)) expectClose(`${name} ${k}`, r.grads[k], want);

        // The same batch, step and seed give the same draws and gradients.
        const again = await computeGradientsWithDraws(model, { x, rows: B, step: STEP, seed: SEED });
        expect(again.draws).toEqual(r.draws);
        expect(again.grads).toEqual(r.grads);
      } finally {
        model.dispose();
      }
    });
  }

  test("step and seed default to 1 and the model's seed; a bad batch is refused", async () => {
    const model = await createAutoencoder({ inputSize: D, hiddenSize: 4, seed: 9 }, { gpu: t.gpu });
    try {
      const x = randomArray(B * D, 8, 0, 1);
      const r = await computeGradientsWithDraws(model, { x, rows: B });
      expect([r.step, r.seed]).toEqual([1, 9]);
      const bad: Array<[object, RegExp]> = [
        [{ x: Array.from(x), rows: B }, /batch\.x must be a Float32Array/],
        [{ x, rows: 0 }, /batch\.rows must be a positive integer \(got 0\)/],
        [{ x, rows: B + 1 }, /batch\.x has 66 values but rows × inputSize = 7 × 11 = 77/],
        [{ x, rows: B, step: 0 }, /batch\.step must be an integer in \[1, 2\^32\) \(got 0\)/],
        [{ x, rows: B, seed: -1 }, /batch\.seed must be an integer in \[0, 2\^32\) \(got -1\)/],
      ];
      for (const [batch, message] of bad) await expect(computeGradientsWithDraws(model, batch as never)).rejects.toThrow(message);
    } finally {
      model.dispose();
    }
  });

  test('nothing of a call stays on the GPU; a released dataset is refused with a message', async () => {
    const model = await createAutoencoder({ inputSize: D, hiddenSize: 4, seed: 9 }, { gpu: t.gpu });
    try {
      const x = randomArray(B * D, 10, 0, 1);
      const before = liveGpuMemory();
      for (let i = 0; i < 4; i++) await computeGradientsWithDraws(model, { x, rows: B, step: 1 + i });
      console.log(`live GPU memory before ${JSON.stringify(before)}, after 4 calls ${JSON.stringify(liveGpuMemory())}`);
      expect(liveGpuMemory()).toEqual(before);

      const data = model.uploadDataset({ data: x, features: D });
      await model.encode(data);
      model.releaseDataset(data);
      expect(() => model.releaseDataset(data)).toThrow(/releaseDataset: this dataset was released already; only a dataset from this model's uploadDataset\(\) can be released, once/);
      await expect(model.encode(data)).rejects.toThrow(/this dataset was freed by releaseDataset\(\); upload it again with model\.uploadDataset\(\)/);
      const trainer = model.createTrainer({ batchSize: 2, optimizer: { type: 'sgd', learningRate: 0.1 } });
      await expect(trainer.steps(data, 1)).rejects.toThrow(/freed by releaseDataset/);
      trainer.dispose();
    } finally {
      model.dispose();
    }
  });
});
