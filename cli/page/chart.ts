// The loss curve of `train` (loss.png) drawn into an RgbaImage in plain
// TypeScript: the same pixels in the browser and in Node (which has no canvas);
// the job host only encodes it as PNG. Text uses the bitmap font of font.ts.
// Where the axes go and what their ticks read is d3-scale's (a linear scale,
// .nice() and .ticks()): the demo's plotting library, uPlot, needs a DOM and a
// canvas, which the node runtime does not have, while d3-scale is plain
// arithmetic (a few kB bundled) and is what Vega and Observable Plot use.
import { scaleLinear } from 'd3-scale';
import type { RgbaImage } from '../../src/index';
import { ADVANCE, GLYPH_HEIGHT, glyph } from './font';

export type Rgb = readonly [number, number, number];

/** An RGBA image being drawn on: opaque pixels, clipped to the image (also used by confusion.ts). */
export class Raster {
  readonly data: Uint8ClampedArray<ArrayBuffer>;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.data = new Uint8ClampedArray(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  pixel(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const k = (y * this.width + x) * 4;
    this.data[k] = c[0];
    this.data[k + 1] = c[1];
    this.data[k + 2] = c[2];
    this.data[k + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let v = Math.round(y); v < Math.round(y + h); v++) for (let u = Math.round(x); u < Math.round(x + w); u++) this.pixel(u, v, c);
  }

  /** A filled disc of radius r around (x, y). */
  disc(x: number, y: number, r: number, c: Rgb): void {
    for (let v = Math.floor(y - r); v <= Math.ceil(y + r); v++) {
      for (let u = Math.floor(x - r); u <= Math.ceil(x + r); u++) if ((u - x) ** 2 + (v - y) ** 2 <= r * r) this.pixel(u, v, c);
    }
  }

  /** A line of the given width from (x0, y0) to (x1, y1): discs stamped every half pixel. */
  line(x0: number, y0: number, x1: number, y1: number, width: number, c: Rgb): void {
    const n = Math.max(1, Math.ceil(2 * Math.hypot(x1 - x0, y1 - y0)));
    for (let i = 0; i <= n; i++) {
      const t = i / n;
      if (width <= 1) this.pixel(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, c);
      else this.disc(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, width / 2, c);
    }
  }

  /** Text whose baseline starts at (x, y) for align 'left' (ends there for 'right', centred for 'center'). */
  text(s: string, x: number, y: number, c: Rgb, opts: { scale?: number; align?: 'left' | 'center' | 'right'; bold?: boolean } = {}): void {
    const scale = opts.scale ?? 2;
    const chars = [...s];
    const w = textWidth(s, scale);
    let left = opts.align === 'right' ? x - w : opts.align === 'center' ? x - w / 2 : x;
    left = Math.round(left);
    const top = Math.round(y) - 7 * scale; // rows 0–6 stand on the baseline
    chars.forEach((ch, i) => {
      glyph(ch).forEach((row, gy) =>
        row.forEach((on, gx) => {
          if (!on) return;
          const px = left + (i * ADVANCE + gx) * scale;
          this.fillRect(px, top + gy * scale, scale + (opts.bold ? 1 : 0), scale, c);
        }),
      );
    });
  }

  image(): RgbaImage {
    return { width: this.width, height: this.height, data: this.data };
  }
}

/** The width in pixels of `s` drawn at `scale`. */
export function textWidth(s: string, scale: number): number {
  const n = [...s].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

const hex = (c: string): Rgb => [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];

/** Chart size in pixels, and the margins of the plot area (the left one grows to fit the values). */
export const CHART = { width: 720, height: 420, margin: { l: 70, r: 20, t: 40, b: 50 } } as const;

/** The axes of lossCurve: round y values with their labels, and the epochs to label (1-based). */
export interface LossAxes {
  /** The y range drawn, [low, high], widened to round values by d3-scale's nice(). */
  domain: [number, number];
  ticks: number[];
  labels: string[];
  epochs: number[];
}

/**
 * The axes for `n` epochs of `values` (non-finite ones ignored): about six y
 * ticks at 1, 2 or 5 × 10^k steps, labelled with the digits that step needs
 * (d3's tickFormat), and up to about twelve integer epochs.
 */
export function lossAxes(values: number[], n: number): LossAxes {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 0;
  if (!(hi > lo)) {
    // One value (or none): a range around it, so its dots sit mid-height.
    const spread = Math.max(1, Math.abs(lo) * 0.1);
    lo -= spread / 2;
    hi = lo + spread;
  }
  const pad = (hi - lo) * 0.04; // so no dot sits on the frame's edge when nice() leaves the ends alone
  const y = scaleLinear().domain([lo - pad, hi + pad]).nice(6);
  const ticks = y.ticks(6);
  const label = y.tickFormat(6);
  const epochs = n <= 1 ? [1] : scaleLinear().domain([1, n]).ticks(Math.min(n - 1, 12)).filter(Number.isInteger);
  return { domain: y.domain() as [number, number], ticks, labels: ticks.map(label), epochs };
}

/**
 * A plain line chart of loss per epoch: one line with dots per series (colour
 * '#rrggbb'), grid lines at the round values of lossAxes, its epochs along the
 * bottom, a legend at the top right and the title above.
 */
export function lossCurve(series: Array<{ name: string; color: string; values: number[] }>, title: string): RgbaImage {
  const { width: W, height: H, margin: m } = CHART;
  const g = new Raster(W, H, [255, 255, 255]);
  const n = Math.max(0, ...series.map((s) => s.values.length));
  const axes = lossAxes(series.flatMap((s) => s.values), n);
  const left = Math.max(m.l, 16 + Math.max(...axes.labels.map((s) => textWidth(s, 2)))); // room for the widest value
  const y = scaleLinear().domain(axes.domain).range([H - m.b, m.t]);
  const epochX = scaleLinear()
    .domain(n <= 1 ? [0, 2] : [1, n]) // one epoch: in the middle
    .range([left, W - m.r]);
  const x = (i: number) => epochX(i + 1);
  const grid: Rgb = [204, 204, 204];
  const ink: Rgb = [51, 51, 51];
  axes.ticks.forEach((v, k) => {
    g.line(left, y(v), W - m.r, y(v), 1, grid);
    g.text(axes.labels[k], left - 8, y(v) + GLYPH_HEIGHT / 2, ink, { align: 'right' });
  });
  for (const e of axes.epochs) g.text(String(e), epochX(e), H - m.b + 22, ink, { align: 'center' });
  g.text('epoch', (left + W - m.r) / 2, H - 10, ink, { align: 'center' });
  g.text(title, W / 2, 26, ink, { align: 'center', bold: true });
  const legend = W - m.r - 28 - Math.max(0, ...series.map((s) => textWidth(s.name, 2)));
  series.forEach((s, si) => {
    const c = hex(s.color);
    s.values.forEach((v, i) => {
      const w = s.values[i + 1];
      if (Number.isFinite(v) && w !== undefined && Number.isFinite(w)) g.line(x(i), y(v), x(i + 1), y(w), 2.5, c);
    });
    s.values.forEach((v, i) => Number.isFinite(v) && g.disc(x(i), y(v), 4, c));
    g.fillRect(legend, m.t + 10 + si * 22, 14, 4, c);
    g.text(s.name, legend + 20, m.t + 18 + si * 22, c);
  });
  return g.image();
}
