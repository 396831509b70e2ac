// Optimizer kernels over 3 steps vs the float64 references (PyTorch semantics).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDispatches, type BufferSlice } from '../../src/gpu';
import { adamCorrections, optimizerDispatch, optimizerStateBuffers, type OptimizerConfig } from '../../src/kernels/optimizer';
import { optimizerStepRef } from '../../src/reference/optimizer';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

const CONFIGS: OptimizerConfig[] = [
  { type: 'sgd', learningRate: 0.05 },
  { type: 'momentum', learningRate: 0.01 },
  { type: 'momentum', learningRate: 0.01, momentum: 0.5, nesterov: true },
  { type: 'adam', learningRate: 0.01 },
  { type: 'adam', learningRate: 0.003, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
];

// [count, gridWidth?]: one vec4; two; 257 vec4s (one past 4 workgroups of 64); 70001
// vec4s (1094 workgroups); 1000 vec4s on a grid 4 wide (16 workgroups → 4×4).
const SHAPES: [number, number?][] = [[4], [8], [4 * 257], [4 * 70001], [4 * 1000, 4]];

const STEPS = 3;

// Tolerances (the reference runs in float64 from the same f32 start values).
// State: m, v and the velocity are 2–3 f32 roundings per step (1−β is rounded once
// from float64); v ≥ 0 has no cancellation: rtol 1e-6. m and the velocity can cancel
// (g changes sign), so atol = few ulp of their terms (|terms| ≤ 3): 1e-6.
// Params: each step adds ≤ ½ ulp of |p| ≤ 2 (1.2e-7) plus the update's own error,
// ~10 roundings relative to lr·|update| ≤ lr·3 (Adam's |m̂/√v̂| stays ≤ ~3 over 3 steps):
// 3·(1.2e-7 + 0.05·3·1.2e-6) ≈ 9e-7 → atol 1e-6. A missing bias correction or a
// wrong β moves parameters by ~lr ≥ 1e-3.
const P_ATOL = 1e-6;

for (const config of CONFIGS) {
  describe(`optimizerDispatch ${JSON.stringify(config)}`, () => {
    for (const [count, gridWidth] of SHAPES) {
      test(`count ${count}${gridWidth ? ` grid width ${gridWidth}` : ''}, ${STEPS} steps`, async () => {
        const nState = optimizerStateBuffers(config);
        const p0 = randomArray(count, count + 1, -2, 2);
        const paramsBuf = t.upload('params', p0);
        const gradsBuf = t.upload('grads', new Float32Array(count));
        const stateBufs = Array.from({ length: nState }, (_, i) => t.upload(`state${i}`, new Float32Array(count)));
        const stepBuf = t.step({ validRows: 1 });
        const d = optimizerDispatch(t, { config, params: paramsBuf, grads: gradsBuf, state: stateBufs, count, step: stepBuf, gridWidth });

        const refP = Float64Array.from(p0);
        const refState = Array.from({ length: nState }, () => new Float64Array(count));
        for (let s = 1; s <= STEPS; s++) {
          const g = new Float32Array(randomArray(count, 1000 * s + count, -1, 1));
          g[0] = 0; // no gradient: Adam must not move it (m = v = 0)
          if (count > 4) g[5] = 1e-6; // comparable to ε after the square root
          t.device.queue.writeBuffer(gradsBuf, 0, g);
          const { c1, c2 } = adamCorrections(config, s);
          t.writeStep(stepBuf, { validRows: 1, step: s, lr: config.learningRate, adamC1: c1, adamC2: c2 });
          await runDispatches(t.device, [d], true);
          optimizerStepRef(config, s, refP, g, refState);
        }
        const got = await t.read(paramsBuf, count);
        const cp = compare(got, refP, 0, P_ATOL);
        console.log(`${config.type} n=${count}: params max |diff| ${cp.maxAbs.toExponential(2)}, moved ${Math.abs(got[7 % count] - p0[7 % count]).toExponential(2)}`);
        expect(cp.worst).toBeLessThanOrEqual(1);
        expect(got[0]).toBe(p0[0]); // g = 0 at every step: no optimizer may move it (Adam: m = v = 0)
        for (let i = 0; i < nState; i++) {
          const gs = await t.read(stateBufs[i], count);
          const cs = compare(gs, refState[i], 1e-6, i === 1 ? 1e-12 : 1e-6);
          console.log(`  state[${i}] max |diff| ${cs.maxAbs.toExponential(2)}`);
          expect(cs.worst).toBeLessThanOrEqual(1);
        }
      });
    }
  });
}

test('updates a slice of a larger buffer and nothing else', async () => {
  // Parameters at float offset 64 (256 bytes), 12 floats, with guard values around them.
  const all = randomArray(128, 3, -1, 1);
  const buf = t.upload('params', all);
  const params: BufferSlice = { buffer: buf, offset: 256, size: 48 };
  const g = randomArray(12, 4, -1, 1);
  const grads = t.upload('grads', g);
  const config: OptimizerConfig = { type: 'adam', learningRate: 0.1 };
  const m = t.upload('m', new Float32Array(12));
  const v = t.upload('v', new Float32Array(12));
  const { c1, c2 } = adamCorrections(config, 1);
  const step = t.step({ validRows: 1, lr: 0.1, adamC1: c1, adamC2: c2 });
  await runDispatches(t.device, [optimizerDispatch(t, { config, params, grads, state: [m, v], count: 12, step })], true);
  const got = await t.read(buf, 128);
  for (let i = 0; i < 128; i++) {
    // Adam's first step: p −= lr·g/(|g| + ε) ≈ lr·sign(g).
    const want = i >= 64 && i < 76 ? all[i] - 0.1 * Math.sign(g[i - 64]) : all[i];
    expect(Math.abs(got[i] - want)).toBeLessThan(1e-6);
  }
});

test('argument errors name the problem', () => {
  const b = t.upload('b', new Float32Array(8));
  const g = t.upload('g', new Float32Array(8));
  const step = t.step({ validRows: 1 });
  const adam: OptimizerConfig = { type: 'adam', learningRate: 1e-3 };
  expect(() => optimizerDispatch(t, { config: adam, params: b, grads: g, state: [], count: 8, step })).toThrow(/'adam' needs 2 state buffer\(s\), got 0/);
  expect(() => optimizerDispatch(t, { config: { type: 'sgd', learningRate: 1 }, params: b, grads: g, state: [], count: 6, step })).toThrow(/multiple of 4/);
  expect(() => optimizerDispatch(t, { config: { type: 'sgd', learningRate: 1 }, params: b, grads: b, state: [], count: 8, step })).toThrow(/same GPUBuffer/);
  expect(() => optimizerDispatch(t, { config: { type: 'sgd', learningRate: 1 }, params: b, grads: g, state: [], count: 12, step })).toThrow(/params holds 8 floats/);
  expect(() => optimizerDispatch(t, { config: { type: 'lamb', learningRate: 1 } as never, params: b, grads: g, state: [], count: 8, step })).toThrow(/allowed: sgd, momentum, adam/);
});
