// Float64 reference of shaders/dropout.wgsl (inverted dropout with a hashed mask).
import { rngUniform, STREAM_DROPOUT } from '../random/rng';

/**
 * The factor m / (1 − p) of each element of an [rows, units] tensor, with
 * m = [uniform(seed, STREAM_DROPOUT + layer, step, r·units + j) ≥ p]; all ones
 * when not training. p is compared as the f32 the GPU sees, so the mask matches exactly.
 */
export function dropoutScaleRef(rows: number, units: number, rate: number, layer: number, seed: number, step: number, training: boolean): Float64Array {
  const out = new Float64Array(rows * units).fill(1);
  if (!training) return out;
  const p = Math.fround(rate);
  const scale = 1 / (1 - rate);
  for (let k = 0; k < rows * units; k++) out[k] = rngUniform(seed, STREAM_DROPOUT + layer, step, k) >= p ? scale : 0;
  return out;
}

export function dropoutForwardRef(h: Float64Array, rows: number, units: number, rate: number, layer: number, seed: number, step: number, training: boolean): Float64Array {
  const s = dropoutScaleRef(rows, units, rate, layer, seed, step, training);
  return h.map((v, k) => v * s[k]);
}

export function dropoutBackwardRef(dh: Float64Array, rows: number, units: number, rate: number, layer: number, seed: number, step: number, training: boolean): Float64Array {
  return dropoutForwardRef(dh, rows, units, rate, layer, seed, step, training);
}
