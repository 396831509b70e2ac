// The float64 contractive-penalty reference: values by hand, the exact gradient
// against central finite differences w.r.t. every W and b entry, and the u/rowScale
// factoring the GPU plan uses.
import { describe, expect, test } from 'vitest';
import { ACTIVATIONS } from '../../src/kernels/activations';
import { addScaledRowsRef, contractiveRef, contractiveTermsRef, rowNormsSqRef } from '../../src/reference/contractive';
import { randomValues as random } from '../random';

const B = 4, V = 3, D = 3, H = 2, LAMBDA = 0.7;
const x = random(B * D, 11, -1, 1);
const W = random(H * D, 12, -1, 1);
const b = random(H, 13, -0.5, 0.5);

describe('contractiveRef', () => {
  test('values by hand', () => {
    // one unit, one input: a = 0, sigmoid g' = 1/4, ‖J‖² = w²/16
    expect(contractiveRef([0], [2], [0], 1, 1, 1, 1, 'sigmoid', 0.5).penalty).toBeCloseTo(0.5 * 4 / 16, 15);
    // tanh at a = 0: g' = 1, g'' = 0 → ‖J‖² = w², ∂/∂w = 2w, ∂/∂b = 0
    const t = contractiveRef([0], [3], [0], 1, 1, 1, 1, 'tanh', 1);
    expect(t.penalty).toBeCloseTo(9, 14);
    expect(t.dW[0]).toBeCloseTo(6, 14);
    expect(t.db[0]).toBeCloseTo(0, 14);
    // linear: P = λ‖W‖²_F whatever the batch
    expect(contractiveRef(x, W, b, B, V, D, H, 'linear', LAMBDA).penalty).toBeCloseTo(LAMBDA * W.reduce((s, v) => s + v * v, 0), 13);
  });

  test('relu: λ · mean over samples of the squared norms of the active rows', () => {
    const ref = contractiveRef(x, W, b, B, V, D, H, 'relu', LAMBDA);
    const s = rowNormsSqRef(W, H, D);
    let expected = 0;
    for (let r = 0; r < V; r++) for (let j = 0; j < H; j++) if (ref.h[r * H + j] > 0) expected += s[j];
    expect(ref.penalty).toBeCloseTo((LAMBDA * expected) / V, 14);
    expect(ref.db.every((v) => v === 0)).toBe(true);
  });

  test('padding rows do not contribute', () => {
    const p = contractiveRef(x, W, b, B, V, D, H, 'sigmoid', LAMBDA);
    const x2 = x.slice();
    for (let i = V * D; i < B * D; i++) x2[i] += 5;
    const q = contractiveRef(x2, W, b, B, V, D, H, 'sigmoid', LAMBDA);
    expect(q.penalty).toBe(p.penalty);
    expect([...q.dW]).toEqual([...p.dW]);
    expect(p.perRow[B - 1]).toBe(0);
  });

  for (const act of ACTIVATIONS) {
    test(`${act}: gradient w.r.t. every W and b entry matches central differences`, () => {
      const ref = contractiveRef(x, W, b, B, V, D, H, act, LAMBDA);
      if (act === 'relu') {
        // stay away from the kinks: δ moves a_rj by at most δ·max|x| = 1e-5
        let minAbs = Infinity;
        for (let r = 0; r < V; r++) for (let j = 0; j < H; j++) minAbs = Math.min(minAbs, Math.abs(preact(r, j)));
        expect(minAbs).toBeGreaterThan(1e-3);
      }
      const delta = 1e-5;
      const fd = (arr: Float64Array, k: number): number => {
        const save = arr[k];
        arr[k] = save + delta;
        const up = contractiveRef(x, W, b, B, V, D, H, act, LAMBDA).penalty;
        arr[k] = save - delta;
        const down = contractiveRef(x, W, b, B, V, D, H, act, LAMBDA).penalty;
        arr[k] = save;
        return (up - down) / (2 * delta);
      };
      let err = 0;
      let scale = 0;
      for (let k = 0; k < H * D; k++) {
        err = Math.max(err, Math.abs(fd(W, k) - ref.dW[k]));
        scale = Math.max(scale, Math.abs(ref.dW[k]));
      }
      for (let j = 0; j < H; j++) {
        err = Math.max(err, Math.abs(fd(b, j) - ref.db[j]));
        scale = Math.max(scale, Math.abs(ref.db[j]));
      }
      console.log(`contractiveRef ${act}: max |FD − analytic| = ${err.toExponential(2)} (max |grad| ${scale.toFixed(3)})`);
      // δ = 1e-5: truncation δ²·|P'''|/6 ≲ 1e-10, rounding 1e-16·P/δ ≈ 1e-11; gradients are O(0.1–1).
      expect(err).toBeLessThan(1e-8);
      expect(scale).toBeGreaterThan(0.01);
    });
  }

  test('the u / rowScale factoring reproduces the direct gradient', () => {
    for (const act of ACTIVATIONS) {
      const ref = contractiveRef(x, W, b, B, V, D, H, act, LAMBDA);
      const terms = contractiveTermsRef(ref.h, ref.s, B, V, H, act, LAMBDA);
      // dW = rowScale ⊙ W + uᵀ·X, db = Σ_r u_r
      const utx = new Float64Array(H * D);
      const db = new Float64Array(H);
      for (let r = 0; r < B; r++)
        for (let j = 0; j < H; j++) {
          db[j] += terms.u[r * H + j];
          for (let i = 0; i < D; i++) utx[j * D + i] += terms.u[r * H + j] * x[r * D + i];
        }
      const dW = addScaledRowsRef(utx, terms.rowScale, W, H, D);
      for (let k = 0; k < H * D; k++) expect(dW[k]).toBeCloseTo(ref.dW[k], 13);
      for (let j = 0; j < H; j++) expect(db[j]).toBeCloseTo(ref.db[j], 13);
      for (let r = 0; r < B; r++) expect(terms.perRow[r]).toBeCloseTo(ref.perRow[r], 13);
    }
  });
});

function preact(r: number, j: number): number {
  let a = b[j];
  for (let i = 0; i < D; i++) a += x[r * D + i] * W[j * D + i];
  return a;
}
