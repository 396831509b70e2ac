// The node runtime (--runtime node: the jobs in Node on Dawn's WebGPU) against the
// browser runtime (headless Chromium), here both on SwiftShader: the same job
// gives the same outputs (metrics, model, PNG pixels, gradients, within float
// tolerance), the same exit codes and messages for bad input, and an interrupted
// node run resumes bit-identically. The whole of tests/cli/cli.test.ts runs in the
// node runtime with WEBGPU_RUNTIME=node (docs/node-runtime.md).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeSafetensors, readModelFile, encodeSafetensors } from '../../src/index';
import { decodePng } from '../png';
import { randomValues } from '../random';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/webgpu-autoencoders.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'wgae-runtimes-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

type Runtime = 'browser' | 'node';
const RUNTIMES: Runtime[] = ['browser', 'node'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cliIn(bin: string, env: Record<string, string | undefined>, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { timeout: 120_000, maxBuffer: 16 << 20, env: { ...process.env, WEBGPU_ADAPTER: process.env.WEBGPU_ADAPTER ?? 'swiftshader', ...env } }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** The CLI in `runtime`, chosen by the flag (WEBGPU_RUNTIME unset, so the flag decides). */
const cli = (runtime: Runtime, ...args: string[]) => cliIn(BIN, { WEBGPU_RUNTIME: undefined }, [...args, '--runtime', runtime]);
const both = (...args: (string | ((r: Runtime) => string))[]) => Promise.all(RUNTIMES.map((r) => cli(r, ...args.map((a) => (typeof a === 'function' ? a(r) : a)))));

function writeIdx(name: string, dims: number[], data: Uint8Array): string {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const path = join(TMP, name);
  writeFileSync(path, Buffer.concat([header, Buffer.from(data)]));
  return path;
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** |a − b| within rel·|b| + abs, with a message naming what. */
function expectClose(a: number, b: number, what: string, rel = 1e-5, abs = 1e-6): void {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.abs(b) + abs);
}

/** Every tensor of two sets close: max |a − b| ≤ 1e-5 of the largest |b| (+1e-6), per tensor. */
function expectTensorsClose(a: Record<string, { data: ArrayLike<number>; shape: number[] }>, b: typeof a, what: string): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const [name, t] of Object.entries(b)) {
    expect(a[name].shape, `${what} ${name}`).toEqual(t.shape);
    let top = 0;
    let worst = 0;
    for (let k = 0; k < t.data.length; k++) {
      top = Math.max(top, Math.abs(t.data[k]));
      worst = Math.max(worst, Math.abs(a[name].data[k] - t.data[k]));
    }
    console.log(`${what} ${name}: max |node − browser| = ${worst.toExponential(2)} (scale ${top.toExponential(2)})`);
    expect(worst, `${what} ${name}`).toBeLessThanOrEqual(1e-5 * top + 1e-6);
  }
}

describe('choosing the runtime', () => {
  test('--runtime and WEBGPU_RUNTIME take browser or node; anything else exits 2 saying so', async () => {
    const [flag, env, help] = await Promise.all([
      cliIn(BIN, {}, ['train', '--runtime', 'deno']),
      cliIn(BIN, { WEBGPU_RUNTIME: 'deno' }, ['train']),
      cliIn(BIN, {}, ['help', 'grad']),
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--runtime must be one of browser, node \(got "deno"\)/);
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/WEBGPU_RUNTIME must be one of browser, node \(got "deno"\)/);
    expect(help.stdout).toMatch(/--runtime NAME +where the job runs: browser \| node/);
  });

  test('without the webgpu package, or without an adapter, the node runtime exits 1 saying what to install', async () => {
    // A copy of the command line whose node_modules has every package of the repo's but webgpu.
    const copy = join(TMP, 'no-webgpu');
    for (const d of ['bin', 'cli/node']) cpSync(join(ROOT, d), join(copy, d), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
    mkdirSync(join(copy, 'node_modules'));
    for (const name of readdirSync(join(ROOT, 'node_modules'))) if (name !== 'webgpu' && name !== '.bin') symlinkSync(join(ROOT, 'node_modules', name), join(copy, 'node_modules', name));
    expect(existsSync(join(copy, 'node_modules', 'webgpu'))).toBe(false);
    const [missing, noAdapter] = await Promise.all([
      cliIn(join(copy, 'bin/webgpu-autoencoders.mjs'), {}, ['train', '--runtime', 'node', '--quiet']),
      cliIn(BIN, { VK_ICD_FILENAMES: join(TMP, 'no-such-icd.json') }, ['train', '--runtime', 'node', '--adapter', 'swiftshader', '--quiet']),
    ]);
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr).toMatch(/--runtime node needs the optional dependency `webgpu` \(Dawn for Node\), which is not installed: run `npm install webgpu@0\.6\.2`/);
    expect(noAdapter.code, noAdapter.stderr).toBe(1);
    expect(noAdapter.stderr).toMatch(/--runtime node: Dawn found no SwiftShader WebGPU adapter \(VK_ICD_FILENAMES=\S+no-such-icd\.json.*\)\. Install a Vulkan loader and driver/);
  });
});

