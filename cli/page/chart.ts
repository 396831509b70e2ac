// The loss curve of `train` (loss.png) drawn into an RgbaImage in plain
// TypeScript: the same pixels in the browser and in Node (which has no canvas);
// the job host only encodes it as PNG. Text uses the bitmap font of font.ts.
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

/**
 * A plain line chart of loss per epoch: one line with dots per series (colour
 * '#rrggbb'), six grid lines with their values, the epochs along the bottom,
 * a legend at the top right and the title above. Non-finite values are skipped
 * when setting the range.
 */
export function lossCurve(series: Array<{ name: string; color: string; values: number[] }>, title: string): RgbaImage {
  const { width: W, height: H, margin: m } = CHART;
  const g = new Raster(W, H, [255, 255, 255]);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(0, ...series.map((s) => s.values.length));
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (!(hi > lo)) hi = lo + 1;
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const ticks = Array.from({ length: 6 }, (_, k) => lo + ((hi - lo) * k) / 5);
  const left = Math.max(m.l, 16 + Math.max(...ticks.map((v) => textWidth(v.toFixed(2), 2)))); // room for the widest value
  const x = (i: number) => left + (n <= 1 ? 0.5 : i / (n - 1)) * (W - left - m.r);
  const y = (v: number) => H - m.b - ((v - lo) / (hi - lo)) * (H - m.t - m.b);
  const grid: Rgb = [204, 204, 204];
  const ink: Rgb = [51, 51, 51];
  for (const v of ticks) {
    g.line(left, y(v), W - m.r, y(v), 1, grid);
    g.text(v.toFixed(2), left - 8, y(v) + GLYPH_HEIGHT / 2, ink, { align: 'right' });
  }
  const every = Math.max(1, Math.ceil(n / 20)); // at most 20 epoch labels
  for (let i = 0; i < n; i += every) g.text(String(i + 1), x(i), H - m.b + 22, ink, { align: 'center' });
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
