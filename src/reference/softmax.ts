// Float64 reference of softmax cross-entropy against integer labels
// (shaders/softmax.wgsl). Per row r < validRows, with m = max_j z_j:
//   ℓ_r = log Σ_j exp(z_j − m) − (z_y − m)
//   ∂L/∂z_j = (softmax(z)_j − [j = y]) / validRows        with L = Σ_r ℓ_r / validRows
//   prediction_r = argmax_j z_j (first index on ties), correct_r = [prediction_r = y_r]
// Padding rows get ℓ = 0, correct = 0, ∂L/∂z = 0 and prediction −1.

export interface SoftmaxRef {
  rowLoss: Float64Array;
  dz: Float64Array;
  correct: Float64Array;
  predictions: Int32Array;
}

export function softmaxCrossEntropyRef(
  z: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  validRows: number,
  classes: number,
): SoftmaxRef {
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`softmaxCrossEntropyRef: classes must be a positive integer, got ${classes}`);
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`softmaxCrossEntropyRef: rows must be a positive integer, got ${rows}`);
  if (!(Number.isInteger(validRows) && validRows >= 0 && validRows <= rows)) throw new RangeError(`softmaxCrossEntropyRef: validRows ${validRows} outside 0..${rows}`);
  if (z.length < rows * classes) throw new RangeError(`softmaxCrossEntropyRef: z has ${z.length} values, needs rows·classes = ${rows * classes}`);
  if (labels.length < validRows) throw new RangeError(`softmaxCrossEntropyRef: ${labels.length} labels for ${validRows} valid rows`);
  const rowLoss = new Float64Array(rows);
  const dz = new Float64Array(rows * classes);
  const correct = new Float64Array(rows);
  const predictions = new Int32Array(rows).fill(-1);
  const inv = validRows > 0 ? 1 / validRows : 0;
  for (let r = 0; r < validRows; r++) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new RangeError(`softmaxCrossEntropyRef: label ${y} of row ${r} is not an integer in 0..${classes - 1}`);
    const o = r * classes;
    let argmax = 0;
    for (let j = 1; j < classes; j++) if (z[o + j] > z[o + argmax]) argmax = j;
    const m = z[o + argmax];
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(z[o + j] - m);
    rowLoss[r] = Math.log(s) - (z[o + y] - m);
    for (let j = 0; j < classes; j++) dz[o + j] = (Math.exp(z[o + j] - m) / s - (j === y ? 1 : 0)) * inv;
    predictions[r] = argmax;
    correct[r] = argmax === y ? 1 : 0;
  }
  return { rowLoss, dz, correct, predictions };
}
