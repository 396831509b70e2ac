// Latent-space helpers: the normal quantile against known values and its own
// inverse (the CDF by numerical integration), the grid's layout, interpolation.
import { describe, expect, test } from 'vitest';
import { interpolateCodes, latentGrid, normalQuantile } from '../../src/analysis/latent';

/** Φ(x) by Simpson's rule on the density (float64, 20 000 panels). */
function normalCdf(x: number): number {
  const n = 20000;
  const lo = -12;
  const h = (x - lo) / n;
  const f = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  let s = f(lo) + f(x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(lo + i * h);
  return (s * h) / 3;
}

describe('normalQuantile', () => {
  test('known quantiles', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.6448536269514729, 8);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 7);
  });
  test('inverts the CDF across (0, 1)', () => {
    for (const p of [0.001, 0.01, 0.02, 0.03, 0.2, 0.5, 0.77, 0.98, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 8);
  });
  test('rejects p outside (0, 1)', () => {
    expect(() => normalQuantile(0)).toThrow(/p must be in \(0, 1\)/);
    expect(() => normalQuantile(1)).toThrow(/p must be in \(0, 1\)/);
  });
});

describe('latentGrid', () => {
  test('a 3×3 grid over two of four coordinates: x along columns, y decreasing down the rows, the rest 0', () => {
    const g = latentGrid(3, { latentSize: 4, dims: [2, 0], margin: 0.1 });
    expect(g.length).toBe(9 * 4);
    const q = normalQuantile(0.9);
    const at = (row: number, col: number) => Array.from(g.subarray((row * 3 + col) * 4, (row * 3 + col + 1) * 4));
    expect(at(0, 0)[2]).toBeCloseTo(-q, 6);
    expect(at(0, 0)[0]).toBeCloseTo(q, 6);
    expect(at(1, 1)[2]).toBeCloseTo(0, 6);
    expect(at(2, 2)[0]).toBeCloseTo(-q, 6);
    for (let k = 0; k < 9; k++) expect([g[k * 4 + 1], g[k * 4 + 3]]).toEqual([0, 0]);
  });
  test('bad options are named', () => {
    expect(() => latentGrid(1)).toThrow(/side must be an integer ≥ 2/);
    expect(() => latentGrid(4, { latentSize: 2, dims: [0, 2] })).toThrow(/dims must be coordinates in 0..1/);
    expect(() => latentGrid(4, { dims: [1, 1] })).toThrow(/two different coordinates/);
  });
});

test('interpolateCodes: endpoints exact, midpoint halfway', () => {
  const p = interpolateCodes([0, 2], [4, -2], 5);
  expect(Array.from(p.subarray(0, 2))).toEqual([0, 2]);
  expect(Array.from(p.subarray(8, 10))).toEqual([4, -2]);
  expect(Array.from(p.subarray(4, 6))).toEqual([2, 0]);
  expect(() => interpolateCodes([1], [1, 2], 3)).toThrow(/same non-zero length/);
});
