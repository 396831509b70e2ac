// The PCA reference: the symmetric eigensolver on matrices with known
// eigen-decompositions and on random ones (A v = λ v, orthonormal V), PCA of data
// with a planted structure, and principal angles of constructed subspaces.
import { describe, expect, test } from 'vitest';
import {
  columnMeans,
  covariance,
  orthonormaliseRows,
  pca,
  pcaProject,
  pcaReconstruct,
  pcaReconstructionError,
  pcaTruncate,
  principalAngles,
  symmetricEigen,
} from '../../src/analysis/pca';
import { randomValues } from '../random';

/** Random orthogonal [n, n] matrix (rows) from Gram–Schmidt on random rows. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  return orthonormaliseRows(randomValues(n * n, seed), n, n);
}

/** Qᵀ diag(λ) Q for orthonormal rows Q. */
function fromEigen(q: Float64Array, lambda: number[], n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let t = 0; t < n; t++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] += lambda[t] * q[t * n + i] * q[t * n + j];
  return a;
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const r = randomValues(n * n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (r[i * n + j] + r[j * n + i]) / 2;
  return a;
}

/** max |A v − λ v| over all pairs, and max |VVᵀ − I|. */
function eigenResiduals(a: ArrayLike<number>, n: number, values: Float64Array, vectors: Float64Array) {
  let residual = 0;
  let orthogonality = 0;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[t * n + j];
      residual = Math.max(residual, Math.abs(av - values[t] * vectors[t * n + i]));
    }
    for (let u = 0; u < n; u++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += vectors[t * n + j] * vectors[u * n + j];
      orthogonality = Math.max(orthogonality, Math.abs(d - (t === u ? 1 : 0)));
    }
  }
  return { residual, orthogonality };
}

