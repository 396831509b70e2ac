// Vite config of the library bundle (`npm run build` → dist/lib/): one ES module
// built from src/index.ts, with every `.wgsl?raw` import inlined as a string, so
// the package needs no loader and no files besides its own. Declarations come
// from tsc (tsconfig.build.json) into the same folder. The demo has its own
// config (vite.config.ts); nothing here reads demo/, cli/, scripts/ or tests/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  // No public/ folder copying, no index.html: a library build only.
  publicDir: false,
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Readable output: consumers' bundlers minify; stack traces keep our names.
    minify: false,
    lib: {
      entry: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'index.js',
    },
  },
});
