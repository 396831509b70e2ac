// The GPU runtime: every shader file is used by a kernel spec and every spec's
// source compiles without errors or warnings, the debug guard names the failing
// kernel, limits are named, host devices are never destroyed, the arena's tally
// is exact, and pipelines are cached.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { acquireGpu, BufferArena, liveGpuMemory, makeDispatch, PipelineCache, type Gpu, type KernelSpec } from '../../src/gpu';
import { createAutoencoder, linearProbe, probeAutoencoder, type AutoencoderConfig } from '../../src/index';
import { randomArray, testGpu, type TestGpu } from './helpers';

const shaders = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

/**
 * Build, train a step of, and run the inference paths of models that between them
 * use every variant (and the linear probe), so every kernel spec is built once.
 */
async function exerciseEveryKernel(gpu: Gpu): Promise<void> {
  const D = 12;
  const data = randomArray(10 * D, 3, 0, 1);
  const configs: AutoencoderConfig[] = [
    // deep, dropout, L1 sparsity, weight decay, masking noise, tied weights
    { inputSize: D, hiddenSizes: [8, 4], dropout: 0.2, sparsity: { type: 'l1', lambda: 0.01 }, weightDecay: 0.01, noise: { type: 'masking', rate: 0.2 }, tiedWeights: true },
    // one layer: contractive and KL sparsity, linear decoder with squared error
    { inputSize: D, hiddenSize: 5, contractive: 0.1, sparsity: { type: 'kl', rho: 0.1, beta: 1 }, decoderActivation: 'linear', loss: 'mse' },
    // variational
    { inputSize: D, hiddenSizes: [6, 2], encoderActivation: 'relu', variational: true },
  ];
  for (const config of configs) {
    const model = await createAutoencoder(config, { gpu });
    try {
      const ds = model.uploadDataset({ data, features: D, center: config.loss === 'mse' });
      // The VAE's steps take the workgroup-tiled matmul family (shaders/matmul_tiled.wgsl), the contractive model's the
      // subgroup one (shaders/matmul_subgroup.wgsl: SwiftShader has 'subgroups'), the first the register-blocked one.
      const matmulKernel = config.variational ? 'tiled' : config.contractive ? 'subgroup' : 'blocked';
      await model.createTrainer({ batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 }, matmulKernel }).steps(ds, 2);
      await model.evaluate(ds);
      await model.reconstruct(ds);
      await model.encode(ds);
      await model.contraction(ds);
      if (config.variational) await model.sample(3, 1);
    } finally {
      model.dispose();
    }
  }
  const labels = Array.from({ length: 10 }, (_, i) => i % 3);
  await linearProbe(gpu, { trainFeatures: data, trainLabels: labels, testFeatures: data, testLabels: labels, features: D }, { epochs: 1, batchSize: 5, classes: 3 });
  // The probe of a model's codes: a classifier with a frozen encoder and standardised codes (shaders/standardise.wgsl).
  const model = await createAutoencoder({ inputSize: D, hiddenSize: 4 }, { gpu });
  try {
    const ds = model.uploadDataset({ data, features: D, labels: Uint8Array.from(labels) });
    await probeAutoencoder(model, ds, ds, { epochs: 1, batchSize: 5, classes: 3 });
  } finally {
    model.dispose();
  }
}

