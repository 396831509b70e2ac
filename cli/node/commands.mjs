// The CLI's commands, as functions of already-parsed options: each runs its job
// in the page and writes the outputs (cli/node/main.mjs parses the flags).
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { REPO_ROOT } from './headless.mjs';
import { writeFileAtomic } from './atomic-file.mjs';
import { chooseAdapter, describeAdapter, fileRefs, runPageJob } from './run-job.mjs';
import { chooseNodeAdapter, runNodeJob } from './node-runtime.mjs';
import { progressPrinter } from './progress.mjs';
import { resultsMarkdown } from './experiment-report.mjs';
import { bundledMnist } from './job-config.mjs';

export const METRICS_FORMAT = 'webgpu-autoencoders-metrics/1';

/** @typedef {{ adapter: 'auto' | 'hardware' | 'swiftshader', runtime?: 'browser' | 'node', quiet?: boolean, verbose?: boolean, version: string }} CommonOptions */

async function writeOutputs(outDir, result, metrics, extra = {}) {
  await mkdir(outDir, { recursive: true });
  const written = [];
  for (const [name, dataUrl] of Object.entries(result.images ?? {})) {
    await writeFile(resolve(outDir, name), Buffer.from(dataUrl.split(',')[1], 'base64'));
    written.push(name);
  }
  for (const [name, bytes] of Object.entries(extra)) {
    await writeFileAtomic(resolve(outDir, name), bytes); // a model file is whole or absent
    written.push(name);
  }
  await writeFile(resolve(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  written.push('metrics.json');
  return written;
}

/**
 * The adapter and the job runner of the runtime: headless Chromium (run-job.mjs) or
 * Node through Dawn (node-runtime.mjs). Both take the same jobs and give the same answers.
 */
async function start(opts) {
  const say = progressPrinter({ quiet: opts.quiet });
  const runtime = opts.runtime ?? 'browser';
  const adapter = runtime === 'node' ? await chooseNodeAdapter(opts.adapter) : await chooseAdapter(opts.adapter);
  say({ kind: 'status', message: `WebGPU: ${adapter.note}${runtime === 'node' ? ' in Node (Dawn)' : ''}` });
  return { say, adapter, runtime, runJob: runtime === 'node' ? runNodeJob : runPageJob };
}

/** The fields every metrics.json opens with: the command, the version, when, the runtime and the adapter it ran on. */
function runRecord(command, opts, runtime, adapter, result) {
  return { format: METRICS_FORMAT, command, version: opts.version, date: new Date().toISOString(), runtime, adapter: adapterRecord(result, adapter) };
}

function adapterRecord(result, adapter) {
  return { ...(result.adapter ?? {}), kind: adapter.kind, note: adapter.note };
}

/** One image set for the page: its files registered under `prefix`. */
function imageSet(set, prefix, limit, files) {
  const paths = { [`${prefix}-images`]: set.images };
  if (set.labels) paths[`${prefix}-labels`] = set.labels;
  const { refs, files: f } = fileRefs(paths);
  Object.assign(files, f);
  return { images: refs[`${prefix}-images`], labels: refs[`${prefix}-labels`], limit };
}

export const CHECKPOINT_NAME = 'checkpoint.safetensors';

/** The command line that continues an interrupted run: the same arguments, with --resume CHECKPOINT. */
function resumeCommand(checkpoint) {
  const args = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--resume') i++;
    else if (!argv[i].startsWith('--resume=')) args.push(argv[i]);
  }
  const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['webgpu-autoencoders', ...args, '--resume', checkpoint].map(quote).join(' ');
}

/**
 * Train, then write model.safetensors, metrics.json, loss.png, reconstructions.png, filters.png;
 * with checkpointEvery, checkpoint.safetensors every that many epochs. SIGINT/SIGTERM abandons
 * the epoch in progress: the last finished epoch's checkpoint is written, the exit code is 130/143.
 * @param {{ model: object, training: object, data: { train: object, test: object }, limits: { train?: number, test?: number },
 *           checkpointEvery?: number, resume?: string }} job  resume: absolute path of a checkpoint
 * @param {string} outDir
 * @param {CommonOptions} opts
 */
export async function train(job, outDir, opts) {
  const started = Date.now();
  const { say, adapter, runtime, runJob } = await start(opts);
  const files = {};
  const pageJob = {
    model: job.model,
    training: job.training,
    data: { train: imageSet(job.data.train, 'train', job.limits.train, files), test: imageSet(job.data.test, 'test', job.limits.test, files) },
    probe: job.probe,
    checkpointEvery: job.checkpointEvery,
    ...(job.classifier ? { classifier: job.classifier } : {}),
  };
  if (job.resume) {
    const { refs, files: f } = fileRefs({ checkpoint: job.resume });
    Object.assign(files, f);
    pageJob.resume = refs.checkpoint;
  }
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  const checkpointPath = resolve(out, CHECKPOINT_NAME);
  let checkpoints = 0;
  let signal;
  let stopping;
  const writeCheckpoint = async (base64, epoch) => {
    await writeFileAtomic(checkpointPath, Buffer.from(base64, 'base64'));
    say({ kind: 'status', message: `checkpoint after epoch ${epoch}: ${checkpointPath}` });
    // For the tests: a real signal right after the first checkpoint is on disk; the
    // page continues only once it has been told to stop, so the run stops here.
    if (checkpoints++ === 0 && process.env.WGAE_SIGNAL_AFTER_FIRST_CHECKPOINT) {
      process.kill(process.pid, process.env.WGAE_SIGNAL_AFTER_FIRST_CHECKPOINT);
      while (!stopping) await new Promise((r) => setTimeout(r, 5));
      await stopping;
    }
  };
  const onInterrupt = (sig, stop) => {
    signal = sig;
    console.error(`\n${sig}: stopping after the current step: the epoch in progress is abandoned and the last finished epoch's checkpoint written (${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit at once)`);
    stopping = stop().catch(() => {});
  };
  const o = job.training.optimizer;
  say({ kind: 'status', message: `training: ${job.training.epochs} epoch(s), batch ${job.training.batchSize}, ${o.type} lr ${o.learningRate}${job.training.schedule ? ` (schedule ${JSON.stringify(job.training.schedule)})` : ''}` });
  const r = await runJob('runTrainJob', pageJob, { files, adapter, onProgress: say, verbose: opts.verbose, expose: { writeCheckpoint }, onInterrupt });
  if (r.interrupted) {
    await writeFileAtomic(checkpointPath, Buffer.from(r.checkpoint, 'base64'));
    const { epochsDone, epochs, step } = r.interrupted;
    console.error(`interrupted (${signal ?? 'stop'}) after epoch ${epochsDone} of ${epochs} (step ${step}): wrote ${checkpointPath}`);
    console.error(`continue with:\n  ${resumeCommand(checkpointPath)}`);
    process.exitCode = signal === 'SIGTERM' ? 143 : 130;
    return undefined;
  }
  const metrics = {
    ...runRecord('train', opts, runtime, adapter, r),
    config: r.config,
    training: { ...job.training, seed: job.training.seed ?? r.config.seed, shuffle: job.training.shuffle ?? true, schedule: r.schedule },
    probe: job.probe,
    classifier: job.classifier ?? null,
    data: r.data,
    losses: { initialHeldOut: r.initialEval, epochs: r.history },
    heldOut: r.heldOut,
    earlyStopping: r.earlyStopping ?? null,
    resumedFrom: job.resume ? { checkpoint: job.resume, afterEpoch: r.resumedAfterEpoch } : null,
    throughput: r.throughput,
    // The plan's kernels: each matmul shape's family and why it was chosen, and a step's dispatches.
    kernels: { matmul: r.kernels.matmul, dispatchesPerStep: r.kernels.stepDispatches.length, stepDispatches: r.kernels.stepDispatches },
    wallSeconds: (Date.now() - started) / 1000,
  };
  const written = await writeOutputs(out, r, metrics, { 'model.safetensors': Buffer.from(r.model, 'base64'), ...(r.classifier ? { 'classifier.safetensors': Buffer.from(r.classifier, 'base64') } : {}) });
  const last = r.history.at(-1);
  const what = r.config.variational ? 'negative ELBO' : 'reconstruction loss';
  console.log(`held-out ${what}: ${r.initialEval.toFixed(3)} before training → ${last.evalLoss.toFixed(3)} after ${r.history.length} epoch(s)`);
  if (r.earlyStopping) {
    const e = r.earlyStopping;
    console.log(`early stopping: ${e.stoppedEarly ? `stopped after epoch ${e.epochsRun}` : `ran all ${e.epochsRun} epochs`}; best held-out ${what} at epoch ${e.bestEpoch}${e.restoredBest ? ' (its weights are the saved model)' : ''}`);
  }
  console.log(`training throughput: ${Math.round(r.throughput.trainSamplesPerSecond)} samples/s on ${describeAdapter(r.adapter)}`);
  console.log(`training plan: ${metrics.kernels.dispatchesPerStep} dispatches per step; matmul kernels ${r.kernels.matmul.map((c) => `${c.form} ${c.M}×${c.N}×${c.K} ${c.kernel} (${c.source})`).join(', ')}`);
  if (r.heldOut.probe) console.log(`linear probe on the codes: ${(100 * r.heldOut.probe.testAccuracy).toFixed(2)}% held-out accuracy`);
  if (r.heldOut.classifier) printClassifier(r.heldOut.classifier);
  console.log(`wrote ${written.join(', ')}${job.checkpointEvery ? ` (and ${CHECKPOINT_NAME})` : ''} to ${out}`);
  return metrics;
}

/**
 * Measure a saved model on a held-out set; write metrics.json, reconstructions.png, filters.png.
 * @param {string} modelPath absolute
 * @param {{ test: { images: string, labels?: string }, train?: { images: string, labels?: string } }} data  train: for the linear probe
 * @param {{ test?: number, train?: number }} limits
 * @param {{ epochs: number, trainLimit: number } | false} probe
 * @param {string} outDir
 * @param {CommonOptions} opts
 */
export async function evaluate(modelPath, data, limits, probe, outDir, opts) {
  const started = Date.now();
  const { say, adapter, runtime, runJob } = await start(opts);
  const files = {};
  const { refs, files: f } = fileRefs({ model: modelPath });
  Object.assign(files, f);
  const pageJob = { model: refs.model, data: { test: imageSet(data.test, 'test', limits.test, files) }, probe };
  if (data.train) pageJob.data.train = imageSet(data.train, 'train', limits.train, files);
  const r = await runJob('runEvalJob', pageJob, { files, adapter, onProgress: say, verbose: opts.verbose });
  const metrics = {
    ...runRecord('eval', opts, runtime, adapter, r),
    model: modelPath,
    probe,
    config: r.config,
    data: r.data,
    heldOut: r.heldOut,
    wallSeconds: (Date.now() - started) / 1000,
  };
  const out = resolve(outDir);
  const written = await writeOutputs(out, r, metrics);
  const h = r.heldOut;
  console.log(`held-out reconstruction loss ${h.reconstruction.toFixed(4)} on ${h.samples} samples${h.vae ? `; ELBO ${h.vae.elbo.toFixed(4)} (KL ${h.vae.kl.toFixed(4)})` : ''}`);
  console.log(`mean activation ${h.sparsity.meanActivation.toFixed(4)}, ${(100 * h.sparsity.fractionNearZero).toFixed(1)}% near zero; mean ‖∂h/∂x‖_F ${h.jacobian.meanFrobeniusNorm.toFixed(4)}`);
  if (h.probe) console.log(`linear probe on the codes: ${(100 * h.probe.testAccuracy).toFixed(2)}% held-out accuracy (${(100 * h.probe.trainAccuracy).toFixed(2)}% on ${h.probe.trainCount} training samples)`);
  if (h.classifier) printClassifier(h.classifier);
  console.log(`wrote ${written.join(', ')} to ${out}`);
  return metrics;
}

/** The classifier's held-out line (heldOut.classifier of metrics.json). */
function printClassifier(c) {
  const tuned = c.fineTuning ? `, fine-tuned ${c.fineTuning.history.length} epoch(s) on ${c.fineTuning.trainCount} labelled samples` : '';
  console.log(`classifier: ${(100 * c.accuracy).toFixed(2)}% held-out accuracy (error ${(100 * c.error).toFixed(2)}%, cross-entropy ${c.loss.toFixed(4)}) on ${c.count} samples, ${c.classes} classes${tuned}`);
}

/**
 * Fine-tune a classifier from a saved model on labelled data; write classifier.safetensors,
 * metrics.json (heldOut.classifier), confusion.png, reconstructions.png, filters.png.
 * @param {string} modelPath absolute
 * @param {{ train: { images: string, labels: string }, test: { images: string, labels: string } }} data
 * @param {{ train?: number, test?: number }} limits
 * @param {{ epochs: number, optimizer: object, batchSize: number, trainLimit?: number, freezeEncoder?: boolean, standardiseCodes?: boolean, reconstructionWeight?: number }} classifier
 * @param {string} outDir
 * @param {CommonOptions} opts
 */
export async function finetune(modelPath, data, limits, classifier, outDir, opts) {
  const started = Date.now();
  const { say, adapter, runtime, runJob } = await start(opts);
  const files = {};
  const { refs, files: f } = fileRefs({ model: modelPath });
  Object.assign(files, f);
  const pageJob = { model: refs.model, data: { train: imageSet(data.train, 'train', limits.train, files), test: imageSet(data.test, 'test', limits.test, files) }, classifier };
  const r = await runJob('runFinetuneJob', pageJob, { files, adapter, onProgress: say, verbose: opts.verbose });
  const metrics = {
    ...runRecord('finetune', opts, runtime, adapter, r),
    model: modelPath,
    classifier,
    config: r.config,
    data: r.data,
    heldOut: r.heldOut,
    wallSeconds: (Date.now() - started) / 1000,
  };
  const out = resolve(outDir);
  const written = await writeOutputs(out, r, metrics, { 'classifier.safetensors': Buffer.from(r.classifier, 'base64') });
  printClassifier(r.heldOut.classifier);
  console.log(`wrote ${written.join(', ')} to ${out}`);
  return metrics;
}

/**
 * One step's loss, gradients and random draws → a safetensors file.
 * @param {string} modelPath absolute
 * @param {string} batchPath absolute
 * @param {string} outPath
 * @param {CommonOptions} opts
 */
export async function grad(modelPath, batchPath, outPath, opts) {
  const { say, adapter, runJob } = await start(opts);
  const { refs, files } = fileRefs({ model: modelPath, batch: batchPath });
  const r = await runJob('runGradJob', { model: refs.model, batch: refs.batch }, { files, adapter, onProgress: say, verbose: opts.verbose });
  const out = resolve(outPath);
  await writeFile(out, Buffer.from(r.file, 'base64'));
  const terms = Object.entries(r.loss)
    .filter(([k, v]) => k !== 'total' && v !== 0)
    .map(([k, v]) => `${k} ${v.toPrecision(6)}`);
  console.log(`step ${r.step} (seed ${r.seed}) on ${r.rows} rows: loss ${r.loss.total.toPrecision(7)}${terms.length ? ` (${terms.join(', ')})` : ''}`);
  console.log(`wrote ${out}`);
  return r;
}

/**
 * Run one experiment (cli/page/experiments/) on the bundled MNIST; write its figures,
 * results.json and results.md to outDir, only once it has finished (a failed run leaves
 * the folder as it was).
 * @param {string} name
 * @param {'quick' | 'medium' | 'full'} size
 * @param {string} outDir
 * @param {CommonOptions & { command: string }} opts  command: the command line, for results.md
 */
export async function experiment(name, size, outDir, opts) {
  const started = Date.now();
  const { say, adapter, runtime, runJob } = await start(opts);
  const mnist = bundledMnist();
  const files = {};
  const pageJob = { name, size, mnist: { train: imageSet(mnist.train, 'train', undefined, files), test: imageSet(mnist.test, 'test', undefined, files) } };
  const r = await runJob('runExperimentJob', pageJob, { files, adapter, onProgress: say, verbose: opts.verbose });
  const wallSeconds = (Date.now() - started) / 1000;
  const date = new Date().toISOString();
  const adapterInfo = adapterRecord(r, adapter);
  const { figures, ...rest } = r;
  const results = { format: 'webgpu-autoencoders-experiment/1', command: opts.command, version: opts.version, date, adapter: adapterInfo, runtime, wallSeconds, ...rest, figures: Object.keys(figures) };
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  for (const [file, dataUrl] of Object.entries(figures)) await writeFileAtomic(resolve(out, file), Buffer.from(dataUrl.split(',')[1], 'base64'));
  await writeFileAtomic(resolve(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  await writeFileAtomic(resolve(out, 'results.md'), resultsMarkdown(r, { command: opts.command, adapter: `${describeAdapter(r.adapter)} (${adapter.note})`, date, wallSeconds }));
  for (const t of r.tables) {
    console.log(`${t.title}:`);
    console.log(`  ${t.columns.join(' | ')}`);
    for (const row of t.rows) console.log(`  ${row.map((v) => (v === null ? '—' : String(v))).join(' | ')}`);
  }
  for (const c of r.checks) console.log(`${c.passed ? 'shown' : 'NOT shown'}: ${c.claim} (${c.measured})`);
  console.log(`wrote ${[...Object.keys(figures), 'results.json', 'results.md'].join(', ')} to ${out} (${wallSeconds.toFixed(0)} s)`);
  return results;
}

/**
 * The benchmark: cli/node/bench.mjs with the given arguments, on the adapter chosen
 * as for the other commands (passed on as WEBGPU_ADAPTER); resolves to its exit code.
 * @param {string[]} args
 * @param {{ adapter?: 'auto' | 'hardware' | 'swiftshader' }} [opts]
 */
export async function bench(args, opts = {}) {
  const help = args.includes('--help') || args.includes('-h');
  const adapter = help ? undefined : await chooseAdapter(opts.adapter ?? process.env.WEBGPU_ADAPTER ?? 'auto');
  if (adapter) console.error(`WebGPU: ${adapter.note}`);
  const env = adapter ? { ...process.env, WEBGPU_ADAPTER: adapter.kind } : process.env;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, 'cli/node/bench.mjs'), ...args], { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}
