// The float64 loss reference: its gradient against central finite differences,
// its values against the textbook formulas, and cross-entropy's stability.
import { describe, expect, test } from 'vitest';
import type { Activation } from '../../src/kernels/activations';
import type { LossKind } from '../../src/kernels/loss';
import { bceElement, lossRef, meanLossRef } from '../../src/reference/loss';

function random(n: number, seed: number, lo: number, hi: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return out;
}

const CASES: [LossKind, Activation][] = [
  ['bce', 'sigmoid'],
  ['mse', 'linear'],
  ['mse', 'sigmoid'],
  ['mse', 'tanh'],
  ['mse', 'relu'],
];

describe('lossRef gradient vs central finite differences', () => {
  const rows = 4;
  const validRows = 3; // the last row is padding
  const features = 5;
  for (const [kind, act] of CASES) {
    test(`${kind} / ${act}`, () => {
      const z = random(rows * features, 7, -3, 3);
      // Keep relu away from its kink at 0, where the derivative is not defined.
      for (let i = 0; i < z.length; i++) if (Math.abs(z[i]) < 0.1) z[i] += 0.2;
      const x = random(rows * features, 11, 0, 1);
      const L = (zz: Float64Array) => meanLossRef(lossRef(kind, act, zz, x, rows, validRows, features).rowLoss, validRows);
      const { dz, rowLoss } = lossRef(kind, act, z, x, rows, validRows, features);
      expect(rowLoss[rows - 1]).toBe(0);
      // h = 1e-6: truncation error ~h²·|L'''| ≈ 1e-12, rounding ~ε·|L|/h ≈ 1e-9; 1e-7 leaves margin
      // while a wrong factor (e.g. a missing 2 or 1/validRows) would be off by > 1e-2.
      const h = 1e-6;
      let maxDiff = 0;
      for (let k = 0; k < z.length; k++) {
        const zp = z.slice();
        const zm = z.slice();
        zp[k] += h;
        zm[k] -= h;
        const fd = (L(zp) - L(zm)) / (2 * h);
        maxDiff = Math.max(maxDiff, Math.abs(fd - dz[k]));
        if (k >= validRows * features) expect(dz[k]).toBe(0);
      }
      console.log(`${kind}/${act}: max |dz − finite difference| = ${maxDiff.toExponential(2)}`);
      expect(maxDiff).toBeLessThan(1e-7);
    });
  }
});

describe('lossRef values', () => {
  test('bce equals −[x log σ(z) + (1−x) log(1−σ(z))] for moderate z', () => {
    const z = random(12, 3, -5, 5);
    const x = random(12, 5, 0, 1);
    const { rowLoss } = lossRef('bce', 'sigmoid', z, x, 3, 3, 4);
    for (let r = 0; r < 3; r++) {
      let s = 0;
      for (let j = 0; j < 4; j++) {
        const p = 1 / (1 + Math.exp(-z[r * 4 + j]));
        const xx = x[r * 4 + j];
        s -= xx * Math.log(p) + (1 - xx) * Math.log(1 - p);
      }
      expect(rowLoss[r]).toBeCloseTo(s, 12);
    }
  });

  test('mse is Σ (f(z) − x)² with no ½, averaged over valid rows only', () => {
    // Two valid rows of 2 features, one padding row holding garbage.
    const z = [1, 2, 0, -1, 99, 99];
    const x = [0, 0, 1, 1, 0, 0];
    const { rowLoss, dz } = lossRef('mse', 'linear', z, x, 3, 2, 2);
    expect(Array.from(rowLoss)).toEqual([5, 5, 0]);
    expect(meanLossRef(rowLoss, 2)).toBe(5);
    expect(Array.from(dz)).toEqual([1, 2, -1, -2, 0, 0]); // 2(z − x)/2
  });

  test("bce without a sigmoid output is rejected", () => {
    expect(() => lossRef('bce', 'linear', [0], [0], 1, 1, 1)).toThrow(/sigmoid/);
  });
});

describe('bce stability at extreme logits', () => {
  test('z = ±100 and ±1000 give finite loss and the right gradient', () => {
    const z = [100, -100, 1000, -1000, 100, -1000];
    const x = [1, 1, 0, 1, 0.25, 0.25];
    const { rowLoss, dz } = lossRef('bce', 'sigmoid', z, x, 6, 6, 1);
    // softplus(z) − x·z: for z ≫ 0 it is (1−x)·z, for z ≪ 0 it is −x·z (up to e^−|z|).
    const expected = [0, 100, 1000, 1000, 75, 250];
    for (let i = 0; i < 6; i++) {
      expect(Number.isFinite(rowLoss[i])).toBe(true);
      expect(Math.abs(rowLoss[i] - expected[i])).toBeLessThan(1e-40 + 1e-15 * expected[i]);
    }
    // dz = (σ(z) − x)/6: σ saturates to exactly 0 or 1.
    const sig = [1, 0, 1, 0, 1, 0];
    for (let i = 0; i < 6; i++) expect(dz[i]).toBeCloseTo((sig[i] - x[i]) / 6, 15);
    // The naive log(1 + e^z) overflows at z = 1000; the stable form does not.
    expect(Math.log(1 + Math.exp(1000))).toBe(Infinity);
    expect(bceElement(1000, 0)).toBe(1000);
  });
});
