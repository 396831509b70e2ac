// Embedding API: codes (encoder alone) and reconstructions of rows given as a
// Float32Array, a GPUBuffer or a GpuDataset, read back or written into GPU
// buffers the caller owns, on a host app's own GPUDevice. Checked against the
// float64 reference and against encode()/reconstruct(); awkward sizes (13 inputs,
// 6 hidden units, batches of 4 over 11 rows: the last batch is partial).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAutoencoder, type Autoencoder } from '../../src/autoencoder';
import { resolveConfig, type AutoencoderConfig } from '../../src/model/config';
import { liveGpuMemory, readFloats, STORAGE } from '../../src/gpu/arena';
import { autoencoderStepRef, type Params } from '../../src/reference/autoencoder';
import { activate } from '../../src/reference/activations';
import { compare, randomArray } from './helpers';

const D = 13;
const H = 6;
const ROWS = 11;
const X = randomArray(ROWS * D, 5, 0, 1) as Float32Array<ArrayBuffer>;
// Noise and dropout act in training only: inference must ignore them.
const CONFIG: AutoencoderConfig = {
  inputSize: D,
  hiddenSize: H,
  encoderActivation: 'tanh',
  noise: { type: 'masking', rate: 0.5 },
  dropout: 0.3,
  seed: 3,
};

let device: GPUDevice; // the "host app's" device
let model: Autoencoder;

beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  device = await adapter!.requestDevice({ label: 'host app device' });
  device.addEventListener('uncapturederror', (e) => {
    throw new Error((e as GPUUncapturedErrorEvent).error.message);
  });
  model = await createAutoencoder(CONFIG, { device, debug: true, inferenceBatchSize: 4 });
});
afterAll(() => {
  model.dispose();
  device.destroy();
});

/** h and x̂ of every row in float64, from the model's own parameters (clean input, no dropout). */
async function reference(): Promise<{ h: Float64Array; xHat: Float64Array }> {
  const cfg = { ...resolveConfig(CONFIG), noise: { type: 'none' as const }, dropout: 0 };
  const p: Params = {};
  for (const [k, v] of Object.entries(await model.getParameters())) p[k] = Float64Array.from(v);
  const { h, z } = autoencoderStepRef(cfg, p, { clean: X, input: X, rows: ROWS, validRows: ROWS });
  return { h, xHat: z.map((v) => activate(v, cfg.decoderActivation)) };
}

