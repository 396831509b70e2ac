// Principal component analysis in float64 TypeScript: the reference the linear
// autoencoder is compared with (a linear AE trained with squared error on centred
// inputs spans the top-k principal subspace), and the baseline codes of the probe.
//
//   mean  μ = (1/n) Σ_r x_r
//   C     = (1/n) Σ_r (x_r − μ)(x_r − μ)ᵀ          (population covariance, [cols, cols])
//   C v_i = λ_i v_i,  λ_1 ≥ λ_2 ≥ …,  components = [v_1 … v_k]ᵀ  ([k, cols], orthonormal rows)
//
// With the 1/n convention the mean squared reconstruction error of the training
// rows from their top-k codes, Σ_r ‖x_r − x̂_r‖² / n, equals Σ_{i>k} λ_i exactly.
//
// The eigen-decomposition is Householder tridiagonalisation followed by the
// implicit QL algorithm with Wilkinson-style shifts (the EISPACK tred2/tql2 pair,
// as in JAMA), O(n³): a 784×784 covariance takes a few seconds.

/** Column means of a [rows, cols] row-major matrix. */
export function columnMeans(data: ArrayLike<number>, rows: number, cols: number): Float64Array {
  checkMatrix('columnMeans', data, rows, cols);
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) mean[j] += data[o + j];
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  return mean;
}

/** (1/rows) · (X − 1μᵀ)ᵀ (X − 1μᵀ), symmetric [cols, cols], row-major. */
export function covariance(data: ArrayLike<number>, rows: number, cols: number, mean = columnMeans(data, rows, cols)): Float64Array {
  checkMatrix('covariance', data, rows, cols);
  const cov = new Float64Array(cols * cols);
  const x = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) x[j] = data[o + j] - mean[j];
    // Upper triangle only; the inner loop runs over contiguous memory.
    for (let i = 0; i < cols; i++) {
      const xi = x[i];
      if (xi === 0) continue; // MNIST borders are constant: skip the zero rows of the outer product
      const ci = i * cols;
      for (let j = i; j < cols; j++) cov[ci + j] += xi * x[j];
    }
  }
  for (let i = 0; i < cols; i++) {
    for (let j = i; j < cols; j++) {
      const v = cov[i * cols + j] / rows;
      cov[i * cols + j] = v;
      cov[j * cols + i] = v;
    }
  }
  return cov;
}

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as the rows of an [n, n] row-major matrix: row i belongs to values[i]. Orthonormal. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of a real symmetric [n, n] matrix (row-major; only its
 * symmetry is assumed, it is not checked beyond a cheap test).
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`symmetricEigen: n must be a positive integer, got ${n}`);
  if (matrix.length < n * n) throw new RangeError(`symmetricEigen: matrix has ${matrix.length} elements, needs n·n = ${n * n}`);
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(matrix[i])) throw new RangeError(`symmetricEigen: matrix[${i}] is ${matrix[i]}; entries must be finite`);
    scale = Math.max(scale, Math.abs(matrix[i]));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(matrix[i * n + j] - matrix[j * n + i]) > 1e-9 * scale) {
        throw new RangeError(`symmetricEigen: matrix is not symmetric: [${i},${j}] = ${matrix[i * n + j]}, [${j},${i}] = ${matrix[j * n + i]}`);
      }
    }
  }
  // V is stored column-major (V[r][c] at c·n + r) so that every inner loop of
  // tred2/tql2 walks contiguous memory; for the symmetric input that is the same array.
  const V = Float64Array.from({ length: n * n }, (_, i) => matrix[i]);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalise(V, d, e, n);
  implicitQL(V, d, e, n);

  // Sort descending. Column c of V (contiguous at c·n) is the eigenvector of d[c].
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b] - d[a]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((c, i) => {
    values[i] = d[c];
    const v = V.subarray(c * n, c * n + n);
    // Fix the sign so results are deterministic: the largest-magnitude entry is positive.
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(v[k]) > Math.abs(v[big])) big = k;
    const s = v[big] < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[i * n + k] = s * v[k];
  });
  return { values, vectors };
}

