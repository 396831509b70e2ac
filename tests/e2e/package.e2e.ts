// The library as an installed package: `npm run build`, `npm pack`, the tarball
// unpacked into node_modules of a temporary app outside the repo (so the only way
// to reach the library is its package.json `exports`), a strict TypeScript check
// of a consumer against the emitted .d.ts, then examples/minimal bundled by Vite
// from that node_modules and run in headless Chromium: its own GPUDevice, a few
// epochs of training, codes as a Float32Array and as a GPUBuffer.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import type { E2eContext, E2eTest } from './demo.e2e';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface MinimalResult {
  lossBefore: number;
  lossAfter: number;
  lossFloor: number;
  epochLosses: number[];
  codesShape: [number, number];
  codes: number[];
  codesFromBuffer: number[];
}

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
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
      const tmp = mkdtempSync(join(tmpdir(), 'webgpu-autoencoders-package-'));
      let server: Awaited<ReturnType<typeof preview>> | undefined;
      try {
        run('npm', ['run', '--silent', 'build'], ROOT);
        const packed = JSON.parse(run('npm', ['pack', '--silent', '--json', '--ignore-scripts', '--pack-destination', tmp], ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
        const shipped = packed[0].files.map((f) => f.path);
        assert.ok(shipped.includes('dist/lib/index.js') && shipped.includes('dist/lib/index.d.ts'), `the tarball lacks the bundle: ${shipped.join(', ')}`);
        const strays = shipped.filter((p) => /^(src|cli|demo|scripts|tests|shaders|bench|examples)\//.test(p));
        assert.deepEqual(strays, [], 'the tarball ships sources, the command line, the demo or tests');
        lap(`built and packed ${packed[0].filename} (${shipped.length} files)`);

        // Install: unpack into the app's node_modules, as npm does; the declared
        // dependency (@webgpu/types, types only) is linked from the repo's install.
        const app = join(tmp, 'app');
        const pkgDir = join(app, 'node_modules', 'webgpu-autoencoders');
        mkdirSync(pkgDir, { recursive: true });
        run('tar', ['-xzf', join(tmp, packed[0].filename), '-C', pkgDir, '--strip-components=1'], tmp);
        const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
        assert.deepEqual(Object.keys(pkg.dependencies ?? {}), ['@webgpu/types'], 'runtime dependencies of the package');
        mkdirSync(join(app, 'node_modules', '@webgpu'), { recursive: true });
        symlinkSync(join(ROOT, 'node_modules', '@webgpu', 'types'), join(app, 'node_modules', '@webgpu', 'types'), 'dir');
        for (const f of ['index.html', 'main.ts']) copyFileSync(join(ROOT, 'examples', 'minimal', f), join(app, f));
        writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'minimal-app', private: true, type: 'module', dependencies: { 'webgpu-autoencoders': `file:${packed[0].filename}` } }));

        // A strict consumer compile against the emitted .d.ts only (no skipLibCheck, no ambient types).
        writeFileSync(join(app, 'types-check.ts'), CONSUMER_TYPES);
        writeFileSync(
          join(app, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: false, types: [] },
            include: ['main.ts', 'types-check.ts'],
          }),
        );
        run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app);
        lap('the example and a type-level consumer compile against the package');

        await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir: 'dist', target: 'es2022' } });
        const assets = join(app, 'dist', 'assets');
        const bundled = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
        assert.match(bundled, /@compute/, 'the app bundle carries the inlined WGSL');
        server = await preview({ root: app, configFile: false, logLevel: 'warn', build: { outDir: 'dist' }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
        const address = server.httpServer.address();
        if (!address || typeof address === 'string') throw new Error('package test: the preview server has no TCP address');
        lap('bundled by Vite and served');

        const page = await (await ctx.browser(true)).newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
        try {
          await page.goto(`http://127.0.0.1:${address.port}/`);
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
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  },
];
