// Vite config of the library bundle (`npm run build` → dist/lib/): two ES modules,
// index.js from src/index.ts (the library, every `.wgsl?raw` import inlined as a
// string, so the package needs no loader and no files besides its own) and
// vite.js from src/vite.ts (the `webgpu-autoencoders/vite` plugin, for Node).
// Node's built-in modules stay imports (the plugin's static ones; the library
// reaches them only through loadMnist's dynamic import in a Node script).
// Declarations come from tsc (tsconfig.build.json) into the same folder. The demo
// has its own config (vite.config.ts); nothing here reads demo/, cli/, scripts/ or tests/.
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
      entry: {
        index: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
        vite: fileURLToPath(new URL('./src/vite.ts', import.meta.url)),
      },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rollupOptions: { external: [/^node:/, 'vite'], output: { chunkFileNames: '[name].js' } },
  },
});
