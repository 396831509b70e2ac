// Float64 reference for the matmul kernels (shaders/matmul.wgsl).
//
//   C = g(op(A)·op(B) + 1·biasᵀ)            or, with accumulateInto,
//   C = g(C₀ + op(A)·op(B) + 1·biasᵀ)        (the kernel allows this only for g = linear, no bias)
//
// form 'nn': A [M,K], B [K,N];  'nt': A [M,K], B [N,K] (uses Bᵀ);  'tn': A [K,M] (uses Aᵀ), B [K,N].
import type { Activation } from '../kernels/activations';
import type { MatmulForm } from '../kernels/matmul';
import { activate } from './activations';

function checkLength(name: string, x: ArrayLike<number>, n: number, shape: string): void {
  if (x.length < n) throw new Error(`matmulRef: ${name} has ${x.length} elements, needs ${n} (${shape})`);
}

export function matmulRef(
  form: MatmulForm,
  M: number,
  N: number,
  K: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  bias?: ArrayLike<number>,
  activation: Activation = 'linear',
  accumulateInto?: ArrayLike<number>,
): Float64Array {
  for (const [name, v] of [['M', M], ['N', N], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`matmulRef: ${name} must be a positive integer, got ${v}`);
  }
  if (form !== 'nn' && form !== 'nt' && form !== 'tn') throw new Error(`matmulRef: form must be 'nn', 'nt' or 'tn', got ${String(form)}`);
  checkLength('a', a, M * K, form === 'tn' ? `[K,M] = [${K},${M}]` : `[M,K] = [${M},${K}]`);
  checkLength('b', b, N * K, form === 'nt' ? `[N,K] = [${N},${K}]` : `[K,N] = [${K},${N}]`);
  if (bias) checkLength('bias', bias, N, `[N] = [${N}]`);
  if (accumulateInto) checkLength('accumulateInto', accumulateInto, M * N, `[M,N] = [${M},${N}]`);

  // Copy op(A) to [M,K] and op(B)ᵀ to [N,K] so the inner loop is a contiguous dot product.
  const At = new Float64Array(M * K);
  const Bt = new Float64Array(N * K);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) At[m * K + k] = form === 'tn' ? a[k * M + m] : a[m * K + k];
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) Bt[n * K + k] = form === 'nt' ? b[n * K + k] : b[k * N + n];

  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0, i = m * K, j = n * K; k < K; k++, i++, j++) s += At[i] * Bt[j];
      if (bias) s += bias[n];
      if (accumulateInto) s += accumulateInto[m * N + n];
      out[m * N + n] = activate(s, activation);
    }
  }
  return out;
}
