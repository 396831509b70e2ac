#!/usr/bin/env node
// npx webgpu-autoencoders <command>: train, evaluate and check autoencoders in
// WebGPU, driven in headless Chromium (the real GPU when there is one, else
// SwiftShader). The command itself is cli/node/main.mjs (Node side) and
// cli/page/ (the job page that runs in Chromium).
//
// It runs from a checkout of the repository: the jobs are pages of this repo
// served by Vite (the library's TypeScript sources) and driven by Playwright, all
// dev dependencies. The published package ships only the built library (see
// tests/e2e/package.e2e.ts), so there this file says so instead of crashing.
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../cli/node/main.mjs', import.meta.url)) || !existsSync(new URL('../src/index.ts', import.meta.url))) {
  console.error(
    'webgpu-autoencoders: the command line runs from a checkout of the repository (it serves the library\'s ' +
      'sources to headless Chromium with Vite and Playwright); this installed package ships only the built library. ' +
      'Clone the repository, run npm ci, then npx webgpu-autoencoders --help there.',
  );
  process.exit(1);
}
await import('../cli/node/main.mjs');
