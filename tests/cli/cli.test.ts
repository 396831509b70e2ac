// The command line (bin/webgpu-autoencoders.mjs) run as a user runs it: a child
// process per command, its exit code, messages and output files. The jobs run
// in headless Chromium (WebGPU on SwiftShader here), so each command that
// reaches the page costs a few seconds; the usage errors do not start a browser.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ACTIVATIONS, decodeSafetensors, encodeSafetensors, MATMUL_KERNEL_OPTIONS, MODEL_FORMAT, readModelFile, resolveConfig, type ResolvedConfig, type SafetensorsTensor } from '../../src/index';
// @ts-expect-error plain ESM module of the command line
import { ENCODER_ACTIVATIONS, MATMUL_KERNEL_CHOICES } from '../../cli/node/job-config.mjs';
import { autoencoderLayout } from '../../src/model/layout';
import { architecture } from '../../src/model/architecture';
import { autoencoderStepRef, type Params } from '../../src/reference/autoencoder';
import { dropoutScaleRef } from '../../src/reference/dropout';
import { randomValues } from '../random';

const BIN = resolve(__dirname, '../../bin/webgpu-autoencoders.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'wgae-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// The adapter: WEBGPU_ADAPTER if set, else SwiftShader without the ~1 s probe for a
// GPU; the MNIST training run uses 'auto' (probe, then fall back) like a user would.
const ADAPTER = process.env.WEBGPU_ADAPTER ?? 'swiftshader';

function cli(...args: string[]): Promise<Run> {
  return cliWith(ADAPTER, ...args);
}

function cliWith(adapter: string, ...args: string[]): Promise<Run> {
  const env = { ...process.env, WEBGPU_ADAPTER: adapter };
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, maxBuffer: 16 << 20, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function writeJson(name: string, value: unknown): string {
  const path = join(TMP, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

/** An unsigned-byte IDX file. */
function writeIdx(name: string, dims: number[], data: Uint8Array): string {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const path = join(TMP, name);
  writeFileSync(path, Buffer.concat([header, Buffer.from(data)]));
  return path;
}

/** Width and height from a PNG's IHDR, after checking the signature. */
function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

const f64 = (p: Record<string, Float32Array>): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));

describe('usage', () => {
  test('--help, help <command> and --version exit 0', async () => {
    const [help, trainHelp, version, benchHelp] = await Promise.all([cli('--help'), cli('help', 'train'), cli('--version'), cli('bench', '--help')]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: webgpu-autoencoders <command>/);
    for (const c of ['train', 'eval', 'grad', 'bench']) expect(help.stdout).toContain(`  ${c} `);
    expect(trainHelp.code).toBe(0);
    expect(trainHelp.stdout).toMatch(/--train-images FILE/);
    expect(benchHelp.code).toBe(0);
    expect(benchHelp.stdout).toMatch(/--rounds +interleaved rounds, ours then tfjs in each/);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')).version);
  });

  test('bad commands, flags, values and files exit 2 saying what is wrong', async () => {
    const malformed = writeJson('malformed.json', '{ "model": { "hiddenSize": 4 ');
    const typo = writeJson('typo.json', { modle: { hiddenSize: 4 } });
    const badTraining = writeJson('bad-training.json', { training: { epochs: 1.5 } });
    const cases: Array<[string[], RegExp]> = [
      [[], /a command is needed/],
      [['frob'], /unknown command "frob"; commands: train, eval, finetune, grad, experiment, bench/],
      [['train', '--epoch', '3'], /unknown option --epoch \(did you mean --epochs\?\)/],
      [['train', '--epochs'], /--epochs needs a value/],
      [['train', '--epochs', 'zero'], /--epochs must be a positive integer \(got "zero"\)/],
      [['train', '--quiet=yes'], /--quiet is a switch and takes no value/],
      [['train', '--config', join(TMP, 'missing.json')], /config .*missing\.json: cannot be read \(no such file\)/],
      [['train', '--config', malformed], /malformed\.json: is not valid JSON/],
      [['train', '--config', typo], /unknown field\(s\) "modle"; allowed: model, training, data, probe/],
      [['train', '--config', badTraining], /training\.epochs must be a positive integer \(got 1\.5\)/],
      [['train', '--config', writeJson('bad-kernel.json', { training: { matmulKernel: 'fastest' } })], /training\.matmulKernel must be one of auto, tune, blocked, tiled, subgroup \(got "fastest"\)/],
      [['train', '--config', writeJson('bad-group.json', { training: { stepsPerSubmit: 65 } })], /training\.stepsPerSubmit must be an integer in \[1, 64\] \(got 65\)/],
      [['train', '--optimizer', 'adagrad'], /--optimizer must be one of sgd, momentum, adam/],
      [['train', '--encoder', 'softmax'], /--encoder must be one of linear, sigmoid, tanh, relu \(got "softmax"\)/],
      [['train', '--encoder'], /--encoder needs a value/],
      [['train', '--tied=yes'], /--tied is a switch and takes no value/],
      [['train', '--weight-decay', '-0.1'], /--weight-decay must be a number ≥ 0 \(got "-0\.1"\)/],
      [['train', '--weight-decay', 'lots'], /--weight-decay must be a number ≥ 0 \(got "lots"\)/],
      [['train', '--adapter', 'gpu'], /--adapter must be one of auto, hardware, swiftshader \(got "gpu"\)/],
      [['train', '--train-images', join(TMP, 'nope')], /train images .*nope: cannot be read \(no such file\)/],
      [['train', '--out', malformed], /--out .*malformed\.json: exists and is not a folder/],
      [['eval'], /eval: --model is required/],
      [['train', '--probe-epochs', '-1'], /--probe-epochs must be an integer ≥ 0 \(got "-1"\)/],
      [['train', '--config', writeJson('bad-probe.json', { probe: { epoch: 3 } })], /probe: unknown field\(s\) "epoch"; allowed: epochs, trainLimit/],
      [['grad', '--model', malformed], /grad: --batch is required/],
      [['grad', '--model', malformed, '--batch', malformed, '--out', join(TMP, 'g'), 'extra'], /unexpected argument\(s\) "extra"/],
      [['bench', '--rounds', '0'], /bench: --rounds must be a positive integer, got 0/],
      [['bench', '--only', 'pytorch'], /bench: --only must be 'ours' or 'tfjs', got pytorch/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args)));
    runs.forEach((r, i) => {
      const [args, message] = cases[i];
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    });
  });

  test("--encoder and training.matmulKernel accept exactly the library's activations and kernel options", () => {
    expect(ENCODER_ACTIVATIONS).toEqual([...ACTIVATIONS]);
    expect(MATMUL_KERNEL_CHOICES).toEqual([...MATMUL_KERNEL_OPTIONS]);
  });

  test("a bad model config field gets the library's message and exit 2", async () => {
    const cfg = writeJson('bad-model.json', { model: { hiddenSize: -3 } });
    const r = await cli('train', '--config', cfg, '--quiet');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/hiddenSize must be a positive integer \(got -3\)/);
  });
});

