// The GPU runtime: every shader compiles, the debug guard names the failing
// kernel, limits are named, host devices are never destroyed, the arena's tally
// is exact, and pipelines are cached.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acquireGpu, BufferArena, liveGpuMemory, makeDispatch, PipelineCache, type KernelSpec } from '../../src/gpu';
import { testGpu, type TestGpu } from './helpers';

const shaders = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const common = (name: string) => shaders[`../../shaders/common/${name}.wgsl`];

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

describe('every .wgsl file compiles with zero errors', () => {
  const files = Object.keys(shaders);
  test('the shader folder is not empty', () => expect(files.length).toBeGreaterThanOrEqual(12));
  for (const path of files) {
    test(path.replace('../../', ''), async () => {
      // Kernel files are compiled after the shared declarations they may use, as the specs do.
      // common/workgroup_sum.wgsl is sized by its kernel's `const WG`: it goes only before
      // the kernels that call it, and alone it is compiled after a WG of its own.
      const isCommon = path.includes('/common/');
      const sumsWorkgroups = !isCommon && shaders[path].includes('workgroup_sum(');
      const code = isCommon
        ? (path.endsWith('/workgroup_sum.wgsl') ? 'const WG: u32 = 64u;\n' : '') + shaders[path]
        : [common('activation'), common('step'), common('rng'), ...(sumsWorkgroups ? [common('workgroup_sum')] : []), shaders[path]].join('\n');
      const module = t.device.createShaderModule({ label: path, code });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      expect(errors).toEqual([]);
    });
  }
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
