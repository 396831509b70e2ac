// Run one job of cli/page/job-page.ts in headless Chromium: pick the WebGPU
// adapter, serve the page and the user's files (job-page-server.mjs), stream its
// progress, and turn its answer into a value or an error (UsageError for bad
// input, JobError otherwise).
import { chromiumArgs } from './browser-flags.mjs';
export { ADAPTER_MODES } from './browser-flags.mjs';
import { launchChromium } from './chromium.mjs';
import { callPageFunction, withHeadlessPage } from './headless.mjs';
import { FILE_PREFIX, jobPageServer } from './job-page-server.mjs';
import { UsageError } from './args.mjs';

/** A failure while running a job (exit code 1). */
export class JobError extends Error {
  name = 'JobError';
}

/**
 * Which Chromium flags to use. 'auto' asks Chromium (without the SwiftShader flag)
 * for an adapter and keeps it when it is a real GPU, else uses SwiftShader;
 * 'hardware' insists on a GPU; 'swiftshader' forces the software adapter.
 * @param {'auto' | 'hardware' | 'swiftshader'} mode
 * @returns {Promise<{ args: string[], kind: 'hardware' | 'swiftshader', note: string }>}
 */
export async function chooseAdapter(mode) {
  if (mode === 'swiftshader') return { args: chromiumArgs({ hardware: false }), kind: 'swiftshader', note: 'SwiftShader (asked for)' };
  const probe = await probeHardwareAdapter();
  if (probe && !probe.isFallbackAdapter) {
    return { args: chromiumArgs({ hardware: true }), kind: 'hardware', note: `hardware GPU (${describeAdapter(probe)})` };
  }
  if (mode === 'hardware') {
    throw new JobError(`--adapter hardware: Chromium found no hardware WebGPU adapter (${probe ? `only the fallback ${describeAdapter(probe)}` : 'requestAdapter returned null'}); use --adapter auto or swiftshader`);
  }
  return { args: chromiumArgs({ hardware: false }), kind: 'swiftshader', note: 'SwiftShader (no hardware GPU adapter found)' };
}

export function describeAdapter(a) {
  if (!a) return 'unknown adapter';
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || 'unnamed adapter';
}

/** Launch Chromium without the SwiftShader flag and ask for an adapter (about a second). */
async function probeHardwareAdapter() {
  const browser = await launchChromium({ args: chromiumArgs({ hardware: true }) });
  try {
    const page = await browser.newPage();
    // navigator.gpu needs a secure context: a localhost page, answered without a server.
    await page.route('http://127.0.0.1:9/probe', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>probe</title>' }));
    await page.goto('http://127.0.0.1:9/probe');
    return await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      if (!a) return null;
      return { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, isFallbackAdapter: a.info.isFallbackAdapter ?? false };
    });
  } finally {
    await browser.close();
  }
}

/**
 * Register the files of a job: returns FileRefs for the page and the name → path map.
 * @param {Record<string, string>} paths name → absolute path
 */
export function fileRefs(paths) {
  const refs = {};
  const files = {};
  for (const [name, path] of Object.entries(paths)) {
    files[name] = path;
    refs[name] = { url: `${FILE_PREFIX}${name}`, path };
  }
  return { refs, files };
}

/**
 * Call window[fn](job) in the job page.
 * @param {string} fn  runTrainJob | runEvalJob | runFinetuneJob | runGradJob
 * @param {unknown} job
 * @param {{ files: Record<string, string>, adapter: { args: string[] }, onProgress: (e: object) => void, verbose?: boolean,
 *           expose?: Record<string, (...args: any[]) => any>, onInterrupt?: (signal: string, stop: () => Promise<void>) => void }} opts
 *   expose: more functions for the page; onInterrupt: the first SIGINT/SIGTERM (see withHeadlessPage); stop() asks the train job to stop
 */
export async function runPageJob(fn, job, opts) {
  const { pagePath, serve } = jobPageServer(opts.files);
  const answer = await withHeadlessPage(pagePath, ({ page }) => callPageFunction(page, fn, job), {
    args: opts.adapter.args,
    expose: { reportProgress: opts.onProgress, ...opts.expose },
    onInterrupt: opts.onInterrupt && ((sig, page) => opts.onInterrupt(sig, () => page.evaluate(() => window.stopTrainJob()))),
    quiet: !opts.verbose,
    serve,
  });
  if (answer.ok) return answer.value;
  const { name, message, usage } = answer.error;
  if (usage) throw new UsageError(message);
  throw new JobError(`${name}: ${message}`);
}
