// Float64 reference of shaders/gather.wgsl: batch gather, centring and input
// corruption, drawing from the same counter-based generator as the GPU.
import type { InputNoise } from '../kernels/gather';
import { corrupt } from '../random/noise';

/**
 * clean[r·F + i] = (value(indices[batchOffset + r], i) − center[i]) · scale[i] for r < validRows,
 * 0 for the padding rows; noisy = corrupted clean when training, else clean.
 * Masking and salt-and-pepper make the same decisions as the GPU (the
 * thresholds are compared as the f32 values the GPU sees); gaussian noise
 * matches to ~1e-6·σ (float64 vs f32 log/cos).
 */
export function gatherRef(
  data: Uint8Array | Float32Array,
  format: 'u8' | 'f32',
  features: number,
  indices: Uint32Array,
  batchOffset: number,
  validRows: number,
  batchSize: number,
  noise: InputNoise,
  seed: number,
  step: number,
  training: boolean,
  center?: ArrayLike<number>,
  scale?: ArrayLike<number>,
): { clean: Float64Array; noisy: Float64Array } {
  const F = features;
  const clean = new Float64Array(batchSize * F);
  const noisy = new Float64Array(batchSize * F);
  const q = noise.type === 'gaussian' ? Math.fround(noise.stddev) : noise.type === 'none' ? 0 : Math.fround(noise.rate);
  for (let r = 0; r < Math.min(validRows, batchSize); r++) {
    const sample = indices[batchOffset + r];
    for (let i = 0; i < F; i++) {
      const raw = data[sample * F + i];
      let x = format === 'u8' ? raw / 255 : raw;
      if (center) x -= center[i];
      if (scale) x *= scale[i];
      const k = r * F + i;
      clean[k] = x;
      noisy[k] = training ? corrupt(x, noise.type, q, seed, step, k) : x;
    }
  }
  return { clean, noisy };
}