describe('train and eval on MNIST', () => {
  const out = join(TMP, 'mnist');
  const evalOut = join(TMP, 'mnist-eval');

  test('train: 1 epoch on 500 digits writes the model, metrics and pictures', async () => {
    // The workgroup-memory tiled matmuls forced (the fallback adapter's default is the blocked family).
    const cfg = writeJson('mnist.json', { model: { hiddenSize: 16 }, training: { epochs: 1, batchSize: 50, trainLimit: 500, testLimit: 200, matmulKernel: 'tiled', stepsPerSubmit: 3 }, probe: { epochs: 20 } });
    const r = await cliWith(process.env.WEBGPU_ADAPTER ?? 'auto', 'train', '--config', cfg, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/WebGPU: (hardware GPU|SwiftShader)/);
    expect(r.stderr).toMatch(/epoch 1\/1 .*step 10\/10 .*loss \d+\.\d+ .*samples\/s/); // progress, plain lines (not a TTY)
    expect(r.stderr).toMatch(/adapter: google/);
    expect(r.stdout).toMatch(/held-out reconstruction loss: [\d.]+ before training → [\d.]+ after 1 epoch/);

    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.command).toBe('train');
    expect(m.config).toMatchObject({ inputSize: 784, hiddenSize: 16, loss: 'bce' });
    expect(m.training).toMatchObject({ epochs: 1, batchSize: 50, optimizer: { type: 'adam', learningRate: 0.001 }, seed: 1, shuffle: true, matmulKernel: 'tiled', stepsPerSubmit: 3 });
    expect(m.data.train).toMatchObject({ count: 500, rows: 28, cols: 28, labelled: true });
    expect(m.data.test.count).toBe(200);
    expect(m.adapter.kind).toMatch(/^(hardware|swiftshader)$/);
    expect(typeof m.adapter.vendor).toBe('string');
    const [epoch] = m.losses.epochs;
    expect(m.losses.epochs).toHaveLength(1);
    // Ten Adam steps from the random start lower the loss (per digit, summed over 784 pixels: ≈ 545 at the start).
    expect(m.losses.initialHeldOut).toBeGreaterThan(400);
    expect(epoch.evalLoss).toBeLessThan(m.losses.initialHeldOut - 5);
    expect(epoch.trainLoss).toBeGreaterThan(0);
    expect(m.heldOut.reconstruction).toBe(epoch.evalLoss); // the same model on the same digits
    expect(m.heldOut.samples).toBe(200);
    expect(m.heldOut.sparsity.meanActivation).toBeGreaterThan(0);
    expect(m.heldOut.sparsity.meanActivation).toBeLessThan(1);
    expect(m.heldOut.sparsity.unitMeanMin).toBeLessThanOrEqual(m.heldOut.sparsity.unitMeanMax);
    expect(m.heldOut.jacobian.meanFrobeniusNorm).toBeGreaterThan(0);
    expect(m.heldOut.jacobian.meanFrobeniusNormSquared).toBeGreaterThanOrEqual(m.heldOut.jacobian.meanFrobeniusNorm ** 2 * 0.999); // E[X²] ≥ E[X]²
    // The linear probe on the 16-unit codes: far above chance (10%) even after ten steps.
    expect(m.probe).toEqual({ epochs: 20, trainLimit: 10000 });
    expect(m.heldOut.probe).toMatchObject({ classes: 10, features: 16, trainCount: 500, testCount: 200, epochs: 20 });
    expect(m.heldOut.probe.testAccuracy).toBeGreaterThan(0.3);
    expect(r.stdout).toMatch(/linear probe on the codes: [\d.]+% held-out accuracy/);
    expect(m.heldOut.vae).toBeNull(); // not a VAE
    expect(m.throughput.trainSamplesPerSecond).toBeGreaterThan(0);
    expect(m.throughput.steps).toBe(10);
    // The plan's kernels: one step of a one-layer model records 5 matmuls (2 forward, 3 backward) at shapes made of B = 50, D = 784, H = 16.
    expect(m.kernels.matmul).toHaveLength(5);
    for (const c of m.kernels.matmul) {
      expect(c).toMatchObject({ kernel: 'tiled', source: 'forced' });
      expect([c.M, c.N, c.K].sort((a, b) => a - b)).toEqual([16, 50, 784]);
    }
    expect(m.kernels.dispatchesPerStep).toBe(m.kernels.stepDispatches.length);
    expect(m.kernels.stepDispatches.filter((d: { kernel: string }) => d.kernel.startsWith('matmul_'))).toHaveLength(5);
    expect(r.stdout).toMatch(new RegExp(`training plan: ${m.kernels.dispatchesPerStep} dispatches per step; matmul kernels (\\w+ \\d+×\\d+×\\d+ \\w+ \\(\\w+\\)(, )?){5}$`, 'm'));

    const file = readModelFile(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(file.config).toEqual(m.config);
    expect(file.training).toMatchObject({ step: 10, batchSize: 50, optimizer: { type: 'adam' } });

    // 4 rows of 16 digits over their reconstructions; 16 filters in rows of 10; 28×28 tiles, gap 1, scale 2.
    expect(pngSize(join(out, 'reconstructions.png'))).toEqual({ width: (16 * 29 + 1) * 2, height: (8 * 29 + 1) * 2 });
    expect(pngSize(join(out, 'filters.png'))).toEqual({ width: (10 * 29 + 1) * 2, height: (2 * 29 + 1) * 2 });
    expect(pngSize(join(out, 'loss.png'))).toEqual({ width: 720, height: 420 });
  });

  test('eval: the saved model measures what train measured', async () => {
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const r = await cli('eval', '--model', join(out, 'model.safetensors'), '--test-limit', '200', '--probe-epochs', '20', '--probe-limit', '500', '--out', evalOut, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/held-out reconstruction loss [\d.]+ on 200 samples/);
    const trained = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const m = JSON.parse(readFileSync(join(evalOut, 'metrics.json'), 'utf8'));
    expect(m.command).toBe('eval');
    expect(m.config).toEqual(trained.config);
    // Same weights, same digits, same kernels: the same numbers.
    expect(m.heldOut.reconstruction).toBe(trained.heldOut.reconstruction);
    expect(m.heldOut.sparsity).toEqual(trained.heldOut.sparsity);
    expect(m.heldOut.jacobian.meanFrobeniusNorm).toBeCloseTo(trained.heldOut.jacobian.meanFrobeniusNorm, 10);
    expect(m.heldOut.probe.testAccuracy).toBe(trained.heldOut.probe.testAccuracy); // the probe on MNIST's first 500 training digits, as in train
    expect(m.heldOut.probe.trainCount).toBe(500);
    pngSize(join(evalOut, 'reconstructions.png'));
    pngSize(join(evalOut, 'filters.png'));
  });
});

