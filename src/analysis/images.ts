// Pictures of what a model learned, as plain RGBA pixel arrays (no DOM needed):
// grids of digit tiles and the hidden units' filters.

export interface RgbaImage {
  width: number;
  height: number;
  /** width·height·4 bytes, row-major RGBA. */
  data: Uint8ClampedArray<ArrayBuffer>;
}

export interface GridOptions {
  /** Tiles per row. */
  columns: number;
  /** Pixels between tiles. Default 1. */
  gap?: number;
  /** Scale each tile to its own [min, max] (filters) instead of clamping [0, 1] (images). */
  normalizeEach?: boolean;
  /** Grey level of the gaps, 0..255. Default 40. */
  background?: number;
  /** Integer magnification. Default 1. */
  scale?: number;
}

/**
 * Lay out `count` tiles of tileWidth×tileHeight values (row-major, concatenated in
 * `values`) as a grey-scale grid.
 */
export function tileGrid(values: ArrayLike<number>, count: number, tileWidth: number, tileHeight: number, opts: GridOptions): RgbaImage {
  const per = tileWidth * tileHeight;
  if (values.length < count * per) throw new RangeError(`tileGrid: ${count} tiles of ${per} values need ${count * per} values, got ${values.length}`);
  const gap = opts.gap ?? 1;
  const scale = opts.scale ?? 1;
  const cols = Math.max(1, Math.min(opts.columns, count));
  const rows = Math.max(1, Math.ceil(count / cols));
  const width = (cols * (tileWidth + gap) + gap) * scale;
  const height = (rows * (tileHeight + gap) + gap) * scale;
  const data = new Uint8ClampedArray(width * height * 4);
  const bg = opts.background ?? 40;
  for (let k = 0; k < width * height; k++) {
    data[k * 4] = data[k * 4 + 1] = data[k * 4 + 2] = bg;
    data[k * 4 + 3] = 255;
  }
  for (let t = 0; t < count; t++) {
    let lo = 0;
    let hi = 1;
    if (opts.normalizeEach) {
      lo = Infinity;
      hi = -Infinity;
      for (let k = 0; k < per; k++) {
        lo = Math.min(lo, values[t * per + k]);
        hi = Math.max(hi, values[t * per + k]);
      }
      if (!(hi > lo)) hi = lo + 1;
    }
    const x0 = gap + (t % cols) * (tileWidth + gap);
    const y0 = gap + Math.floor(t / cols) * (tileHeight + gap);
    for (let y = 0; y < tileHeight; y++) {
      for (let x = 0; x < tileWidth; x++) {
        const v = Math.round((255 * (values[t * per + y * tileWidth + x] - lo)) / (hi - lo));
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const p = ((y0 + y) * scale + sy) * width + (x0 + x) * scale + sx;
            data[p * 4] = data[p * 4 + 1] = data[p * 4 + 2] = v;
          }
        }
      }
    }
  }
  return { width, height, data };
}

/**
 * The input that maximally activates hidden unit l under ‖x‖ = 1 is W_l / ‖W_l‖
 * (for a monotone g). Returns those unit-norm rows of W [hidden, inputs].
 */
export function filters(weight: ArrayLike<number>, hidden: number, inputs: number): Float32Array {
  const out = new Float32Array(hidden * inputs);
  for (let l = 0; l < hidden; l++) {
    let norm = 0;
    for (let i = 0; i < inputs; i++) norm += weight[l * inputs + i] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < inputs; i++) out[l * inputs + i] = weight[l * inputs + i] / norm;
  }
  return out;
}

/**
 * Tiles for a comparison grid: for each group of `columns` samples, one row of
 * tiles from each source in turn (e.g. originals, corrupted inputs, reconstructions).
 * `count` must be a multiple of `columns`.
 */
export function interleaveRows(sources: ReadonlyArray<ArrayLike<number>>, count: number, per: number, columns: number): Float32Array {
  if (count % columns !== 0) throw new RangeError(`interleaveRows: count ${count} is not a multiple of columns ${columns}`);
  const out = new Float32Array(sources.length * count * per);
  let t = 0;
  for (let start = 0; start < count; start += columns) {
    for (const src of sources) {
      for (let k = start; k < start + columns; k++, t++) {
        for (let i = 0; i < per; i++) out[t * per + i] = src[k * per + i];
      }
    }
  }
  return out;
}
