// Stress check of the node runtime on SwiftShader (docs/node-runtime.md): does Dawn
// in Node crash when the main thread is busy between submits, as recorded in the
// design brief (segfault or "the futex facility returned an unexpected error code")?
//
//   node scripts/node-runtime-stress.mjs loop [runs]    the brief's case: 200 submits of a
//       1M-element dispatch, the main thread busy 30–50 ms every 50 submits (every50),
//       30 ms after every submit (every), 50 ms after draining the queue every 50
//       (drained), each run a fresh process; and every50 with the GPU object of
//       create() left unreachable (unreferenced-every50), expected to crash
//   node scripts/node-runtime-stress.mjs train [runs]   `train --runtime node` on 2000 MNIST
//       digits, 2 epochs, checkpoints every epoch, in the repo's CLI
//
// Prints one line per run (exit code or signal, seconds) and a summary.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { swiftShaderEnv } from '../cli/node/node-runtime.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [mode = 'loop', runsArg = '10'] = process.argv.slice(2);

if (mode === 'loop-child') {
  // One run of the brief's case, in this process.
  const variant = process.argv[3];
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  // The GPU object of create() must stay reachable while its devices work: once it
  // is garbage-collected, Dawn's instance goes and SwiftShader's threads crash
  // (the 'unreferenced' variant drops it, as `await create([]).requestAdapter()` does).
  let gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (variant.startsWith('unreferenced')) gpu = undefined;
  const device = await adapter.requestDevice();
  const n = 1 << 20;
  const buffer = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE, label: 'stress data' });
  const module = device.createShaderModule({
    label: 'stress kernel',
    code: `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
      @compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3u) {
        let i = g.x + g.y * 65535u * 256u;
        if (i < arrayLength(&a)) { a[i] = a[i] * 0.5 + 1.0; }
      }`,
  });
  const pipeline = device.createComputePipeline({ label: 'stress pipeline', layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bind = device.createBindGroup({ label: 'stress bind group', layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
  const busy = (ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  for (let s = 0; s < 200; s++) {
    const enc = device.createCommandEncoder({ label: 'stress encoder' });
    const pass = enc.beginComputePass({ label: 'stress pass' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(n / 256);
    pass.end();
    device.queue.submit([enc.finish()]);
    if (variant.endsWith('every50') && s % 50 === 49) busy(30 + (s % 3) * 10);
    if (variant === 'every') busy(30);
    if (variant === 'drained' && s % 50 === 49) {
      await device.queue.onSubmittedWorkDone();
      busy(50);
    }
  }
  await device.queue.onSubmittedWorkDone();
  device.destroy();
  process.exit(0);
}

const runs = Number(runsArg);
const results = [];
function once(label, args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 600_000 });
  const outcome = r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  const seconds = (performance.now() - t0) / 1000;
  const crash = r.signal || r.status !== 0 ? ` — ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}` : '';
  console.log(`${label}: ${outcome} in ${seconds.toFixed(1)} s${crash}`);
  results.push({ label, ok: !r.signal && r.status === 0, outcome });
}

const env = swiftShaderEnv();
if (mode === 'loop') {
  for (let i = 0; i < runs; i++) {
    for (const variant of ['every50', 'every', 'drained', 'unreferenced-every50']) once(`loop ${variant} #${i + 1}`, [fileURLToPath(import.meta.url), 'loop-child', variant], env);
  }
} else if (mode === 'train') {
  for (let i = 0; i < runs; i++) {
    const out = mkdtempSync(join(tmpdir(), 'wgae-stress-'));
    once(`train #${i + 1}`, [join(ROOT, 'bin/webgpu-autoencoders.mjs'), 'train', '--runtime', 'node', '--adapter', 'swiftshader', '--epochs', '2', '--train-limit', '2000', '--test-limit', '500', '--hidden', '32', '--checkpoint-every', '1', '--probe-epochs', '3', '--out', out, '--quiet'], env);
    rmSync(out, { recursive: true, force: true });
  }
} else {
  console.error(`usage: node scripts/node-runtime-stress.mjs loop|train [runs]`);
  process.exit(2);
}
const expected = (r) => r.label.startsWith('loop unreferenced') !== r.ok; // the unreferenced variant should crash
const bad = results.filter((r) => !expected(r));
for (const variant of new Set(results.map((r) => r.label.replace(/ #\d+$/, '')))) {
  const mine = results.filter((r) => r.label.replace(/ #\d+$/, '') === variant);
  console.log(`${variant}: ${mine.filter((r) => r.ok).length}/${mine.length} ran to the end`);
}
console.log(`${results.length} runs, ${results.length - bad.length} as expected, ${bad.length} not${bad.length ? `: ${bad.map((r) => `${r.label} (${r.outcome})`).join(', ')}` : ''}`);
process.exitCode = bad.length ? 1 : 0;
