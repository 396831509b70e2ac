// Shared set-up for GPU tests: one debug device per test file, a kernel context,
// and upload / read helpers.
import { randomValues } from '../random';
import { acquireGpu, BufferArena, packStep, PipelineCache, readFloats, stepValues, type Gpu, type KernelContext, type StepValues } from '../../src/gpu';

type StepInput = Partial<StepValues> & { validRows: number };

export interface TestGpu extends KernelContext {
  gpu: Gpu;
  upload(label: string, data: Float32Array | Uint32Array): GPUBuffer;
  read(buffer: GPUBuffer, count: number): Promise<Float32Array>;
  /** A Step uniform (shaders/common/step.wgsl) holding `values`; defaults from stepValues(). */
  step(values: StepInput): GPUBuffer;
  /** Overwrite a Step uniform with new values. */
  writeStep(buffer: GPUBuffer, values: StepInput): void;
}

export async function testGpu(): Promise<TestGpu> {
  const gpu = await acquireGpu({ debug: true, onUncapturedError: (e) => { throw new Error(e.message); } });
  const cache = new PipelineCache(gpu.device, true);
  const arena = new BufferArena(gpu.device, 'test');
  return {
    gpu,
    device: gpu.device,
    cache,
    arena,
    upload: (label, data) => arena.storage(label, data),
    read: (buffer, count) => readFloats(gpu.device, buffer, count),
    step: (values) => arena.uniform(`step (valid rows ${values.validRows})`, new Uint8Array(packStep(stepValues(values)))),
    writeStep: (buffer, values) => gpu.device.queue.writeBuffer(buffer, 0, packStep(stepValues(values))),
  };
}

/** Deterministic pseudo-random floats in [lo, hi) for test inputs (mulberry32, rounded once to f32). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from(randomValues(n, seed, lo, hi));
}

/** Largest |a-b| / (atol + rtol*|b|) — ≤ 1 means within tolerance. Also returns max abs diff. */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number) {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  let maxAbs = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
    const r = d / (atol + rtol * Math.abs(expected[i]));
    if (!(r <= worst)) {
      worst = Number.isNaN(r) ? Infinity : r;
      at = i;
    }
  }
  return { worst, maxAbs, at };
}

/** The bit patterns of f32 values: for bit-identity checks (NaN-safe, −0 ≠ +0). */
export function floatBits(v: Float32Array): number[] {
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
}

/** Each named tensor's bit patterns, in order: [name, bits][] (a model's getParameters(), gradients). */
export function tensorBits(p: Record<string, Float32Array>): [string, number[]][] {
  return Object.entries(p).map(([k, v]) => [k, floatBits(v)]);
}
