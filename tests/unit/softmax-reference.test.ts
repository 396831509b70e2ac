// The float64 softmax cross-entropy reference: hand values, its gradient against
// central finite differences of the batch-mean loss, padding rows and argmax ties.
import { describe, expect, test } from 'vitest';
import { softmaxCrossEntropyRef } from '../../src/reference/softmax';
import { randomValues } from '../random';

describe('softmaxCrossEntropyRef', () => {
  test('hand values: equal logits give log C; a confident right answer ≈ 0', () => {
    const r = softmaxCrossEntropyRef([0, 0, 0, 0, 0, 20, 0, 0], [2, 1], 2, 2, 4);
    expect(r.rowLoss[0]).toBeCloseTo(Math.log(4), 14);
    expect(r.rowLoss[1]).toBeCloseTo(3 * Math.exp(-20), 14);
    expect([...r.predictions]).toEqual([0, 1]); // a tie goes to the first index
    expect([...r.correct]).toEqual([0, 1]);
    // dz = (softmax − onehot) / validRows
    expect(r.dz[2]).toBeCloseTo((0.25 - 1) / 2, 14);
    expect(r.dz[0]).toBeCloseTo(0.25 / 2, 14);
  });

  test('one class: zero loss, zero gradient, always correct', () => {
    const r = softmaxCrossEntropyRef([3.5, -2], [0, 0], 2, 2, 1);
    expect([...r.rowLoss]).toEqual([0, 0]);
    expect([...r.dz]).toEqual([0, 0]);
    expect([...r.correct]).toEqual([1, 1]);
  });

  test('huge logits stay finite (shifted by the max)', () => {
    const r = softmaxCrossEntropyRef([1000, -1000, 0], [1], 1, 1, 3);
    expect(r.rowLoss[0]).toBeCloseTo(2000, 10);
    expect(Number.isFinite(r.dz[0])).toBe(true);
  });

  for (const [rows, valid, classes] of [[1, 1, 10], [7, 5, 3], [4, 4, 10]]) {
    test(`gradient vs central finite differences (rows ${rows}, valid ${valid}, C ${classes})`, () => {
      const z = randomValues(rows * classes, rows * 31 + classes, -3, 3);
      const labels = Array.from(randomValues(rows, 5, 0, classes), Math.floor);
      const meanLoss = () => softmaxCrossEntropyRef(z, labels, rows, valid, classes).rowLoss.reduce((a, b) => a + b, 0) / valid;
      const { dz } = softmaxCrossEntropyRef(z, labels, rows, valid, classes);
      const eps = 1e-6;
      let worst = 0;
      for (let k = 0; k < z.length; k++) {
        const keep = z[k];
        z[k] = keep + eps;
        const up = meanLoss();
        z[k] = keep - eps;
        const down = meanLoss();
        z[k] = keep;
        const fd = (up - down) / (2 * eps);
        // float64 central differences: h² truncation + ε·L/h rounding ≈ 1e-10 here.
        worst = Math.max(worst, Math.abs(fd - dz[k]));
      }
      console.log(`softmax C=${classes} rows=${rows}: max |analytic − finite difference| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-8);
      // Padding rows: nothing.
      expect(dz.subarray(valid * classes).every((v) => v === 0)).toBe(true);
    });
  }

  test('rejects labels outside 0..C−1 with the row named', () => {
    expect(() => softmaxCrossEntropyRef([0, 0, 0, 0], [0, 2], 2, 2, 2)).toThrow(/label 2 of row 1 is not an integer in 0..1/);
    expect(() => softmaxCrossEntropyRef([0, 0], [0.5], 1, 1, 2)).toThrow(/label 0.5/);
  });
});
