import './scripts/node-polyfills.mjs';
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
// @ts-expect-error plain ESM helper of the command line, shared with the tests and scripts/
import { chromiumPath, chromiumArgs } from './cli/node/browser-flags.mjs';
// @ts-expect-error plain ESM helper of the command line, shared with the tests and scripts/
import { rawDataFiles } from './cli/node/headless.mjs';

// Three projects: pure TypeScript tests run in Node; everything that touches
// WebGPU runs in the system Chromium (SwiftShader unless WEBGPU_ADAPTER=hardware);
// the command line's tests run in Node and start Chromium through the CLI.
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        // The command line (bin/webgpu-autoencoders.mjs) as child processes; each job
        // starts its own headless Chromium, so one file at a time.
        test: {
          name: 'cli',
          include: ['tests/cli/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        plugins: [rawDataFiles()],
        // Pre-bundle TensorFlow.js (used by the autodiff cross-check) so Vite does not
        // discover it mid-run and reload the test page.
        optimizeDeps: { include: ['@tensorflow/tfjs'] },
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath(), args: chromiumArgs() },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
