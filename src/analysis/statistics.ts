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
