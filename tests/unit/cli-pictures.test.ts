// The node runtime's PNG encoder (cli/node/png.mjs) and the loss curve drawn in
// TypeScript (cli/page/chart.ts), which both runtimes encode: decoded by the
// tests' own reader (tests/png.ts), pixel for pixel.
import { describe, expect, test } from 'vitest';
// @ts-expect-error plain ESM module of the command line
import { crc32, encodePng, pngDataUrl } from '../../cli/node/png.mjs';
import { CHART, lossCurve } from '../../cli/page/chart';
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

  test('the font: 5×8 glyphs, dashes drawn as "-", unknown characters as "?"', () => {
    expect(ADVANCE).toBe(GLYPH_WIDTH + 1);
    for (const c of 'aZ09.()–') expect(glyph(c).map((r) => r.length)).toEqual(Array(GLYPH_HEIGHT).fill(GLYPH_WIDTH));
    expect(glyph('–')).toEqual(glyph('-'));
    expect(glyph('€')).toEqual(glyph('?'));
    expect(glyph('g')[7].some(Boolean)).toBe(true); // a descender
  });
});
