// Each matmul kernel family ('blocked', 'tiled', and 'subgroup' where the device has subgroups) on the 784–256–784 step's matmul shapes,
// in GFLOP/s, and the time MatmulTuner takes to choose for them.
//
//   flock /tmp/chromium.lock node bench/matmul-kernels.mjs [--reps 5] [--batch 4]
//
// SwiftShader runs on the CPU: the load average before the run is printed with the numbers.
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { callPageFunction, withHeadlessPage } from '../cli/node/headless.mjs';

const USAGE = 'usage: node bench/matmul-kernels.mjs [--reps N] [--batch N]';
let args;
try {
  ({ values: args } = parseArgs({ options: { reps: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
} catch (e) {
  console.error(`matmul-kernels: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
function positiveInt(v, name, fallback) {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`matmul-kernels: --${name} must be a positive integer, got ${v}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const options = { reps: positiveInt(args.reps, 'reps', 5), batch: positiveInt(args.batch, 'batch', 4) };
const load = loadavg();
const r = await withHeadlessPage('bench/matmul-kernels.html', ({ page }) => callPageFunction(page, 'runMatmulKernels', options), { timeoutMs: 10 * 60_000 });
console.log(`adapter:  ${r.adapter}${r.isFallbackAdapter ? ' (fallback adapter)' : ''}`);
console.log(`features: adapter ${r.adapterFeatures.join(', ') || '—'}; device ${r.deviceFeatures.join(', ') || '—'}`);
console.log(`host:     ${availableParallelism()} cores, load average ${load.map((x) => x.toFixed(2)).join(' ')} before, ${loadavg()[0].toFixed(2)} after`);
console.log(`runs:     median of ${options.reps} timed submits of ${options.batch} dispatches (after one warm-up), per kernel and shape`);
console.log('');
const kernels = Object.keys(r.rows[0]).filter((k) => typeof r.rows[0][k] === 'object');
console.log(['shape'.padEnd(16), ...kernels.map((k) => `${k} GFLOP/s (ms)`.padStart(24)), '  step role'].join(''));
for (const row of r.rows) {
  const cells = kernels.map((k) => `${row[k].gflops.toFixed(2)} (${row[k].ms.toFixed(1)})`.padStart(24));
  console.log([`${row.form} ${row.M}×${row.N}×${row.K}`.padEnd(16), ...cells, `  ${row.what}`].join(''));
}
console.log(`\ntiming method: ${r.rows[0][kernels[0]].method}`);
console.log(`MatmulTuner 'tune' on the step's 5 shapes, from nothing (pipelines compiled, 3 runs each): ${r.tuneMs.toFixed(0)} ms`);
for (const c of r.choices) console.log(`  ${c.form} ${c.M}×${c.N}×${c.K}: ${c.kernel} (${Object.entries(c.ms ?? {}).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')})`);
