// Latent-space pictures for a VAE: a grid of latent points for the classic
// "manifold" figure (Kingma & Welling 2014, fig. 4), and straight-line
// interpolation between two codes. Decode either with model.decode().

/**
 * Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation
 * (relative error < 1.2e-9 on (0, 1)).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface LatentGridOptions {
  /** Latent size Z (the other Z − 2 coordinates are 0, the prior's mean). Default 2. */
  latentSize?: number;
  /** The two latent coordinates that vary (x, then y). Default [0, 1]. */
  dims?: [number, number];
  /** Probability mass left out at each end: points at quantiles margin … 1 − margin. Default 0.05. */
  margin?: number;
}

/**
 * side × side latent points, row-major [side², Z], at evenly spaced quantiles of
 * N(0, 1) along two coordinates: equal prior mass between neighbours, so the
 * decoded grid shows the whole prior. Rows go top to bottom with y decreasing.
 */
export function latentGrid(side: number, options: LatentGridOptions = {}): Float32Array {
  const Z = options.latentSize ?? 2;
  const [dx, dy] = options.dims ?? [0, 1];
  const margin = options.margin ?? 0.05;
  if (!Number.isInteger(side) || side < 2) throw new RangeError(`latentGrid: side must be an integer ≥ 2, got ${side}`);
  if (!Number.isInteger(Z) || Z < 1) throw new RangeError(`latentGrid: latentSize must be a positive integer, got ${Z}`);
  for (const d of [dx, dy]) {
    if (!Number.isInteger(d) || d < 0 || d >= Z) throw new RangeError(`latentGrid: dims must be coordinates in 0..${Z - 1}, got [${dx}, ${dy}]`);
  }
  if (Z > 1 && dx === dy) throw new RangeError(`latentGrid: dims must be two different coordinates, got [${dx}, ${dy}]`);
  if (!(margin > 0 && margin < 0.5)) throw new RangeError(`latentGrid: margin must be in (0, 0.5), got ${margin}`);
  const q = Array.from({ length: side }, (_, i) => normalQuantile(margin + ((1 - 2 * margin) * i) / (side - 1)));
  const out = new Float32Array(side * side * Z);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const k = (row * side + col) * Z;
      out[k + dx] = q[col];
      if (Z > 1) out[k + dy] = q[side - 1 - row];
    }
  }
  return out;
}

/** `steps` points from code a to code b inclusive (a + t(b − a), t = 0 … 1), row-major [steps, Z]. */
export function interpolateCodes(a: ArrayLike<number>, b: ArrayLike<number>, steps: number): Float32Array {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`interpolateCodes: codes must have the same non-zero length (got ${a.length} and ${b.length})`);
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`interpolateCodes: steps must be an integer ≥ 2, got ${steps}`);
  const Z = a.length;
  const out = new Float32Array(steps * Z);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    for (let j = 0; j < Z; j++) out[s * Z + j] = a[j] + t * (b[j] - a[j]);
  }
  return out;
}
