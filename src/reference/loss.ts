// Float64 reference of the reconstruction loss and its gradient w.r.t. the
// output pre-activation z (shaders/loss.wgsl). Per row r < validRows, summed over features:
//   'bce' (output sigmoid): ℓ = Σ softplus(z) − x·z  = Σ max(z,0) − x·z + log1p(e^−|z|);  ∂L/∂z = (σ(z) − x)/validRows
//   'mse' (output f):       ℓ = Σ (f(z) − x)²;  ∂L/∂z = 2(f(z) − x)·f'(z)/validRows
// with L = Σ_r ℓ_r / validRows. Padding rows get ℓ = 0 and ∂L/∂z = 0.
import type { Activation } from '../kernels/activations';
import type { LossKind } from '../kernels/loss';
import { activate, activationGradFromOutput } from './activations';

/** softplus(z) − x·z, stable for any z (no exp of a positive number). */
export function bceElement(z: number, x: number): number {
  return Math.max(z, 0) - x * z + Math.log1p(Math.exp(-Math.abs(z)));
}

export function lossRef(
  kind: LossKind,
  outAct: Activation,
  z: ArrayLike<number>,
  x: ArrayLike<number>,
  rows: number,
  validRows: number,
  features: number,
): { rowLoss: Float64Array; dz: Float64Array } {
  if (kind === 'bce' && outAct !== 'sigmoid') throw new Error(`lossRef: 'bce' needs output activation 'sigmoid', got '${outAct}'`);
  if (z.length < rows * features || x.length < rows * features) throw new Error('lossRef: z and x need rows·features values');
  if (!(validRows >= 0 && validRows <= rows)) throw new Error(`lossRef: validRows ${validRows} outside 0..${rows}`);
  const rowLoss = new Float64Array(rows);
  const dz = new Float64Array(rows * features);
  const inv = validRows > 0 ? 1 / validRows : 0;
  for (let r = 0; r < validRows; r++) {
    let sum = 0;
    for (let j = 0; j < features; j++) {
      const k = r * features + j;
      if (kind === 'bce') {
        sum += bceElement(z[k], x[k]);
        dz[k] = (activate(z[k], 'sigmoid') - x[k]) * inv;
      } else {
        const y = activate(z[k], outAct);
        sum += (y - x[k]) ** 2;
        dz[k] = 2 * (y - x[k]) * activationGradFromOutput(y, outAct) * inv;
      }
    }
    rowLoss[r] = sum;
  }
  return { rowLoss, dz };
}

/** The batch loss L = Σ_r ℓ_r / validRows. */
export function meanLossRef(rowLoss: ArrayLike<number>, validRows: number): number {
  let s = 0;
  for (let r = 0; r < validRows; r++) s += rowLoss[r];
  return validRows > 0 ? s / validRows : 0;
}
