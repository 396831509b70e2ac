// npm run bench: this library vs TensorFlow.js (WebGPU) in one headless Chromium.
//
//   node bench/run.mjs [--steps 20] [--chunk 5] [--warmup 3] [--reps 10] [--step-reps 5] [--images 16384] [--only ours|tfjs]
//
// Prints a table and writes bench/results/bench-<date>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { callPageFunction, REPO_ROOT, withHeadlessPage } from '../cli/node/headless.mjs';

const USAGE = 'usage: node bench/run.mjs [--steps N] [--chunk N] [--warmup N] [--reps N] [--step-reps N] [--images N] [--only ours|tfjs]';
/** A bad argument: say what is wrong and exit 2 (the command line's convention). */
function usageError(message) {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      steps: { type: 'string' },
      chunk: { type: 'string' },
      warmup: { type: 'string' },
      reps: { type: 'string' },
      'step-reps': { type: 'string' },
      images: { type: 'string' },
      only: { type: 'string' },
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
const options = Object.fromEntries(
  Object.entries({
    steps: positiveInt(args.steps, 'steps'),
    chunk: positiveInt(args.chunk, 'chunk'),
    warmup: positiveInt(args.warmup, 'warmup'),
    matmulReps: positiveInt(args.reps, 'reps'),
    stepMatmulReps: positiveInt(args['step-reps'], 'step-reps'),
    images: positiveInt(args.images, 'images'),
    only: args.only,
  }).filter(([, v]) => v !== undefined),
);

const started = performance.now();
const loadBefore = loadavg()[0];
const result = await withHeadlessPage(
  'bench/bench.html',
  ({ page }) => callPageFunction(page, 'runBench', options),
  {
    timeoutMs: 15 * 60_000,
    expose: {
      benchProgress: (line) => {
        const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
        console.log(`${t}s  ${line}`);
      },
    },
  },
);

// SwiftShader runs on the CPU: anything else running on the machine slows both sides unevenly.
const cores = availableParallelism();
result.host = { cores, loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0] };

// ---- report ------------------------------------------------------------------------------------
const fmt = (x, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—');
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
const o = result.ours;
const f = result.tfjs;
const rows = [
  ['training throughput, mean (samples/s)', o.train?.samplesPerSec, f.train?.samplesPerSec, 1],
  [`training throughput, best ${result.options.chunk}-step chunk`, o.train?.bestSamplesPerSec, f.train?.bestSamplesPerSec, 1],
  ['training step, mean (ms)', o.train?.msPerStep, f.train?.msPerStep, 0],
  ['matmul 256×784×256, mean (GFLOP/s)', o.matmul?.gflops, f.matmul?.gflops, 3],
  ['matmul 256×784×256, best (GFLOP/s)', o.matmul?.bestGflops, f.matmul?.bestGflops, 3],
  ['matmul 256×784×256, mean (ms)', o.matmul?.msPerMatmul, f.matmul?.msPerMatmul, 1],
];
const table = [['metric', 'ours', 'tfjs', 'ours/tfjs'], ...rows.map(([name, a, b, d]) => [name, fmt(a, d), fmt(b, d), ratio(a, b)])];
const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');

const { adapter } = result;
console.log('');
console.log(`date:    ${result.date}`);
console.log(`adapter: ${adapter.vendor} / ${adapter.architecture} / ${adapter.description || adapter.device || '(no description)'}`);
console.log(`model:   ${result.model}`);
console.log(
  `runs:    ${result.options.warmup} warm-up + ${result.options.steps} timed steps (chunks of ${result.options.chunk}) on ${result.options.images} images; ` +
    `${result.options.matmulReps} timed matmuls; tfjs backend ${result.tfjs.backend ?? '—'}`,
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
console.log('(ours/tfjs > 1: ours higher — better for the rate rows, worse for the time rows)');

for (const side of ['ours', 'tfjs']) {
  const t = result[side].train;
  if (t) console.log(`${side}: loss after warm-up ${fmt(t.lossAfterWarmup, 2)}, after the timed steps ${fmt(t.lossLast, 2)}`);
}

// Where a step's time goes. A step does 5 matmuls of 2·256·784·256 flops each (forward X·W1ᵀ,
// H·W2ᵀ; backward dW2, dH, dW1 — no gradient w.r.t. the input). Each side's 5 matmuls, at the
// step's shapes and transposes, are timed on their own and compared with the measured step.
console.log('');
console.log('where a training step goes (the 5 matmuls of a step, timed alone):');
for (const side of ['ours', 'tfjs']) {
  const t = result[side].train;
  const m = result[side].stepMatmuls;
  if (t && m) {
    // Best against best: both are the least disturbed measurements.
    console.log(
      `  ${side}: matmuls ${fmt(m.bestMsPerStep, 0)} ms of a ${fmt(t.bestMsPerStep, 0)} ms step (best runs) ` +
        `= ${fmt((100 * m.bestMsPerStep) / t.bestMsPerStep, 0)}%; everything else ≈ ${fmt(t.bestMsPerStep - m.bestMsPerStep, 0)} ms`,
    );
  }
}
const p = result.ours.profile;
if (p && typeof p === 'object') {
  const entries = Object.entries(p).map(([k, v]) => `${k} ${fmt(v, 1)}`);
  console.log(`  ours, trainer.profile() (one step's own dispatches, ms): ${entries.join(', ')}`);
}
for (const side of ['ours', 'tfjs']) {
  for (const e of result[side].errors) console.log(`${side}: ${e === 'skipped' ? 'skipped' : `FAILED ${e}`}`);
}

const dir = `${REPO_ROOT}bench/results`;
mkdirSync(dir, { recursive: true });
const file = `${dir}/bench-${result.date.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log(`\nwrote ${file.slice(REPO_ROOT.length)}  (${((performance.now() - started) / 1000).toFixed(0)} s in all)`);

const failed = ['ours', 'tfjs'].some((s) => result[s].errors.some((e) => e !== 'skipped'));
process.exitCode = failed ? 1 : 0;
