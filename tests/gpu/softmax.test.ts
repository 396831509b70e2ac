// The fused softmax cross-entropy kernel (and its forward-only variant) vs the float64 reference.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { softmaxCrossEntropyDispatch, softmaxCrossEntropyForwardDispatch } from '../../src/kernels/softmax';
import { softmaxCrossEntropyRef } from '../../src/reference/softmax';
import { randomValues } from '../random';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

// [rows, validRows, classes, gridWidth?]: C = 10 (digits), 1 and 3; 65 and 130 classes (more
// than the 64-thread workgroup: strided loop, ties across threads); a row; padding rows; 33 rows
// on a grid 4 wide (9×4 workgroups, 3 spare).
const SHAPES: [number, number, number, number?][] = [
  [1, 1, 10],
  [7, 5, 10],
  [33, 33, 3, 4],
  [7, 7, 1],
  [3, 2, 65],
  [2, 2, 130],
];

// Tolerances. The loss is log S − (z_y − m) with S a sum of ≤ C terms in [0, 1]: exp and log
// are a few ulp (log absolute 2^-21 near 1) and the sum's rounding ≲ (log2 64 + C/64)·ulp(S);
// with |z| ≤ 4, atol 2e-6 and rtol 1e-5. The gradient is p − onehot with p = exp(·)/S (a few
// ulp relative to p ≤ 1) times the f32 inv_rows: atol 1e-6·inv_rows, rtol 1e-5.
for (const [rows, valid, classes, gridWidth] of SHAPES) {
  test(`B=${rows} valid=${valid} C=${classes}${gridWidth ? ` grid width ${gridWidth}` : ''}`, async () => {
    const n = rows * classes;
    const z = randomArray(n, n + 3, -4, 4);
    if (classes === 130) {
      // A tie for the max between threads 1 and 65 (both see it): the first index must win.
      z[1] = 9;
      z[65] = 9;
    }
    const labelsHost = Float32Array.from(randomValues(rows, rows + 7, 0, classes), Math.floor);
    if (classes === 130) labelsHost[0] = 1;
    const logits = t.upload('z', z);
    const labels = t.upload('labels', labelsHost);
    const garbage = (k: number) => new Float32Array(k).fill(9); // padding rows must be overwritten
    const grad = t.upload('dz', garbage(n));
    const rowLoss = t.upload('rowLoss', garbage(rows));
    const correct = t.upload('correct', garbage(rows));
    const rowLossFwd = t.upload('rowLossFwd', garbage(rows));
    const correctFwd = t.upload('correctFwd', garbage(rows));
    const step = t.step({ validRows: valid });
    const common = { logits, labels, step, rows, classes, gridWidth };
    await runDispatches(
      t.device,
      [
        softmaxCrossEntropyDispatch(t, { ...common, rowLoss, correct, grad }),
        softmaxCrossEntropyForwardDispatch(t, { ...common, rowLoss: rowLossFwd, correct: correctFwd }),
      ],
      true,
    );
    const ref = softmaxCrossEntropyRef(z, labelsHost, rows, valid, classes);
    const gotLoss = await t.read(rowLoss, rows);
    const gotGrad = await t.read(grad, n);
    const gotCorrect = await t.read(correct, rows);
    const cl = compare(gotLoss, ref.rowLoss, 1e-5, 2e-6);
    const cg = compare(gotGrad, ref.dz, 1e-5, 1e-6 / valid);
    console.log(`softmax B=${rows} C=${classes}: rowLoss max |diff| ${cl.maxAbs.toExponential(2)}, dz ${cg.maxAbs.toExponential(2)}, ${ref.correct.reduce((a, b) => a + b, 0)} correct`);
    expect(cl.worst).toBeLessThanOrEqual(1);
    expect(cg.worst).toBeLessThanOrEqual(1);
    // Argmax is exact: random logits have no near-ties, and a planted tie goes to the first index.
    expect([...gotCorrect]).toEqual([...ref.correct]);
    if (classes === 130) expect(gotCorrect[0]).toBe(1);
    // The forward-only variant computes the same values in the same order.
    expect([...(await t.read(rowLossFwd, rows))]).toEqual([...gotLoss]);
    expect([...(await t.read(correctFwd, rows))]).toEqual([...gotCorrect]);
    for (let r = valid; r < rows; r++) expect([gotLoss[r], gotCorrect[r]]).toEqual([0, 0]);
    expect(gotGrad.subarray(valid * classes).every((v) => v === 0)).toBe(true);
  });
}

test('huge logits give finite losses and gradients', async () => {
  const z = new Float32Array([1000, -1000, 0, -1000, 1000, 0]);
  const labelsHost = new Float32Array([1, 1]);
  const rowLoss = t.upload('rowLoss', new Float32Array(2));
  const correct = t.upload('correct', new Float32Array(2));
  const grad = t.upload('dz', new Float32Array(6));
  const step = t.step({ validRows: 2 });
  await runDispatches(t.device, [softmaxCrossEntropyDispatch(t, { logits: t.upload('z', z), labels: t.upload('y', labelsHost), rowLoss, correct, grad, step, rows: 2, classes: 3 })], true);
  const loss = await t.read(rowLoss, 2);
  expect(loss[0]).toBeCloseTo(2000, 2);
  expect(loss[1]).toBeCloseTo(0, 6);
  expect((await t.read(grad, 6)).every(Number.isFinite)).toBe(true);
  expect([...(await t.read(correct, 2))]).toEqual([0, 1]);
});

test('bad arguments are refused by name', () => {
  const b = t.upload('b', new Float32Array(8));
  const step = t.step({ validRows: 1 });
  const args = { logits: b, labels: t.upload('y', new Float32Array(4)), rowLoss: t.upload('l', new Float32Array(4)), correct: t.upload('c', new Float32Array(4)), grad: t.upload('g', new Float32Array(8)), step, rows: 2, classes: 4 };
  expect(() => softmaxCrossEntropyDispatch(t, { ...args, classes: 0 })).toThrow(/classes must be a positive integer, got 0/);
  expect(() => softmaxCrossEntropyDispatch(t, { ...args, classes: 5 })).toThrow(/logits holds 8 floats .* but 10 are needed/);
  expect(() => softmaxCrossEntropyDispatch(t, { ...args, grad: b })).toThrow(/logits \(read\) and grad \(written\) are in the same GPUBuffer/);
});