describe('symmetricEigen', () => {
  test('a 2×2 by hand: [[2,1],[1,2]] has λ = 3, 1 with v = (1,1)/√2, (1,−1)/√2', () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[0] * vectors[1]).toBeCloseTo(0.5, 14);
    expect(vectors[2] * vectors[3]).toBeCloseTo(-0.5, 14);
  });

  test('1×1, diagonal, zero and repeated eigenvalues', () => {
    expect([...symmetricEigen([-4], 1).values]).toEqual([-4]);
    const diag = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, -2], 3);
    expect([...diag.values]).toEqual([5, 1, -2]);
    expect([...diag.vectors]).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
    expect([...symmetricEigen(new Float64Array(9), 3).values]).toEqual([0, 0, 0]);
    // A 2-fold eigenvalue: V·Vᵀ must still be I.
    const n = 6;
    const lambda = [4, 4, 1, 0.5, 0, -3];
    const a = fromEigen(randomOrthogonal(n, 3), lambda, n);
    const { values, vectors } = symmetricEigen(a, n);
    lambda.forEach((l, i) => expect(values[i]).toBeCloseTo(l, 12));
    const { residual, orthogonality } = eigenResiduals(a, n, values, vectors);
    expect(residual).toBeLessThan(1e-12);
    expect(orthogonality).toBeLessThan(1e-12);
  });

  test('recovers a planted decomposition: eigenvalues and eigenvectors up to sign', () => {
    const n = 9;
    const q = randomOrthogonal(n, 11);
    const lambda = [7, 3.5, 2, 1, 0.25, -0.5, -1, -2, -6];
    const { values, vectors } = symmetricEigen(fromEigen(q, lambda, n), n);
    let worst = 0;
    for (let t = 0; t < n; t++) {
      worst = Math.max(worst, Math.abs(values[t] - lambda[t]));
      let d = 0;
      for (let j = 0; j < n; j++) d += vectors[t * n + j] * q[t * n + j];
      worst = Math.max(worst, Math.abs(Math.abs(d) - 1));
    }
    console.log(`planted 9×9: worst error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-12);
  });

  test('random symmetric matrices: A v = λ v and orthonormal V', () => {
    for (const [n, seed] of [[2, 1], [3, 2], [17, 3], [64, 4]]) {
      const a = randomSymmetric(n, seed);
      const { values, vectors } = symmetricEigen(a, n);
      for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i];
      const { residual, orthogonality } = eigenResiduals(a, n, values, vectors);
      console.log(`random ${n}×${n}: |Av − λv| ${residual.toExponential(2)}, |VVᵀ − I| ${orthogonality.toExponential(2)}`);
      expect(residual).toBeLessThan(1e-12 * n);
      expect(orthogonality).toBeLessThan(1e-12 * n);
      expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 10);
    }
  });

  // The time is printed, not asserted (speed lives in benchmarks): ≈ 1.8 s on an idle core.
  test('784×784 (MNIST size)', () => {
    const n = 784;
    const a = randomSymmetric(n, 5);
    const t0 = performance.now();
    const { values, vectors } = symmetricEigen(a, n);
    const ms = performance.now() - t0;
    // Spot-check A v = λ v on a few pairs (the full check is O(n³) itself).
    let residual = 0;
    for (const t of [0, 1, 391, 782, 783]) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[t * n + j];
        residual = Math.max(residual, Math.abs(av - values[t] * vectors[t * n + i]));
      }
    }
    console.log(`784×784 eigen-decomposition: ${ms.toFixed(0)} ms, |Av − λv| ${residual.toExponential(2)}`);
    expect(residual).toBeLessThan(1e-10);
  }, 60_000);

  test('rejects bad input with the reason', () => {
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(/not symmetric/);
    expect(() => symmetricEigen([1, 2, 2], 2)).toThrow(/needs n·n = 4/);
    expect(() => symmetricEigen([1], 0)).toThrow(/n must be a positive integer/);
    expect(() => symmetricEigen([NaN], 1)).toThrow(/must be finite/);
  });
});

describe('pca', () => {
  // Data with a planted covariance: x = μ + Σ_t z_t √λ_t q_t with whitened z.
  function planted(rows: number, n: number, lambda: number[], seed: number) {
    const q = randomOrthogonal(n, seed);
    const mu = randomValues(n, seed + 1, 0, 3);
    // Exactly whitened z: centre and orthonormalise the columns of a random [rows, n] block.
    const zT = randomValues(n * rows, seed + 2);
    for (let t = 0; t < n; t++) {
      let m = 0;
      for (let r = 0; r < rows; r++) m += zT[t * rows + r];
      for (let r = 0; r < rows; r++) zT[t * rows + r] -= m / rows;
    }
    const zo = orthonormaliseRows(zT, n, rows); // rows of zo: orthonormal, each centred
    const data = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let s = mu[j];
        for (let t = 0; t < n; t++) s += zo[t * rows + r] * Math.sqrt(rows * lambda[t]) * q[t * n + j];
        data[r * n + j] = s;
      }
    }
    return { data, q, mu };
  }

  test('mean and covariance by hand', () => {
    const x = [1, 2, 3, 6, 5, 10]; // rows (1,2), (3,6), (5,10)
    expect([...columnMeans(x, 3, 2)]).toEqual([3, 6]);
    // centred: (−2,−4), (0,0), (2,4) → C = [[8/3, 16/3], [16/3, 32/3]]
    const c = covariance(x, 3, 2);
    [8 / 3, 16 / 3, 16 / 3, 32 / 3].forEach((v, i) => expect(c[i]).toBeCloseTo(v, 14));
  });

  test('recovers planted components, eigenvalues and the residual variance', () => {
    const rows = 40;
    const n = 6;
    const lambda = [9, 4, 1, 0.25, 0.04, 0.01];
    const { data, q, mu } = planted(rows, n, lambda, 21);
    const k = 3;
    const model = pca(data, rows, n, k);
    lambda.forEach((l, i) => expect(model.eigenvalues[i]).toBeCloseTo(l, 10));
    for (let j = 0; j < n; j++) expect(model.mean[j]).toBeCloseTo(mu[j], 12);
    for (let t = 0; t < k; t++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += model.components[t * n + j] * q[t * n + j];
      expect(Math.abs(d)).toBeCloseTo(1, 10);
    }
    expect(model.totalVariance).toBeCloseTo(14.3, 10);
    expect(model.residualVariance).toBeCloseTo(0.3, 10);
    expect(model.explainedVarianceRatio[0]).toBeCloseTo(9 / 14.3, 10);
    // The mean squared reconstruction error of the fitted rows is Σ_{i≥k} λ_i.
    expect(pcaReconstructionError(model, data, rows)).toBeCloseTo(0.3, 10);
    // Codes are uncorrelated with variances λ_1..λ_k.
    const codes = pcaProject(model, data, rows);
    const codeCov = covariance(codes, rows, k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) expect(codeCov[i * k + j]).toBeCloseTo(i === j ? lambda[i] : 0, 10);
    // With every component kept, reconstruction is exact.
    const full = pca(data, rows, n, n);
    const back = pcaReconstruct(full, pcaProject(full, data, rows), rows);
    let worst = 0;
    for (let i = 0; i < rows * n; i++) worst = Math.max(worst, Math.abs(back[i] - data[i]));
    expect(worst).toBeLessThan(1e-12);
  });

  test('pcaTruncate keeps the top components of a larger fit, as a fit with fewer would', () => {
    const rows = 40;
    const n = 6;
    const { data } = planted(rows, n, [9, 4, 1, 0.25, 0.04, 0.01], 21);
    const big = pca(data, rows, n, 5);
    for (const k of [1, 2, 3]) {
      const cut = pcaTruncate(big, k);
      const direct = pca(data, rows, n, k);
      expect(cut.k).toBe(k);
      expect(cut.components.length).toBe(k * n);
      expect(cut.residualVariance).toBeCloseTo(direct.residualVariance, 12);
      expect(pcaReconstructionError(cut, data, rows)).toBeCloseTo(direct.residualVariance, 10);
    }
    expect(() => pcaTruncate(big, 6)).toThrow(/k must be an integer in \[1, 5\]/);
  });

  test('rejects bad k and short data', () => {
    expect(() => pca([1, 2, 3, 4], 2, 2, 3)).toThrow(/k must be an integer in \[1, cols = 2\]/);
    expect(() => pca([1, 2, 3], 2, 2, 1)).toThrow(/data has 3 elements, needs rows·cols/);
  });
});

describe('principalAngles', () => {
  const n = 7;
  const q = randomOrthogonal(n, 31); // orthonormal directions q_0..q_6

  function rowsOf(...rows: Float64Array[]): Float64Array {
    const out = new Float64Array(rows.length * n);
    rows.forEach((r, i) => out.set(r, i * n));
    return out;
  }
  const qr = (i: number) => q.slice(i * n, i * n + n);
  const mix = (a: Float64Array, b: Float64Array, ca: number, cb: number) => a.map((v, i) => ca * v + cb * b[i]);

  test('the same subspace with a different, non-orthonormal basis: all angles 0°', () => {
    const a = rowsOf(qr(0), qr(1), qr(2));
    const b = rowsOf(mix(qr(0), qr(1), 2, 1), mix(qr(1), qr(2), -3, 0.5), mix(qr(2), qr(0), 1, 1));
    const angles = principalAngles(a, b, 3, n);
    console.log(`same subspace: ${[...angles].map((x) => x.toExponential(1)).join(', ')}°`);
    for (const x of angles) expect(x).toBeLessThan(1e-6);
  });

  test('orthogonal subspaces: all angles 90°', () => {
    const angles = principalAngles(rowsOf(qr(0), qr(1)), rowsOf(qr(2), qr(3)), 2, n);
    for (const x of angles) expect(x).toBeCloseTo(90, 10);
  });

  test('constructed angles 30°, 10° and 0°, largest first', () => {
    const rad = Math.PI / 180;
    const a = rowsOf(qr(0), qr(1), qr(2));
    const b = rowsOf(
      mix(qr(2), qr(5), 1, 0), // shared direction: 0°
      mix(qr(0), qr(3), Math.cos(30 * rad), Math.sin(30 * rad)),
      mix(qr(1), qr(4), Math.cos(10 * rad), Math.sin(10 * rad)),
    );
    const angles = principalAngles(a, b, 3, n);
    expect(angles[0]).toBeCloseTo(30, 10);
    expect(angles[1]).toBeCloseTo(10, 10);
    expect(angles[2]).toBeLessThan(1e-6);
  });

  test('a tiny angle stays accurate (taken from the sines, not the cosines)', () => {
    const tiny = 1e-6; // degrees
    const rad = (tiny * Math.PI) / 180;
    const angles = principalAngles(qr(0), mix(qr(0), qr(1), Math.cos(rad), Math.sin(rad)), 1, n);
    expect(angles[0] / tiny).toBeCloseTo(1, 6);
  });

  test('rejects dependent rows', () => {
    const a = rowsOf(qr(0), mix(qr(0), qr(0), 2, 0));
    expect(() => principalAngles(a, rowsOf(qr(1), qr(2)), 2, n)).toThrow(/row 1 of 2 .* linearly independent/);
  });
});
