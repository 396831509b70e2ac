// Float64 references of the reductions (shaders/column_sum.wgsl, shaders/reduce.wgsl).

/** out[j] = Σ_{r < rows} in[r, j] (plus `initial[j]` when accumulating). */
export function columnSumRef(input: ArrayLike<number>, rows: number, cols: number, initial?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(cols);
  for (let j = 0; j < cols; j++) out[j] = initial ? initial[j] : 0;
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j] += input[r * cols + j];
  return out;
}

/** What lossLogDispatch adds to its log entry: scale · (perSample ? 1/validRows : 1) · Σ_{i<count} values[i]. */
export function lossLogIncrementRef(values: ArrayLike<number>, count: number, scale: number, perSample: boolean, validRows: number): number {
  let s = 0;
  for (let i = 0; i < count; i++) s += values[i];
  return scale * (perSample ? (validRows > 0 ? 1 / validRows : 0) : 1) * s;
}
