// Each matmul kernel family on the 784–256–784 training step's five matmul shapes
// (B = 256, D = 784, H = 256): GFLOP/s from the median of `reps` timed runs of
// `batch` dispatches in one pass (src/gpu/timing.ts), and how long MatmulTuner
// takes to choose for those shapes from nothing (compiling the pipelines included).
// bench/matmul-kernels.mjs calls window.runMatmulKernels(options) and prints it.
import { acquireGpu, BufferArena, PipelineCache, type KernelContext } from '../src/gpu';
import { timeDispatches } from '../src/gpu/timing';
import { MATMUL_KERNELS, matmulKernelAvailable, matmulKernelDispatch, type MatmulForm } from '../src/kernels/matmul';
import { adapterKey, clearMatmulChoices, MatmulTuner } from '../src/kernels/matmul-tuning';

const SHAPES: { what: string; form: MatmulForm; M: number; N: number; K: number }[] = [
  { what: 'the brief\'s nn (M=256 K=784 N=256)', form: 'nn', M: 256, N: 256, K: 784 },
  { what: 'forward h = g(x·W1ᵀ + b)', form: 'nt', M: 256, N: 256, K: 784 },
  { what: 'forward z = h·W2ᵀ + c', form: 'nt', M: 256, N: 784, K: 256 },
  { what: 'backward dW2 = dzᵀ·h', form: 'tn', M: 784, N: 256, K: 256 },
  { what: 'backward dh = dz·W2', form: 'nn', M: 256, N: 256, K: 784 },
  { what: 'backward dW1 = daᵀ·x', form: 'tn', M: 256, N: 784, K: 256 },
];

export interface MatmulKernelsOptions {
  reps: number;
  batch: number;
}

async function runMatmulKernels(o: MatmulKernelsOptions) {
  const gpu = await acquireGpu({ debug: false });
  const device = gpu.device;
  const adapter = await navigator.gpu.requestAdapter();
  const ctx: KernelContext = { device, cache: new PipelineCache(device), arena: new BufferArena(device, 'matmul-kernels') };
  const rows = [];
  for (const s of SHAPES) {
    const args = { ...s, a: ctx.arena.storage('a', s.M * s.K * 4), b: ctx.arena.storage('b', s.N * s.K * 4), c: ctx.arena.storage('c', s.M * s.N * 4) };
    const row: Record<string, unknown> = { ...s };
    for (const kernel of MATMUL_KERNELS.filter((k) => matmulKernelAvailable(device, k))) {
      const d = matmulKernelDispatch(ctx, args, kernel);
      const t = await timeDispatches(device, Array.from({ length: o.batch }, () => d), o.reps, `${kernel} ${s.form}`);
      const ms = t.ms / o.batch;
      row[kernel] = { ms, gflops: (2 * s.M * s.N * s.K) / (ms * 1e6), method: t.method };
    }
    rows.push(row);
  }
  ctx.arena.dispose();
  // The tuner from nothing on the step's five shapes (what 'tune', and 'auto' on a GPU, cost at a trainer's first step).
  clearMatmulChoices();
  const cache = new PipelineCache(device);
  const arena = new BufferArena(device, 'tuner');
  const tctx = { device, cache, arena, matmul: new MatmulTuner(cache, 'tune') };
  const { matmulDispatch } = await import('../src/kernels/matmul');
  for (const s of SHAPES.slice(1)) {
    matmulDispatch(tctx, { ...s, a: arena.storage('a', s.M * s.K * 4), b: arena.storage('b', s.N * s.K * 4), c: arena.storage('c', s.M * s.N * 4) });
  }
  const t0 = performance.now();
  await tctx.matmul.tune();
  const tuneMs = performance.now() - t0;
  arena.dispose();
  const info = device.adapterInfo;
  const result = {
    adapter: adapterKey(device),
    isFallbackAdapter: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean })?.isFallbackAdapter,
    adapterFeatures: adapter ? [...adapter.features].sort() : [],
    deviceFeatures: [...device.features].sort(),
    options: o,
    rows,
    tuneMs,
    choices: tctx.matmul.choices(),
  };
  gpu.destroy();
  return result;
}

(window as unknown as { runMatmulKernels: typeof runMatmulKernels }).runMatmulKernels = runMatmulKernels;
