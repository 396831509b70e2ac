// A small static file server on 127.0.0.1 (node:http): the built job page
// (dist/cli) for the installed package, which has no Vite. Requests go first
// through the given connect-style handlers (the job's files, see
// job-page-server.mjs), then to the files under `root`; nothing outside `root`
// is reachable.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** @typedef {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => void} Handler */

/**
 * Serve `root` on a free port of 127.0.0.1.
 * @param {{ root: string, handlers?: Handler[] }} opts
 * @returns {Promise<{ origin: string, close: () => Promise<void> }>}
 */
export async function startStaticServer({ root, handlers = [] }) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const chain = [...handlers, (rq, rs) => serveFile(base, rq, rs)];
    const next = (i) => () => chain[i](req, res, next(i + 1));
    try {
      next(0)();
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e?.message ?? e));
    }
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('static server: no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}

function serveFile(base, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return void ((res.statusCode = 405), res.end());
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return void ((res.statusCode = 400), res.end());
  }
  const file = resolve(base, '.' + (path.endsWith('/') ? `${path}index.html` : path));
  let size;
  try {
    if (!file.startsWith(base + sep)) throw new Error('outside the root');
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    return void ((res.statusCode = 404), res.end());
  }
  res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
  res.setHeader('Content-Length', String(size));
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}
