// The node runtime's PNG encoder (cli/node/png.mjs) and the loss curve drawn in
// TypeScript (cli/page/chart.ts), which both runtimes encode: decoded by the
// tests' own reader (tests/png.ts), pixel for pixel.
import { describe, expect, test } from 'vitest';
// @ts-expect-error plain ESM module of the command line
import { crc32, encodePng, pngDataUrl } from '../../cli/node/png.mjs';
import { CHART, lossAxes, lossCurve } from '../../cli/page/chart';
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from '../../cli/page/font';
import { decodePng } from '../png';
import { randomValues } from '../random';

describe('encodePng', () => {
  test('CRC-32 of the PNG spec: the check value of "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  test('random RGBA images of awkward sizes decode to the same bytes', () => {
    for (const [w, h] of [[1, 1], [3, 7], [129, 2], [17, 33]]) {
      const data = Uint8ClampedArray.from(randomValues(w * h * 4, w * 100 + h, 0, 256), Math.floor);
      const png = decodePng(encodePng({ width: w, height: h, data }));
      expect([png.width, png.height]).toEqual([w, h]);
      expect(Array.from(png.rgba)).toEqual(Array.from(data));
    }
  });

  test('a data URL like canvas.toDataURL', () => {
    const url: string = pngDataUrl({ width: 2, height: 1, data: new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 255, 128]) });
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(Array.from(decodePng(Buffer.from(url.split(',')[1], 'base64')).rgba)).toEqual([255, 0, 0, 255, 0, 0, 255, 128]);
  });

  test('a wrong size is refused naming it', () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8Array(15) })).toThrow(/a 2×2 RGBA image needs 16 bytes, got 15/);
    expect(() => encodePng({ width: 0, height: 2, data: new Uint8Array(0) })).toThrow(/width and height must be positive integers, got 0×2/);
  });
});

describe('lossCurve', () => {
  const count = (img: { data: ArrayLike<number> }, [r, g, b]: number[]) => {
    let n = 0;
    for (let k = 0; k < img.data.length; k += 4) if (img.data[k] === r && img.data[k + 1] === g && img.data[k + 2] === b) n++;
    return n;
  };

  test('720×420, white, opaque, with each series in its colour and the text in dark grey', () => {
    const img = lossCurve(
      [
        { name: 'training (all terms)', color: '#1f77b4', values: [545.2, 540.1, 538.7] },
        { name: 'held-out reconstruction', color: '#d62728', values: [544, NaN, 539] },
      ],
      'loss per sample (bce) — 784–16–784',
    );
    expect([img.width, img.height]).toEqual([CHART.width, CHART.height]);
    expect(img.data.length).toBe(720 * 420 * 4);
    expect(img.data.every((v, k) => k % 4 !== 3 || v === 255)).toBe(true);
    expect(Array.from(img.data.subarray(0, 4))).toEqual([255, 255, 255, 255]);
    // Three dots of radius 4 (≈ 49 pixels each) and the legend at least, per series.
    expect(count(img, [0x1f, 0x77, 0xb4])).toBeGreaterThan(150);
    expect(count(img, [0xd6, 0x27, 0x28])).toBeGreaterThan(100);
    expect(count(img, [51, 51, 51])).toBeGreaterThan(500); // axis values, epochs and title
  });

  test('one epoch, or no finite value, still draws', () => {
    expect(lossCurve([{ name: 'a', color: '#000000', values: [3] }], 't').width).toBe(720);
    expect(lossCurve([{ name: 'a', color: '#000000', values: [NaN] }], 't').height).toBe(420);
  });

  test('round axis values: a 1, 2 or 5 × 10^k step, labelled without needless digits, covering every value', () => {
    // The main job's losses of 2026-12-04 (3 epochs, 64 units), whose old axis read 447.18, 398.22, …
    const cases: Array<{ values: number[]; n: number; step: number; labels?: string[] }> = [
      { values: [433.1, 257.2, 224.1, 307.5, 235.4, 219.3], n: 3, step: 50, labels: ['200', '250', '300', '350', '400', '450'] },
      { values: [545.2, 540.1, 538.7, 544, NaN, 539], n: 3, step: 1 },
      { values: [0.0123, 0.0108, 0.0101], n: 3, step: 0.0005 },
      { values: [3], n: 1, step: 0.2 },
      { values: [NaN], n: 1, step: 0.2 },
      { values: [-2.5, 4], n: 2, step: 1 },
    ];
    for (const { values, n, step, labels } of cases) {
      const a = lossAxes(values, n);
      // ticks(6) is approximate: with 1, 2, 5 steps about half to one and a half times six.
      expect(a.ticks.length, `${values}`).toBeGreaterThanOrEqual(3);
      expect(a.ticks.length, `${values}`).toBeLessThanOrEqual(10);
      for (let k = 1; k < a.ticks.length; k++) expect(a.ticks[k] - a.ticks[k - 1]).toBeCloseTo(step, 12);
      for (const v of a.ticks) expect(Math.abs(v / step - Math.round(v / step))).toBeLessThan(1e-9);
      // A label is its value, with as many decimals as the step has and no more.
      const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
      a.ticks.forEach((v, k) => expect(a.labels[k].replace('−', '-')).toBe(v.toFixed(decimals)));
      if (labels) expect(a.labels).toEqual(labels);
      for (const v of values.filter(Number.isFinite)) {
        expect(v).toBeGreaterThan(a.domain[0]);
        expect(v).toBeLessThan(a.domain[1]);
      }
    }
  });

  test('epoch labels are integers from 1 to n, at most about a dozen, round beyond that', () => {
    const epochs = (n: number) => lossAxes([1, 2], n).epochs;
    expect(epochs(1)).toEqual([1]);
    expect(epochs(2)).toEqual([1, 2]);
    expect(epochs(3)).toEqual([1, 2, 3]);
    expect(epochs(10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(epochs(50)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    expect(epochs(200)).toEqual([20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
  });

  test('the font: 5×8 glyphs, dashes drawn as "-", unknown characters as "?"', () => {
    expect(ADVANCE).toBe(GLYPH_WIDTH + 1);
    for (const c of 'aZ09.()–') expect(glyph(c).map((r) => r.length)).toEqual(Array(GLYPH_HEIGHT).fill(GLYPH_WIDTH));
    expect(glyph('–')).toEqual(glyph('-'));
    expect(glyph('€')).toEqual(glyph('?'));
    expect(glyph('g')[7].some(Boolean)).toBe(true); // a descender
  });
});
