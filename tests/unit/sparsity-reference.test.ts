// The float64 L1 and KL sparsity references: penalty values by hand, gradients
// against central finite differences of the penalty (every entry of h, padding included).
import { describe, expect, test } from 'vitest';
import { KL_EPS, klSparsityRef, l1Ref } from '../../src/reference/sparsity';
import { randomValues as random } from '../random';

/** Largest |central difference − analytic| over every entry of h. */
function fdMaxError(h: Float64Array, grad: Float64Array, penalty: (h: Float64Array) => number, delta: number): number {
  let worst = 0;
  for (let k = 0; k < h.length; k++) {
    const save = h[k];
    h[k] = save + delta;
    const up = penalty(h);
    h[k] = save - delta;
    const down = penalty(h);
    h[k] = save;
    worst = Math.max(worst, Math.abs((up - down) / (2 * delta) - grad[k]));
  }
  return worst;
}

describe('l1Ref', () => {
  test('penalty by hand, padding rows ignored', () => {
    // rows [1, −2], [3, 0], padding [100, −100]; V = 2 → λ/2 · 6
    const r = l1Ref(new Float64Array([1, -2, 3, 0, 100, -100]), 3, 2, 2, 0.5);
    expect(r.penalty).toBeCloseTo(1.5, 15);
    expect([...r.perRow]).toEqual([3, 3, 0]);
    expect([...r.dh]).toEqual([0.25, -0.25, 0.25, 0, 0, 0]);
  });

  test('gradient matches central differences (zeros included: sign(0) = 0)', () => {
    const B = 5, V = 3, H = 7, lambda = 0.3;
    const h = random(B * H, 1, -1, 1);
    for (let k = 0; k < h.length; k++) if (Math.abs(h[k]) < 1e-3) h[k] = 0.5; // keep δ away from kinks
    h[2] = 0;
    h[H + 4] = 0;
    const { dh } = l1Ref(h, B, V, H, lambda);
    // L1 is piecewise linear, so the central difference is exact up to rounding,
    // ~1e-16·P/δ ≈ 1e-10.
    const err = fdMaxError(h, dh, (x) => l1Ref(x, B, V, H, lambda).penalty, 1e-6);
    console.log(`l1Ref: max |FD − analytic| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-8);
    expect(dh.slice(V * H).every((v) => v === 0)).toBe(true);
  });
});

describe('klSparsityRef', () => {
  test('penalty by hand', () => {
    // ρ̂ = mean(0.2, 0.4) = 0.3, ρ = 0.1: KL = 0.1 ln(1/3) + 0.9 ln(9/7); padding row ignored
    const r = klSparsityRef(new Float64Array([0.2, 0.4, 0.9]), 3, 2, 1, 0.1, 2);
    expect(r.rhoHat[0]).toBeCloseTo(0.3, 15);
    expect(r.kl[0]).toBeCloseTo(0.1163217565860046, 14);
    expect(r.penalty).toBeCloseTo(2 * 0.1163217565860046, 14);
    // at ρ̂ = ρ the KL and its gradient vanish
    const z = klSparsityRef(new Float64Array([0.05, 0.15]), 2, 2, 1, 0.1, 1);
    expect(Math.abs(z.penalty)).toBeLessThan(1e-15);
    expect(Math.abs(z.dh[0])).toBeLessThan(1e-15);
  });

  test('gradient matches central differences, including clamped units and padding rows', () => {
    const B = 6, V = 4, H = 5, rho = 0.1, beta = 0.7;
    const h = random(B * H, 2, 0.05, 0.95);
    for (let r = 0; r < V; r++) {
      h[r * H + 3] = 0; // ρ̂ = 0 < ε: clamped low
      h[r * H + 4] = 1; // ρ̂ = 1 > 1 − ε: clamped high
    }
    const ref = klSparsityRef(h, B, V, H, rho, beta);
    expect(ref.kl[3]).toBeCloseTo(rho * Math.log(rho / KL_EPS) + (1 - rho) * Math.log((1 - rho) / (1 - KL_EPS)), 12);
    expect(Number.isFinite(ref.penalty)).toBe(true);
    // With δ = 1e-6 the clamped units stay clamped (ρ̂ moves by δ/V = 2.5e-7 < ε),
    // so their central difference is 0. Smooth units: truncation δ²·|P'''| ≲ 1e-10,
    // rounding 1e-16·P/δ ≈ 1e-9 (P ≈ 3), against gradients of order 0.1–1.
    const err = fdMaxError(h, ref.dh, (x) => klSparsityRef(x, B, V, H, rho, beta).penalty, 1e-6);
    console.log(`klSparsityRef: max |FD − analytic| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-7);
    for (let r = 0; r < V; r++) {
      expect(ref.dh[r * H + 3]).toBe(0);
      expect(ref.dh[r * H + 4]).toBe(0);
      expect(ref.dh[r * H]).not.toBe(0);
    }
    expect(ref.dh.slice(V * H).every((v) => v === 0)).toBe(true);
  });
});
