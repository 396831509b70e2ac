// Seeded initial weights: Glorot/Xavier uniform U(−a, a), a = √(6 / (fan_in + fan_out)),
// drawn from the counter-based generator so a seed gives the same model anywhere.
// Biases start at zero; a code standardisation's statistics at mean 0, variance 1
// (the identity, as PyTorch's BatchNorm1d) until fitted to the training codes.
import { rngUniform } from '../random/rng';
import type { ParameterLayout } from './layout';

/** Generator stream of the initialisation (distinct from noise, dropout, VAE ε, shuffle). */
export const STREAM_INIT = 64;

export function initialParameters(layout: ParameterLayout, seed: number): Float32Array {
  const flat = new Float32Array(layout.totalFloats);
  layout.tensors.forEach((t, ti) => {
    if (t.fill !== undefined) flat.fill(t.fill, t.offset, t.offset + t.size);
    if (t.kind !== 'weight') return;
    const [fanOut, fanIn] = t.shape;
    const a = Math.sqrt(6 / (fanIn + fanOut));
    for (let k = 0; k < t.size; k++) flat[t.offset + k] = (2 * rngUniform(seed, STREAM_INIT, ti, k) - 1) * a;
  });
  return flat;
}
