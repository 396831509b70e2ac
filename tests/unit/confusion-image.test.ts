// confusion.png (cli/page/confusion.ts): each cell shaded by its count over its
// row's total, on awkward matrices (3 × 3 with an empty row, 12 × 12 with wide counts).
import { describe, expect, test } from 'vitest';
import { CONFUSION, cellOrigin, confusionImage, shade } from '../../cli/page/confusion';

function pixel(img: { width: number; data: Uint8ClampedArray }, x: number, y: number): number[] {
  const k = (y * img.width + x) * 4;
  return Array.from(img.data.subarray(k, k + 4));
}

describe('confusionImage', () => {
  test('shade ∝ row-normalised count, white for an empty row, the size from the class count', () => {
    const cases = [
      [[5, 0, 1], [0, 0, 0], [2, 2, 4]],
      Array.from({ length: 12 }, (_, r) => Array.from({ length: 12 }, (_, c) => (r === c ? 1000 + r : (r * 7 + c * 3) % 5))),
    ];
    for (const m of cases) {
      const C = m.length;
      const img = confusionImage(m);
      expect(img.height).toBe(CONFUSION.margin.t + C * CONFUSION.cell + CONFUSION.margin.b);
      expect(img.width).toBeGreaterThanOrEqual(CONFUSION.margin.l + C * CONFUSION.cell + CONFUSION.margin.r);
      m.forEach((row, r) => {
        const total = row.reduce((a, b) => a + b, 0);
        row.forEach((v, c) => {
          const { x, y } = cellOrigin(r, c);
          expect(pixel(img, x + 2, y + 2), `cell ${r},${c}`).toEqual([...shade(total > 0 ? v / total : 0), 255]);
        });
      });
    }
    expect(shade(0)).toEqual([255, 255, 255]);
    expect(shade(1)).toEqual([8, 48, 107]);
    expect(shade(0.5)[0]).toBeLessThan(255);
  });
});
