// The examples gallery (examples/*), each installed as an app from the packed
// tarball (packed-app.ts), compiled strictly, built with its own vite.config.ts
// and run in Chromium at the sizes its README documents for a quick run.
// examples/minimal runs in package.e2e.ts.
import assert from 'node:assert/strict';
import type { E2eContext, E2eTest } from './demo.e2e';
import { buildAndPreview, exampleFiles, installApp, packLibrary, tempFolder, typeCheck, waitFor, watchedPage, type WatchedPage } from './packed-app';

/** Build examples/<name> as an app, open it at `query` and run `drive` on the page. */
async function withExample(ctx: E2eContext, name: string, query: string, drive: (w: WatchedPage) => Promise<void>): Promise<void> {
  const tmp = tempFolder(`example-${name}`);
  try {
    const app = installApp(packLibrary(), tmp.dir, exampleFiles(name));
    typeCheck(app, ['main.ts']);
    const served = await buildAndPreview(app);
    const w = await watchedPage(ctx);
    try {
      await w.page.goto(served.url + query);
      await drive(w);
      await w.page.screenshot({ path: `${ctx.screenshotDir}/example-${name}.png`, fullPage: true });
      assert.deepEqual(w.errors, [], `examples/${name}: errors`);
    } finally {
      await w.close();
      await served.close();
    }
  } finally {
    tmp.remove();
  }
}

/** Distinct grey levels on a canvas: a blank or flat canvas has one or two. */
const canvasLevels = (w: WatchedPage, id: string) =>
  w.page.evaluate((id) => {
    const c = document.getElementById(id) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const levels = new Set<number>();
    for (let i = 0; i < d.length; i += 4) levels.add(d[i]);
    return { width: c.width, height: c.height, levels: levels.size };
  }, id);

interface DenoisingResult {
  trainCount: number;
  hiddenSize: number;
  evalLosses: number[];
  maskedError: number;
  reconstructionError: number;
}

interface Drawing {
  pixels: number[];
  code: number[];
  nearest: number[];
  point: [number, number];
}

