// Optimizer references against hand-computed steps (PyTorch semantics), the
// config validation, and the weight-decay gradient against finite differences.
import { describe, expect, test } from 'vitest';
import { adamCorrections, optimizerStateBuffers, validateOptimizer, type OptimizerConfig } from '../../src/kernels/optimizer';
import { adamRef, momentumRef, optimizerStepRef, sgdRef, weightDecayRef } from '../../src/reference/optimizer';

describe('validateOptimizer', () => {
  test('fills defaults', () => {
    expect(validateOptimizer({ type: 'adam', learningRate: 1e-3 })).toEqual({
      type: 'adam',
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    expect(validateOptimizer({ type: 'momentum', learningRate: 0.1 })).toEqual({
      type: 'momentum',
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: false,
    });
    expect(validateOptimizer({ type: 'sgd', learningRate: 0.5 })).toEqual({ type: 'sgd', learningRate: 0.5 });
  });

  test.each([
    [{ type: 'rmsprop', learningRate: 1 }, /unknown type "rmsprop"; allowed: sgd, momentum, adam/],
    [null, /expected an object/],
    [{ type: 'sgd' }, /learningRate must be a finite number > 0, got undefined/],
    [{ type: 'sgd', learningRate: 0 }, /learningRate must be a finite number > 0, got 0/],
    [{ type: 'adam', learningRate: -1 }, /learningRate/],
    [{ type: 'adam', learningRate: NaN }, /learningRate/],
    [{ type: 'adam', learningRate: Infinity }, /learningRate/],
    [{ type: 'momentum', learningRate: 1, momentum: 1 }, /momentum must be a number in \[0, 1\), got 1/],
    [{ type: 'momentum', learningRate: 1, momentum: -0.1 }, /momentum must be a number in \[0, 1\)/],
    [{ type: 'momentum', learningRate: 1, nesterov: 'yes' }, /nesterov must be a boolean/],
    [{ type: 'momentum', learningRate: 1, momentum: 0, nesterov: true }, /nesterov needs momentum > 0/],
    [{ type: 'adam', learningRate: 1, beta1: 1 }, /beta1 must be a number in \[0, 1\)/],
    [{ type: 'adam', learningRate: 1, beta2: 1.5 }, /beta2 must be a number in \[0, 1\)/],
    [{ type: 'adam', learningRate: 1, epsilon: 0 }, /epsilon must be a finite number > 0/],
    [{ type: 'adam', learningRate: 1, momentum: 0.9 }, /unknown option 'momentum'; allowed: type, learningRate, beta1, beta2, epsilon/],
    [{ type: 'sgd', learning_rate: 1 }, /unknown option 'learning_rate'/],
  ])('rejects %j', (config, message) => {
    expect(() => validateOptimizer(config)).toThrow(message);
  });

  test('state buffers and bias corrections', () => {
    expect(optimizerStateBuffers({ type: 'sgd', learningRate: 1 })).toBe(0);
    expect(optimizerStateBuffers({ type: 'momentum', learningRate: 1 })).toBe(1);
    expect(optimizerStateBuffers({ type: 'adam', learningRate: 1 })).toBe(2);
    expect(adamCorrections({ type: 'sgd', learningRate: 1 }, 5)).toEqual({ c1: 1, c2: 1 });
    const { c1, c2 } = adamCorrections({ type: 'adam', learningRate: 1 }, 1);
    expect(c1).toBeCloseTo(10, 12); // 1/(1 − 0.9)
    expect(c2).toBeCloseTo(1000, 9); // 1/(1 − 0.999)
    const at3 = adamCorrections({ type: 'adam', learningRate: 1, beta1: 0.5, beta2: 0.5 }, 3);
    expect(at3).toEqual({ c1: 8 / 7, c2: 8 / 7 });
    expect(() => adamCorrections({ type: 'adam', learningRate: 1 }, 0)).toThrow(/step must be an integer ≥ 1/);
  });
});

describe('optimizer references, hand-computed', () => {
  test('sgd: p −= lr·g', () => {
    const p = new Float64Array([1, -2]);
    sgdRef(p, [0.5, -1], 0.1);
    expect(p[0]).toBeCloseTo(0.95, 15);
    expect(p[1]).toBeCloseTo(-1.9, 15);
  });

  test('momentum (PyTorch: v₁ = g, no dampening) and nesterov, two steps', () => {
    const p = new Float64Array([1]);
    const v = new Float64Array(1);
    momentumRef(p, [1], v, 0.1, 0.9);
    expect(v[0]).toBe(1);
    expect(p[0]).toBeCloseTo(0.9, 15);
    momentumRef(p, [1], v, 0.1, 0.9);
    expect(v[0]).toBeCloseTo(1.9, 15); // 0.9·1 + 1
    expect(p[0]).toBeCloseTo(0.71, 15); // 0.9 − 0.1·1.9
    const pn = new Float64Array([1]);
    const vn = new Float64Array(1);
    momentumRef(pn, [1], vn, 0.1, 0.9, true);
    expect(pn[0]).toBeCloseTo(0.81, 15); // 1 − 0.1·(1 + 0.9·1)
    momentumRef(pn, [1], vn, 0.1, 0.9, true);
    expect(pn[0]).toBeCloseTo(0.539, 15); // 0.81 − 0.1·(1 + 0.9·1.9)
  });

  test("Adam's first step moves each parameter by ≈ lr·sign(g), whatever |g|", () => {
    const g = [3, -0.01, 1e-3, -250, 0];
    const p = new Float64Array(g.length);
    adamRef(p, g, new Float64Array(g.length), new Float64Array(g.length), 0.01, 0.9, 0.999, 1e-8, 1);
    // m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε).
    for (let i = 0; i < g.length; i++) {
      expect(p[i]).toBeCloseTo(-0.01 * Math.sign(g[i]), 6);
    }
    expect(p[4]).toBe(0);
  });

  test('Adam, two steps with bias corrections', () => {
    const p = new Float64Array([0]);
    const m = new Float64Array(1);
    const v = new Float64Array(1);
    adamRef(p, [1], m, v, 0.1, 0.9, 0.999, 1e-8, 1);
    adamRef(p, [0.5], m, v, 0.1, 0.9, 0.999, 1e-8, 2);
    // m₂ = 0.9·0.1 + 0.1·0.5 = 0.14;  v₂ = 0.999·0.001 + 0.001·0.25 = 0.001249
    expect(m[0]).toBeCloseTo(0.14, 15);
    expect(v[0]).toBeCloseTo(0.001249, 15);
    // step 2: 0.1 · (0.14/0.19) / sqrt(0.001249/0.001999) = 0.1 · 0.7368421 / 0.7904505
    const step2 = (0.1 * (0.14 / 0.19)) / (Math.sqrt(0.001249 / 0.001999) + 1e-8);
    expect(step2).toBeCloseTo(0.0932180, 6);
    expect(p[0]).toBeCloseTo(-0.1 - step2, 7);
  });

  test('optimizerStepRef dispatches with defaults', () => {
    const config: OptimizerConfig = { type: 'adam', learningRate: 0.5 };
    const p = new Float64Array([1, 1]);
    optimizerStepRef(config, 1, p, [2, -2], [new Float64Array(2), new Float64Array(2)]);
    expect(p[0]).toBeCloseTo(0.5, 6);
    expect(p[1]).toBeCloseTo(1.5, 6);
  });
});

test('weight decay: gradient 2λw matches finite differences of λ·Σw²', () => {
  const w = [0.3, -1.2, 2.5, 0];
  const lambda = 0.07;
  const g = new Float64Array([1, 2, 3, 4]);
  const penalty = weightDecayRef(w, g, lambda);
  expect(penalty).toBeCloseTo(lambda * (0.09 + 1.44 + 6.25), 14);
  const P = (ww: number[]) => lambda * ww.reduce((s, x) => s + x * x, 0);
  const h = 1e-6;
  let maxDiff = 0;
  for (let k = 0; k < w.length; k++) {
    const wp = w.slice();
    const wm = w.slice();
    wp[k] += h;
    wm[k] -= h;
    const fd = (P(wp) - P(wm)) / (2 * h);
    maxDiff = Math.max(maxDiff, Math.abs(g[k] - (k + 1) - fd));
  }
  console.log(`weight decay: max |2λw − finite difference| = ${maxDiff.toExponential(2)}`);
  expect(maxDiff).toBeLessThan(1e-8); // quadratic: FD exact up to rounding ε·|P|/h ≈ 1e-10
});
