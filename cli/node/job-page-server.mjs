// Where the job page (cli/page/job.html) and the job's files are served from.
//
// - The installed package: the page built at build time into dist/cli/
//   (vite.cli.config.ts, run by `npm run build`), served by static-server.mjs.
//   No Vite at run time.
// - A checkout (cli/page/ is there): the page's TypeScript sources through Vite's
//   dev server, as the demo's tests do. An edit to src/ or cli/page/ is what the
//   next command runs, and `npm test` needs no build before the CLI tests (the
//   page builds in under a second, but a forgotten rebuild would test stale code).
//
// Either way the job's files (the user's IDX and safetensors files, the bundled
// MNIST) are answered at /@cli-file/<name> straight from disk, only the names the
// job registered (fileRefs in run-job.mjs).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';
import { startViteServer } from './headless.mjs';

const SOURCE_PAGE = fileURLToPath(new URL('../page/job.html', import.meta.url));
const BUILT_DIR = fileURLToPath(new URL('../../dist/cli/', import.meta.url));

/** The URL prefix of the job's files. */
export const FILE_PREFIX = '/@cli-file/';

/**
 * Connect-style handler of /@cli-file/<name> (any other URL: next()).
 * @param {Record<string, string>} files name → absolute path
 */
export function jobFileHandler(files) {
  return (req, res, next) => {
    const url = (req.url ?? '').split('?')[0];
    if (!url.startsWith(FILE_PREFIX)) return next();
    const name = url.slice(FILE_PREFIX.length);
    const path = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!path) {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(path).size));
    createReadStream(path).pipe(res);
  };
}

/** 'source' in a checkout, 'built' in the installed package. */
export function jobPageKind() {
  return existsSync(SOURCE_PAGE) ? 'source' : 'built';
}

/**
 * Start the server of one job: its page and its files.
 * @param {Record<string, string>} files name → absolute path
 * @returns {{ pagePath: string, serve: () => Promise<import('./headless.mjs').PageServer> }}
 */
export function jobPageServer(files) {
  const handler = jobFileHandler(files);
  if (jobPageKind() === 'source') {
    const pagePath = 'cli/page/job.html';
    const plugin = { name: 'cli-files', configureServer: (server) => void server.middlewares.use(handler) };
    return { pagePath, serve: () => startViteServer(pagePath, { plugins: [plugin] }) };
  }
  if (!existsSync(`${BUILT_DIR}job.html`)) {
    throw new Error(`the job page ${BUILT_DIR}job.html is missing: this package was packed without \`npm run build\``);
  }
  return { pagePath: 'job.html', serve: () => startStaticServer({ root: BUILT_DIR, handlers: [handler] }) };
}
