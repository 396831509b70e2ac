// The benchmark: this library vs TensorFlow.js (WebGPU) in one headless Chromium.
// A script: `npx webgpu-autoencoders bench` runs it (commands.mjs), as does
// `npm run bench` (bench/run.mjs) in a checkout.
//
//   node cli/node/bench.mjs [--rounds 3] [--steps 10] [--chunk 5] [--warmup 3] [--reps 6] [--step-reps 3] [--images 16384] [--steps-per-submit 4] [--max-gpu-bytes N] [--only ours|tfjs] [--out DIR]
//
// Prints a table (medians of the interleaved rounds, their min–max) and writes
// bench-<date>.json to --out (default: bench/results/ in a checkout, ./bench-results/
// elsewhere). Without TensorFlow.js installed it measures this library only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchUnavailable, installedTfjs, TFJS_INSTALL } from './bench-check.mjs';
import { benchPageServer } from './bench-page-server.mjs';
import { callPageFunction, REPO_ROOT, withHeadlessPage } from './headless.mjs';

const USAGE =
  'usage: webgpu-autoencoders bench [--rounds N] [--steps N] [--chunk N] [--warmup N] [--reps N] [--step-reps N] [--images N] [--steps-per-submit N] [--max-gpu-bytes N] [--only ours|tfjs] [--out DIR]\n' +
  '  --rounds     interleaved rounds, ours then tfjs in each (default 3)\n' +
  '  --steps      timed training steps per round (default 10), in chunks of --chunk (default 5)\n' +
  '  --warmup     training steps before timing (default 3)\n' +
  '  --reps       timed 256×784×256 matmuls per round (default 6)\n' +
  "  --step-reps  timed repetitions of a step's 5 matmuls per round (default 3)\n" +
  '  --images     MNIST training images (default 16384; beyond 60 000 the training set repeats)\n' +
  "  --steps-per-submit  our trainer's stepsPerSubmit (default: the library's, 4)\n" +
  "  --max-gpu-bytes     our data set's maxGpuBytes: below the images' size they stream from host memory (default: no limit)\n" +
  '  --only       one side: ours or tfjs (TensorFlow.js: ' + TFJS_INSTALL + ')\n' +
  '  --out        where bench-<date>.json goes (default bench/results/ in a checkout, else ./bench-results/)\n' +
  'WEBGPU_ADAPTER=hardware: the GPU instead of SwiftShader.';

