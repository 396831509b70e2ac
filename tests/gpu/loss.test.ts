// The fused loss + gradient kernel (and the forward-only variant) vs the float64 reference.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import type { Activation } from '../../src/kernels/activations';
import { lossDispatch, lossForwardDispatch, type LossKind } from '../../src/kernels/loss';
import { lossRef } from '../../src/reference/loss';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

const CASES: [LossKind, Activation][] = [
  ['bce', 'sigmoid'],
  ['mse', 'linear'],
  ['mse', 'sigmoid'],
  ['mse', 'tanh'],
  ['mse', 'relu'],
];

// [rows, validRows, features, gridWidth?]: a single element; padding rows; features
// not a multiple of the 64-thread workgroup (one past it, and 784 = MNIST); 5 rows on
// a grid 2 wide (3×2 workgroups, one spare).
const SHAPES: [number, number, number, number?][] = [
  [1, 1, 1],
  [3, 2, 5],
  [7, 7, 65],
  [16, 13, 784],
  [5, 4, 33, 2],
];

// Tolerances. Each element's loss is a few f32 operations with exp/log (WGSL: a few
// ulp, log absolute 2^-21 near 1), so ≲ 1e-6 absolute per element; a row sums F of
// them (plus rounding of the partial sums, ≲ log2(64)+F/64 ulp of the total):
// atol = 1e-6·F, rtol = 1e-5. The gradient is σ(z) − x (or 2(x̂ − x)·f') times the
// f32-rounded inv_rows: a few ulp relative to its terms of size ≤ 2, so
// atol = 1e-6·inv_rows, rtol = 1e-5.
for (const [kind, act] of CASES) {
  describe(`lossDispatch ${kind} / ${act}`, () => {
    for (const [rows, valid, features, gridWidth] of SHAPES) {
      test(`B=${rows} valid=${valid} F=${features}${gridWidth ? ` grid width ${gridWidth}` : ''}`, async () => {
        const n = rows * features;
        const z = randomArray(n, n + 17, -4, 4);
        const x = randomArray(n, n + 29, 0, 1);
        const logits = t.upload('z', z);
        const target = t.upload('x', x);
        // Pre-fill outputs with garbage: padding rows must be overwritten with 0.
        const grad = t.upload('dz', new Float32Array(n).fill(9));
        const rowLoss = t.upload('rowLoss', new Float32Array(rows).fill(9));
        const rowLossFwd = t.upload('rowLossFwd', new Float32Array(rows).fill(9));
        const step = t.step({ validRows: valid });
        const common = { logits, target, step, rows, features, loss: kind, outputActivation: act, gridWidth };
        await runDispatches(t.device, [lossDispatch(t, { ...common, grad, rowLoss }), lossForwardDispatch(t, { ...common, rowLoss: rowLossFwd })], true);
        const ref = lossRef(kind, act, z, x, rows, valid, features);
        const gotLoss = await t.read(rowLoss, rows);
        const gotFwd = await t.read(rowLossFwd, rows);
        const gotGrad = await t.read(grad, n);
        const cl = compare(gotLoss, ref.rowLoss, 1e-5, 1e-6 * features);
        const cg = compare(gotGrad, ref.dz, 1e-5, 1e-6 / valid);
        console.log(`${kind}/${act} B=${rows} F=${features}: rowLoss max |diff| ${cl.maxAbs.toExponential(2)}, dz ${cg.maxAbs.toExponential(2)}`);
        expect(cl.worst).toBeLessThanOrEqual(1);
        expect(cg.worst).toBeLessThanOrEqual(1);
        // The forward-only variant computes the same sums in the same order.
        expect(Array.from(gotFwd)).toEqual(Array.from(gotLoss));
        for (let r = valid; r < rows; r++) expect(gotLoss[r]).toBe(0);
        expect(gotGrad.subarray(valid * features).every((v) => v === 0)).toBe(true);
      });
    }
  });
}

test('bce is stable at z = ±100', async () => {
  const z = new Float32Array([100, -100, 100, -100, 100, -100]);
  const x = new Float32Array([1, 1, 0, 0, 0.25, 0.25]);
  const rows = 6;
  const logits = t.upload('z', z);
  const target = t.upload('x', x);
  const grad = t.upload('dz', new Float32Array(rows));
  const rowLoss = t.upload('rowLoss', new Float32Array(rows));
  const step = t.step({ validRows: rows });
  await runDispatches(t.device, [lossDispatch(t, { logits, target, grad, rowLoss, step, rows, features: 1, loss: 'bce', outputActivation: 'sigmoid' })], true);
  const ref = lossRef('bce', 'sigmoid', z, x, rows, rows, 1);
  const gotLoss = await t.read(rowLoss, rows);
  const gotGrad = await t.read(grad, rows);
  console.log('bce at ±100: loss', Array.from(gotLoss), 'dz', Array.from(gotGrad));
  expect(gotLoss.every(Number.isFinite)).toBe(true);
  // Exact in f32: the terms are 0, 100 or 25/75, and e^-100 ≈ 4e-44 vanishes next to them.
  expect(compare(gotLoss, ref.rowLoss, 1e-7, 1e-30).worst).toBeLessThanOrEqual(1);
  expect(compare(gotGrad, ref.dz, 1e-6, 1e-30).worst).toBeLessThanOrEqual(1);
});

test('argument errors name the problem', () => {
  const b = t.upload('b', new Float32Array(8));
  const c = t.upload('c', new Float32Array(8));
  const step = t.step({ validRows: 1 });
  const base = { logits: b, target: b, grad: c, rowLoss: t.upload('r', new Float32Array(4)), step, rows: 2, features: 4 };
  expect(() => lossDispatch(t, { ...base, loss: 'bce', outputActivation: 'tanh' })).toThrow(/'bce' needs outputActivation 'sigmoid'/);
  expect(() => lossDispatch(t, { ...base, loss: 'l1' as never, outputActivation: 'tanh' })).toThrow(/loss must be one of bce, mse/);
  expect(() => lossDispatch(t, { ...base, features: 5, loss: 'mse', outputActivation: 'linear' })).toThrow(/logits holds 8 floats .* but 10 are needed/);
  expect(() => lossDispatch(t, { ...base, grad: b, loss: 'mse', outputActivation: 'linear' })).toThrow(/same GPUBuffer/);
});
