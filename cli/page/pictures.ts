// Pictures of a job as RGBA images (the job host encodes them as PNG): digits
// over their reconstructions, the hidden units' filters, a VAE's samples. The
// loss curve is drawn in chart.ts.
import { filters, interleaveRows, tileGrid, type RgbaImage } from '../../src/index';

/** How many samples to show in reconstructionsImage: up to 64, a whole number of rows of 16. */
export function shownSamples(available: number): number {
  return available >= 16 ? Math.min(64, Math.floor(available / 16) * 16) : available;
}

/** `count` originals (values in [0, 1]) in rows of 16, each row followed by its reconstructions. */
export function reconstructionsImage(originals: Float32Array, recon: Float32Array, count: number, rows: number, cols: number): RgbaImage {
  const columns = Math.min(16, count);
  return tileGrid(interleaveRows([originals, recon], count, rows * cols, columns), 2 * count, cols, rows, { columns, scale: 2 });
}

/** The first (up to) 100 hidden units' maximally-activating inputs W_l/‖W_l‖, each scaled to its own range. */
export function filtersImage(weight: Float32Array, hidden: number, rows: number, cols: number): RgbaImage {
  const shown = Math.min(hidden, 100);
  return tileGrid(filters(weight, hidden, rows * cols), shown, cols, rows, { columns: 10, normalizeEach: true, scale: 2 });
}

/** `count` generated images (values in [0, 1]) in rows of 16. */
export function samplesImage(images: Float32Array, count: number, rows: number, cols: number): RgbaImage {
  return tileGrid(images, count, cols, rows, { columns: Math.min(16, count), scale: 2 });
}
