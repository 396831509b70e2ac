// The non-finite guard: what its codes name, the optimizer leaving everything
// alone once the guard is set, and diverging runs that stop naming the step and
// tensor with the last finite weights kept. (Each kernel's own checks are tested
// with the kernel: matmul, reduce, contractive, weight-decay.)
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { decodeGuard, gradientGuardCode, GUARD_CLEAR, guardName } from '../../src/kernels/finite';
import { adamCorrections, optimizerDispatch, type OptimizerConfig } from '../../src/kernels/optimizer';
import { autoencoderLayout } from '../../src/model/layout';
import { resolveConfig } from '../../src/model/config';
import { createAutoencoder, TrainingDivergedError } from '../../src/index';
import { randomArray, testGpu, type TestGpu, floatBits } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});


// What a guard code names (the kernels record 0 for the loss, 1 + the flat gradient index otherwise).
test('guard codes: gradientGuardCode encodes a tensor, guardName names the loss, then the gradient tensor in layout order', () => {
  const layout = autoencoderLayout(resolveConfig({ inputSize: 13, hiddenSize: 7 }));
  expect(guardName(layout, 0)).toBe('loss');
  for (const x of layout.tensors) {
    expect(gradientGuardCode(layout, x.name)).toBe(1 + x.offset);
    expect(guardName(layout, gradientGuardCode(layout, x.name))).toBe(`gradient of ${x.name}`);
    expect(guardName(layout, x.offset + x.size)).toBe(`gradient of ${x.name}`);
  }
  expect(guardName(layout, 1 + layout.totalFloats + 5)).toBe(`guard code ${6 + layout.totalFloats}`);
  expect(decodeGuard(GUARD_CLEAR)).toBeNull();
  expect(decodeGuard([4, 9, 1 | 4, 0])).toEqual({ step: 4, code: 9, kinds: ['NaN', '-Infinity'] });
});

describe('the optimizer does nothing once the guard is set', () => {
  const CONFIGS: OptimizerConfig[] = [
    { type: 'sgd', learningRate: 0.1 },
    { type: 'momentum', learningRate: 0.1, nesterov: true },
    { type: 'adam', learningRate: 0.1 },
  ];
  for (const config of CONFIGS) {
    test(config.type + (config.type === 'momentum' ? ' (nesterov)' : ''), async () => {
      const count = 4 * 70;
      const p0 = randomArray(count, 1, -1, 1);
      const s0 = randomArray(count, 2, 0, 1);
      const params = t.upload('params', p0);
      const state = Array.from({ length: config.type === 'sgd' ? 0 : config.type === 'momentum' ? 1 : 2 }, () => t.upload('state', s0));
      const guard = t.upload('guard', Uint32Array.from([6, 2, 1, 0])); // step 6 was non-finite
      const { c1, c2 } = adamCorrections(config, 7);
      const step = t.step({ validRows: 1, step: 7, lr: 0.1, adamC1: c1, adamC2: c2 });
      const d = optimizerDispatch(t, { config, params, grads: t.upload('grads', randomArray(count, 3)), state, count, step, guard });
      await runDispatches(t.device, [d], true);
      expect(floatBits(await t.read(params, count))).toEqual(floatBits(p0));
      for (const s of state) expect(floatBits(await t.read(s, count))).toEqual(floatBits(s0));
      // Cleared, the same dispatch updates.
      t.device.queue.writeBuffer(guard, 0, GUARD_CLEAR);
      await runDispatches(t.device, [d], true);
      const moved = await t.read(params, count);
      expect(moved.filter((v, i) => v !== p0[i]).length).toBeGreaterThan(count / 2);
    });
  }
});

describe('a diverging run', () => {
  const D = 9;
  const H = 5;
  const data = randomArray(16 * D, 21, 0, 4);
  const base = { inputSize: D, hiddenSize: H, encoderActivation: 'relu', decoderActivation: 'linear', loss: 'mse', seed: 3 } as const;
  const trainerOptions = { batchSize: 4, optimizer: { type: 'sgd', learningRate: 2 }, syncEvery: 20 } as const;

  // Untied: every gradient checked by the matmul that writes it; tied: the decoder's bias by its
  // guarded column sum, the shared weight's by the encoder's dW adding to the mirrored one;
  // contractive: the encoder's dW, db by the penalty's add_scaled_rows and column sum (tanh: u ≠ 0).
  test.each([
    ['untied', {}],
    ['tied', { tiedWeights: true }],
    ['contractive, tanh', { contractive: 0.1, encoderActivation: 'tanh' }],
  ] as const)('%s: stops with the step and tensor named and keeps the weights of the step before', async (_, extra) => {
    const config = { ...base, ...extra };
    const model = await createAutoencoder(config, { gpu: t.gpu });
    const trainer = model.createTrainer(trainerOptions);
    const err = await trainer.steps(model.uploadDataset({ data, features: D }), 40).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const { step, tensor, message } = err as TrainingDivergedError;
    console.log(message);
    expect(step).toBeGreaterThan(1);
    expect(message).toContain(`at step ${step}`);
    expect(message).toContain(tensor);
    expect(tensor).toMatch(/^(loss \(.*(NaN|Infinity).*\)|gradient of (encoder|decoder)\.0\.(weight|bias))$/);
    expect(trainer.stepsTaken).toBe(step - 1);
    const kept = await model.getParameters();
    for (const v of Object.values(kept)) expect(v.every(Number.isFinite)).toBe(true);
    await expect(trainer.steps(model.uploadDataset({ data, features: D }), 1)).rejects.toThrow(new RegExp(`stopped when training diverged at step ${step}`));

    // The same run stopped just before: bit-identical weights.
    const before = await createAutoencoder(config, { gpu: t.gpu });
    await before.createTrainer(trainerOptions).steps(before.uploadDataset({ data, features: D }), step - 1);
    const want = await before.getParameters();
    for (const k of Object.keys(want)) expect(floatBits(kept[k])).toEqual(floatBits(want[k]));
    before.dispose();
    model.dispose();
  });
});
