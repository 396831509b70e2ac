// What `bench` needs and whether it has it. It compares the library with
// TensorFlow.js on WebGPU; TensorFlow.js (@tensorflow/tfjs and
// @tensorflow/tfjs-backend-webgpu) is an optional peer dependency of the package:
//
// - Installed next to the package (or in a checkout, as dev dependencies): both
//   sides run. The built page (dist/bench/, vite.bench.config.ts) leaves the
//   TensorFlow.js imports to the browser; its import map (TFJS_IMPORT_MAP) points
//   them at the packages' ES module bundles, which bench-page-server.mjs serves
//   from where Node resolves them. From a checkout Vite resolves them instead.
// - Not installed: `bench` measures this library only and says how to add the
//   comparison; asked for the TensorFlow.js side (--only tfjs), it exits 2 with
//   that message.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

export const TFJS_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu'];
export const TFJS_INSTALL = `npm install ${TFJS_PACKAGES.join(' ')}`;

/**
 * The ES module bundle of each TensorFlow.js package the page imports, by the URL
 * the bench server answers it at. tf.fesm.js carries tfjs-core (and the rest of
 * TensorFlow.js) in one file; the WebGPU backend's bundle imports
 * '@tensorflow/tfjs-core', which the import map sends to the same file, so there
 * is one engine the backend registers with.
 */
export const TFJS_BUNDLES = {
  '/node_modules/@tensorflow/tfjs/dist/tf.fesm.js': ['@tensorflow/tfjs', 'dist/tf.fesm.js'],
  '/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.fesm.js': ['@tensorflow/tfjs-backend-webgpu', 'dist/tf-backend-webgpu.fesm.js'],
};
const [TF_URL, WEBGPU_URL] = Object.keys(TFJS_BUNDLES);

/** The built page's import map (vite.bench.config.ts writes it into dist/bench/bench.html). */
export const TFJS_IMPORT_MAP = {
  imports: { '@tensorflow/tfjs': TF_URL, '@tensorflow/tfjs-core': TF_URL, '@tensorflow/tfjs-backend-webgpu': WEBGPU_URL },
};

const require = createRequire(import.meta.url);

/** The directory of an installed package as Node resolves it from this package, or null. */
function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

/**
 * TensorFlow.js as installed here: the bundles by URL (absolute paths) and the
 * version, or the packages that are missing.
 * @returns {{ files: Record<string, string>, version: string } | { missing: string[] }}
 */
export function installedTfjs() {
  const missing = TFJS_PACKAGES.filter((p) => packageDir(p) === null);
  if (missing.length > 0) return { missing };
  const files = {};
  for (const [url, [pkg, file]] of Object.entries(TFJS_BUNDLES)) {
    const path = resolve(packageDir(pkg), file);
    if (!existsSync(path)) return { missing: [`${pkg} (it has no ${file}: a 4.x release is needed)`] };
    files[url] = path;
  }
  return { files, version: require(`${packageDir('@tensorflow/tfjs')}/package.json`).version };
}

/** Whether the bench arguments ask for the TensorFlow.js side alone (--only tfjs). */
function asksForTfjsOnly(args) {
  const i = args.indexOf('--only');
  return args.includes('--only=tfjs') || (i >= 0 && args[i + 1] === 'tfjs');
}

/** Why bench cannot run with these arguments (a message for the user, exit 2), or null when it can. */
export function benchUnavailable(args = []) {
  if (args.includes('--help') || args.includes('-h')) return null;
  const tfjs = installedTfjs();
  if ('missing' in tfjs && asksForTfjsOnly(args)) {
    return `bench --only tfjs needs TensorFlow.js: ${tfjs.missing.join(', ')} not installed; add it with ${TFJS_INSTALL}`;
  }
  return null;
}