describe('IDX files by path, and grad against the float64 reference', () => {
  // 8×8 "images" in four classes of stripes and checks, with noise.
  const D = 64;
  const H = 6;
  function images(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
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
  const dir = join(TMP, 'idx');
  const model = join(dir, 'model.safetensors');

  test('train on IDX files named in the config (denoising + dropout)', async () => {
    const train = images(40, 1);
    const test = images(20, 2);
    writeIdx('train-images', [40, 8, 8], train.images);
    writeIdx('train-labels', [40], train.labels);
    writeIdx('test-images', [20, 8, 8], test.images);
    const cfg = writeJson('idx.json', {
      model: { hiddenSize: H, noise: { type: 'masking', rate: 0.3 }, dropout: 0.25, seed: 5 },
      training: { epochs: 2, batchSize: 16, optimizer: { type: 'sgd', learningRate: 0.05 } },
      data: { train: { images: 'train-images', labels: 'train-labels' }, test: { images: 'test-images' } }, // relative to the config
    });
    const r = await cli('train', '--config', cfg, '--out', dir, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(m.config).toMatchObject({ inputSize: D, hiddenSize: H, noise: { type: 'masking', rate: 0.3 }, dropout: 0.25 });
    expect(m.data.train).toMatchObject({ source: join(TMP, 'train-images'), count: 40, rows: 8, cols: 8, labelled: true });
    expect(m.data.test).toMatchObject({ count: 20, labelled: false });
    expect(m.heldOut.probe).toBeNull(); // the held-out images have no labels
    expect(m.losses.epochs).toHaveLength(2);
    expect(m.throughput.steps).toBe(6); // ⌈40/16⌉ per epoch
    // 16 of the 20 test images shown (a whole row of 16), 8×8 tiles.
    expect(pngSize(join(dir, 'reconstructions.png'))).toEqual({ width: (16 * 9 + 1) * 2, height: (2 * 9 + 1) * 2 });
  });

  test('a VAE from flags (--hidden 6,3 --variational): ELBO in metrics.json and samples.png', async () => {
    const cfg = writeJson('idx-vae.json', {
      model: { encoderActivation: 'tanh' },
      training: { epochs: 2, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 } },
      data: { train: { images: 'train-images' }, test: { images: 'test-images' } },
    });
    const vaeDir = join(TMP, 'idx-vae');
    const r = await cli('train', '--config', cfg, '--hidden', '6,3', '--variational', '--out', vaeDir, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/held-out negative ELBO: [\d.]+ before training → [\d.]+ after 2 epoch/);
    const m = JSON.parse(readFileSync(join(vaeDir, 'metrics.json'), 'utf8'));
    expect(m.config).toMatchObject({ hiddenSizes: [6, 3], variational: { beta: 1, warmupSteps: 0 } });
    const v = m.heldOut.vae;
    expect(v.kl).toBeGreaterThan(0);
    expect(v.negativeElbo).toBeCloseTo(v.reconstruction + v.kl, 3);
    expect(v.elbo).toBe(-v.negativeElbo);
    expect(m.losses.epochs.at(-1).evalLoss).toBe(v.negativeElbo); // fit's held-out loss of a VAE is its negative ELBO
    // 64 samples from the prior, 8×8, rows of 16.
    expect(pngSize(join(vaeDir, 'samples.png'))).toEqual({ width: (16 * 9 + 1) * 2, height: (4 * 9 + 1) * 2 });
  });

  test('--encoder, --tied and --weight-decay override the config and reach the model', async () => {
    const cfg = writeJson('idx-flags.json', {
      model: { hiddenSize: H, encoderActivation: 'tanh', weightDecay: 0.5 },
      training: { epochs: 1, batchSize: 16, optimizer: { type: 'sgd', learningRate: 0.05 } },
      data: { train: { images: 'train-images' }, test: { images: 'test-images' } },
    });
    const flagsDir = join(TMP, 'idx-flags');
    const r = await cli('train', '--config', cfg, '--encoder', 'relu', '--tied', '--weight-decay', '0.001', '--out', flagsDir, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(flagsDir, 'metrics.json'), 'utf8'));
    expect(m.config).toMatchObject({ hiddenSize: H, encoderActivation: 'relu', encoderActivations: ['relu'], tiedWeights: true, weightDecay: 0.001 });
    expect(m.losses.epochs[0].components.weightDecay).toBeGreaterThan(0); // the penalty is in the training loss
    const file = readModelFile(new Uint8Array(readFileSync(join(flagsDir, 'model.safetensors'))));
    expect(Object.keys(file.tensors).sort()).toEqual(['decoder.0.bias', 'encoder.0.bias', 'encoder.0.weight']); // tied: no decoder weight of its own
  });

  test('bad IDX files and a malformed model file are refused naming the file (exit 2)', async () => {
    const labels19 = writeIdx('labels-19', [19], new Uint8Array(19));
    const flat = writeIdx('flat-images', [20, 64], new Uint8Array(20 * 64));
    const cfg = join(TMP, 'idx.json');
    const notAModel = writeJson('not-a-model.safetensors', '{ "x": 1 }');
    const [mismatch, notImages, badModel] = await Promise.all([
      cli('train', '--config', cfg, '--test-images', join(TMP, 'test-images'), '--test-labels', labels19, '--out', join(TMP, 'x1'), '--quiet'),
      cli('train', '--config', cfg, '--train-images', flat, '--out', join(TMP, 'x2'), '--quiet'),
      cli('eval', '--model', notAModel, '--out', join(TMP, 'x3'), '--quiet'),
    ]);
    expect(mismatch.code, mismatch.stderr).toBe(2);
    expect(mismatch.stderr).toMatch(/test labels .*labels-19 hold 19 labels but the images file .*test-images has 20 images/);
    expect(notImages.code, notImages.stderr).toBe(2);
    expect(notImages.stderr).toMatch(/training images .*flat-images: expected a 3-dimensional IDX file .*got 2 dimension\(s\) \(20×64\)/);
    expect(badModel.code, badModel.stderr).toBe(2);
    expect(badModel.stderr).toMatch(/not-a-model\.safetensors: not a valid safetensors file/);
  });

  test('grad: loss, every gradient and the draws match autoencoderStepRef (and eval reads the config\'s test set)', async () => {
    const B = 5;
    const x = Float32Array.from(randomValues(B * D, 9, 0, 1));
    const batch = writeBatch('batch.safetensors', x, D, { step: '3', seed: '7' });
    const out = join(TMP, 'g.safetensors');
    const evalOut = join(TMP, 'idx-eval');
    const [r, e] = await Promise.all([
      cli('grad', '--model', model, '--batch', batch, '--out', out, '--quiet'),
      cli('eval', '--model', model, '--config', join(TMP, 'idx.json'), '--out', evalOut, '--quiet'), // the held-out set of the config
    ]);
    expect(e.code, e.stderr).toBe(0);
    const trained = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    const evaluated = JSON.parse(readFileSync(join(evalOut, 'metrics.json'), 'utf8'));
    expect(evaluated.data.test).toMatchObject({ source: join(TMP, 'test-images'), count: 20, rows: 8, cols: 8 });
    expect(evaluated.heldOut.reconstruction).toBe(trained.heldOut.reconstruction);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/step 3 \(seed 7\) on 5 rows: loss [\d.]+/);

    const g = checkGradients('denoising + dropout', model, out, x, B, 3, 7);
    // The draws: masking zeroes inputs and keeps the rest.
    const input = g.tensors['draws.input'].data as Float32Array;
    const masked = input.filter((v, k) => v !== x[k]).length;
    expect(input.every((v, k) => v === x[k] || v === 0)).toBe(true);
    expect(masked).toBeGreaterThan(0.15 * B * D);
    expect(masked).toBeLessThan(0.45 * B * D);
    expect(Object.keys(g.tensors).filter((n) => n.startsWith('draws.')).sort()).toEqual(['draws.dropout_scale.0', 'draws.input']);
  });
});

