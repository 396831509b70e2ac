// 2-D PCA projection of codes and the labelled scatter plot drawn from it.
import { describe, expect, test } from 'vitest';
import { DIGIT_COLOURS, project2d, scatterLayout, scatterPlot } from '../../src/analysis/projection';
import { orthonormaliseRows } from '../../src/analysis/pca';
import { randomValues } from '../random';

describe('project2d', () => {
  // Codes in 6-D: three clusters spread along two orthonormal directions q0, q1 (large
  // variance), plus small noise in every direction.
  const width = 6;
  const count = 300;
  const q = orthonormaliseRows(randomValues(2 * width, 41), 2, width);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
  const centres = [[4, 0], [-2, 3], [-2, -3]];
  const noise = randomValues(count * width, 42, -0.1, 0.1);
  const codes = new Float32Array(count * width);
  for (let r = 0; r < count; r++) {
    const [a, b] = centres[labels[r]];
    for (let j = 0; j < width; j++) codes[r * width + j] = 5 + a * q[j] + b * q[width + j] + noise[r * width + j];
  }

  test('recovers the planted plane: x, y are the coordinates along q0, q1 (up to sign and rotation within the plane)', () => {
    const p = project2d(codes, count, width, labels);
    expect(p.x.length).toBe(count);
    expect(p.labels).toBe(labels);
    // Nearly all the variance lies in the plane.
    console.log(`explained variance ratio ${p.explainedVarianceRatio.map((v) => v.toFixed(4)).join(', ')}`);
    expect(p.explainedVarianceRatio[0] + p.explainedVarianceRatio[1]).toBeGreaterThan(0.99);
    expect(p.explainedVarianceRatio[0]).toBeGreaterThanOrEqual(p.explainedVarianceRatio[1]);
    // The projection preserves distances within the plane: compare pairwise distances.
    let worst = 0;
    for (let i = 0; i < 20; i++) {
      for (let j = i + 1; j < 20; j++) {
        let d2 = 0;
        for (let k = 0; k < width; k++) d2 += (codes[i * width + k] - codes[j * width + k]) ** 2;
        const p2 = (p.x[i] - p.x[j]) ** 2 + (p.y[i] - p.y[j]) ** 2;
        worst = Math.max(worst, Math.abs(Math.sqrt(d2) - Math.sqrt(p2)));
      }
    }
    expect(worst).toBeLessThan(0.25); // only the off-plane noise (|·| ≤ 0.1 per coordinate) is lost
    // x and y are centred and uncorrelated.
    const mean = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean(p.x))).toBeLessThan(1e-5);
    expect(Math.abs(mean(p.y))).toBeLessThan(1e-5);
    let xy = 0;
    for (let r = 0; r < count; r++) xy += p.x[r] * p.y[r];
    expect(Math.abs(xy / count)).toBeLessThan(1e-5);
    // The clusters stay apart: nearest class centroid in 2-D classifies every point.
    const cx = [0, 0, 0];
    const cy = [0, 0, 0];
    for (let r = 0; r < count; r++) {
      cx[labels[r]] += p.x[r] / (count / 3);
      cy[labels[r]] += p.y[r] / (count / 3);
    }
    let right = 0;
    for (let r = 0; r < count; r++) {
      const d = [0, 1, 2].map((c) => (p.x[r] - cx[c]) ** 2 + (p.y[r] - cy[c]) ** 2);
      if (d.indexOf(Math.min(...d)) === labels[r]) right++;
    }
    expect(right).toBe(count);
  });

  test('one-dimensional codes give y = 0; bad sizes are named', () => {
    const p = project2d([1, 2, 3, 6], 4, 1);
    expect([...p.x]).toEqual([-2, -1, 0, 3].map((v) => v * Math.sign(p.x[3])));
    expect([...p.y]).toEqual([0, 0, 0, 0]);
    expect(p.explainedVarianceRatio).toEqual([1, 0]);
    expect(() => project2d([1, 2, 3], 2, 2)).toThrow(/2×2 codes need 4 values, got 3/);
    expect(() => project2d([1, 2, 3, 4], 2, 2, [1])).toThrow(/1 labels for 2 samples/);
  });
});

describe('scatter plot', () => {
  const points = { x: new Float32Array([-1, 1, 0]), y: new Float32Array([-1, 1, 0]), labels: [3, 7, 0] };

  test('points land at the corners of the margin box and the centre, in their label colours', () => {
    const layout = scatterLayout(points, { width: 21, height: 21, margin: 2 });
    expect(layout.map((p) => [p.px, p.py])).toEqual([[2, 18], [18, 2], [10, 10]]); // y up
    expect(layout[0].colour).toBe(`rgb(${DIGIT_COLOURS[3].join(', ')})`);
    const img = scatterPlot(points, { width: 21, height: 21, margin: 2, radius: 1 });
    expect([img.width, img.height, img.data.length]).toEqual([21, 21, 21 * 21 * 4]);
    const pixel = (u: number, v: number) => [...img.data.subarray((v * 21 + u) * 4, (v * 21 + u) * 4 + 4)];
    expect(pixel(2, 18)).toEqual([...DIGIT_COLOURS[3], 255]);
    expect(pixel(3, 17)).toEqual([...DIGIT_COLOURS[3], 255]); // radius 1: a 3×3 square
    expect(pixel(18, 2)).toEqual([...DIGIT_COLOURS[7], 255]);
    expect(pixel(10, 10)).toEqual([...DIGIT_COLOURS[0], 255]);
    expect(pixel(5, 15)).toEqual([255, 255, 255, 255]); // background
    let coloured = 0;
    for (let k = 0; k < 21 * 21; k++) if (img.data[k * 4] !== 255 || img.data[k * 4 + 1] !== 255) coloured++;
    expect(coloured).toBe(27); // three 3×3 squares
  });

  test('equal aspect keeps distances; unlabelled points are dark grey; one point is centred', () => {
    const wide = { x: new Float32Array([0, 10]), y: new Float32Array([0, 1]) };
    const l = scatterLayout(wide, { width: 101, height: 101, margin: 0 });
    expect(l[1].px - l[0].px).toBeCloseTo(100, 10);
    expect(l[0].py - l[1].py).toBeCloseTo(10, 10); // same pixels per unit on both axes
    expect(l[0].colour).toBe('#444');
    const single = scatterLayout({ x: new Float32Array([5]), y: new Float32Array([5]) }, { width: 11, height: 11 });
    expect([single[0].px, single[0].py]).toEqual([5, 5]);
    expect(() => scatterPlot(points, { width: 0 })).toThrow(/width must be a positive integer, got 0/);
  });
});
