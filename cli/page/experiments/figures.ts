// Composing the experiments' figures from the library's image grids (plain
// RGBA arrays): panels side by side, with a white strip between them.
import { filters, interleaveRows, tileGrid, type RgbaImage } from '../../../src/index';

/** Panels left to right, top-aligned, `gap` white pixels apart. */
export function sideBySide(panels: RgbaImage[], gap = 12): RgbaImage {
  const width = panels.reduce((w, p) => w + p.width, 0) + gap * (panels.length - 1);
  const height = Math.max(...panels.map((p) => p.height));
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  let x0 = 0;
  for (const p of panels) {
    for (let y = 0; y < p.height; y++) data.set(p.data.subarray(y * p.width * 4, (y + 1) * p.width * 4), (y * width + x0) * 4);
    x0 += p.width + gap;
  }
  return { width, height, data };
}

/** The first `shown` hidden units' filters W_l/‖W_l‖ (each scaled to its own range), 10 per row. */
export function filterGrid(weight: Float32Array, hidden: number, rows: number, cols: number, shown = Math.min(hidden, 100)): RgbaImage {
  return tileGrid(filters(weight, hidden, rows * cols), shown, cols, rows, { columns: 10, normalizeEach: true, scale: 2 });
}

/** Rows of `columns` images: each source in turn (values in [0, 1]), e.g. clean, corrupted, then each model's reconstruction. */
export function comparisonGrid(sources: Float32Array[], count: number, rows: number, cols: number, columns = Math.min(count, 10)): RgbaImage {
  return tileGrid(interleaveRows(sources, count, rows * cols, columns), sources.length * count, cols, rows, { columns, scale: 2 });
}