describe('grad on deep models (model files written here, no training)', () => {
  /** A model file with random parameters: the config's layout, no trainer state. */
  function writeModel(name: string, config: ResolvedConfig): string {
    const tensors: Record<string, SafetensorsTensor> = {};
    autoencoderLayout(config).tensors.forEach((t, i) => {
      tensors[t.name] = { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(randomValues(t.size, 100 + i, -0.6, 0.6)) };
    });
    const path = join(TMP, name);
    writeFileSync(path, encodeSafetensors(tensors, { format: MODEL_FORMAT, config: JSON.stringify(config) }));
    return path;
  }

  test('a 2-layer denoising model with dropout on both layers, and a VAE (ε, β warm-up): every gradient matches', async () => {
    const D = 11;
    const B = 7;
    const deep = resolveConfig({ inputSize: D, hiddenSizes: [9, 6], encoderActivations: ['tanh', 'relu'], dropout: 0.3, noise: { type: 'gaussian', stddev: 0.1 }, seed: 4 });
    // A VAE: one tanh layer, then the μ and log σ² heads (latent 3); KL weight β·min(1, step/10).
    const vae = resolveConfig({ inputSize: D, hiddenSizes: [9, 3], encoderActivation: 'tanh', variational: { beta: 0.5, warmupSteps: 10 }, noise: { type: 'masking', rate: 0.2 }, seed: 6 });
    const x = Float32Array.from(randomValues(B * D, 21, 0, 1));
    const batch = writeBatch('deep-batch.safetensors', x, D, { step: '4', seed: '99' });
    const models = { deep: writeModel('deep.safetensors', deep), vae: writeModel('vae.safetensors', vae) };
    const runs = await Promise.all(Object.entries(models).map(([k, m]) => cli('grad', '--model', m, '--batch', batch, '--out', join(TMP, `${k}-g.safetensors`), '--quiet')));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);

    const g = checkGradients('2-layer dropout', models.deep, join(TMP, 'deep-g.safetensors'), x, B, 4, 99);
    expect(Object.keys(g.tensors).filter((n) => n.startsWith('draws.')).sort()).toEqual(['draws.dropout_scale.0', 'draws.dropout_scale.1', 'draws.input']);
    const v = checkGradients('VAE', models.vae, join(TMP, 'vae-g.safetensors'), x, B, 4, 99);
    expect(Object.keys(v.tensors).filter((n) => n.startsWith('draws.')).sort()).toEqual(['draws.epsilon', 'draws.input']);
    expect(v.tensors['draws.epsilon'].shape).toEqual([B, 3]);
    expect((v.tensors['loss.vaeKl'].data as Float32Array)[0]).toBeGreaterThan(0);
  });
});