describe('the same jobs in both runtimes', () => {
  // 8×8 images in four classes (stripes and checks, with noise), labelled: 160 to train on
  // (the linear probe's batches are 128), 20 held out.
  const D = 64;
  function images(count: number, seed: number) {
    const noise = randomValues(count * D, seed, 0, 1);
    const px = new Uint8Array(count * D);
    const labels = new Uint8Array(count);
    for (let k = 0; k < count; k++) {
      const c = (labels[k] = k % 4);
      for (let p = 0; p < D; p++) {
        const [r, q] = [p >> 3, p & 7];
        const on = c === 0 ? q < 4 : c === 1 ? r < 4 : c === 2 ? (r + q) % 2 === 0 : r === q;
        px[k * D + p] = Math.floor(on ? 200 + 55 * noise[k * D + p] : 40 * noise[k * D + p]);
      }
    }
    return { images: px, labels };
  }
  const out = (r: Runtime, what: string) => join(TMP, `${what}-in-${r}`);
  /** A job's stdout without what may differ: the runtime in paths, speeds, the adapter's description (Chromium hides it). */
  const same = (s: string) => s.replace(/-in-(browser|node)\b/g, '-in-R').replace(/g-(browser|node)\.safetensors/g, 'g-R.safetensors').replace(/\d+ samples\/s on .*/g, 'N samples/s');
  let config = '';

  test('train: the same metrics, model and pictures', async () => {
    const train = images(160, 1);
    const test = images(20, 2);
    writeIdx('train-images', [160, 8, 8], train.images);
    writeIdx('train-labels', [160], train.labels);
    writeIdx('test-images', [20, 8, 8], test.images);
    writeIdx('test-labels', [20], test.labels);
    config = join(TMP, 'job.json');
    writeFileSync(
      config,
      JSON.stringify({
        model: { hiddenSize: 6, noise: { type: 'masking', rate: 0.3 }, dropout: 0.25, seed: 5 },
        training: { epochs: 2, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 } },
        data: { train: { images: 'train-images', labels: 'train-labels' }, test: { images: 'test-images', labels: 'test-labels' } },
        probe: { epochs: 5 },
      }),
    );
    const runs = await both('train', '--config', config, '--checkpoint-every', '1', '--out', (r) => out(r, 'train'));
    runs.forEach((r, i) => expect(r.code, `${RUNTIMES[i]}: ${r.stderr}`).toBe(0));
    const [b, n] = runs;
    for (const r of [b, n]) {
      expect(r.stderr).toMatch(/WebGPU: SwiftShader/);
      expect(r.stderr).toMatch(/epoch 2\/2 .*step 10\/10 .*loss \d+\.\d+/);
      expect(r.stdout).toMatch(/held-out reconstruction loss: [\d.]+ before training → [\d.]+ after 2 epoch/);
    }
    expect(n.stderr).toMatch(/in Node \(Dawn\)/);
    expect(same(n.stdout)).toBe(same(b.stdout));

    const [mb, mn] = RUNTIMES.map((r) => json(join(out(r, 'train'), 'metrics.json')));
    expect([mb.runtime, mn.runtime]).toEqual(['browser', 'node']);
    for (const key of ['format', 'command', 'version', 'config', 'training', 'probe', 'data', 'earlyStopping', 'resumedFrom']) expect(mn[key], key).toEqual(mb[key]);
    expect(mn.adapter).toMatchObject({ kind: 'swiftshader', vendor: mb.adapter.vendor, architecture: mb.adapter.architecture });
    expectClose(mn.losses.initialHeldOut, mb.losses.initialHeldOut, 'initial held-out loss');
    expect(mn.losses.epochs).toHaveLength(2);
    mn.losses.epochs.forEach((e: { trainLoss: number; evalLoss: number }, i: number) => {
      expectClose(e.trainLoss, mb.losses.epochs[i].trainLoss, `epoch ${i + 1} training loss`);
      expectClose(e.evalLoss, mb.losses.epochs[i].evalLoss, `epoch ${i + 1} held-out loss`);
    });
    expectClose(mn.heldOut.reconstruction, mb.heldOut.reconstruction, 'held-out reconstruction');
    for (const k of ['meanActivation', 'fractionNearZero', 'unitMeanMin', 'unitMeanMax']) expectClose(mn.heldOut.sparsity[k], mb.heldOut.sparsity[k], `sparsity.${k}`);
    expectClose(mn.heldOut.jacobian.meanFrobeniusNorm, mb.heldOut.jacobian.meanFrobeniusNorm, 'Jacobian norm');
    // The probe's accuracy on 20 samples: the same, but for at most one sample on the edge.
    expect(Math.abs(mn.heldOut.probe.testAccuracy - mb.heldOut.probe.testAccuracy)).toBeLessThanOrEqual(1 / 20);
    expect(mn.throughput.steps).toBe(20);

    const model = (r: Runtime) => readModelFile(new Uint8Array(readFileSync(join(out(r, 'train'), 'model.safetensors'))));
    const [fb, fn] = [model('browser'), model('node')];
    expect(fn.config).toEqual(fb.config);
    expect(fn.training).toMatchObject({ step: 20, batchSize: 16 });
    const shaped = (f: typeof fb) => Object.fromEntries(Object.entries(f.tensors).map(([k, v]) => [k, { data: v, shape: [v.length] }]));
    expectTensorsClose(shaped(fn), shaped(fb), 'model');

    // The pictures: decodable, the same files, sizes and (all but a few rounding-edge) pixels.
    const pngs = (r: Runtime) => readdirSync(out(r, 'train')).filter((f) => f.endsWith('.png')).sort();
    expect(pngs('node')).toEqual(['filters.png', 'loss.png', 'reconstructions.png']);
    expect(pngs('browser')).toEqual(pngs('node'));
    for (const name of pngs('node')) {
      const [pb, pn] = RUNTIMES.map((r) => decodePng(readFileSync(join(out(r, 'train'), name))));
      expect([pn.width, pn.height], name).toEqual([pb.width, pb.height]);
      let differ = 0;
      for (let k = 0; k < pn.rgba.length; k++) if (Math.abs(pn.rgba[k] - pb.rgba[k]) > 1) differ++;
      console.log(`${name}: ${pn.width}×${pn.height}, ${differ} of ${pn.rgba.length} bytes differ by more than 1`);
      expect(differ, name).toBeLessThanOrEqual(pn.rgba.length / 1000);
    }
  });

  test('eval and grad of the same model: the same measures and gradients', async () => {
    const model = join(out('browser', 'train'), 'model.safetensors');
    const B = 5;
    const x = Float32Array.from(randomValues(B * D, 9, 0, 1));
    const batch = join(TMP, 'batch.safetensors');
    writeFileSync(batch, encodeSafetensors({ x: { dtype: 'F32', shape: [B, D], data: x } }, { step: '3', seed: '7' }));
    const [evals, grads] = await Promise.all([
      both('eval', '--model', model, '--config', config, '--out', (r) => out(r, 'eval'), '--quiet'),
      both('grad', '--model', model, '--batch', batch, '--out', (r) => join(TMP, `g-${r}.safetensors`), '--quiet'),
    ]);
    for (const r of [...evals, ...grads]) expect(r.code, r.stderr).toBe(0);
    expect(same(evals[1].stdout)).toBe(same(evals[0].stdout));
    expect(grads[1].stdout).toMatch(/^step 3 \(seed 7\) on 5 rows: loss [\d.]+/);

    const [eb, en] = RUNTIMES.map((r) => json(join(out(r, 'eval'), 'metrics.json')));
    expect([eb.runtime, en.runtime]).toEqual(['browser', 'node']);
    expect(en.data).toEqual(eb.data);
    expectClose(en.heldOut.reconstruction, eb.heldOut.reconstruction, 'eval: held-out reconstruction');
    expectClose(en.heldOut.jacobian.meanFrobeniusNormSquared, eb.heldOut.jacobian.meanFrobeniusNormSquared, 'eval: Jacobian norm²');
    expect(readdirSync(out('node', 'eval')).sort()).toEqual(readdirSync(out('browser', 'eval')).sort());
    for (const f of ['reconstructions.png', 'filters.png']) expect(decodePng(readFileSync(join(out('node', 'eval'), f))).width).toBe(decodePng(readFileSync(join(out('browser', 'eval'), f))).width);

    const [gb, gn] = RUNTIMES.map((r) => decodeSafetensors(new Uint8Array(readFileSync(join(TMP, `g-${r}.safetensors`)))));
    expect(gn.metadata).toEqual(gb.metadata);
    // The draws are hashes of (seed, step, element): bit-identical in both runtimes.
    for (const name of ['draws.input', 'draws.dropout_scale.0']) expect(Array.from(gn.tensors[name].data as Float32Array), name).toEqual(Array.from(gb.tensors[name].data as Float32Array));
    expectTensorsClose(gn.tensors as never, gb.tensors as never, 'grad');
  });

  test('bad input: the same exit code and message in both runtimes', async () => {
    const notAModel = join(TMP, 'not-a-model.safetensors');
    writeFileSync(notAModel, '{ "x": 1 }');
    const labels19 = writeIdx('labels-19', [19], new Uint8Array(19));
    const [badModel, mismatch] = await Promise.all([
      both('eval', '--model', notAModel, '--out', (r) => out(r, 'x1'), '--quiet'),
      both('train', '--config', config, '--test-labels', labels19, '--out', (r) => out(r, 'x2'), '--quiet'),
    ]);
    for (const [b, n] of [badModel, mismatch]) {
      expect([b.code, n.code], n.stderr).toEqual([2, 2]);
      expect(n.stderr).toBe(b.stderr);
      expect(n.stdout).toBe('');
    }
    expect(badModel[1].stderr).toMatch(/not-a-model\.safetensors: not a valid safetensors file/);
    expect(mismatch[1].stderr).toMatch(/test labels .*labels-19 hold 19 labels but the images file .*test-images has 20 images/);
  });

  test('node: interrupted by SIGINT after the first checkpoint, then resumed, ends bit-identical to the whole run', async () => {
    const cut = out('node', 'cut');
    const interrupted = await cliIn(BIN, { WGAE_SIGNAL_AFTER_FIRST_CHECKPOINT: 'SIGINT' }, ['train', '--config', config, '--checkpoint-every', '1', '--out', cut, '--quiet', '--runtime', 'node']);
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted \(SIGINT\) after epoch 1 of 2 \(step 10\): wrote .*cut-in-node\/checkpoint\.safetensors/);
    expect(existsSync(join(cut, 'model.safetensors'))).toBe(false);
    const resumed = await cli('node', 'train', '--config', config, '--checkpoint-every', '1', '--out', cut, '--quiet', '--resume', join(cut, 'checkpoint.safetensors'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const bits = (dir: string) => Object.fromEntries(Object.entries(readModelFile(new Uint8Array(readFileSync(join(dir, 'model.safetensors')))).tensors).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));
    expect(bits(cut)).toEqual(bits(out('node', 'train')));
    expect(json(join(cut, 'metrics.json')).resumedFrom.afterEpoch).toBe(1);
  });
});
