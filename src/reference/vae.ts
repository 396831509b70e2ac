// The VAE's reparameterisation and KL term in float64 (shaders/vae.wgsl), for a
// [rows, Z] batch of which the first `validRows` are samples:
//   z = μ + exp(½ s) ε,   KL_r = −½ Σ_j (1 + s − μ² − exp s)   (0 for padding rows)
//   ∂L/∂μ = dz + (β_t/V) μ,   ∂L/∂s = dz ε ½ exp(½ s) + (β_t/V) ½ (exp s − 1)
// with β_t = β · min(1, step / warmupSteps) (β when warmupSteps = 0), V = validRows.

export function klWeightRef(beta: number, warmupSteps: number, step: number): number {
  return warmupSteps === 0 ? beta : beta * Math.min(1, step / warmupSteps);
}

export function vaeSampleRef(mu: ArrayLike<number>, logvar: ArrayLike<number>, eps: ArrayLike<number>): Float64Array {
  return Float64Array.from(mu, (m, k) => m + Math.exp(0.5 * logvar[k]) * eps[k]);
}

export function vaeKlRowsRef(mu: ArrayLike<number>, logvar: ArrayLike<number>, rows: number, latent: number, validRows: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < validRows; r++) {
    for (let j = 0; j < latent; j++) {
      const q = r * latent + j;
      out[r] += -0.5 * (1 + logvar[q] - mu[q] * mu[q] - Math.exp(logvar[q]));
    }
  }
  return out;
}

export function vaeBackwardRef(
  a: { mu: ArrayLike<number>; logvar: ArrayLike<number>; dz: ArrayLike<number>; eps: ArrayLike<number> },
  rows: number,
  latent: number,
  validRows: number,
  klWeight: number,
): { dmu: Float64Array; dlogvar: Float64Array } {
  const dmu = new Float64Array(rows * latent);
  const dlogvar = new Float64Array(rows * latent);
  const w = klWeight / validRows;
  for (let q = 0; q < validRows * latent; q++) {
    const s = a.logvar[q];
    dmu[q] = a.dz[q] + w * a.mu[q];
    dlogvar[q] = a.dz[q] * a.eps[q] * 0.5 * Math.exp(0.5 * s) + w * 0.5 * (Math.exp(s) - 1);
  }
  return { dmu, dlogvar };
}
