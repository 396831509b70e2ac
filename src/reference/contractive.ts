// Float64 reference for the contractive penalty (shaders/contractive.wgsl).
// Layer a = X·Wᵀ + b, h = g(a); X [B, D], W [H, D], b [H]; only the first V rows of
// X are samples. J_r = diag(g'(a_r))·W, ‖J_r‖²_F = Σ_j g'(a_rj)² s_j, s_j = Σ_i W_ji²,
// P = λ/V Σ_{r<V} ‖J_r‖²_F. 1/V is taken as 0 when V = 0, like step.inv_rows.
import type { Activation } from '../kernels/activations';
import { activate, activationGradFromOutput, activationSecondFromOutput } from './activations';

/** s_j = Σ_i W_ji², W [H, D]. */
export function rowNormsSqRef(W: ArrayLike<number>, H: number, D: number): Float64Array {
  const s = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    let acc = 0;
    for (let i = 0; i < D; i++) acc += W[j * D + i] ** 2;
    s[j] = acc;
  }
  return s;
}

export interface ContractiveTerms {
  /** [B, H] u_rj = λ/V · s_j · 2 g'_rj g''_rj, 0 on padding rows. */
  u: Float64Array;
  /** [H] rowScale_j = λ/V · Σ_{r<V} 2 g'_rj². */
  rowScale: Float64Array;
  /** [B] ‖J_r‖²_F = Σ_j g'_rj² s_j, 0 on padding rows. */
  perRow: Float64Array;
}

/** What contractive_terms computes, from h = g(a) and s. */
export function contractiveTermsRef(
  h: ArrayLike<number>,
  s: ArrayLike<number>,
  B: number,
  V: number,
  H: number,
  activation: Activation,
  lambda: number,
): ContractiveTerms {
  const coef = lambda * (V > 0 ? 1 / V : 0);
  const u = new Float64Array(B * H);
  const rowScale = new Float64Array(H);
  const perRow = new Float64Array(B);
  for (let r = 0; r < V; r++) {
    let acc = 0;
    for (let j = 0; j < H; j++) {
      const y = h[r * H + j];
      const g1 = activationGradFromOutput(y, activation);
      const g2 = activationSecondFromOutput(y, activation);
      u[r * H + j] = coef * s[j] * 2 * g1 * g2;
      rowScale[j] += coef * 2 * g1 * g1;
      acc += g1 * g1 * s[j];
    }
    perRow[r] = acc;
  }
  return { u, rowScale, perRow };
}

/** dW + rowScale_j · W_ji, as a new array (what add_scaled_rows does in place). */
export function addScaledRowsRef(dW: ArrayLike<number>, rowScale: ArrayLike<number>, W: ArrayLike<number>, H: number, D: number): Float64Array {
  const out = new Float64Array(H * D);
  for (let j = 0; j < H; j++) for (let i = 0; i < D; i++) out[j * D + i] = dW[j * D + i] + rowScale[j] * W[j * D + i];
  return out;
}

export interface ContractiveRef {
  penalty: number;
  /** ∂P/∂W [H, D] = λ/V Σ_r [2 g'_rj² W_ji + s_j 2 g'_rj g''_rj x_ri] */
  dW: Float64Array;
  /** ∂P/∂b [H] = λ/V Σ_r s_j 2 g'_rj g''_rj */
  db: Float64Array;
  /** [B] ‖J_r‖²_F (0 on padding rows). */
  perRow: Float64Array;
  /** [B, H] h = g(X·Wᵀ + b) (all rows, padding included). */
  h: Float64Array;
  /** [H] s_j = Σ_i W_ji². */
  s: Float64Array;
}

/** Contractive penalty and its exact gradient, computed directly (not through the u/rowScale factoring). */
export function contractiveRef(
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  b: ArrayLike<number>,
  B: number,
  V: number,
  D: number,
  H: number,
  activation: Activation,
  lambda: number,
): ContractiveRef {
  if (![B, D, H].every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`contractiveRef: B, D, H must be positive integers, got ${B}, ${D}, ${H}`);
  if (!Number.isInteger(V) || V < 0 || V > B) throw new Error(`contractiveRef: V must be an integer in 0..B=${B}, got ${V}`);
  if (x.length < B * D || W.length < H * D || b.length < H) throw new Error('contractiveRef: x, W or b is shorter than [B, D], [H, D], [H]');
  const invV = V > 0 ? 1 / V : 0;
  const s = rowNormsSqRef(W, H, D);
  const h = new Float64Array(B * H);
  const dW = new Float64Array(H * D);
  const db = new Float64Array(H);
  const perRow = new Float64Array(B);
  let total = 0;
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) {
      let a = b[j];
      for (let i = 0; i < D; i++) a += x[r * D + i] * W[j * D + i];
      const y = activate(a, activation);
      h[r * H + j] = y;
      if (r >= V) continue;
      const g1 = activationGradFromOutput(y, activation);
      const g2 = activationSecondFromOutput(y, activation);
      perRow[r] += g1 * g1 * s[j];
      const cw = lambda * invV * 2 * g1 * g1; // coefficient of W_ji
      const cx = lambda * invV * s[j] * 2 * g1 * g2; // coefficient of x_ri (and of 1 for b_j)
      for (let i = 0; i < D; i++) dW[j * D + i] += cw * W[j * D + i] + cx * x[r * D + i];
      db[j] += cx;
    }
    total += perRow[r];
  }
  return { penalty: lambda * invV * total, dW, db, perRow, h, s };
}