// Householder reduction to tridiagonal form (EISPACK tred2). On exit d is the
// diagonal, e[1..n) the sub-diagonal, V the accumulated orthogonal transform.
// Indexing V[r][c] → V[c*n + r].
function tridiagonalise(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[j * n + i - 1];
        V[j * n + i] = 0;
        V[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[i * n + j] = f;
        const cj = j * n;
        g = e[j] + V[cj + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[cj + k] * d[k];
          e[k] += V[cj + k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const cj = j * n;
        for (let k = j; k <= i - 1; k++) V[cj + k] -= f * e[k] + g * d[k];
        d[j] = V[cj + i - 1];
        V[cj + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[i * n + n - 1] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    const ci1 = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[ci1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const cj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[ci1 + k] * V[cj + k];
        for (let k = 0; k <= i; k++) V[cj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[ci1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[j * n + n - 1];
    V[j * n + n - 1] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

// Implicit QL iterations on the tridiagonal matrix (EISPACK tql2): d becomes the
// eigenvalues, the columns of V the eigenvectors.
function implicitQL(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 100) throw new Error(`symmetricEigen: QL iteration did not converge for eigenvalue ${l} of ${n}`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          // Rotate columns i and i+1 of V (both contiguous).
          const ci = i * n;
          const ci1 = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            h = V[ci1 + k];
            V[ci1 + k] = s * V[ci + k] + c * h;
            V[ci + k] = c * V[ci + k] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

export interface Pca {
  /** Number of input features. */
  cols: number;
  /** Number of components kept. */
  k: number;
  /** Column means μ, [cols]. */
  mean: Float64Array;
  /** Principal directions as orthonormal rows, [k, cols], by decreasing variance. */
  components: Float64Array;
  /** All cols eigenvalues of the covariance, descending (the variance along each direction). */
  eigenvalues: Float64Array;
  /** Variance captured by each kept component (= eigenvalues[0..k)). */
  explainedVariance: Float64Array;
  /** explainedVariance / total variance. */
  explainedVarianceRatio: Float64Array;
  /** Total variance, trace of the covariance. */
  totalVariance: number;
  /** Mean squared reconstruction error per row of the fitted data from k codes: Σ_{i≥k} λ_i. */
  residualVariance: number;
}

/** PCA of a [rows, cols] row-major data matrix, keeping the top k components. */
export function pca(data: ArrayLike<number>, rows: number, cols: number, k: number): Pca {
  checkMatrix('pca', data, rows, cols);
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new RangeError(`pca: k must be an integer in [1, cols = ${cols}], got ${k}`);
  const mean = columnMeans(data, rows, cols);
  const { values, vectors } = symmetricEigen(covariance(data, rows, cols, mean), cols);
  // Rounding can leave the smallest eigenvalues of a PSD matrix slightly negative.
  for (let i = 0; i < cols; i++) if (values[i] < 0) values[i] = 0;
  let totalVariance = 0;
  for (let i = 0; i < cols; i++) totalVariance += values[i];
  let residualVariance = 0;
  for (let i = k; i < cols; i++) residualVariance += values[i];
  const explainedVariance = values.slice(0, k);
  return {
    cols,
    k,
    mean,
    components: vectors.slice(0, k * cols),
    eigenvalues: values,
    explainedVariance,
    explainedVarianceRatio: explainedVariance.map((v) => (totalVariance > 0 ? v / totalVariance : 0)),
    totalVariance,
    residualVariance,
  };
}

/** The same PCA keeping only its top k ≤ model.k components (no new eigen-decomposition). */
export function pcaTruncate(model: Pca, k: number): Pca {
  if (!Number.isInteger(k) || k < 1 || k > model.k) throw new RangeError(`pcaTruncate: k must be an integer in [1, ${model.k}] (the components kept), got ${k}`);
  let residualVariance = 0;
  for (let i = k; i < model.cols; i++) residualVariance += model.eigenvalues[i];
  return {
    ...model,
    k,
    components: model.components.slice(0, k * model.cols),
    explainedVariance: model.explainedVariance.slice(0, k),
    explainedVarianceRatio: model.explainedVarianceRatio.slice(0, k),
    residualVariance,
  };
}

/** Codes of rows of data: (x − μ)·componentsᵀ, [rows, k]. */
export function pcaProject(model: Pca, data: ArrayLike<number>, rows: number): Float64Array {
  const { cols, k, mean, components } = model;
  checkMatrix('pcaProject', data, rows, cols);
  const codes = new Float64Array(rows * k);
  const x = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) x[j] = data[r * cols + j] - mean[j];
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0, o = c * cols; j < cols; j++) s += components[o + j] * x[j];
      codes[r * k + c] = s;
    }
  }
  return codes;
}

/** Reconstructions from codes: μ + codes·components, [rows, cols]. */
export function pcaReconstruct(model: Pca, codes: ArrayLike<number>, rows: number): Float64Array {
  const { cols, k, mean, components } = model;
  checkMatrix('pcaReconstruct', codes, rows, k);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    out.set(mean, o);
    for (let c = 0; c < k; c++) {
      const z = codes[r * k + c];
      for (let j = 0, p = c * cols; j < cols; j++) out[o + j] += z * components[p + j];
    }
  }
  return out;
}

/** Mean over rows of ‖x − x̂‖² with x̂ the top-k reconstruction (equals residualVariance on the fitted data). */
export function pcaReconstructionError(model: Pca, data: ArrayLike<number>, rows: number): number {
  const recon = pcaReconstruct(model, pcaProject(model, data, rows), rows);
  let s = 0;
  for (let i = 0; i < rows * model.cols; i++) s += (recon[i] - data[i]) ** 2;
  return s / rows;
}

/**
 * Orthonormal basis of the row space of a [k, n] matrix (modified Gram–Schmidt,
 * applied twice for float64-level orthogonality). Throws if the rows are
 * linearly dependent (numerically).
 */
export function orthonormaliseRows(a: ArrayLike<number>, k: number, n: number): Float64Array {
  checkMatrix('orthonormaliseRows', a, k, n);
  const q = Float64Array.from({ length: k * n }, (_, i) => a[i]);
  for (let i = 0; i < k; i++) {
    const qi = q.subarray(i * n, i * n + n);
    const before = Math.sqrt(dot(qi, qi));
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const qj = q.subarray(j * n, j * n + n);
        const c = dot(qi, qj);
        for (let t = 0; t < n; t++) qi[t] -= c * qj[t];
      }
    }
    const norm = Math.sqrt(dot(qi, qi));
    if (!(norm > 1e-10 * before) || norm === 0) {
      throw new RangeError(`orthonormaliseRows: row ${i} of ${k} is (numerically) a combination of the rows before it; the rows must be linearly independent`);
    }
    for (let t = 0; t < n; t++) qi[t] /= norm;
  }
  return q;
}

/**
 * Principal angles, in degrees and largest first, between the row spaces of two
 * [k, n] matrices (rows need not be orthonormal, only independent).
 *
 * With Qa, Qb orthonormal bases, the cosines are the singular values of Qa·Qbᵀ
 * (square roots of the eigenvalues of the k×k matrix M·Mᵀ) and the sines those of
 * Qb − (Qb·Qaᵀ)·Qa. Small angles are taken from the sines and large ones from the
 * cosines, which keeps both accurate (Knyazev & Argentati, 2002).
 */
export function principalAngles(a: ArrayLike<number>, b: ArrayLike<number>, k: number, n: number): Float64Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`principalAngles: k must be a positive integer, got ${k}`);
  if (!Number.isInteger(n) || n < k) throw new RangeError(`principalAngles: n must be an integer ≥ k = ${k}, got ${n}`);
  const qa = orthonormaliseRows(a, k, n);
  const qb = orthonormaliseRows(b, k, n);
  // M = Qb·Qaᵀ [k, k]: M[i][j] = ⟨qb_i, qa_j⟩.
  const m = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m[i * k + j] = dot(qb.subarray(i * n, i * n + n), qa.subarray(j * n, j * n + n));
  // R = Qb − M·Qa: the part of each basis row of B outside span(A).
  const res = qb.slice();
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const c = m[i * k + j];
      for (let t = 0; t < n; t++) res[i * n + t] -= c * qa[j * n + t];
    }
  }
  const cos2 = symmetricEigen(gram(m, k, k), k).values; // descending cos² → ascending angles
  const sin2 = symmetricEigen(gram(res, k, n), k).values; // descending sin² → descending angles
  const angles = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const s2 = Math.min(1, Math.max(0, sin2[i]));
    const c2 = Math.min(1, Math.max(0, cos2[k - 1 - i]));
    const radians = s2 < 0.5 ? Math.asin(Math.sqrt(s2)) : Math.acos(Math.sqrt(c2));
    angles[i] = (radians * 180) / Math.PI;
  }
  return angles;
}

/** X·Xᵀ for a [rows, cols] matrix, symmetrised exactly. */
function gram(x: Float64Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      const v = dot(x.subarray(i * cols, i * cols + cols), x.subarray(j * cols, j * cols + cols));
      g[i * rows + j] = v;
      g[j * rows + i] = v;
    }
  }
  return g;
}

function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

function checkMatrix(fn: string, data: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`${fn}: rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`${fn}: cols must be a positive integer, got ${cols}`);
  if (data.length < rows * cols) throw new RangeError(`${fn}: data has ${data.length} elements, needs rows·cols = ${rows}·${cols} = ${rows * cols}`);
}
