// Pictures of a job as PNG data URLs (drawn on a canvas in the page): the loss
// curve, digits over their reconstructions, the hidden units' filters.
import { filters, interleaveRows, tileGrid, type RgbaImage } from '../../src/index';

export function png(img: RgbaImage): string {
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
  return canvas.toDataURL('image/png');
}

/** A plain line chart of loss per epoch (training and held-out). */
export function lossCurve(series: Array<{ name: string; color: string; values: number[] }>, title: string): string {
  const W = 720;
  const H = 420;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(...series.map((s) => s.values.length));
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) hi = lo + 1;
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const x = (i: number) => m.l + (n <= 1 ? 0.5 : i / (n - 1)) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - ((v - lo) / (hi - lo)) * (H - m.t - m.b);
  g.strokeStyle = '#ccc';
  g.fillStyle = '#333';
  g.font = '13px sans-serif';
  g.textAlign = 'right';
  for (let k = 0; k <= 5; k++) {
    const v = lo + ((hi - lo) * k) / 5;
    g.beginPath();
    g.moveTo(m.l, y(v));
    g.lineTo(W - m.r, y(v));
    g.stroke();
    g.fillText(v.toFixed(2), m.l - 8, y(v) + 4);
  }
  g.textAlign = 'center';
  for (let i = 0; i < n; i++) g.fillText(String(i + 1), x(i), H - m.b + 20);
  g.fillText('epoch', (m.l + W - m.r) / 2, H - 12);
  g.font = 'bold 15px sans-serif';
  g.fillText(title, W / 2, 24);
  series.forEach((s, si) => {
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = 2.5;
    g.beginPath();
    s.values.forEach((v, i) => (i === 0 ? g.moveTo(x(i), y(v)) : g.lineTo(x(i), y(v))));
    g.stroke();
    s.values.forEach((v, i) => {
      g.beginPath();
      g.arc(x(i), y(v), 4, 0, 2 * Math.PI);
      g.fill();
    });
    g.font = '13px sans-serif';
    g.textAlign = 'left';
    g.fillRect(W - m.r - 170, m.t + 8 + si * 20, 14, 4);
    g.fillText(s.name, W - m.r - 150, m.t + 14 + si * 20);
  });
  return canvas.toDataURL('image/png');
}

/** How many samples to show in reconstructionsPng: up to 64, a whole number of rows of 16. */
export function shownSamples(available: number): number {
  return available >= 16 ? Math.min(64, Math.floor(available / 16) * 16) : available;
}

/** `count` originals (values in [0, 1]) in rows of 16, each row followed by its reconstructions. */
export function reconstructionsPng(originals: Float32Array, recon: Float32Array, count: number, rows: number, cols: number): string {
  const columns = Math.min(16, count);
  return png(tileGrid(interleaveRows([originals, recon], count, rows * cols, columns), 2 * count, cols, rows, { columns, scale: 2 }));
}

/** The first (up to) 100 hidden units' maximally-activating inputs W_l/‖W_l‖, each scaled to its own range. */
export function filtersPng(weight: Float32Array, hidden: number, rows: number, cols: number): string {
  const shown = Math.min(hidden, 100);
  return png(tileGrid(filters(weight, hidden, rows * cols), shown, cols, rows, { columns: 10, normalizeEach: true, scale: 2 }));
}

/** `count` generated images (values in [0, 1]) in rows of 16. */
export function samplesPng(images: Float32Array, count: number, rows: number, cols: number): string {
  return png(tileGrid(images, count, cols, rows, { columns: Math.min(16, count), scale: 2 }));
}
