// Float64 reference of shaders/standardise.wgsl: y[r, j] = (x[r, j] − mean[j]) / √(var[j] + ε).
export function standardiseRef(x: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, rows: number, cols: number, eps: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) out[r * cols + j] = (x[r * cols + j] - mean[j]) / Math.sqrt(variance[j] + eps);
  }
  return out;
}
