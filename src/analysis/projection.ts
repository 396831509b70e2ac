// 2-D pictures of codes: project [count, width] codes onto their top two
// principal directions (the float64 PCA reference) and draw a labelled scatter
// plot as an RGBA image, or lay the points out in pixels for a canvas.
import { pca, pcaProject, type Pca } from './pca';
import type { RgbaImage } from './images';

export interface Projection2d {
  /** Coordinate along the first principal direction, per sample. */
  x: Float32Array;
  /** Along the second (0 when the codes are one-dimensional). */
  y: Float32Array;
  /** The labels passed in, if any. */
  labels?: ArrayLike<number>;
  /** Fraction of the codes' variance along x and along y. */
  explainedVarianceRatio: [number, number];
  /** The fitted PCA (mean and directions), to project more codes the same way. */
  pca: Pca;
}

/** Project codes [count, width] (e.g. from model.encode) to 2-D with PCA. */
export function project2d(codes: ArrayLike<number>, count: number, width: number, labels?: ArrayLike<number>): Projection2d {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`project2d: count must be a positive integer, got ${count}`);
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`project2d: width must be a positive integer, got ${width}`);
  if (codes.length < count * width) throw new RangeError(`project2d: ${count}×${width} codes need ${count * width} values, got ${codes.length}`);
  if (labels !== undefined && labels.length !== count) throw new RangeError(`project2d: ${labels.length} labels for ${count} samples`);
  const k = Math.min(2, width);
  const model = pca(codes, count, width, k);
  const projected = pcaProject(model, codes, count);
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    x[r] = projected[r * k];
    if (k === 2) y[r] = projected[r * k + 1];
  }
  const ratio = model.explainedVarianceRatio;
  return { x, y, labels, explainedVarianceRatio: [ratio[0], k === 2 ? ratio[1] : 0], pca: model };
}

/** Ten distinguishable colours (Tableau 10), one per digit; label l uses DIGIT_COLOURS[l mod 10]. */
export const DIGIT_COLOURS: ReadonlyArray<readonly [number, number, number]> = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

export interface ScatterOptions {
  /** Image size in pixels. Defaults 256 × 256. */
  width?: number;
  height?: number;
  /** Pixels kept free around the points. Default 8. */
  margin?: number;
  /** Same scale on both axes, so distances are not distorted (default true). */
  equalAspect?: boolean;
}

export interface ScatterPoint {
  /** Pixel coordinates, origin top-left, y downwards (the first principal direction goes right, the second up). */
  px: number;
  py: number;
  label: number | undefined;
  /** CSS colour of the point's label ('#444' without a label). */
  colour: string;
}

/** Pixel positions and colours of the points of a projection, for drawing on a canvas. */
export function scatterLayout(points: Pick<Projection2d, 'x' | 'y' | 'labels'>, options: ScatterOptions = {}): ScatterPoint[] {
  const { width, height, margin, equalAspect } = scatterOptions(options);
  const n = points.x.length;
  if (points.y.length !== n) throw new RangeError(`scatterLayout: x has ${n} values but y has ${points.y.length}`);
  if (points.labels !== undefined && points.labels.length !== n) throw new RangeError(`scatterLayout: ${points.labels.length} labels for ${n} points`);
  const range = (v: ArrayLike<number>) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, v[i]);
      hi = Math.max(hi, v[i]);
    }
    return n === 0 ? [0, 0] : [lo, hi];
  };
  const [x0, x1] = range(points.x);
  const [y0, y1] = range(points.y);
  const innerW = Math.max(width - 2 * margin - 1, 0);
  const innerH = Math.max(height - 2 * margin - 1, 0);
  // Pixels per unit; a zero range (one point, or all equal) is centred.
  let sx = x1 > x0 ? innerW / (x1 - x0) : 0;
  let sy = y1 > y0 ? innerH / (y1 - y0) : 0;
  if (equalAspect) {
    // The tighter of the two scales, ignoring an axis with a zero range.
    const s = Math.min(sx > 0 ? sx : Infinity, sy > 0 ? sy : Infinity);
    sx = sy = Number.isFinite(s) ? s : 0;
  }
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const out: ScatterPoint[] = [];
  for (let i = 0; i < n; i++) {
    const label = points.labels?.[i];
    const c = label === undefined ? undefined : DIGIT_COLOURS[((label % 10) + 10) % 10];
    out.push({
      px: (width - 1) / 2 + (points.x[i] - cx) * sx,
      py: (height - 1) / 2 - (points.y[i] - cy) * sy,
      label,
      colour: c ? `rgb(${c[0]}, ${c[1]}, ${c[2]})` : '#444',
    });
  }
  return out;
}

/**
 * A scatter plot of a projection as an RGBA image: white background, each point a
 * (2·radius+1)² square in its label's colour (dark grey without labels). Later
 * points are drawn over earlier ones.
 */
export function scatterPlot(points: Pick<Projection2d, 'x' | 'y' | 'labels'>, options: ScatterOptions & { radius?: number } = {}): RgbaImage {
  const { width, height } = scatterOptions(options);
  const radius = options.radius ?? 1;
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`scatterPlot: radius must be an integer ≥ 0, got ${radius}`);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (const p of scatterLayout(points, options)) {
    const [r, g, b] = p.label === undefined ? [68, 68, 68] : DIGIT_COLOURS[((p.label % 10) + 10) % 10];
    const px = Math.round(p.px);
    const py = Math.round(p.py);
    for (let v = py - radius; v <= py + radius; v++) {
      if (v < 0 || v >= height) continue;
      for (let u = px - radius; u <= px + radius; u++) {
        if (u < 0 || u >= width) continue;
        const k = (v * width + u) * 4;
        data[k] = r;
        data[k + 1] = g;
        data[k + 2] = b;
        data[k + 3] = 255;
      }
    }
  }
  return { width, height, data };
}

function scatterOptions(options: ScatterOptions): Required<ScatterOptions> {
  const o = { width: 256, height: 256, margin: 8, equalAspect: true, ...options };
  for (const key of ['width', 'height'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`scatter: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (!Number.isInteger(o.margin) || o.margin < 0) throw new RangeError(`scatter: margin must be an integer ≥ 0, got ${o.margin}`);
  return o;
}
