// Whether `bench` can run here. It compares the library with TensorFlow.js on
// WebGPU: bench/run.mjs serves bench/bench.html and the library's sources with
// Vite, so it needs a checkout of the repository with TensorFlow.js installed
// (dev dependencies there). The installed package ships neither, so there, and
// wherever TensorFlow.js is missing, the command says what to do (exit 2).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const BENCH_SCRIPT = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
/** What bench/run.mjs imports besides the library: TensorFlow.js and Vite (the repository's dev dependencies). */
export const BENCH_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', 'vite'];

function installed(name) {
  try {
    createRequire(BENCH_SCRIPT).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Why bench cannot run here (a message for the user), or null when it can. */
export function benchUnavailable() {
  if (!existsSync(BENCH_SCRIPT)) {
    return (
      'bench needs TensorFlow.js (@tensorflow/tfjs, @tensorflow/tfjs-backend-webgpu) and the repository\'s benchmark page, ' +
      'which this installed package does not ship; it runs from a checkout: git clone the repository, npm ci, then npx webgpu-autoencoders bench there'
    );
  }
  const missing = BENCH_PACKAGES.filter((p) => !installed(p));
  if (missing.length > 0) return `bench needs ${missing.join(', ')}, not installed here: run npm ci (or npm install) in the repository`;
  return null;
}
