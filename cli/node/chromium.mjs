// Starting the system Chromium: the one place a browser is launched from Node
// (the CLI's jobs and hardware-adapter probe, the benchmark, the e2e runner;
// Vitest's browser mode launches its own from vitest.config.ts). Playwright drives it
// through playwright-core, which downloads no browser: the executable is the one
// browser-flags.mjs finds ($CHROMIUM_PATH or the usual install paths).
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './browser-flags.mjs';

/**
 * Launch headless Chromium with WebGPU.
 * @param {{ args?: string[], headless?: boolean, handleSignals?: boolean }} [opts]  args: Chromium flags (default
 *   chromiumArgs(), i.e. WEBGPU_ADAPTER decides); handleSignals: false leaves SIGINT/SIGTERM to the caller
 *   (Playwright's own handlers close the browser at once)
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchChromium(opts = {}) {
  const signals = opts.handleSignals ?? true;
  return chromium.launch({ executablePath: chromiumPath(), args: opts.args ?? chromiumArgs(), headless: opts.headless ?? true, handleSIGINT: signals, handleSIGTERM: signals });
}
