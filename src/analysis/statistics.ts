// Statistics of hidden codes: how sparse a representation is.

export interface ActivationStatistics {
  /** Mean activation of each unit over the samples. */
  meanPerUnit: Float64Array;
  /** Mean activation over all units and samples. */
  mean: number;
  /** Fraction of all activations with |h| below `threshold`. */
  fractionNearZero: number;
  threshold: number;
}

/** Statistics of codes [count, hidden] (row-major), e.g. from model.encode(). */
export function activationStatistics(codes: ArrayLike<number>, count: number, hidden: number, threshold = 0.05): ActivationStatistics {
  if (codes.length < count * hidden) throw new RangeError(`activationStatistics: ${count}×${hidden} codes need ${count * hidden} values, got ${codes.length}`);
  const meanPerUnit = new Float64Array(hidden);
  let near = 0;
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < hidden; j++) {
      const v = codes[r * hidden + j];
      meanPerUnit[j] += v / count;
      if (Math.abs(v) < threshold) near++;
    }
  }
  const mean = meanPerUnit.reduce((a, b) => a + b, 0) / hidden;
  return { meanPerUnit, mean, fractionNearZero: near / (count * hidden), threshold };
}

/**
 * Mean and (population) variance of each column of [count, cols] values, each
 * read as value·unit (1/255 for pixel bytes), in float64: the statistics a
 * classifier standardises its frozen codes with (model.fitCodeStatistics), as
 * BatchNorm1d's running_mean and running_var, and linearProbe its features.
 */
export function columnMoments(values: ArrayLike<number>, count: number, cols: number, unit = 1): { mean: Float64Array; variance: Float64Array } {
  if (!Number.isInteger(count) || count < 1 || values.length < count * cols) {
    throw new RangeError(`columnMoments: ${count}×${cols} values need ${count * cols}, got ${values.length}`);
  }
  const mean = new Float64Array(cols);
  const variance = new Float64Array(cols);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < cols; j++) mean[j] += values[r * cols + j] * unit;
  }
  for (let j = 0; j < cols; j++) mean[j] /= count;
  // Two passes: the squares of deviations, not E[x²] − E[x]², which cancels for values near a constant.
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < cols; j++) variance[j] += (values[r * cols + j] * unit - mean[j]) ** 2;
  }
  for (let j = 0; j < cols; j++) variance[j] /= count;
  return { mean, variance };
}
