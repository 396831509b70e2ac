// columnMoments: the per-column mean and population variance that the code
// standardisation (fitCodeStatistics) and linearProbe's standardisation use.
import { expect, test } from 'vitest';
import { columnMoments } from '../../src/analysis/statistics';

test('mean and population variance per column, two-pass, with a unit for pixel bytes', () => {
  // 3 rows × 2 columns: column 0 is 1, 2, 6 (mean 3, variance 14/3); column 1 is constant.
  const { mean, variance } = columnMoments([1, 5, 2, 5, 6, 5], 3, 2);
  expect(Array.from(mean)).toEqual([3, 5]);
  expect(variance[0]).toBeCloseTo(14 / 3, 14);
  expect(variance[1]).toBe(0);
  // Bytes read as /255: the same statistics scaled by 1/255 and 1/255².
  const bytes = columnMoments(Uint8Array.from([1, 5, 2, 5, 6, 5]), 3, 2, 1 / 255);
  expect(bytes.mean[0]).toBeCloseTo(3 / 255, 15);
  expect(bytes.variance[0]).toBeCloseTo(14 / 3 / 255 ** 2, 15);
  // Values near a large constant: two passes keep the small spread that E[x²] − E[x]² would cancel.
  const near = columnMoments([1e8 + 1, 1e8 - 1, 1e8 + 1, 1e8 - 1], 4, 1);
  expect(near.variance[0]).toBe(1);
  expect(() => columnMoments([1, 2, 3], 2, 2)).toThrow(/2×2 values need 4, got 3/);
});