describe('shaders', () => {
  let specs: KernelSpec[] = [];
  beforeAll(async () => {
    const pipeline = vi.spyOn(PipelineCache.prototype, 'pipeline');
    try {
      await exerciseEveryKernel(t.gpu);
      specs = pipeline.mock.calls.map(([spec]) => spec);
    } finally {
      pipeline.mockRestore();
    }
  });

  test('every .wgsl file under shaders/ is part of some kernel spec', () => {
    // Specs prepend whole files (shaders/common/ included), so each file's text is in a spec's code.
    const unused = Object.entries(shaders)
      .filter(([, code]) => !specs.some((spec) => spec.code.includes(code)))
      .map(([path]) => path.replace('../../', ''));
    console.log(`${Object.keys(shaders).length} shader files, ${new Set(specs.map((s) => s.code)).size} distinct spec sources, ${specs.length} pipelines`);
    expect(unused).toEqual([]);
  });

  test('every spec source compiles on this adapter with no errors or warnings', async () => {
    const info = (t.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    console.log(`adapter: ${[info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown'}`);
    const sources = new Map(specs.map((spec) => [spec.code, spec.name]));
    expect(sources.size).toBeGreaterThan(0);
    for (const [code, name] of sources) {
      const compiled = await t.device.createShaderModule({ label: name, code }).getCompilationInfo();
      const problems = compiled.messages.filter((m) => m.type !== 'info').map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
      expect(problems, `the source of ${name}`).toEqual([]);
    }
  });
});

const COPY: KernelSpec = {
  name: 'test_copy',
  entryPoint: 'main',
  bindings: ['read', 'rw'],
  code: `@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(1) fn main() { dst[0] = src[0]; }`,
};

describe('runtime', () => {
  test('in debug mode a bad binding is reported with the kernel and dispatch names', async () => {
    const cache = new PipelineCache(t.device, true);
    const arena = new BufferArena(t.device, 'guard test');
    const src = arena.storage('src', 16);
    const wrong = arena.uniform('not a storage buffer', new Float32Array(4));
    makeDispatch(cache, COPY, [src, wrong], [1], 'copy into a uniform');
    await expect(cache.checkErrors()).rejects.toThrow(/test_copy \(dispatch 'copy into a uniform'\)/);
    arena.dispose();
  });

  test('a workgroup count beyond the device limit is refused with the limit named', () => {
    const cache = new PipelineCache(t.device, true);
    const arena = new BufferArena(t.device, 'limit test');
    const b = arena.storage('b', 16);
    expect(() => makeDispatch(cache, COPY, [b, arena.storage('c', 16)], [t.device.limits.maxComputeWorkgroupsPerDimension + 1])).toThrow(
      /maxComputeWorkgroupsPerDimension/,
    );
    expect(() => makeDispatch(cache, COPY, [b], [1])).toThrow(/takes 2 bindings, got 1/);
    arena.dispose();
  });

  test('pipelines are cached by shader, entry point and constants', () => {
    const cache = new PipelineCache(t.device);
    const a = cache.pipeline(COPY);
    expect(cache.pipeline({ ...COPY })).toBe(a);
    expect(cache.size).toBe(1);
  });

  test('the arena tallies live buffers and bytes exactly, and refuses use after dispose', () => {
    const before = liveGpuMemory();
    const arena = new BufferArena(t.device, 'tally');
    arena.storage('a', 100); // rounded up to 112
    arena.uniform('u', new Uint32Array(3)); // 16
    expect(liveGpuMemory()).toEqual({ buffers: before.buffers + 2, bytes: before.bytes + 112 + 16 });
    arena.dispose();
    arena.dispose();
    expect(liveGpuMemory()).toEqual(before);
    expect(() => arena.storage('late', 4)).toThrow(/was disposed/);
  });

  test("a host app's device is adopted and never destroyed by the library", async () => {
    const gpu = await acquireGpu({ device: t.device });
    gpu.destroy();
    expect(gpu.isLost()).toBe(false);
    const probe = t.device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
    probe.destroy();
  });

  test('device loss is surfaced to the caller', async () => {
    let reported: GPUDeviceLostInfo | undefined;
    const own = await acquireGpu();
    const adopted = await acquireGpu({ device: own.device, onDeviceLost: (info) => (reported = info) });
    own.device.destroy(); // as a host app or the browser might
    const info = await adopted.lost;
    expect(adopted.isLost()).toBe(true);
    expect(reported).toBe(info);
  });
});
