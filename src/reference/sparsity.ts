// Float64 references for the activity-sparsity penalties (shaders/sparsity.wgsl).
// h is [B, H] row-major; only the first V rows are samples (padding rows are ignored
// and get zero gradient). 1/V is taken as 0 when V = 0, like step.inv_rows.

export interface L1Ref {
  /** λ/V · Σ_{r<V} Σ_j |h_rj| */
  penalty: number;
  /** ∂penalty/∂h [B, H]: λ/V · sign(h) on valid rows (sign(0) = 0), 0 on padding rows. */
  dh: Float64Array;
  /** [B] Σ_j |h_rj| for r < V, 0 otherwise (what l1_activity writes). */
  perRow: Float64Array;
}

export function l1Ref(h: ArrayLike<number>, B: number, V: number, H: number, lambda: number): L1Ref {
  checkShape('l1Ref', h, B, V, H);
  const invV = V > 0 ? 1 / V : 0;
  const dh = new Float64Array(B * H);
  const perRow = new Float64Array(B);
  let total = 0;
  for (let r = 0; r < V; r++) {
    let row = 0;
    for (let j = 0; j < H; j++) {
      const v = h[r * H + j];
      row += Math.abs(v);
      dh[r * H + j] = lambda * invV * Math.sign(v) + 0; // + 0 turns −0 into 0
    }
    perRow[r] = row;
    total += row;
  }
  return { penalty: lambda * invV * total, dh, perRow };
}

/** Clamp of ρ̂ so the KL stays finite: ρ̂ ∈ [KL_EPS, 1 − KL_EPS]. */
export const KL_EPS = 1e-6;

/** KL(ρ ‖ c) between Bernoulli distributions; q = 1 − c (passed separately, as the shader clamps it separately). */
export function bernoulliKl(rho: number, c: number, q = 1 - c): number {
  return rho * Math.log(rho / c) + (1 - rho) * Math.log((1 - rho) / q);
}

function clampKl(v: number): number {
  return Math.min(Math.max(v, KL_EPS), 1 - KL_EPS);
}

export interface KlSparsityRef {
  /** β Σ_j KL(ρ ‖ clamp(ρ̂_j, ε, 1−ε)) */
  penalty: number;
  /** [H] unclamped column means over the valid rows (what kl_column_stats writes). */
  rhoHat: Float64Array;
  /** [H] KL(ρ ‖ clamp(ρ̂_j)) without β (what kl_column_stats writes). */
  kl: Float64Array;
  /**
   * ∂penalty/∂h [B, H]: β/V·((1−ρ)/(1−ρ̂_j) − ρ/ρ̂_j) on valid rows where ρ̂_j ≥ ε and 1−ρ̂_j ≥ ε;
   * 0 where the clamp is active (exact derivative of the clamped penalty) and on padding rows.
   */
  dh: Float64Array;
}

export function klSparsityRef(h: ArrayLike<number>, B: number, V: number, H: number, rho: number, beta: number): KlSparsityRef {
  checkShape('klSparsityRef', h, B, V, H);
  if (!(rho > 0 && rho < 1)) throw new Error(`klSparsityRef: rho must be strictly between 0 and 1, got ${rho}`);
  const invV = V > 0 ? 1 / V : 0;
  const rhoHat = new Float64Array(H);
  const kl = new Float64Array(H);
  const dh = new Float64Array(B * H);
  let penalty = 0;
  for (let j = 0; j < H; j++) {
    let sum = 0;
    for (let r = 0; r < V; r++) sum += h[r * H + j];
    const m = sum * invV;
    rhoHat[j] = m;
    kl[j] = bernoulliKl(rho, clampKl(m), clampKl(1 - m));
    penalty += beta * kl[j];
    if (m < KL_EPS || 1 - m < KL_EPS) continue; // clamp active: flat in ρ̂_j
    const g = beta * invV * ((1 - rho) / (1 - m) - rho / m);
    for (let r = 0; r < V; r++) dh[r * H + j] = g;
  }
  return { penalty, rhoHat, kl, dh };
}

function checkShape(name: string, h: ArrayLike<number>, B: number, V: number, H: number): void {
  if (!Number.isInteger(B) || !Number.isInteger(H) || B < 1 || H < 1) throw new Error(`${name}: B and H must be positive integers, got ${B}, ${H}`);
  if (!Number.isInteger(V) || V < 0 || V > B) throw new Error(`${name}: V must be an integer in 0..B=${B}, got ${V}`);
  if (h.length < B * H) throw new Error(`${name}: h has ${h.length} values, needs B·H = ${B * H}`);
}
