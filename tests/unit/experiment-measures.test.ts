// The experiments' own measures, on inputs whose answer is known.
import { expect, test } from 'vitest';
import { corrupt, hostRandom, meanSquaredError } from '../../cli/page/experiments/common';
import { roughness } from '../../cli/page/experiments/overcomplete';

test('filter roughness: 0 for a constant filter, about 4 for white noise, small for a smooth blob', () => {
  const rows = 28;
  const cols = 28;
  const constant = new Float32Array(rows * cols).fill(0.3);
  expect(roughness(constant, 1, rows, cols)).toBe(0);
  // Σ (a − b)² over 2·27·28 neighbour pairs ≈ 2σ² each, over Σ w² ≈ 784σ²: 4 · 27/28 = 3.86.
  const u = hostRandom(3);
  const noise = Float32Array.from({ length: 20 * rows * cols }, () => u() - 0.5);
  expect(roughness(noise, 20, rows, cols)).toBeCloseTo(4 * (27 / 28), 1);
  // A Gaussian blob of width 4 pixels: neighbours differ by about 1/4 of the values' scale.
  const blob = Float32Array.from({ length: rows * cols }, (_, k) => Math.exp(-(((k % cols) - 14) ** 2 + (Math.floor(k / cols) - 14) ** 2) / 32));
  expect(roughness(blob, 1, rows, cols)).toBeLessThan(0.1);
});

test('host corruption draws what it says, and the squared error counts per sample', () => {
  const clean = new Float32Array(10000).fill(0.5);
  const masked = corrupt(clean, { type: 'masking', rate: 0.25 }, 1);
  const zeros = masked.filter((v) => v === 0).length / clean.length;
  expect(zeros).toBeGreaterThan(0.23);
  expect(zeros).toBeLessThan(0.27);
  expect(masked.every((v) => v === 0 || v === 0.5)).toBe(true);
  // Same seed, same draws.
  expect(corrupt(clean, { type: 'masking', rate: 0.25 }, 1)).toEqual(masked);
  // Every zeroed value is off by 0.5: the error per 100-value sample is 25 · (fraction zeroed) · 100 / 100.
  expect(meanSquaredError(masked, clean, 100)).toBeCloseTo(0.25 * zeros * 100, 5);
});
