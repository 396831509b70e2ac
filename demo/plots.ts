// Two small canvas charts: a line plot (loss against epochs, optionally log y)
// and a histogram. Both draw at the device's pixel ratio and redraw when their
// box is resized, so they stay sharp and readable from phone to desktop.

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
  /** Draw a dot at every point (sparse series such as held-out evaluations). */
  markers?: boolean;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
const AXIS = '#6b7280';
const GRID = '#e5e7eb';
const TEXT = '#1f2937';

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

/** Round steps: 1, 2, 5 × 10^k, about `count` of them across [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Ticks for a log axis: 1-2-5 per decade when they fit, else decades, else linear ticks. */
function logTicks(lo: number, hi: number): number[] {
  const seq: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) seq.push(v);
    }
  }
  if (seq.length > 8) return seq.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
  if (seq.length < 3) return niceTicks(lo, hi, 4).filter((v) => v > 0);
  return seq;
}

/** Short, readable numbers for axes and stats: 3 significant digits, no trailing zeros. */
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

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  if (a >= 100) return v.toFixed(0);
  return String(Number(v.toPrecision(3)));
}

export class LinePlot {
  private series: Series[] = [];
  private xMax = 1;
  logY = true;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly labels: { x: string; empty: string },
  ) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Replace the data; the x axis spans [0, xMax] (e.g. the run's epochs) so the curve grows to the right. */
  set(series: Series[], xMax: number): void {
    this.series = series;
    this.xMax = xMax > 0 ? xMax : 1;
    this.draw();
  }

  draw(): void {
    const { g, w, h } = fit(this.canvas);
    const m = { l: 52, r: 18, t: 10, b: 36 };
    // Legend (with each series' latest value) in rows above the plot, so it never hides a curve.
    const items = this.series
      .filter((s) => s.points.length > 0)
      .map((s) => ({ s, text: `${s.name}  ${formatNumber(s.points[s.points.length - 1][1])}` }));
    const placed: Array<{ s: Series; text: string; x: number; row: number }> = [];
    let x = m.l;
    let row = 0;
    for (const it of items) {
      const width = 26 + g.measureText(it.text).width + 18;
      if (x > m.l && x + width > w - m.r) {
        row++;
        x = m.l;
      }
      placed.push({ ...it, x, row });
      x += width;
    }
    if (placed.length > 0) m.t = 8 + (row + 1) * 18;
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    for (const p of placed) {
      const y = 8 + p.row * 18 + 7;
      g.strokeStyle = p.s.color;
      g.lineWidth = 2;
      g.setLineDash(p.s.dashed ? [5, 4] : []);
      g.beginPath();
      g.moveTo(p.x, y);
      g.lineTo(p.x + 20, y);
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = TEXT;
      g.fillText(p.text, p.x + 26, y);
    }
    const pw = w - m.l - m.r;
    const ph = h - m.t - m.b;
    if (pw < 20 || ph < 20) return;
    const ys = this.series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => Number.isFinite(v) && (!this.logY || v > 0));
    g.fillStyle = AXIS;
    if (ys.length === 0) {
      g.textAlign = 'center';
      g.fillText(this.labels.empty, m.l + pw / 2, m.t + ph / 2);
      return;
    }
    let lo = Math.min(...ys);
    let hi = Math.max(...ys);
    if (this.logY) {
      const pad = hi > lo ? (Math.log10(hi) - Math.log10(lo)) * 0.06 : 0.1;
      lo = 10 ** (Math.log10(lo) - pad);
      hi = 10 ** (Math.log10(hi) + pad);
    } else {
      const pad = hi > lo ? (hi - lo) * 0.06 : Math.abs(hi) * 0.1 + 1e-6;
      lo -= pad;
      hi += pad;
    }
    const tx = (x: number) => m.l + (x / this.xMax) * pw;
    const ty = this.logY
      ? (y: number) => m.t + ph - ((Math.log10(y) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph
      : (y: number) => m.t + ph - ((y - lo) / (hi - lo)) * ph;

    // Grid and axes.
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    drawYGrid(g, this.logY ? logTicks(lo, hi) : niceTicks(lo, hi), ty, m.l, pw, formatNumber);
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const xt = niceTicks(0, this.xMax, Math.max(2, Math.floor(pw / 70)));
    for (const v of xt) {
      const x = Math.round(tx(v)) + 0.5;
      g.strokeStyle = GRID;
      g.beginPath();
      g.moveTo(x, m.t);
      g.lineTo(x, m.t + ph);
      g.stroke();
      g.fillStyle = AXIS;
      g.fillText(formatNumber(v), x, m.t + ph + 5);
    }
    g.fillText(this.labels.x, m.l + pw / 2, m.t + ph + 20);
    g.strokeStyle = AXIS;
    g.strokeRect(m.l + 0.5, m.t + 0.5, pw, ph);

    // Series, clipped to the plot area.
    g.save();
    g.beginPath();
    g.rect(m.l, m.t, pw, ph);
    g.clip();
    for (const s of this.series) {
      const pts = s.points.filter((p) => Number.isFinite(p[1]) && (!this.logY || p[1] > 0));
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = 2;
      g.setLineDash(s.dashed ? [5, 4] : []);
      g.beginPath();
      pts.forEach(([x, y], i) => (i === 0 ? g.moveTo(tx(x), ty(y)) : g.lineTo(tx(x), ty(y))));
      g.stroke();
      g.setLineDash([]);
      if (s.markers || pts.length === 1) {
        for (const [x, y] of pts) {
          g.beginPath();
          g.arc(tx(x), ty(y), 3, 0, 2 * Math.PI);
          g.fill();
        }
      }
    }
    g.restore();

  }
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