function gpuRows(data: Float32Array<ArrayBuffer>, label: string): GPUBuffer {
  const b = device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

function expectClose(actual: Float32Array, expected: ArrayLike<number>, what: string) {
  const c = compare(actual, expected, 1e-5, 1e-5);
  console.log(`${what}: max |GPU − float64| = ${c.maxAbs.toExponential(2)}`);
  expect(c.worst, `${what} worst at ${c.at}`).toBeLessThanOrEqual(1);
}

describe('embedding: every input kind, results on the CPU or the GPU', () => {
  test('codes (encoder alone) from a Float32Array, a GPUBuffer and a dataset match the reference and encode()', async () => {
    const ref = await reference();
    const fromArray = await model.encodeBatch(X);
    expect(fromArray.length).toBe(ROWS * H);
    expectClose(fromArray, ref.h, 'codes');

    const input = gpuRows(X, 'host rows');
    const dataset = model.uploadDataset({ data: X, features: D });
    // The same kernels on the same rows: the same bits, whichever way the rows arrive.
    expect(await model.encodeBatch(input)).toEqual(fromArray);
    expect(await model.encodeBatch(dataset)).toEqual(fromArray);
    expect(await model.encode(dataset)).toEqual(fromArray);
    // A row range: rows 3..9 of each kind.
    const part = fromArray.slice(3 * H, 10 * H);
    expect(await model.encodeBatch(X, { start: 3, count: 7 })).toEqual(part);
    expect(await model.encodeBatch(input, { start: 3, count: 7 })).toEqual(part);
    expect(await model.encodeBatch(dataset, { start: 3, count: 7 })).toEqual(part);
    input.destroy();
  });

  test('encoding does not run the decoder', async () => {
    const { plan } = model.inferenceStep();
    const poison = new Float32Array(plan.rows * D).fill(-12345);
    device.queue.writeBuffer(plan.batch.logits, 0, poison);
    device.queue.writeBuffer(plan.batch.output, 0, poison);
    await model.encodeBatch(X);
    expect(await readFloats(device, plan.batch.logits, plan.rows * D)).toEqual(poison);
    expect(await readFloats(device, plan.batch.output, plan.rows * D)).toEqual(poison);
  });

  test('reconstructions from each input kind match the reference and reconstruct()', async () => {
    const ref = await reference();
    const fromArray = await model.reconstructBatch(X);
    expect(fromArray.length).toBe(ROWS * D);
    expectClose(fromArray, ref.xHat, 'reconstructions');
    const input = gpuRows(X, 'host rows');
    const dataset = model.uploadDataset({ data: X, features: D });
    expect(await model.reconstructBatch(input)).toEqual(fromArray);
    expect(await model.reconstruct(dataset)).toEqual(fromArray);
    input.destroy();
  });

  test('results in GPU buffers: a new caller-owned buffer, or the caller’s buffer at an offset', async () => {
    const codes = await model.encodeBatch(X);
    const recon = await model.reconstructBatch(X);

    const own = await model.encodeToBuffer(X);
    expect(own.size).toBe(ROWS * H * 4);
    expect(own.usage & GPUBufferUsage.STORAGE).toBeTruthy(); // usable by the host's own kernels
    expect(await readFloats(device, own, ROWS * H)).toEqual(codes);

    // Rows 2..6 of a GPU input into the middle of a host buffer: the bytes around stay as they were.
    const sentinel = new Float32Array(100).fill(7);
    const host = device.createBuffer({ label: 'host output', size: 400, usage: STORAGE });
    device.queue.writeBuffer(host, 0, sentinel);
    const input = gpuRows(X, 'host rows');
    const returned = await model.reconstructToBuffer(input, { start: 2, count: 5, output: host, outputOffset: 16 });
    expect(returned).toBe(host);
    const all = await readFloats(device, host, 100);
    expect(all.slice(0, 4)).toEqual(sentinel.slice(0, 4));
    expect(all.slice(4, 4 + 5 * D)).toEqual(recon.slice(2 * D, 7 * D));
    expect(all.slice(4 + 5 * D)).toEqual(sentinel.slice(4 + 5 * D));

    // Caller-owned buffers outlive the model; the host's device is not destroyed.
    const other = await createAutoencoder(CONFIG, { device });
    other.setParameters(await model.getParameters());
    const kept = await other.encodeToBuffer(input);
    other.dispose();
    expect(await readFloats(device, kept, ROWS * H)).toEqual(codes);
    for (const b of [own, host, input, kept]) b.destroy();
  });

  test('repeated calls allocate no model memory (after the first builds the inference plan)', async () => {
    const input = gpuRows(X, 'host rows');
    await model.encodeBatch(X);
    await model.reconstructBatch(input);
    const before = liveGpuMemory();
    for (let i = 0; i < 3; i++) {
      await model.encodeBatch(X);
      await model.reconstructBatch(input, { start: 1 });
      (await model.encodeToBuffer(input)).destroy();
    }
    expect(liveGpuMemory()).toEqual(before);
    input.destroy();
  });

  test('bad input is refused with the problem named', async () => {
    await expect(model.encodeBatch(new Float32Array(D + 1))).rejects.toThrow(/14 values, not a positive multiple of inputSize 13/);
    await expect(model.encodeBatch(new Float32Array(0))).rejects.toThrow(/inputSize 13/);
    const nan = X.slice();
    nan[D + 2] = NaN;
    await expect(model.encodeBatch(nan)).rejects.toThrow(/row 1, feature 2 is not finite/);
    await expect(model.encodeBatch(X, { start: ROWS })).rejects.toThrow(/start must be an integer in \[0, 11\)/);
    await expect(model.encodeBatch(X, { start: 4, count: 8 })).rejects.toThrow(/count must be an integer in \[1, 7\]/);
    const noCopySrc = device.createBuffer({ label: 'storage only', size: ROWS * D * 4, usage: GPUBufferUsage.STORAGE });
    await expect(model.encodeBatch(noCopySrc)).rejects.toThrow(/'storage only' needs GPUBufferUsage.COPY_SRC/);
    const small = device.createBuffer({ label: 'small', size: 8, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    await expect(model.encodeBatch(small)).rejects.toThrow(/holds 8 bytes, less than one row of 13 f32/);
    await expect(model.encodeToBuffer(X, { output: small })).rejects.toThrow(/holds 8 bytes; 11 rows need 264 bytes/);
    await expect(model.encodeToBuffer(X, { output: small, outputOffset: 2 })).rejects.toThrow(/multiple of 4/);
    await expect(model.encodeToBuffer(X, { output: noCopySrc })).rejects.toThrow(/needs GPUBufferUsage.COPY_DST/);
    await expect(model.encodeBatch({} as unknown as Float32Array)).rejects.toThrow(/must be a Float32Array, a GPUBuffer or a GpuDataset/);
    noCopySrc.destroy();
    small.destroy();
  });
});
