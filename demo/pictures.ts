// What the page shows of a model: digit strips (original / corrupted /
// reconstructed), the filter grid and the histogram of hidden activations (their
// statistics come from the library's activationStatistics). Pixels come
// from src/analysis/images.ts; corruption for display uses the library's float64
// CPU mirror of the GPU's noise (src/random/noise.ts), so it looks like what the
// model is trained on.
import type { Activation, ActivationStatistics, InputNoise } from '../src/index';
import { filters, tileGrid, type RgbaImage } from '../src/analysis/images';
import { latentGrid } from '../src/analysis/latent';
import { corrupt } from '../src/random/noise';
import type { HistogramData } from './plots';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
/** |h| below this counts as "near zero" in the activation statistics (activationStatistics' threshold). */
export const NEAR_ZERO = 0.05;
/** At most this many filters are drawn. */
export const MAX_FILTERS = 100;

/** Draw an RGBA image at its own resolution; CSS scales it up with crisp pixels. */
export function drawImage(canvas: HTMLCanvasElement, img: RgbaImage): void {
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
}

/** `count` digits (values in [0, 1], clamped) side by side. */
export function digitStrip(values: Float32Array, count: number): RgbaImage {
  return tileGrid(values, count, SIDE, SIDE, { columns: count, gap: 1 });
}

/** Each unit's W_j/‖W_j‖, each scaled to its own range, in rows of up to 10. */
export function filterGrid(encoderWeight: Float32Array, hidden: number): RgbaImage {
  const shown = Math.min(hidden, MAX_FILTERS);
  const columns = shown <= 16 ? Math.min(shown, 8) : 10;
  return tileGrid(filters(encoderWeight.subarray(0, shown * PIXELS), shown, PIXELS), shown, SIDE, SIDE, { columns, gap: 1, normalizeEach: true });
}

/**
 * Corrupt digits on the CPU with the model's noise, as the gather kernel does on
 * the GPU (same generator; `step` picks the draw). Returns a copy.
 */
export function corruptDigits(clean: Float32Array, noise: InputNoise, seed: number, step = 1): Float32Array {
  // The GPU compares against the f32 value of the parameter (see gatherRef).
  const param = noise.type === 'gaussian' ? Math.fround(noise.stddev) : noise.type === 'none' ? 0 : Math.fround(noise.rate);
  return Float32Array.from(clean, (x, k) => corrupt(x, noise.type, param, seed, step, k));
}

/** Histogram of per-unit means over the activation's natural range (or the data's, if unbounded). */
export function meanActivationHistogram(stats: ActivationStatistics, activation: Activation, bins = 20): HistogramData {
  const v = stats.meanPerUnit;
  let lo: number;
  let hi: number;
  if (activation === 'sigmoid') [lo, hi] = [0, 1];
  else if (activation === 'tanh') [lo, hi] = [-1, 1];
  else {
    lo = activation === 'relu' ? 0 : Math.min(...v);
    hi = Math.max(...v);
    if (!(hi > lo)) hi = lo + 1;
    hi += (hi - lo) * 1e-6; // the largest value falls inside the last bin
  }
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) counts[Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)))]++;
  return { counts, lo, hi };
}

// ---- VAE pictures ------------------------------------------------------------

/** Digits per row of the prior samples. */
export const SAMPLE_COLUMNS = 10;
/** Side of the latent manifold grid (2-D latents). */
export const MAP_SIDE = 15;
/** Decoded points on the interpolation line, ends included. */
export const INTERPOLATION_STEPS = 10;

/**
 * The classic manifold picture's latents: a side×side grid of 2-D z at the
 * quantiles Φ⁻¹((i + ½)/side) (each covering an equal share of the prior's mass),
 * z₁ growing to the right and z₂ upwards (row 0 is the top). Row-major [side², 2].
 */
export function manifoldLatents(side: number): Float32Array {
  return latentGrid(side, { margin: 0.5 / side });
}

/** A grid of `count` digits in `columns` columns. */
export function digitGrid(values: Float32Array, count: number, columns: number): RgbaImage {
  return tileGrid(values, count, SIDE, SIDE, { columns, gap: 1 });
}
