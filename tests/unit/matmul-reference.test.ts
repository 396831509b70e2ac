// The float64 matmul reference on hand-computed products, and the three forms
// agreeing with each other through explicit transposes.
import { describe, expect, test } from 'vitest';
import { matmulRef } from '../../src/reference/matmul';

function transpose(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  return t;
}

describe('matmulRef', () => {
  // A = [[1,2,3],[4,5,6]] (2×3), B = [[1,0],[0,1],[2,-1]] (3×2): A·B = [[7,-1],[16,-1]].
  const A = [1, 2, 3, 4, 5, 6];
  const B = [1, 0, 0, 1, 2, -1];
  const AB = [7, -1, 16, -1];

  test('nn, nt and tn give the same product', () => {
    expect([...matmulRef('nn', 2, 2, 3, A, B)]).toEqual(AB);
    expect([...matmulRef('nt', 2, 2, 3, A, transpose(B, 3, 2))]).toEqual(AB);
    expect([...matmulRef('tn', 2, 2, 3, transpose(A, 2, 3), B)]).toEqual(AB);
  });

  test('bias, activation and accumulate', () => {
    expect([...matmulRef('nn', 2, 2, 3, A, B, [1, 2])]).toEqual([8, 1, 17, 1]);
    expect([...matmulRef('nn', 2, 2, 3, A, B, [1, -2], 'relu')]).toEqual([8, 0, 17, 0]);
    expect([...matmulRef('nn', 2, 2, 3, A, B, undefined, 'linear', [1, 1, 1, 1])]).toEqual([8, 0, 17, 0]);
    const s = matmulRef('nn', 2, 2, 3, A, B, undefined, 'sigmoid');
    expect(s[1]).toBeCloseTo(1 / (1 + Math.E), 15);
  });

  test('rejects bad sizes and short arrays', () => {
    expect(() => matmulRef('nn', 0, 2, 3, A, B)).toThrow(/M must be a positive integer/);
    expect(() => matmulRef('nn', 2, 2, 4, A, B)).toThrow(/a has 6 elements, needs 8/);
    expect(() => matmulRef('nn', 2, 2, 3, A, B, [1])).toThrow(/bias/);
  });
});
