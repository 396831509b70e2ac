// Weight decay on the GPU vs the float64 reference: grads += 2λw and the penalty λΣw² in the loss log.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readU32, runDispatches } from '../../src/gpu';
import { GUARD_CLEAR, NON_FINITE_KIND } from '../../src/kernels/finite';
import { LOSS_LOG_STRIDE } from '../../src/kernels/reduce';
import { LOSS_COMPONENT } from '../../src/model/objective';
import { weightDecayDispatch } from '../../src/kernels/weight-decay';
import { weightDecayRef } from '../../src/reference/optimizer';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

const U = 2 ** -24;
const SLOT = 2;

// Counts: 1, odd, one past the 256-thread workgroup, 784·64 (a layer), 70001.
for (const count of [1, 5, 257, 784 * 64, 70001]) {
  for (const lambda of [1e-4, 0.5]) {
    test(`count ${count}, λ = ${lambda}`, async () => {
      const w = randomArray(count, count, -1, 1);
      const g0 = randomArray(count, count + 7, -1, 1);
      const weights = t.upload('w', w);
      const grads = t.upload('g', new Float32Array([...g0, 7]));
      const logInit = Float32Array.from({ length: 4 * LOSS_LOG_STRIDE }, (_, i) => i / 8);
      const log = t.upload('log', logInit);
      const step = t.step({ validRows: 3, lossSlot: SLOT });
      const guard = t.upload('guard', GUARD_CLEAR);
      await runDispatches(t.device, [weightDecayDispatch(t, { weights, grads, count, lambda, log, component: LOSS_COMPONENT.weightDecay, step, guard: { guard, code: 5 } })], true);
      expect(Array.from(await readU32(t.device, guard, 4)), 'the guard after finite values').toEqual(Array.from(GUARD_CLEAR));

      const refG = Float64Array.from(g0);
      const penalty = weightDecayRef(w, refG, lambda);
      const gotG = await t.read(grads, count + 1);
      // g + (2λ)·w: 2λ rounded once, one product, one sum: ≤ 3 half-ulps of terms ≤ 1 in size.
      const cg = compare(gotG.subarray(0, count), refG, 0, 3 * U * 2);
      expect(gotG[count]).toBe(7);

      const gotLog = await t.read(log, logInit.length);
      const k = SLOT * LOSS_LOG_STRIDE + LOSS_COMPONENT.weightDecay;
      const want = Float64Array.from(logInit);
      want[k] += penalty;
      // Σw² of positive terms: each thread adds ⌈count/256⌉ squares in sequence, 8 tree
      // levels, ×λ, += (and each square rounded): rtol (⌈count/256⌉ + 8 + 3)·u of the
      // penalty; the log entry's previous value (k/8) adds its own ulp.
      const rtol = (Math.ceil(count / 256) + 11) * U;
      const cl = compare(gotLog, want, rtol, U * 4);
      console.log(
        `weight decay n=${count} λ=${lambda}: grads max |diff| ${cg.maxAbs.toExponential(2)}, penalty ${gotLog[k] - logInit[k]} vs ${penalty}, log max |diff| ${cl.maxAbs.toExponential(2)}`,
      );
      expect(cg.worst).toBeLessThanOrEqual(1);
      expect(cl.worst).toBeLessThanOrEqual(1); // and the rest of the log is unchanged
    });
  }
}

test('what it stores goes through the non-finite guard, as check_step would record it', async () => {
  // [weights, gradients before, λ]: a NaN weight (its gradient and the penalty NaN: the loss,
  // code 0, wins); a gradient already −Inf (only the gradient: code + its index); weights whose
  // squares overflow the f32 sum (3e38² = +Inf in the penalty only).
  const count = 300;
  const cases: Array<[(w: Float32Array, g: Float32Array) => void, number, number[]]> = [
    [(w) => (w[260] = NaN), 0.5, [4, 0, NON_FINITE_KIND.nan, 0]],
    [(_, g) => (g[299] = -Infinity), 0.5, [4, 1000 + 299, NON_FINITE_KIND.negInf, 0]],
    [(w) => (w[3] = 3e38), 1e-30, [4, 0, NON_FINITE_KIND.posInf, 0]],
  ];
  for (const [poison, lambda, want] of cases) {
    const w = randomArray(count, 1, -1, 1);
    const g = randomArray(count, 2, -1, 1);
    poison(w, g);
    const guard = t.upload('guard', GUARD_CLEAR);
    const step = t.step({ validRows: 1, lossSlot: 0, step: 4 });
    const d = weightDecayDispatch(t, { weights: t.upload('w', w), grads: t.upload('g', g), count, lambda, log: t.upload('log', new Float32Array(LOSS_LOG_STRIDE)), component: LOSS_COMPONENT.weightDecay, step, guard: { guard, code: 1000 } });
    await runDispatches(t.device, [d], true);
    expect(Array.from(await readU32(t.device, guard, 4))).toEqual(want);
  }
});

test('argument errors name the problem', () => {
  const b = t.upload('b', new Float32Array(8));
  const g = t.upload('g', new Float32Array(8));
  const log = t.upload('log', new Float32Array(8));
  const step = t.step({ validRows: 1 });
  const guard = { guard: t.upload('guard', GUARD_CLEAR), code: 1 };
  expect(() => weightDecayDispatch(t, { weights: b, grads: g, count: 8, lambda: -1, log, component: LOSS_COMPONENT.weightDecay, step, guard })).toThrow(/lambda must be a finite number ≥ 0/);
  expect(() => weightDecayDispatch(t, { weights: b, grads: b, count: 8, lambda: 1, log, component: LOSS_COMPONENT.weightDecay, step, guard })).toThrow(/same GPUBuffer/);
  expect(() => weightDecayDispatch(t, { weights: b, grads: g, count: 9, lambda: 1, log, component: LOSS_COMPONENT.weightDecay, step, guard })).toThrow(/weights holds 8 floats/);
  expect(() => weightDecayDispatch(t, { weights: b, grads: g, count: 8, lambda: 1, log, component: LOSS_COMPONENT.weightDecay, step, guard: { ...guard, code: 0 } })).toThrow(/guard\.code must be an integer in 1\.\./);
  expect(() => weightDecayDispatch(t, { weights: b, grads: g, count: 8, lambda: 1, log, component: LOSS_COMPONENT.weightDecay, step, guard: undefined as never })).toThrow(/guard is required: \{ guard, code \}/);
  expect(() => weightDecayDispatch(t, { weights: b, grads: g, count: 8, lambda: 1, log, component: LOSS_COMPONENT.weightDecay, step, guard: { ...guard, guard: log } })).toThrow(/log and guard\.guard are written and overlap/);
});