/** A batch file for `grad`: x [B, D] and its step/seed metadata. */
function writeBatch(name: string, x: Float32Array, D: number, metadata: Record<string, string>): string {
  const path = join(TMP, name);
  writeFileSync(path, encodeSafetensors({ x: { dtype: 'F32', shape: [x.length / D, D], data: x } }, metadata));
  return path;
}

/**
 * Check a gradient file written by `grad` against the float64 reference, fed
 * with the file's own draws (x̃, dropout masks, ε). Returns the decoded file.
 */
function checkGradients(what: string, modelPath: string, gradPath: string, x: Float32Array, B: number, step: number, seed: number) {
  const { config, tensors: params } = readModelFile(new Uint8Array(readFileSync(modelPath)));
  const g = decodeSafetensors(new Uint8Array(readFileSync(gradPath)));
  expect(g.metadata).toMatchObject({ format: 'webgpu-autoencoders-grad/1', step: String(step), seed: String(seed), rows: String(B) });
  expect(JSON.parse(g.metadata.config)).toEqual(config);
  const t = (name: string) => g.tensors[name].data as Float32Array;
  const arch = architecture(config);

  const input = t('draws.input');
  expect(g.tensors['draws.input'].shape).toEqual([B, config.inputSize]);
  // Each dropout scale is m/(1−p), m the counter-based hash of (seed, layer, step, element) mirrored in TypeScript.
  const keepMasks = config.dropout === 0 ? undefined : arch.encoder.map((layer, l) => {
    const scale = t(`draws.dropout_scale.${l}`);
    expect(g.tensors[`draws.dropout_scale.${l}`].shape).toEqual([B, layer.outputs]);
    expect(Array.from(scale), `${what}: dropout layer ${l}`).toEqual(Array.from(Float32Array.from(dropoutScaleRef(B, layer.outputs, config.dropout, l, seed, step, true))));
    expect(scale.some((v) => v === 0)).toBe(true);
    return Float64Array.from(scale, (v) => (v > 0 ? 1 : 0));
  });
  const eps = arch.heads ? t('draws.epsilon') : undefined;

  const ref = autoencoderStepRef(config, f64(params), { clean: x, input, rows: B, validRows: B, keepMasks, eps, step });
  console.log(`${what}: loss gpu ${t('loss.total')[0]} ref ${ref.loss.total}`);
  for (const term of ['total', 'reconstruction', 'vaeKl'] as const) {
    const want = ref.loss[term];
    expect(Math.abs(t(`loss.${term}`)[0] - want), `${what}: loss.${term}`).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-7);
  }
  expect(Object.keys(g.tensors).filter((n) => n.startsWith('grad.')).sort()).toEqual(Object.keys(ref.grads).map((n) => `grad.${n}`).sort());
  for (const [name, want] of Object.entries(ref.grads)) {
    const got = t(`grad.${name}`);
    expect(got.length).toBe(want.length);
    // Float32 bound as in tests/gpu/train-step.test.ts: each entry is a sum of at most
    // max(B, widths) ≤ 64 products of O(1) factors (~6e-8 relative rounding each), so
    // 64·6e-8 ≈ 4e-6 of the largest entry; allow 1e-5 of it plus 1e-4 relative.
    const top = Math.max(...want.map(Math.abs));
    let worst = 0;
    let maxAbs = 0;
    want.forEach((w, k) => {
      const d = Math.abs(got[k] - w);
      maxAbs = Math.max(maxAbs, d);
      worst = Math.max(worst, d / (1e-5 * Math.max(top, 1e-3) + 1e-4 * Math.abs(w)));
    });
    console.log(`${what} grad.${name}: max |gpu − ref| = ${maxAbs.toExponential(2)} (scale ${top.toExponential(2)})`);
    expect(worst, `${what}: grad.${name}`).toBeLessThanOrEqual(1);
  }
  return g;
}

