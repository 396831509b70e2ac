// The loss plot (loss against epochs, optionally log y), drawn by uPlot: a
// small, fast canvas chart library that gives axes, a legend with a cursor
// read-out, dashes and markers. This file maps the demo's series (each with its
// own x values) onto uPlot's aligned columns and picks round ticks for a log axis
// that spans less than a decade (uPlot's own would snap it to 100…1000).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber, niceTicks } from './plots';

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
  /** Draw a dot at every point (sparse series such as held-out evaluations). */
  markers?: boolean;
}

/** Ticks for a log axis: 1-2-5 per decade when they fit, else decades, else linear ticks. */
export function logTicks(lo: number, hi: number): number[] {
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

/** The y range of a log axis: the data's, padded by 6% of its decades on each side. */
function logRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !(min > 0) || !(max > 0)) return [1, 10];
  const pad = max > min ? (Math.log10(max) - Math.log10(min)) * 0.06 : 0.1;
  return [10 ** (Math.log10(min) - pad), 10 ** (Math.log10(max) + pad)];
}

/** The plot's height in CSS pixels: the box's --plot-height (style.css sets it per screen size). */
function plotHeight(box: HTMLElement): number {
  return parseFloat(getComputedStyle(box).getPropertyValue('--plot-height')) || 280;
}

export class LinePlot {
  private chart?: uPlot;
  private series: Series[] = [];
  private xMax = 1;
  /** What the chart was built for (series look and the log flag); data alone changes through setData. */
  private built = '';
  private readonly emptyNote: HTMLElement;
  logY = true;

  constructor(
    private readonly box: HTMLElement,
    private readonly labels: { x: string; empty: string },
  ) {
    this.emptyNote = document.createElement('p');
    this.emptyNote.className = 'plot-empty';
    this.emptyNote.textContent = labels.empty;
    box.append(this.emptyNote);
    new ResizeObserver(() => this.chart?.setSize(this.size())).observe(box);
  }

  /** Replace the data; the x axis spans [0, xMax] (e.g. the run's epochs) so the curve grows to the right. */
  set(series: Series[], xMax: number): void {
    this.series = series;
    this.xMax = xMax > 0 ? xMax : 1;
    this.draw();
  }

  draw(): void {
    const look = JSON.stringify([this.logY, this.series.map((s) => [s.name, s.color, s.dashed, s.markers])]);
    const data = this.columns();
    if (!this.chart || look !== this.built) {
      this.chart?.destroy();
      this.chart = new uPlot(this.options(), data, this.box);
      this.built = look;
    } else {
      this.chart.setData(data);
    }
    this.emptyNote.hidden = this.series.some((s) => s.points.some(([, y]) => this.shown(y)));
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(100, this.box.clientWidth), height: plotHeight(this.box) };
  }

  /** Values a log axis cannot show (≤ 0) and non-finite ones become gaps. */
  private shown(y: number): boolean {
    return Number.isFinite(y) && (!this.logY || y > 0);
  }

  /** uPlot's aligned data: the sorted union of every series' x, and each series' y there (null where it has none). */
  private columns(): uPlot.AlignedData {
    const xs = [...new Set(this.series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const ys = this.series.map((s) => {
      const col: Array<number | null> = new Array(xs.length).fill(null);
      for (const [x, y] of s.points) if (this.shown(y)) col[at.get(x)!] = y;
      return col;
    });
    return [xs, ...ys];
  }

  private options(): uPlot.Options {
    // Of the series set last (set() may hand in new arrays without rebuilding the chart).
    const latest = (sidx: number) => {
      const last = (this.series[sidx - 1]?.points ?? []).filter(([, y]) => this.shown(y)).at(-1);
      return last ? formatNumber(last[1]) : '–';
    };
    return {
      ...this.size(),
      // Each legend entry shows the value under the cursor, or the series' latest value.
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: () => [0, this.xMax] },
        y: this.logY ? { distr: 3, log: 10, range: (_u, min, max) => logRange(min, max) } : { auto: true },
      },
      axes: [
        { label: this.labels.x, values: (_u, splits) => splits.map(formatNumber) },
        {
          size: 56,
          ...(this.logY ? { splits: (u: uPlot) => logTicks(u.scales.y.min!, u.scales.y.max!) } : {}),
          values: (_u, splits) => splits.map(formatNumber),
        },
      ],
      series: [
        { label: this.labels.x, value: (_u, v) => (v == null ? '–' : formatNumber(v)) },
        ...this.series.map(
          (s, i): uPlot.Series => ({
            label: s.name,
            stroke: s.color,
            width: 2,
            dash: s.dashed ? [5, 4] : undefined,
            spanGaps: true, // the union of x values leaves gaps in every series
            // Markers for sparse series; a dense curve gets a dot only while it is a single point.
            points: { show: s.markers ? true : () => (this.series[i]?.points ?? []).filter(([, y]) => this.shown(y)).length === 1, size: 7, fill: s.color, stroke: s.color },
            value: (_u, v, sidx, idx) => (idx == null ? latest(sidx) : v == null ? '–' : formatNumber(v)),
          }),
        ),
      ],
    };
  }
}
