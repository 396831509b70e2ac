// Vite config of the benchmark page (`npm run build` → dist/bench/): bench/bench.html
// with the library compiled in (WGSL inlined), so `npx webgpu-autoencoders bench`
// runs from the installed package without Vite (cli/node/bench-page-server.mjs).
// TensorFlow.js stays out of the bundle: it is an optional peer dependency, so the
// page's imports of it are left to the browser, and an import map written into the
// page (cli/node/bench-check.mjs) sends them to the installed packages' ES module
// bundles. From a checkout the page runs from source through Vite's dev server.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { TFJS_IMPORT_MAP } from './cli/node/bench-check.mjs';

const TFJS_MODULES = Object.keys(TFJS_IMPORT_MAP.imports);

export default defineConfig({
  root: fileURLToPath(new URL('./bench', import.meta.url)),
  base: './',
  publicDir: false,
  cacheDir: fileURLToPath(new URL('./node_modules/.vite-bench-build', import.meta.url)),
  plugins: [
    {
      name: 'tfjs-import-map',
      transformIndexHtml: () => [{ tag: 'script', attrs: { type: 'importmap' }, children: JSON.stringify(TFJS_IMPORT_MAP), injectTo: 'head-prepend' }],
    },
  ],
  build: {
    outDir: fileURLToPath(new URL('./dist/bench', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    rollupOptions: { input: fileURLToPath(new URL('./bench/bench.html', import.meta.url)), external: TFJS_MODULES },
  },
});
