// The fixed column standardisation (a classifier's frozen codes before its head)
// on the GPU vs the float64 reference, on awkward shapes.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { standardiseDispatch } from '../../src/kernels/standardise';
import { standardiseRef } from '../../src/reference/standardise';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

// [rows, cols]: one element, one column, one row, odd sizes, past a 256-thread workgroup;
// gridWidth 2 forces a 2-D grid (3·300 = 900 elements = 4 workgroups → 2×2).
const SHAPES: Array<{ rows: number; cols: number; gridWidth?: number }> = [
  { rows: 1, cols: 1 },
  { rows: 7, cols: 1 },
  { rows: 1, cols: 13 },
  { rows: 5, cols: 3 },
  { rows: 129, cols: 7 },
  { rows: 3, cols: 300, gridWidth: 2 },
];

for (const { rows, cols, gridWidth } of SHAPES) {
  test(`${rows}×${cols}${gridWidth ? `, grid width ${gridWidth}` : ''}`, async () => {
    const x = randomArray(rows * cols, rows * 31 + cols, -1, 2);
    const mean = randomArray(cols, cols + 1, -0.5, 1);
    // Variances from 0 (a constant unit: ε keeps it finite) to 3.
    const variance = randomArray(cols, cols + 2, 0, 3);
    variance[0] = 0;
    const eps = 1e-5;
    const output = t.upload('y', new Float32Array(rows * cols + 3).fill(7)); // 3 guard floats past the end
    const d = standardiseDispatch(t, { input: t.upload('x', x), mean: t.upload('mean', mean), variance: t.upload('var', variance), output, rows, cols, eps, gridWidth });
    await runDispatches(t.device, [d], true);
    const got = await t.read(output, rows * cols + 3);
    const want = standardiseRef(x, mean, variance, rows, cols, eps);
    // WGSL's accuracy: var + ε correctly rounded, √ 4.5 ulp (inherited from inverseSqrt),
    // the division 2.5 ulp: ≤ 8 ulp relative to y. x − mean rounds once relative to
    // |x| + |mean| ≤ 3, which the cancellation leaves absolute: 3 half-ulps, times 1/√(var + ε)
    // (≤ 316 for the constant unit).
    const worstScale = Math.max(...Array.from(variance, (v) => 1 / Math.sqrt(Math.fround(v) + eps)));
    const c = compare(got.subarray(0, rows * cols), want, 8 * 2 ** -23, 3 * 2 ** -24 * worstScale);
    console.log(`standardise ${rows}×${cols}: max |diff| ${c.maxAbs.toExponential(2)}`);
    expect(c.worst).toBeLessThanOrEqual(1);
    expect(Array.from(got.subarray(rows * cols))).toEqual([7, 7, 7]);
  });
}

test('bad arguments name what is wrong', () => {
  const b = t.upload('b', new Float32Array(8));
  expect(() => standardiseDispatch(t, { input: b, mean: b, variance: b, output: t.upload('o', new Float32Array(8)), rows: 2, cols: 4, eps: 0 })).toThrow(/eps must be a finite number > 0/);
  expect(() => standardiseDispatch(t, { input: b, mean: b, variance: b, output: t.upload('o2', new Float32Array(8)), rows: 3, cols: 4, eps: 1e-5 })).toThrow(/input/);
  expect(() => standardiseDispatch(t, { input: b, mean: b, variance: b, output: b, rows: 2, cols: 4, eps: 1e-5 })).toThrow(/output/);
});
