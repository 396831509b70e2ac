// Vite config of the command line's job page (`npm run build` → dist/cli/): the
// page cli/page/job.html with the library compiled in (WGSL inlined), so the
// installed package runs its jobs without Vite: cli/node/static-server.mjs serves
// this folder on loopback. From a checkout the CLI serves cli/page from source
// with Vite's dev server instead (cli/node/job-server.mjs says why).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./cli/page', import.meta.url)),
  // Relative asset URLs: the page works wherever the server mounts it.
  base: './',
  publicDir: false,
  // Independent of the demo's vite.config.ts and of a concurrent dev server's cache.
  cacheDir: fileURLToPath(new URL('./node_modules/.vite-cli-build', import.meta.url)),
  build: {
    outDir: fileURLToPath(new URL('./dist/cli', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Readable stack traces in the job's error messages.
    minify: false,
    rollupOptions: { input: fileURLToPath(new URL('./cli/page/job.html', import.meta.url)) },
  },
});
