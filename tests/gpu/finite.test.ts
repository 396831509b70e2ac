// The non-finite guard: check_finite vs its reference on awkward sizes, the
// optimizer leaving everything alone once the guard is set, and a diverging run
// that stops naming the step and tensor with the last finite weights kept.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readU32, runDispatches } from '../../src/gpu';
import { finiteCheckDispatch, finiteGuardDispatches, GUARD_CLEAR, guardName } from '../../src/kernels/finite';
import { adamCorrections, optimizerDispatch, type OptimizerConfig } from '../../src/kernels/optimizer';
import { finiteGuardRef } from '../../src/reference/finite';
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


describe('check_finite vs reference', () => {
  // [count, poisoned positions and values, gridWidth?]: one value; a workgroup's
  // worth ± 1 (1024 = 256 threads × 4); a 2-D grid; a clean tensor.
  const CASES: Array<[number, Array<[number, number]>, number?]> = [
    [1, [[0, NaN]]],
    [5, [[4, -Infinity]]],
    [1023, [[1022, Infinity], [7, NaN]]],
    [1025, [[1024, NaN]]],
    [3 * 1024 + 7, [[2048 + 511, -Infinity]], 2],
    [777, []],
  ];
  for (const [count, poison, gridWidth] of CASES) {
    test(`count ${count}, ${poison.length} non-finite${gridWidth ? `, grid width ${gridWidth}` : ''}`, async () => {
      const values = randomArray(count, count, -3e38, 3e38); // large but finite
      for (const [i, v] of poison) values[i] = v;
      const step = t.step({ validRows: 1, step: 9 });
      const buffer = t.upload('values', values);
      // Plain (every value records code 3) and indexed (value i records 3 + i: where the first bad one is).
      for (const indexed of [false, true]) {
        const guard = t.upload('guard', GUARD_CLEAR);
        const d = finiteCheckDispatch(t, { values: buffer, count, code: 3, indexed, step, guard, gridWidth });
        await runDispatches(t.device, [d], true);
        const got = Array.from(await readU32(t.device, guard, 4));
        const want = Array.from(finiteGuardRef(GUARD_CLEAR, 9, [{ code: 3, values, indexed }]));
        console.log(`count ${count}${indexed ? ', indexed' : ''}: guard ${got.join(', ')}`);
        expect(got).toEqual(want);
      }
    });
  }

  test('first failing check of a step wins; later steps leave the guard alone', async () => {
    const layout = autoencoderLayout(resolveConfig({ inputSize: 13, hiddenSize: 7 }));
    const grads = new Float32Array(layout.totalFloats);
    const enc = layout.get('encoder.0.bias');
    const dec = layout.get('decoder.0.weight');
    grads[dec.offset + dec.size - 1] = Infinity; // both tensors are bad; encoder.0.bias comes first in the layout
    grads[enc.offset] = NaN;
    const log = new Float32Array(4 * 8).fill(1);
    log[2 * 8 + 1] = NaN; // another step's row: not this step's loss
    const guard = t.upload('guard', GUARD_CLEAR);
    const step = t.step({ validRows: 1, step: 4, lossSlot: 3 });
    const logBuf = t.upload('log', log);
    const checks = finiteGuardDispatches(t, { layout, grads: t.upload('grads', grads), log: logBuf, step, guard });
    await runDispatches(t.device, checks, true);
    const got = await readU32(t.device, guard, 4);
    const want = finiteGuardRef(GUARD_CLEAR, 4, [{ code: 0, values: log.subarray(24, 32) }, { code: 1, values: grads, indexed: true }]);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(got[1]).toBe(1 + enc.offset); // the first bad value in layout order
    expect(guardName(layout, got[1])).toBe('gradient of encoder.0.bias');
    expect(got[2]).toBe(3); // NaN | +Inf

    // A step later, with the loss now non-finite too: the record of step 4 stays.
    log[3 * 8] = NaN;
    t.device.queue.writeBuffer(logBuf, 0, log);
    t.writeStep(step, { validRows: 1, step: 5, lossSlot: 3 });
    await runDispatches(t.device, checks, true);
    expect(Array.from(await readU32(t.device, guard, 4))).toEqual(Array.from(finiteGuardRef(want, 5, [{ code: 0, values: [NaN] }])));
    expect(Array.from(await readU32(t.device, guard, 4))).toEqual(Array.from(want));

    // A fresh guard at step 5, whose loss row (slot 3) holds the NaN: the loss is named, not the gradients.
    t.device.queue.writeBuffer(guard, 0, GUARD_CLEAR);
    await runDispatches(t.device, checks, true);
    const lossFirst = finiteGuardRef(GUARD_CLEAR, 5, [{ code: 0, values: log.subarray(24, 32) }, { code: 1, values: grads, indexed: true }]);
    expect(Array.from(await readU32(t.device, guard, 4))).toEqual(Array.from(lossFirst));
    expect(guardName(layout, lossFirst[1])).toBe('loss');
    expect(checks).toHaveLength(1); // the loss row and the flat gradients in one dispatch
  });
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