describe('checkpoints, interruption and resume', () => {
  // 8×8 noise images: 40 to train on (batches of 16: 3 steps an epoch), 20 held out.
  const D = 64;
  const dir = join(TMP, 'ckpt');
  const cfg = () =>
    writeJson('ckpt.json', {
      // Noise and dropout draw from the step counter; the cosine schedule and Adam depend on it too.
      model: { hiddenSize: 6, noise: { type: 'masking', rate: 0.2 }, dropout: 0.2, seed: 9 },
      training: { epochs: 2, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 }, schedule: { type: 'cosine', warmupSteps: 2 } },
      data: { train: { images: 'ckpt-train' }, test: { images: 'ckpt-test' } },
      probe: false,
    });
  const tensorsOf = (path: string) => readModelFile(new Uint8Array(readFileSync(path))).tensors;
  const bits = (t: Record<string, Float32Array>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));

  test('a run interrupted by SIGINT after its first checkpoint, then resumed, ends bit-identical to the uninterrupted run', async () => {
    writeIdx('ckpt-train', [40, 8, 8], Uint8Array.from(randomValues(40 * D, 51, 0, 255), Math.floor));
    writeIdx('ckpt-test', [20, 8, 8], Uint8Array.from(randomValues(20 * D, 52, 0, 255), Math.floor));
    const config = cfg();
    const whole = await cli('train', '--config', config, '--checkpoint-every', '1', '--out', join(dir, 'whole'), '--quiet');
    expect(whole.code, whole.stderr).toBe(0);
    expect(existsSync(join(dir, 'whole', 'checkpoint.safetensors'))).toBe(true);

    const cut = join(dir, 'cut');
    const interrupted = await new Promise<Run>((done) => {
      execFile(process.execPath, [BIN, 'train', '--config', config, '--checkpoint-every', '1', '--out', cut, '--quiet'], { env: { ...process.env, WEBGPU_ADAPTER: ADAPTER, WGAE_SIGNAL_AFTER_FIRST_CHECKPOINT: 'SIGINT' } }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted \(SIGINT\) after epoch 1 of 2 \(step 3\): wrote .*cut\/checkpoint\.safetensors/);
    expect(interrupted.stderr).toMatch(/continue with:\n {2}webgpu-autoencoders train --config \S+ckpt\.json --checkpoint-every 1 --out \S+cut --quiet --resume \S+cut\/checkpoint\.safetensors/);
    expect(existsSync(join(cut, 'model.safetensors'))).toBe(false);
    expect(readModelFile(new Uint8Array(readFileSync(join(cut, 'checkpoint.safetensors')))).training).toMatchObject({ step: 3, epoch: 0, row: 40 });

    const resumed = await cli('train', '--config', config, '--checkpoint-every', '1', '--out', cut, '--quiet', '--resume', join(cut, 'checkpoint.safetensors'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const [a, b] = [tensorsOf(join(dir, 'whole', 'model.safetensors')), tensorsOf(join(cut, 'model.safetensors'))];
    expect(bits(b)).toEqual(bits(a));
    const [ma, mb] = [join(dir, 'whole'), cut].map((d) => JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8')));
    expect(mb.losses.initialHeldOut).toBe(ma.losses.initialHeldOut);
    expect(mb.losses.epochs.map((e: { trainLoss: number; evalLoss: number }) => [e.trainLoss, e.evalLoss])).toEqual(ma.losses.epochs.map((e: { trainLoss: number; evalLoss: number }) => [e.trainLoss, e.evalLoss]));
    expect(mb.heldOut.reconstruction).toBe(ma.heldOut.reconstruction);
    expect(mb.training.schedule).toEqual({ type: 'cosine', warmupSteps: 2, totalSteps: 6, minLearningRate: 0 }); // cosine over the whole run: 2 epochs × 3 steps
    expect(mb.resumedFrom.afterEpoch).toBe(1);
    expect(mb.throughput.steps).toBe(6);
  });

  test('a checkpoint of another run is refused naming the field that differs', async () => {
    const checkpoint = join(dir, 'whole', 'checkpoint.safetensors');
    // The config is written once: rewriting it for each run raced with the runs already reading it.
    const config = cfg();
    const [batch, lr, model] = await Promise.all([
      cli('train', '--config', config, '--resume', checkpoint, '--batch-size', '8', '--out', join(dir, 'x1'), '--quiet'),
      cli('train', '--config', config, '--resume', checkpoint, '--lr', '0.02', '--epochs', '3', '--out', join(dir, 'x2'), '--quiet'),
      cli('train', '--config', config, '--resume', join(dir, 'whole', 'model.safetensors'), '--out', join(dir, 'x3'), '--quiet'),
    ]);
    expect(batch.code, batch.stderr).toBe(2);
    expect(batch.stderr).toMatch(/--resume .*checkpoint\.safetensors: the checkpoint's run has training\.batchSize = 16 but this run asks for 8; resume with the config and flags the run was started with/);
    expect(lr.code, lr.stderr).toBe(2);
    expect(lr.stderr).toMatch(/training\.optimizer\.learningRate = 0\.01 but this run asks for 0\.02/);
    expect(model.code, model.stderr).toBe(2);
    expect(model.stderr).toMatch(/model\.safetensors: the file has no "cli-progress" metadata: it is a model file, not a checkpoint written by train/);
  });

  test('a checkpoint cut short at any byte is refused, naming the file and what to do', async () => {
    const bytes = readFileSync(join(dir, 'whole', 'checkpoint.safetensors'));
    const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
    const cuts = [0, 7, 8, Math.floor(headerEnd / 2), Math.floor((headerEnd + bytes.length) / 2), bytes.length - 1];
    const paths = cuts.map((n) => {
      const path = join(dir, `cut-${n}.safetensors`);
      writeFileSync(path, bytes.subarray(0, n));
      return path;
    });
    for (let i = 0; i < paths.length; i += 3) {
      const runs = await Promise.all(paths.slice(i, i + 3).map((p, k) => cli('train', '--config', cfg(), '--resume', p, '--out', join(dir, `y${i + k}`), '--quiet')));
      runs.forEach((r, k) => {
        const n = cuts[i + k];
        expect(r.code, `cut at ${n}: ${r.stderr}`).toBe(2);
        expect(r.stderr, `cut at ${n}`).toMatch(new RegExp(`--resume \\S+cut-${n}\\.safetensors: not a valid safetensors file: .+ It is not a usable checkpoint \\(cut short or overwritten\\?\\): resume from an intact checkpoint, or start the run again without --resume`));
      });
    }
  });

  test('a run with early stopping interrupted at its best epoch and resumed stops, restores and ends bit-identical to the whole run', async () => {
    // A learning rate too large for these noise images: the held-out loss is best after epoch 4
    // and worse after epochs 5 and 6. Interrupted after its checkpoint at epoch 4, the resumed run
    // must stop when patience runs out and restore weights it never computed (the checkpoint's
    // "best" parameter set), as the whole run does.
    const config = writeJson('early.json', {
      model: { hiddenSize: 6, seed: 9 },
      training: { epochs: 8, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.3 }, earlyStopping: { patience: 2 } },
      data: { train: { images: 'ckpt-train' }, test: { images: 'ckpt-test' } },
      probe: false,
    });
    const whole = await cli('train', '--config', config, '--checkpoint-every', '4', '--out', join(dir, 'early-whole'), '--quiet');
    expect(whole.code, whole.stderr).toBe(0);
    const cut = join(dir, 'early-cut');
    const interrupted = await new Promise<Run>((done) => {
      execFile(process.execPath, [BIN, 'train', '--config', config, '--checkpoint-every', '4', '--out', cut, '--quiet'], { env: { ...process.env, WEBGPU_ADAPTER: ADAPTER, WGAE_SIGNAL_AFTER_FIRST_CHECKPOINT: 'SIGINT' } }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const saved = readModelFile(new Uint8Array(readFileSync(join(cut, 'checkpoint.safetensors'))));
    expect(Object.keys(saved.parameterSets)).toEqual(['best']);
    expect(bits(saved.parameterSets.best)).toEqual(bits(saved.tensors)); // after epoch 4 the best is the current
    const resumed = await cli('train', '--config', config, '--checkpoint-every', '4', '--out', cut, '--quiet', '--resume', join(cut, 'checkpoint.safetensors'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const [ma, mb] = [join(dir, 'early-whole'), cut].map((d) => JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8')));
    expect(ma.earlyStopping).toEqual({ bestEpoch: 4, epochsRun: 6, stoppedEarly: true, restoredBest: true });
    expect(mb.earlyStopping).toEqual(ma.earlyStopping);
    expect(mb.losses.epochs.map((e: { evalLoss: number }) => e.evalLoss)).toEqual(ma.losses.epochs.map((e: { evalLoss: number }) => e.evalLoss));
    expect(bits(tensorsOf(join(cut, 'model.safetensors')))).toEqual(bits(tensorsOf(join(dir, 'early-whole', 'model.safetensors'))));
    // The saved model is epoch 4's weights: the checkpoint's best set.
    expect(bits(tensorsOf(join(cut, 'model.safetensors')))).toEqual(bits(saved.parameterSets.best));
  });
});
