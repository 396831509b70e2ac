// The histogram of hidden activations, hand-drawn on a canvas at the device's
// pixel ratio (redrawn when its box is resized), and the round ticks and short
// numbers both plots use. The loss plot is uPlot (line-plot.ts); the histogram
// stays here: fixed-range bins with a labelled marker (ρ) are a few lines of
// canvas, while uPlot's bars need a path plugin and a draw hook for the marker.
import { scaleLinear } from 'd3-scale';

const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
const AXIS = '#6b7280';
const GRID = '#e5e7eb';

/** Size the canvas's backing store to its CSS box × devicePixelRatio; returns the CSS size. */
function fit(canvas: HTMLCanvasElement): { g: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth);
  const h = Math.max(1, canvas.clientHeight);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = FONT;
  return { g, w, h };
}

/** Round values (1, 2 or 5 × 10^k apart), about `count` of them across [lo, hi]: d3-scale's, as in the command line's loss.png. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  return hi > lo ? scaleLinear().domain([lo, hi]).ticks(count) : [lo];
}

/** Horizontal grid lines at `ticks` across [left, left + width], labelled to their left. */
function drawYGrid(g: CanvasRenderingContext2D, ticks: number[], ty: (v: number) => number, left: number, width: number, label: (v: number) => string): void {
  for (const v of ticks) {
    const y = Math.round(ty(v)) + 0.5;
    g.strokeStyle = GRID;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(left + width, y);
    g.stroke();
    g.fillStyle = AXIS;
    g.fillText(label(v), left - 6, y);
  }
}

/** Short, readable numbers for axes and stats: 3 significant digits, no trailing zeros. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  if (a >= 100) return v.toFixed(0);
  return String(Number(v.toPrecision(3)));
}

export interface HistogramData {
  counts: number[];
  lo: number;
  hi: number;
  /** A vertical marker (e.g. the sparsity target ρ). */
  marker?: { x: number; label: string };
}

export class Histogram {
  private data?: HistogramData;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly labels: { x: string; empty: string },
  ) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(data: HistogramData): void {
    this.data = data;
    this.draw();
  }

  draw(): void {
    const { g, w, h } = fit(this.canvas);
    const m = { l: 40, r: 12, t: 12, b: 36 };
    const pw = w - m.l - m.r;
    const ph = h - m.t - m.b;
    if (pw < 20 || ph < 20) return;
    const d = this.data;
    if (!d) {
      g.fillStyle = AXIS;
      g.textAlign = 'center';
      g.fillText(this.labels.empty, m.l + pw / 2, m.t + ph / 2);
      return;
    }
    const top = Math.max(1, ...d.counts);
    const tx = (x: number) => m.l + ((x - d.lo) / (d.hi - d.lo)) * pw;
    const ty = (c: number) => m.t + ph - (c / top) * ph;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    drawYGrid(g, niceTicks(0, top, 4).filter((v) => Number.isInteger(v)), ty, m.l, pw, String);
    const bw = pw / d.counts.length;
    g.fillStyle = '#0d9488';
    d.counts.forEach((c, i) => {
      if (c > 0) g.fillRect(m.l + i * bw + 1, ty(c), Math.max(1, bw - 2), m.t + ph - ty(c));
    });
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const v of niceTicks(d.lo, d.hi, Math.max(2, Math.floor(pw / 60)))) {
      g.fillStyle = AXIS;
      g.fillText(formatNumber(v), tx(v), m.t + ph + 5);
    }
    g.fillText(this.labels.x, m.l + pw / 2, m.t + ph + 20);
    g.strokeStyle = AXIS;
    g.strokeRect(m.l + 0.5, m.t + 0.5, pw, ph);
    if (d.marker && d.marker.x >= d.lo && d.marker.x <= d.hi) {
      const x = Math.round(tx(d.marker.x)) + 0.5;
      g.strokeStyle = '#dc2626';
      g.setLineDash([4, 3]);
      g.beginPath();
      g.moveTo(x, m.t);
      g.lineTo(x, m.t + ph);
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = '#dc2626';
      g.textAlign = x > m.l + pw - 60 ? 'right' : 'left';
      g.textBaseline = 'top';
      g.fillText(d.marker.label, x + (g.textAlign === 'right' ? -4 : 4), m.t + 4);
    }
  }
}
