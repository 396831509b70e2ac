// The job process of the node runtime (--runtime node): one job of
// cli/page/jobs.ts (the code the job page runs) in Node, on WebGPU from Dawn
// (the `webgpu` package). Started by node-runtime.mjs with child_process.fork;
// it owns the GPU device and does nothing but the job on its main thread, and
// talks to the CLI over the IPC channel:
//
//   CLI → job:  { type: 'run', fn, job }        fn: runTrainJob | runEvalJob | runFinetuneJob | runGradJob
//               { type: 'stop' }                stop the train job after the current step
//               { type: 'written', id }         a checkpoint is on disk
//   job → CLI:  { type: 'progress', event }     progress events, as the page reports them
//               { type: 'checkpoint', id, base64, epoch }
//               { type: 'console', level, text } the job's console output
//               { type: 'result', result }      the job's JobResult; then the process exits
//               { type: 'probe', adapter }      (with --probe: the adapter Dawn gives, or null)
//
// The jobs load from source in a checkout (Vite's ssrLoadModule of
// cli/page/jobs.ts, so an edit to src/ or cli/page/ is what runs next, as for
// the page) and from dist/cli-node/jobs.js (vite.cli-node.config.ts) in the
// installed package.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { installDawnWebGpu } from './dawn-webgpu.mjs';
import { pngDataUrl } from './png.mjs';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = fileURLToPath(new URL('../page/jobs.ts', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/cli-node/jobs.js', import.meta.url));

const send = (message) => new Promise((resolve) => process.send(message, undefined, {}, () => resolve()));

/** navigator.gpu from Dawn, and the WebGPU globals (GPUBufferUsage, …) the library uses. */
async function installWebGpu() {
  return installDawnWebGpu(await import('webgpu'));
}

async function loadJobs() {
  if (existsSync(SOURCE)) {
    const { createServer } = await import('vite');
    const server = await createServer({
      root: REPO_ROOT,
      configFile: false,
      logLevel: 'warn',
      clearScreen: false,
      cacheDir: 'node_modules/.vite-node-jobs',
      appType: 'custom',
      server: { middlewareMode: true, hmr: false, ws: false, watch: null },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    try {
      return { jobs: await server.ssrLoadModule(SOURCE), close: () => server.close() };
    } catch (e) {
      await server.close();
      throw e;
    }
  }
  if (!existsSync(BUILT)) throw new Error(`the node runtime's jobs ${BUILT} are missing: this package was packed without \`npm run build\``);
  return { jobs: await import(pathToFileURL(BUILT).href), close: async () => {} };
}

// The job's console output goes to the CLI, which prints it as it prints the page's.
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  console[level] = (...args) => void process.send({ type: 'console', level, text: format(...args) });
}

const pending = new Map();
let nextId = 0;

/** @type {import('../page/jobs').JobHost} */
const host = {
  report: (event) => void process.send({ type: 'progress', event }),
  async readFile(ref) {
    try {
      return new Uint8Array(await readFile(ref.path));
    } catch (e) {
      const err = new Error(`${ref.path}: could not be read (${e.code ?? e.message})`);
      err.name = 'InputError';
      throw err;
    }
  },
  writeCheckpoint(base64, epoch) {
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      process.send({ type: 'checkpoint', id, base64, epoch });
    });
  },
  png: pngDataUrl,
};

async function probe() {
  const gpu = await installWebGpu();
  const a = await gpu.requestAdapter();
  const info = a?.info;
  await send({ type: 'probe', adapter: info ? { vendor: info.vendor, architecture: info.architecture, description: info.description, isFallbackAdapter: info.isFallbackAdapter ?? false } : null });
}

async function run({ fn, job }) {
  let result;
  try {
    await installWebGpu();
    const { jobs, close } = await loadJobs();
    stopJob = jobs.stopTrainJob;
    try {
      result = await jobs[fn](job, host);
    } finally {
      await close();
    }
  } catch (e) {
    // A failure outside the job (webgpu or the jobs would not load): a job failure, exit code 1.
    result = { ok: false, error: { name: e?.name ?? 'Error', message: e instanceof Error ? e.message : String(e), usage: false } };
  }
  await send({ type: 'result', result });
}

// A terminal's Ctrl-C reaches the whole process group: the CLI decides what a
// signal means (stop after the current step, then a checkpoint), so the job
// process ignores them, and leaves when the CLI is gone.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(1));

let stopJob;
process.on('message', (m) => {
  if (m.type === 'run') {
    run(m).finally(() => process.exit(0)); // Dawn keeps the event loop alive: leave once the answer is sent
  } else if (m.type === 'stop') stopJob?.();
  else if (m.type === 'written') {
    pending.get(m.id)?.();
    pending.delete(m.id);
  }
});

if (process.argv.includes('--probe')) probe().finally(() => process.exit(0));