export const tests: E2eTest[] = [
  {
    name: 'examples: denoising — trains on MNIST, draws filters and reconstructions of masked digits',
    async run(ctx) {
      await withExample(ctx, 'denoising', '?trainLimit=500&epochs=3&hidden=32', async (w) => {
        await waitFor(w, 'examples/denoising', () => w.page.evaluate(() => 'denoising' in window));
        const r = (await w.page.evaluate(() => (window as unknown as { denoising: unknown }).denoising)) as DenoisingResult;
        console.log(`    held-out loss ${r.evalLosses.map((l) => l.toFixed(1)).join(' → ')}; squared error to the clean digit: masked ${r.maskedError.toFixed(1)}, reconstructed ${r.reconstructionError.toFixed(1)}`);
        assert.equal(r.trainCount, 500);
        assert.equal(r.evalLosses.length, 3);
        assert.ok(r.evalLosses.every(Number.isFinite), `finite losses: ${r.evalLosses}`);
        // From a random start the summed cross-entropy falls steeply in the first epochs: any fall will do.
        assert.ok(r.evalLosses[2] < r.evalLosses[0], `the held-out loss fell: ${r.evalLosses}`);
        assert.ok(Number.isFinite(r.reconstructionError) && r.maskedError > 0, `errors ${r.maskedError}, ${r.reconstructionError}`);
        // 32 filters of 28×28 in 16 columns at scale 2; 3 rows of 12 digits at scale 3.
        const f = await canvasLevels(w, 'filters');
        const rec = await canvasLevels(w, 'reconstructions');
        assert.deepEqual([f.width, f.height], [(16 * 29 + 1) * 2, (2 * 29 + 1) * 2]);
        assert.deepEqual([rec.width, rec.height], [(12 * 29 + 1) * 3, (3 * 29 + 1) * 3]);
        // Normalised filters and grey digits use the whole range, not a flat fill.
        assert.ok(f.levels > 50 && rec.levels > 50, `grey levels: filters ${f.levels}, reconstructions ${rec.levels}`);
      });
    },
  },
  {
    name: 'examples: embedding — encodes digits drawn with the mouse',
    async run(ctx) {
      await withExample(ctx, 'embedding', '?trainLimit=500&epochs=3', async (w) => {
        const { page } = w;
        await waitFor(w, 'examples/embedding', () => page.evaluate(() => (window as unknown as { embedding: { ready: boolean } }).embedding.ready));
        const box = (await page.locator('#pad').boundingBox())!;
        const stroke = async (points: Array<[number, number]>) => {
          await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
          await page.mouse.down();
          for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
          await page.mouse.up();
        };
        const drawings = () => page.evaluate(() => (window as unknown as { embedding: { drawings: Drawing[] } }).embedding.drawings);

        // A "1": one vertical stroke; then, after clearing, a "0": a ring.
        await stroke([[140, 50], [140, 230]]);
        await waitFor(w, 'the first drawing', async () => (await drawings()).length === 1);
        await page.click('#clear');
        await stroke(Array.from({ length: 25 }, (_, i): [number, number] => [140 + 70 * Math.sin((i / 24) * 2 * Math.PI), 140 - 90 * Math.cos((i / 24) * 2 * Math.PI)]));
        await waitFor(w, 'the second drawing', async () => (await drawings()).length === 2);
        const [one, zero] = await drawings();
        console.log(`    nearest test digits: "1" → ${one.nearest.join(' ')}, "0" → ${zero.nearest.join(' ')}`);

        // What the model saw: the stroke scaled and centred like an MNIST digit.
        const inkColumns = (d: Drawing) => d.pixels.map((v, i) => [i % 28, v] as const).filter(([, v]) => v > 0.5).map(([c]) => c);
        const oneColumns = inkColumns(one);
        assert.ok(oneColumns.length > 20 && oneColumns.every((c) => c >= 10 && c <= 17), `the "1" is a centred vertical bar: columns ${[...new Set(oneColumns)]}`);
        const zeroColumns = inkColumns(zero);
        assert.ok(Math.min(...zeroColumns) <= 8 && Math.max(...zeroColumns) >= 19, `the "0" spans the digit box: columns ${Math.min(...zeroColumns)}..${Math.max(...zeroColumns)}`);
        assert.ok(zero.pixels[14 * 28 + 14] < 0.5, "the ring's centre stays empty (the pad was cleared)");

        for (const d of [one, zero]) {
          assert.equal(d.code.length, 16);
          assert.ok(d.code.every(Number.isFinite), `finite code ${d.code}`);
          assert.equal(d.nearest.length, 5);
          assert.ok(d.nearest.every((l) => Number.isInteger(l) && l >= 0 && l <= 9), `labels ${d.nearest}`);
          assert.ok(d.point.every((v) => v >= 0 && v <= 400), `the cross is inside the scatter: ${d.point}`);
        }
        // A centred bar and a ring are the easiest digits: even this small model
        // (500 digits, 3 epochs; 5 of 5 and 4 of 5 right when written) puts a
        // majority of the right digit among the 5 nearest.
        assert.ok(one.nearest.filter((l) => l === 1).length >= 3, `the "1" lands among 1s: ${one.nearest}`);
        assert.ok(zero.nearest.filter((l) => l === 0).length >= 3, `the "0" lands among 0s: ${zero.nearest}`);
        const distance = Math.hypot(...one.code.map((v, j) => v - zero.code[j]));
        assert.ok(distance > 1e-3, `a "1" and a "0" get different codes (distance ${distance})`);
        const text = await page.textContent('#result');
        assert.ok(text?.startsWith(`nearest test digits: ${zero.nearest.join(', ')}`), `the page shows the result: ${text}`);
      });
    },
  },
];
