// Saving and loading models as safetensors: a trained model round-trips bit for
// bit (parameters, config, evaluation loss, and the trainer state for resuming);
// malformed or mismatched files are rejected with a message naming the problem,
// and leave no GPU memory behind.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Autoencoder, createAutoencoder } from '../../src/autoencoder';
import type { AutoencoderConfig } from '../../src/model/config';
import { liveGpuMemory } from '../../src/gpu/arena';
import { loadModel, MODEL_FORMAT, readModelFile, resumeTrainer, saveModel } from '../../src/io/model-file';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors';
import { randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

const D = 13;
const H = 7;
const COUNT = 29; // batches of 8: the fourth is partial
const DATA = randomArray(COUNT * D, 11, 0, 1); // targets in [0, 1] for the cross-entropy

/** How many 32-bit words differ between two parameter sets (bit comparison: -0 ≠ 0, any NaN payload counts). */
function differingWords(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let n = 0;
  for (const k of Object.keys(a)) {
    const x = new Uint32Array(a[k].buffer, a[k].byteOffset, a[k].length);
    const y = new Uint32Array(b[k].buffer, b[k].byteOffset, b[k].length);
    expect(x.length).toBe(y.length);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  }
  return n;
}

async function trained(config: AutoencoderConfig, steps = 5): Promise<Autoencoder> {
  const model = await createAutoencoder(config, { gpu: t.gpu });
  const data = model.uploadDataset({ data: DATA, features: D });
  const trainer = model.createTrainer({ batchSize: 8, optimizer: { type: 'adam', learningRate: 0.05 } });
  await trainer.steps(data, steps);
  trainer.dispose();
  return model;
}

describe('round trip', () => {
  const CASES: Array<[string, AutoencoderConfig]> = [
    ['untied, masking noise, weight decay', { inputSize: D, hiddenSize: H, seed: 5, noise: { type: 'masking', rate: 0.2 }, weightDecay: 0.01 }],
    ['tied, tanh encoder, mse, L1 sparsity', { inputSize: D, hiddenSize: H, tiedWeights: true, encoderActivation: 'tanh', loss: 'mse', sparsity: { type: 'l1', lambda: 0.1 } }],
    ['3 layers, per-layer activations, tied', { inputSize: D, hiddenSizes: [9, 6, 3], encoderActivations: ['relu', 'tanh', 'linear'], tiedWeights: true }],
    ['VAE with μ and logvar heads, β warming up', { inputSize: D, hiddenSizes: [8, 2], encoderActivation: 'relu', variational: { beta: 0.5, warmupSteps: 10 } }],
  ];
  test.each(CASES)('%s: parameters bit-identical, same config, same loss', async (_name, config) => {
    const model = await trained(config);
    const fresh = await createAutoencoder(config, { gpu: t.gpu });
    const params = await model.getParameters();
    const moved = differingWords(params, await fresh.getParameters());
    fresh.dispose();
    expect(moved).toBeGreaterThan(0); // training changed the weights, so the test compares trained values

    const bytes = await saveModel(model);
    const loaded = await loadModel(bytes, { gpu: t.gpu });
    const diff = differingWords(await loaded.getParameters(), params);
    const loss = (await model.evaluate(model.uploadDataset({ data: DATA, features: D }))).reconstruction;
    const loadedLoss = (await loaded.evaluate(loaded.uploadDataset({ data: DATA, features: D }))).reconstruction;
    console.log(`${_name}: ${bytes.length} bytes, ${moved} words moved by training, ${diff} words differ after the round trip; loss ${loss} vs ${loadedLoss}`);
    expect(diff).toBe(0);
    expect(loaded.config).toEqual(model.config);
    expect(loadedLoss).toBe(loss);

    // The file is a PyTorch-style state_dict.
    const file = decodeSafetensors(bytes);
    const shapes = Object.fromEntries(Object.entries(file.tensors).map(([k, v]) => [k, [v.dtype, ...v.shape]]));
    const expected: Record<string, Record<string, unknown[]>> = {
      '3 layers, per-layer activations, tied': {
        'encoder.0.weight': ['F32', 9, D], 'encoder.0.bias': ['F32', 9],
        'encoder.1.weight': ['F32', 6, 9], 'encoder.1.bias': ['F32', 6],
        'encoder.2.weight': ['F32', 3, 6], 'encoder.2.bias': ['F32', 3],
        'decoder.0.bias': ['F32', 6], 'decoder.1.bias': ['F32', 9], 'decoder.2.bias': ['F32', D],
      },
      'VAE with μ and logvar heads, β warming up': {
        'encoder.0.weight': ['F32', 8, D], 'encoder.0.bias': ['F32', 8],
        'mu.weight': ['F32', 2, 8], 'mu.bias': ['F32', 2],
        'logvar.weight': ['F32', 2, 8], 'logvar.bias': ['F32', 2],
        'decoder.0.weight': ['F32', 8, 2], 'decoder.0.bias': ['F32', 8],
        'decoder.1.weight': ['F32', D, 8], 'decoder.1.bias': ['F32', D],
      },
    };
    expect(shapes).toEqual(
      expected[_name] ?? {
        'encoder.0.weight': ['F32', H, D],
        'encoder.0.bias': ['F32', H],
        ...(config.tiedWeights ? {} : { 'decoder.0.weight': ['F32', D, H] }),
        'decoder.0.bias': ['F32', D],
      },
    );
    expect(file.metadata.format).toBe(MODEL_FORMAT);
    expect(JSON.parse(file.metadata.config)).toEqual(model.config);
    model.dispose();
    loaded.dispose();
  });
});

describe('trainer state', () => {
  test('a resumed run continues bit-identically (optimizer state, step, epoch position, RNG)', async () => {
    const config: AutoencoderConfig = { inputSize: D, hiddenSize: H, noise: { type: 'masking', rate: 0.3 }, dropout: 0.25 };
    const optimizer = { type: 'adam' as const, learningRate: 0.03 };
    const a = await createAutoencoder(config, { gpu: t.gpu });
    const dataA = a.uploadDataset({ data: DATA, features: D });
    const trainerA = a.createTrainer({ batchSize: 8, optimizer, seed: 77 });
    await trainerA.steps(dataA, 5); // 5 steps: into the second epoch, mid-permutation
    const bytes = await saveModel(a, { trainer: trainerA });

    const file = readModelFile(bytes);
    expect(file.training).toBeDefined();
    const { state, ...counters } = file.training!;
    expect(counters).toEqual({ optimizer: { ...optimizer, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, schedule: { type: 'constant', warmupSteps: 0 }, step: 5, epoch: 1, row: 8, seed: 77, shuffle: true, batchSize: 8 });
    expect(state.length).toBe(2); // Adam: m, v
    const names = Object.keys(decodeSafetensors(bytes).tensors).filter((n) => n.startsWith('optimizer.'));
    expect(names.sort()).toEqual(['0', '1'].flatMap((i) => ['decoder.0.bias', 'decoder.0.weight', 'encoder.0.bias', 'encoder.0.weight'].map((p) => `optimizer.state.${i}.${p}`)));

    const continued = await trainerA.steps(dataA, 4);
    const b = await loadModel(bytes, { gpu: t.gpu });
    const trainerB = await resumeTrainer(b, file.training!);
    const resumed = await trainerB.steps(b.uploadDataset({ data: DATA, features: D }), 4);
    const diff = differingWords(await b.getParameters(), await a.getParameters());
    console.log(`resume: losses ${continued.map((l) => l.total).join(', ')} vs ${resumed.map((l) => l.total).join(', ')}; ${diff} parameter words differ`);
    expect(resumed.map((l) => [l.step, l.epoch, l.rows, l.total])).toEqual(continued.map((l) => [l.step, l.epoch, l.rows, l.total]));
    expect(diff).toBe(0);
    a.dispose();
    b.dispose();
  });
});

describe('bad files are rejected before anything stays on the GPU', () => {
  let good: Uint8Array;
  let goodTied: Uint8Array;
  beforeAll(async () => {
    const m = await trained({ inputSize: D, hiddenSize: H }, 2);
    good = await saveModel(m);
    m.dispose();
    const tied = await createAutoencoder({ inputSize: D, hiddenSize: H, tiedWeights: true }, { gpu: t.gpu });
    goodTied = await saveModel(tied);
    tied.dispose();
  });

  /** Decode the good file, change it, encode it again. */
  function edit(bytes: Uint8Array, change: (tensors: Record<string, SafetensorsTensor>, metadata: Record<string, string>) => void): Uint8Array {
    const { tensors, metadata } = decodeSafetensors(bytes);
    change(tensors, metadata);
    return encodeSafetensors(tensors, metadata);
  }
  const f32 = (shape: number[], fill = 0.5): SafetensorsTensor => ({ dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });

  const CASES: Array<[string, () => Uint8Array, RegExp]> = [
    ['wrong shape', () => edit(good, (ts) => void (ts['encoder.0.weight'] = f32([H, D - 1]))), /tensor "encoder.0.weight" has shape \[7, 12\]; the config needs \[7, 13\]/],
    ['transposed weight', () => edit(good, (ts) => void (ts['decoder.0.weight'] = f32([H, D]))), /tensor "decoder.0.weight" has shape \[7, 13\]; the config needs \[13, 7\]/],
    ['missing tensor', () => edit(good, (ts) => delete ts['decoder.0.bias']), /missing tensor\(s\) "decoder.0.bias"/],
    ['unexpected tensor', () => edit(good, (ts) => void (ts['encoder.1.weight'] = f32([2, 2]))), /unexpected tensor\(s\) "encoder.1.weight"/],
    ['decoder weight in a tied file', () => edit(goodTied, (ts) => void (ts['decoder.0.weight'] = f32([D, H]))), /unexpected tensor\(s\) "decoder.0.weight" for the config \{ inputSize: 13, hiddenSize: 7, tiedWeights: true \}/],
    ['F64 tensor', () => edit(good, (ts) => void (ts['encoder.0.bias'] = { dtype: 'F64', shape: [H], data: new Float64Array(H) })), /tensor "encoder.0.bias" has dtype F64; expected F32/],
    ['non-finite value', () => edit(good, (ts) => void ((ts['decoder.0.bias'].data as Float32Array)[3] = NaN)), /tensor "decoder.0.bias"\[3\] is NaN; values must be finite/],
    ['truncated bytes', () => good.subarray(0, good.length - 10), /not a valid safetensors file: tensor "[^"]+": data_offsets \[\d+, \d+\] run past the end of the data section.*truncated/],
    ['not safetensors at all', () => new TextEncoder().encode('PK\x03\x04 a zip file'), /not a valid safetensors file: header length \d+ bytes (runs past the end|is above the 100 MB limit)/],
    ['bad config', () => edit(good, (_ts, md) => void (md.config = JSON.stringify({ ...JSON.parse(md.config), hiddenSize: 0 }))), /the file's config is invalid: hiddenSize must be a positive integer \(got 0\)/],
    ['unknown config field', () => edit(good, (_ts, md) => void (md.config = JSON.stringify({ ...JSON.parse(md.config), layers: 3 }))), /the file's config is invalid: unknown config field 'layers'/],
    ['config not JSON', () => edit(good, (_ts, md) => void (md.config = '{inputSize: 13')), /metadata "config" is not valid JSON/],
    ['no format marker', () => edit(good, (_ts, md) => delete md.format), /metadata has no "format" \(expected "webgpu-autoencoders\/1"\)/],
    ['other format', () => edit(good, (_ts, md) => void (md.format = 'pt')), /format is "pt"; this version reads "webgpu-autoencoders\/1"/],
    ['bad training metadata', () => edit(good, (_ts, md) => void (md.training = JSON.stringify({ optimizer: { type: 'rmsprop', learningRate: 1 } }))), /training.optimizer is invalid: .*unknown type "rmsprop"/],
    [
      'training state without its tensors',
      () => edit(good, (_ts, md) => void (md.training = JSON.stringify({ optimizer: { type: 'momentum', learningRate: 0.1 }, step: 3, epoch: 0, row: 24, seed: 1, shuffle: true, batchSize: 8, stateBuffers: 1 }))),
      /missing tensor\(s\) "optimizer.state.0.encoder.0.weight", "optimizer.state.0.encoder.0.bias"/,
    ],
  ];

  test.each(CASES)('%s', async (_name, make, message) => {
    const bad = make();
    const before = liveGpuMemory();
    let error: unknown;
    try {
      (await loadModel(bad, { gpu: t.gpu })).dispose();
    } catch (e) {
      error = e;
    }
    console.log(`${_name}: ${(error as Error)?.message}`);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(liveGpuMemory()).toEqual(before);
  });

  test('the unedited files load (so the rejections above are caused by the edits)', async () => {
    for (const bytes of [good, goodTied, edit(good, () => {})]) {
      const before = liveGpuMemory();
      const m = await loadModel(bytes, { gpu: t.gpu });
      expect(liveGpuMemory().buffers).toBeGreaterThan(before.buffers);
      m.dispose();
      expect(liveGpuMemory()).toEqual(before);
    }
  });

  test('a failure after the model is created disposes it before rethrowing', async () => {
    const spy = vi.spyOn(Autoencoder.prototype, 'setParameters').mockImplementationOnce(() => {
      throw new Error('injected failure while uploading parameters');
    });
    const before = liveGpuMemory();
    try {
      await expect(loadModel(good, { gpu: t.gpu })).rejects.toThrow('injected failure');
    } finally {
      spy.mockRestore();
    }
    console.log(`live GPU memory before ${JSON.stringify(before)}, after ${JSON.stringify(liveGpuMemory())}`);
    expect(liveGpuMemory()).toEqual(before);
  });
});
