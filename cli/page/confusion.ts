// confusion.png of train/finetune/eval: a classifier's confusion matrix as a grid
// of C × C cells (rows: true class, columns: predicted class), each cell shaded
// in proportion to its count over its row's total (white 0 → dark blue 1), with
// the count written in it. Drawn into an RgbaImage in plain TypeScript like
// loss.png (chart.ts): the same pixels in the browser and in Node.
import type { RgbaImage } from '../../src/index';
import { Raster, textWidth, type Rgb } from './chart';

/** Pixels of one cell, and the margins for the class labels and the title. */
export const CONFUSION = { cell: 40, margin: { l: 60, t: 70, r: 20, b: 20 } } as const;

const DARK: Rgb = [8, 48, 107];
const INK: Rgb = [51, 51, 51];

/** The shade of a row-normalised fraction f in [0, 1]: white to dark blue. */
export function shade(f: number): Rgb {
  const t = Math.min(1, Math.max(0, f));
  return [Math.round(255 + (DARK[0] - 255) * t), Math.round(255 + (DARK[1] - 255) * t), Math.round(255 + (DARK[2] - 255) * t)];
}

/** The cell's top-left pixel of row r (true class), column c (predicted). */
export function cellOrigin(r: number, c: number): { x: number; y: number } {
  return { x: CONFUSION.margin.l + c * CONFUSION.cell, y: CONFUSION.margin.t + r * CONFUSION.cell };
}

/** confusion[true][predicted] counts → the picture. */
export function confusionImage(confusion: number[][]): RgbaImage {
  const C = confusion.length;
  const { cell, margin: m } = CONFUSION;
  const W = m.l + C * cell + m.r;
  const H = m.t + C * cell + m.b;
  const title = 'confusion (row: true, column: predicted)';
  const g = new Raster(Math.max(W, textWidth(title, 2) + 24), H, [255, 255, 255]);
  g.text(title, g.width / 2, 22, INK, { align: 'center', bold: true });
  for (let r = 0; r < C; r++) {
    const total = confusion[r].reduce((a, b) => a + b, 0);
    for (let c = 0; c < C; c++) {
      const { x, y } = cellOrigin(r, c);
      const f = total > 0 ? confusion[r][c] / total : 0;
      g.fillRect(x, y, cell, cell, shade(f));
      const label = String(confusion[r][c]);
      const scale = textWidth(label, 2) <= cell - 6 ? 2 : 1;
      if (confusion[r][c] > 0) g.text(label, x + cell / 2, y + cell / 2 + 3.5 * scale, f > 0.5 ? [255, 255, 255] : INK, { align: 'center', scale });
    }
    g.text(String(r), m.l - 10, cellOrigin(r, 0).y + cell / 2 + 7, INK, { align: 'right' });
  }
  for (let c = 0; c < C; c++) g.text(String(c), cellOrigin(0, c).x + cell / 2, m.t - 10, INK, { align: 'center' });
  // Grid lines between the cells.
  const line: Rgb = [200, 200, 200];
  for (let k = 0; k <= C; k++) {
    g.line(m.l, m.t + k * cell, m.l + C * cell, m.t + k * cell, 1, line);
    g.line(m.l + k * cell, m.t, m.l + k * cell, m.t + C * cell, 1, line);
  }
  return g.image();
}
