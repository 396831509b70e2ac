// Activation forward and in-place backward on the GPU vs the float64 reference.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { activationBackwardDispatch, activationForwardDispatch } from '../../src/kernels/activation';
import { ACTIVATIONS } from '../../src/kernels/activations';
import { activate, activationGradFromOutput } from '../../src/reference/activations';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

// Counts: 1, odd, one past a workgroup (256), several workgroups; gridWidth 3 forces
// a 2-D grid (1000 elements = 4 workgroups → 3×2 with 2 spare workgroups).
const SHAPES: { count: number; gridWidth?: number }[] = [{ count: 1 }, { count: 5 }, { count: 257 }, { count: 4099 }, { count: 1000, gridWidth: 3 }];

// Tolerances. Forward: WGSL allows exp/tanh a few ulp plus 2·|x| ulp for exp;
// |a| ≤ 4 here, so ≤ ~11 ulp ≈ 1.3e-6 relative; atol 1e-6 covers values near 0.
// Backward: y(1−y) or 1−y² from the same f32 y, then one product with d: ≤ 3 roundings
// relative to |d|·max(g') plus the cancellation in 1−y² (≤ 1 ulp of 1 = 1.2e-7 absolute).
const FWD = { rtol: 1e-5, atol: 1e-6 };
const BWD = { rtol: 1e-6, atol: 3e-7 };

describe('activationForwardDispatch', () => {
  for (const act of ACTIVATIONS) {
    for (const { count, gridWidth } of SHAPES) {
      test(`${act}, count ${count}${gridWidth ? `, grid width ${gridWidth}` : ''}`, async () => {
        const a = randomArray(count, count + 1, -4, 4);
        const input = t.upload('a', a);
        const output = t.upload('out', new Float32Array(count + 3).fill(7)); // 3 guard floats past the end
        const d = activationForwardDispatch(t, { input, output, count, activation: act, gridWidth });
        await runDispatches(t.device, [d], true);
        const got = await t.read(output, count + 3);
        const want = Array.from(a, (v) => activate(v, act));
        const c = compare(got.subarray(0, count), want, FWD.rtol, FWD.atol);
        console.log(`forward ${act} n=${count}: max |diff| ${c.maxAbs.toExponential(2)}`);
        expect(c.worst).toBeLessThanOrEqual(1);
        expect(Array.from(got.subarray(count))).toEqual([7, 7, 7]);
      });
    }
  }
});

describe('activationBackwardDispatch', () => {
  for (const act of ACTIVATIONS) {
    for (const { count, gridWidth } of SHAPES) {
      test(`${act}, count ${count}${gridWidth ? `, grid width ${gridWidth}` : ''}`, async () => {
        // y is a genuine output of g (rounded to f32), as the forward pass stores it.
        const y = Float32Array.from(randomArray(count, 2 * count + 3, -3, 3), (v) => activate(v, act));
        const d0 = randomArray(count, 3 * count + 5, -1, 1);
        const grad = t.upload('d', new Float32Array([...d0, 7, 7, 7]));
        const output = t.upload('y', y);
        const d = activationBackwardDispatch(t, { grad, output, count, activation: act, gridWidth });
        await runDispatches(t.device, [d], true);
        const got = await t.read(grad, count + 3);
        const want = Array.from(d0, (v, i) => v * activationGradFromOutput(y[i], act));
        const c = compare(got.subarray(0, count), want, BWD.rtol, BWD.atol);
        console.log(`backward ${act} n=${count}: max |diff| ${c.maxAbs.toExponential(2)}`);
        expect(c.worst).toBeLessThanOrEqual(1);
        expect(Array.from(got.subarray(count))).toEqual([7, 7, 7]);
      });
    }
  }
});

test('argument errors name the problem', () => {
  const b = t.upload('small', new Float32Array(4));
  const c = t.upload('other', new Float32Array(4));
  expect(() => activationForwardDispatch(t, { input: b, output: c, count: 5, activation: 'relu' })).toThrow(/input holds 4 floats .* but 5 are needed/);
  expect(() => activationForwardDispatch(t, { input: b, output: c, count: 0, activation: 'relu' })).toThrow(/count must be a positive integer/);
  expect(() => activationForwardDispatch(t, { input: b, output: c, count: 4, activation: 'gelu' as never })).toThrow(/one of linear, sigmoid, tanh, relu/);
  expect(() => activationBackwardDispatch(t, { grad: b, output: b, count: 4, activation: 'relu' })).toThrow(/same GPUBuffer/);
});
