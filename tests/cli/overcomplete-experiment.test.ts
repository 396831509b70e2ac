// `experiment overcomplete --size quick`: 256 hidden units for 196 inputs
// (14×14 digits); the plain model leans toward copying, the denoising one learns digits.
import { expect, test } from 'vitest';
import { column, runQuick } from './experiment-run';

test('overcomplete: the plain model copies best, the denoising one repairs and has smoother filters', async () => {
  const { results } = await runQuick('overcomplete');
  expect(results.settings.inputs).toBe(196);
  expect(results.settings.hidden).toBeGreaterThan(196);
  expect(results.tables[0].rows.map((r) => r[0])).toEqual(['plain', 'denoising masking 0.5', 'sparse KL ρ=0.05']);
  expect(results.figures.sort()).toEqual(['filters.png', 'reconstructions.png']);
  expect(results.checks.length).toBe(4);
  // Measured 2.24, 1.53, 1.40: trained filters are smoother than white noise (≈ 4), which is where they start.
  for (const r of column(results, 'filter roughness')) expect(r).toBeLessThan(3);
  // The denoiser repairs masked digits to half the plain model's error (measured 4.14 vs 8.20).
  const masked = column(results, 'MSE masked q=0.5 → clean');
  expect(masked[1]).toBeLessThan(0.75 * masked[0]);
}, 240_000);
