// Vite config of the node runtime's jobs (`npm run build` → dist/cli-node/jobs.js):
// cli/page/jobs.ts, the code the job page runs, with the library compiled in
// (WGSL inlined) as one ES module for Node, so the installed package runs
// `--runtime node` without Vite (cli/node/node-job.mjs imports it). From a
// checkout the job process loads cli/page/jobs.ts from source instead.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  // Bundle every dependency (d3-scale, for loss.png's axes, is a dev dependency):
  // the installed package has no runtime dependencies to import from.
  ssr: { noExternal: true },
  cacheDir: fileURLToPath(new URL('./node_modules/.vite-cli-node-build', import.meta.url)),
  build: {
    ssr: fileURLToPath(new URL('./cli/page/jobs.ts', import.meta.url)),
    outDir: fileURLToPath(new URL('./dist/cli-node', import.meta.url)),
    emptyOutDir: true,
    target: 'node20',
    // Readable stack traces in the job's error messages.
    minify: false,
    rollupOptions: { output: { entryFileNames: 'jobs.js', format: 'es' } },
  },
});