/** A bad argument: say what is wrong and exit 2 (the command line's convention). */
function usageError(message) {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string' },
      steps: { type: 'string' },
      chunk: { type: 'string' },
      warmup: { type: 'string' },
      reps: { type: 'string' },
      'step-reps': { type: 'string' },
      images: { type: 'string' },
      'steps-per-submit': { type: 'string' },
      'max-gpu-bytes': { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (e) {
  usageError(e.message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

/** @param {string | undefined} v @param {string} name */
function positiveInt(v, name) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usageError(`--${name} must be a positive integer, got ${v}`);
  return n;
}
if (args.only !== undefined && args.only !== 'ours' && args.only !== 'tfjs') {
  usageError(`--only must be 'ours' or 'tfjs', got ${args.only}`);
}
const unavailable = benchUnavailable(process.argv.slice(2));
if (unavailable) usageError(unavailable);
const tfjs = installedTfjs();
if ('missing' in tfjs && args.only === undefined) {
  console.log(`TensorFlow.js is not installed (${tfjs.missing.join(', ')}): measuring this library only. For the comparison: ${TFJS_INSTALL}`);
  args.only = 'ours';
}
const options = Object.fromEntries(
  Object.entries({
    rounds: positiveInt(args.rounds, 'rounds'),
    steps: positiveInt(args.steps, 'steps'),
    chunk: positiveInt(args.chunk, 'chunk'),
    warmup: positiveInt(args.warmup, 'warmup'),
    matmulReps: positiveInt(args.reps, 'reps'),
    stepMatmulReps: positiveInt(args['step-reps'], 'step-reps'),
    images: positiveInt(args.images, 'images'),
    stepsPerSubmit: positiveInt(args['steps-per-submit'], 'steps-per-submit'),
    maxGpuBytes: positiveInt(args['max-gpu-bytes'], 'max-gpu-bytes'),
    only: args.only,
  }).filter(([, v]) => v !== undefined),
);

const page = benchPageServer('files' in tfjs ? tfjs.files : {});
const outDir = resolve(args.out ?? (page.kind === 'source' ? resolve(REPO_ROOT, 'bench', 'results') : 'bench-results'));

const started = performance.now();
const loadBefore = loadavg()[0];
const result = await withHeadlessPage(page.pagePath, ({ page: p }) => callPageFunction(p, 'runBench', options), {
  timeoutMs: 30 * 60_000,
  serve: page.serve,
  expose: {
    benchProgress: (line) => {
      const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
      console.log(`${t}s  ${line}`);
    },
  },
});

// SwiftShader runs on the CPU: anything else running on the machine slows both sides unevenly.
const cores = availableParallelism();
result.host = { cores, loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0] };
result.page = page.kind;

// ---- report ------------------------------------------------------------------------------------
const fmt = (x, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—');
/** median (min–max) */
const cell = (s, digits, scale = 1) => (s ? `${fmt(s.median * scale, digits)} (${fmt(s.min * scale, digits)}–${fmt(s.max * scale, digits)})` : '—');
const ratio = (a, b) => (a && b && b.median > 0 ? `${(a.median / b.median).toFixed(2)}×` : '—');
const o = result.ours;
const f = result.tfjs;
const rows = [
  ['training step (ms)', o.train?.msPerStep, f.train?.msPerStep, 0],
  ['training throughput (samples/s)', o.train?.samplesPerSec, f.train?.samplesPerSec, 0],
  ["training: a step's matmul flops per second (GFLOP/s)", o.train?.gflops, f.train?.gflops, 2],
  ['matmul 256×784×256 (GFLOP/s)', o.matmul?.gflops, f.matmul?.gflops, 2],
  ['matmul 256×784×256 (ms)', o.matmul?.msPerMatmul, f.matmul?.msPerMatmul, 1],
  ["a step's 5 matmuls alone (ms)", o.stepMatmuls?.msPerStep, f.stepMatmuls?.msPerStep, 0],
];
// Rows without a ratio: a share, a count.
const share = ['matmul share of a step (%)', o.stepMatmuls?.shareOfStep, f.stepMatmuls?.shareOfStep];
const table = [
  ['metric: median (min–max) of the rounds', 'ours', 'tfjs', 'ours/tfjs'],
  ...rows.map(([name, a, b, d]) => [name, cell(a, d), cell(b, d), ratio(a, b)]),
  [share[0], cell(share[1], 0, 100), cell(share[2], 0, 100), ''],
  ['compute dispatches per training step', fmt(o.dispatchesPerStep, 0), fmt(f.dispatchesPerStep, 0), ''],
];
const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');

const { adapter } = result;
const opts = result.options;
console.log('');
console.log(`date:    ${result.date}`);
console.log(`adapter: ${adapter.vendor} / ${adapter.architecture} / ${adapter.description || adapter.device || '(no description)'}`);
console.log(`model:   ${result.model}`);
console.log(
  `runs:    ${opts.rounds} interleaved rounds (ours, tfjs, …) after ${opts.warmup} warm-up steps; per round ${opts.steps} timed steps (chunks of ${opts.chunk}), ` +
    `${opts.matmulReps} matmuls, ${opts.stepMatmulReps}× the step's matmuls; ${opts.images} images${result.ours.streamed ? ` (ours streamed through windows of ${result.ours.streamed.windowRows})` : ''}; our stepsPerSubmit ${opts.stepsPerSubmit ?? 'default (4)'}; tfjs ${f.version ?? '—'} backend ${f.backend ?? '—'}; page ${result.page}`,
);
console.log(`host:    ${cores} cores, 1-min load average ${loadBefore.toFixed(1)} before, ${result.host.loadAverage1mAfter.toFixed(1)} after`);
// (The run itself keeps SwiftShader's threads busy, so only the load before it says much about others.)
if (loadBefore > cores / 2) {
  console.log(`WARNING: the machine was busy before the run (load ${loadBefore.toFixed(1)} on ${cores} cores); with SwiftShader, numbers are unreliable.`);
}
console.log('');
console.log(line(table[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of table.slice(1)) console.log(line(r));
console.log('(ours/tfjs of the medians: > 1 is ours higher — better for the rate rows, worse for the time rows)');

for (const side of ['ours', 'tfjs']) {
  const t = result[side].train;
  if (t) console.log(`${side}: loss after warm-up ${fmt(t.lossAfterWarmup, 2)}, after the last round ${fmt(t.lossLast, 2)}`);
}
// Where our step goes, from the trainer: the step's dispatches, its matmuls alone, their kernels.
const p = o.profile;
if (p && typeof p === 'object') {
  console.log(
    `ours, trainer.profile() (fastest runs): step ${fmt(p.stepMs, 1)} ms, its matmuls ${fmt(p.matmulMs, 1)} ms (${fmt((100 * p.matmulMs) / p.stepMs, 0)}%), ` +
      `everything else ${fmt(p.otherMs, 1)} ms; ${p.dispatchesPerStep} dispatches per step in the plan (${o.dispatchesPerStep ?? '—'} counted)`,
  );
  for (const m of p.matmuls ?? []) console.log(`  ${m.kernel.padEnd(18)} ${m.label}`);
  // The family of each shape and why (forced, tuned with its timings, cached, or the fallback adapter's default).
  for (const c of p.matmulChoices ?? []) {
    const timed = c.ms ? ` — ${Object.entries(c.ms).map(([k, ms]) => `${k} ${fmt(ms, 3)} ms`).join(', ')}${c.method ? ` (${c.method})` : ''}` : '';
    console.log(`  ${`${c.form} ${c.M}×${c.N}×${c.K}`.padEnd(18)} ${c.kernel} (${c.source})${timed}`);
  }
}
if (o.variants) console.log(`ours, dispatches per training step by variant (trainer.stepDispatches): ${o.variants.map((v) => `${v.name} ${v.dispatchesPerStep}`).join(', ')}`);
for (const side of ['ours', 'tfjs']) {
  for (const e of result[side].errors) console.log(`${side}: ${e === 'skipped' ? 'skipped' : `FAILED ${e}`}`);
}

mkdirSync(outDir, { recursive: true });
const file = resolve(outDir, `bench-${result.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log(`\nwrote ${file}  (${((performance.now() - started) / 1000).toFixed(0)} s in all)`);

const failed = ['ours', 'tfjs'].some((s) => result[s].errors.some((e) => e !== 'skipped'));
process.exitCode = failed ? 1 : 0;
