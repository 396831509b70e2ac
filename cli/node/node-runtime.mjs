// The node runtime (--runtime node, or WEBGPU_RUNTIME=node): the jobs of
// cli/page/jobs.ts run in a Node child process (node-job.mjs) on WebGPU from
// Dawn (the optional dependency `webgpu`), for machines without a browser. The
// same answers as runPageJob (run-job.mjs), so commands.mjs writes the same
// outputs in both runtimes.
//
// A child process, not this one: the Vulkan loader Dawn opens (libvulkan.so.1)
// is found through LD_LIBRARY_PATH, which only a new process reads; the job
// process does nothing but the job (the device's thread never blocks on the
// CLI's work); and a crash in the driver ends the job with a message instead
// of the CLI.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.mjs';
import { JobError, describeAdapter } from './run-job.mjs';

const JOB_PROCESS = fileURLToPath(new URL('./node-job.mjs', import.meta.url));

/** Where Debian's chromium package keeps SwiftShader and a Vulkan loader. */
export const SWIFTSHADER = { libraryPath: '/usr/lib/chromium', icd: '/usr/lib/chromium/vk_swiftshader_icd.json' };

export const WEBGPU_PACKAGE = 'webgpu@0.6.2';

/** Why the node runtime cannot start (the `webgpu` package is missing), or undefined. */
export function webgpuMissing() {
  try {
    createRequire(import.meta.url).resolve('webgpu');
    return undefined;
  } catch {
    return `--runtime node needs the optional dependency \`webgpu\` (Dawn for Node), which is not installed: run \`npm install ${WEBGPU_PACKAGE}\` where webgpu-autoencoders is installed, or use --runtime browser`;
  }
}

/**
 * The environment of a job process on SwiftShader: LD_LIBRARY_PATH (for libvulkan.so.1)
 * and VK_ICD_FILENAMES set to Chromium's SwiftShader where they are unset and its files exist.
 * @param {NodeJS.ProcessEnv} env
 */
export function swiftShaderEnv(env = process.env) {
  const out = { ...env };
  if (!out.LD_LIBRARY_PATH && existsSync(`${SWIFTSHADER.libraryPath}/libvulkan.so.1`)) out.LD_LIBRARY_PATH = SWIFTSHADER.libraryPath;
  if (!out.VK_ICD_FILENAMES && existsSync(SWIFTSHADER.icd)) out.VK_ICD_FILENAMES = SWIFTSHADER.icd;
  return out;
}

function noAdapter(what, env) {
  const vk = env.VK_ICD_FILENAMES ? `VK_ICD_FILENAMES=${env.VK_ICD_FILENAMES}` : 'VK_ICD_FILENAMES unset';
  const ld = env.LD_LIBRARY_PATH ? `LD_LIBRARY_PATH=${env.LD_LIBRARY_PATH}` : 'LD_LIBRARY_PATH unset';
  return new JobError(
    `--runtime node: Dawn found no ${what} WebGPU adapter (${vk}, ${ld}). Install a Vulkan loader and driver (on a GPU machine: libvulkan1 and the GPU's Vulkan driver; without a GPU: Debian's chromium package, whose SwiftShader is used from ${SWIFTSHADER.libraryPath}), or use --runtime browser`,
  );
}

/** Ask Dawn for an adapter in a job process with `env`: its info, or null. */
function probeAdapter(env) {
  return new Promise((resolve, reject) => {
    const child = fork(JOB_PROCESS, ['--probe'], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let answer = null;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('message', (m) => m.type === 'probe' && (answer = m.adapter));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 || answer) resolve(answer);
      else reject(new JobError(`--runtime node: the adapter probe died (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`));
    });
  });
}

/**
 * The adapter of the node runtime, as chooseAdapter (run-job.mjs) picks the browser's:
 * 'auto' asks Dawn with the environment as it is and keeps a real GPU, else uses
 * SwiftShader; 'hardware' insists on a GPU; 'swiftshader' uses Chromium's SwiftShader.
 * @param {'auto' | 'hardware' | 'swiftshader'} mode
 * @returns {Promise<{ env: NodeJS.ProcessEnv, kind: 'hardware' | 'swiftshader', note: string }>}
 */
export async function chooseNodeAdapter(mode) {
  const missing = webgpuMissing();
  if (missing) throw new JobError(missing);
  const software = async (note) => {
    const env = swiftShaderEnv();
    if (mode === 'swiftshader' && !(await probeAdapter(env))) throw noAdapter('SwiftShader', env);
    return { env, kind: 'swiftshader', note };
  };
  if (mode === 'swiftshader') return software('SwiftShader (asked for)');
  const probe = await probeAdapter(process.env);
  if (probe && !probe.isFallbackAdapter) return { env: process.env, kind: 'hardware', note: `hardware GPU (${describeAdapter(probe)})` };
  if (mode === 'hardware') {
    throw new JobError(`--adapter hardware: Dawn found no hardware WebGPU adapter (${probe ? `only the fallback ${describeAdapter(probe)}` : 'requestAdapter returned null'}); use --adapter auto or swiftshader`);
  }
  const env = swiftShaderEnv();
  if (!(await probeAdapter(env))) throw noAdapter('hardware or SwiftShader', env);
  return { env, kind: 'swiftshader', note: 'SwiftShader (no hardware GPU adapter found)' };
}

/**
 * Run one job (runTrainJob | runEvalJob | runFinetuneJob | runGradJob) in a job process: the answer
 * of runPageJob, for the same arguments (files are read from their paths).
 * @param {string} fn
 * @param {unknown} job
 * @param {{ adapter: { env: NodeJS.ProcessEnv }, onProgress: (e: object) => void, verbose?: boolean,
 *           expose?: { writeCheckpoint?: (base64: string, epoch: number) => Promise<void> },
 *           onInterrupt?: (signal: string, stop: () => Promise<void>) => void }} opts
 */
export async function runNodeJob(fn, job, opts) {
  const child = fork(JOB_PROCESS, [], { env: opts.adapter.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  let signals = 0;
  const onSignal = (sig) => {
    if (signals++ === 0 && opts.onInterrupt) return opts.onInterrupt(sig, async () => void child.send({ type: 'stop' }));
    console.error(`\nnode runtime: ${sig}, ending the job…`);
    child.kill('SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const answer = await new Promise((resolve, reject) => {
      let result;
      child.on('error', reject);
      child.on('message', async (m) => {
        if (m.type === 'progress') opts.onProgress(m.event);
        else if (m.type === 'console') {
          if (m.level === 'error' || m.level === 'warn') console.error(`[job] ${m.level === 'error' ? 'error' : 'warning'}: ${m.text}`);
          else if (opts.verbose && m.level !== 'debug') console.log(`[job] ${m.text}`);
          if (m.level === 'error') reject(new Error(`job console.error: ${m.text}`)); // fatal, as a console.error of the page is
        } else if (m.type === 'checkpoint') {
          try {
            await opts.expose?.writeCheckpoint?.(m.base64, m.epoch);
          } finally {
            if (child.connected) child.send({ type: 'written', id: m.id });
          }
        } else if (m.type === 'result') result = m.result;
      });
      child.on('exit', (code, signal) => {
        if (result) resolve(result);
        else reject(new JobError(`the node runtime's job process died (${signal ?? `exit code ${code}`}) before it answered; the WebGPU driver may have crashed (see docs/node-runtime.md), or try --runtime browser`));
      });
      child.send({ type: 'run', fn, job });
    });
    if (answer.ok) return answer.value;
    const { name, message, usage } = answer.error;
    if (usage) throw new UsageError(message);
    throw new JobError(`${name}: ${message}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
