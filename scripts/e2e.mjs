// End-to-end tests: build the demo (vite build → dist/demo), serve the build
// with `vite preview`, and run every tests/e2e/*.e2e.ts (the demo's tests, and
// the tests of the packed library in temporary apps — package, docs, examples —
// which build, pack and install it themselves, see tests/e2e/packed-app.ts) with plain
// Playwright and node:assert in the system Chromium (WebGPU on SwiftShader unless
// WEBGPU_ADAPTER=hardware). Screenshots go to test-results/e2e/.
//
//   node scripts/e2e.mjs            all tests
//   node scripts/e2e.mjs plain      only tests whose name contains "plain"
//                                   (a filter that matches no test fails, listing the names)
//
// Last line: "N passed, N failed"; exit code 1 if any failed.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, preview, runnerImport } from 'vite';
import { chromiumArgs } from '../cli/node/browser-flags.mjs';
import { launchChromium } from '../cli/node/chromium.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = `${ROOT}vite.config.ts`;
const SCREENSHOTS = `${ROOT}test-results/e2e`;
const TEST_TIMEOUT_MS = 120_000;
const filter = process.argv[2] ?? '';

process.chdir(ROOT);
mkdirSync(SCREENSHOTS, { recursive: true });
const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);

/** For .ci/run's combined closing line. */
function writeCounts(passed, failed) {
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/e2e.json', JSON.stringify({ passed, failed }));
}

/** @type {Array<{ name: string, run: (ctx: object) => Promise<void> }>} */
const allTests = [];
for (const file of readdirSync(`${ROOT}tests/e2e`).filter((f) => f.endsWith('.e2e.ts')).sort()) {
  const { module } = await runnerImport(`${ROOT}tests/e2e/${file}`);
  allTests.push(...module.tests);
}
const tests = allTests.filter((t) => t.name.includes(filter));
// A filter that matches nothing is a mistake (a typo, a renamed test), not a pass.
if (tests.length === 0) {
  console.log(`e2e: no test name contains "${filter}". The tests are:\n${allTests.map((t) => `  ${t.name}`).join('\n')}`);
  writeCounts(0, 1);
  process.exit(1);
}

await build({ configFile: CONFIG, logLevel: 'warn' });
const server = await preview({ configFile: CONFIG, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
const address = server.httpServer.address();
if (!address || typeof address === 'string') throw new Error('e2e: the preview server has no TCP address');
const url = `http://127.0.0.1:${address.port}/`;
console.log(`e2e: demo built and served at ${url} (${seconds()} s)`);

/** @type {Map<boolean, Promise<import('playwright-core').Browser>>} */
const browsers = new Map();
function browser(webgpu) {
  if (!browsers.has(webgpu)) {
    // Without WebGPU: none of its flags, and the feature switched off.
    const args = webgpu ? chromiumArgs() : [...chromiumArgs().filter((a) => !/webgpu/i.test(a)), '--disable-features=WebGPU'];
    browsers.set(webgpu, launchChromium({ args }));
  }
  return browsers.get(webgpu);
}

async function closeAll() {
  for (const b of browsers.values()) await (await b.catch(() => undefined))?.close().catch(() => {});
  await server.close().catch(() => {});
}
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => closeAll().finally(() => process.exit(130)));

let passed = 0;
let failed = 0;
try {
  const ctx = { url, browser, screenshotDir: SCREENSHOTS };
  for (const t of tests) {
    const start = performance.now();
    let timer;
    const limit = t.timeoutMs ?? TEST_TIMEOUT_MS;
    try {
      await Promise.race([
        t.run(ctx),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${limit / 1000} s`)), limit))),
      ]);
      passed++;
      console.log(`✓ ${t.name} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`✗ ${t.name} (${((performance.now() - start) / 1000).toFixed(1)} s)\n    ${String(e?.stack ?? e).split('\n').join('\n    ')}`);
    } finally {
      clearTimeout(timer);
    }
  }
} catch (e) {
  failed++;
  console.log(`✗ e2e set-up: ${e?.stack ?? e}`);
} finally {
  await closeAll();
}
console.log(`screenshots: ${SCREENSHOTS} · total ${seconds()} s`);
console.log(`${passed} passed, ${failed} failed`);
writeCounts(passed, failed);
process.exit(failed > 0 ? 1 : 0);
