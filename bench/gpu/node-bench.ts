// The benchmark of a GPU machine that has Node but no browser (issue #14): built by
// bench/gpu/pack.mjs into one Node module with the library and TensorFlow.js inside,
// run on Dawn (the `webgpu` package) by bench/gpu/node-bench.mjs. It holds
//  - the bench page (../bench-page.ts, as Chromium runs it): ours vs TensorFlow.js's
//    WebGPU backend, interleaved rounds, on the same adapter;
//  - whole-epoch times on the 60 000 training digits, for the two figures the issue
//    asks of a GPU: the bench's 784–256–784 autoencoder (sigmoid, BCE, batch 256,
//    SGD 0.1) and the PyTorch example's 784–400–20 VAE (ReLU, batch 128, Adam 1e-3),
//    the same recipes as bench/gpu/pytorch_epochs.py.
export { runBench } from '../bench-page';
import { createAutoencoder, type AutoencoderConfig, type EpochRecord, type TrainerOptions } from '../../src/index';
import { MATMUL_KERNELS, matmulKernelAvailable, type MatmulKernel } from '../../src/kernels/matmul';

export interface EpochModel {
  name: string;
  config: AutoencoderConfig;
  trainer: TrainerOptions;
  /** Matmul flops per training sample (forward and backward, 2 per multiply-add). */
  flopsPerSample: number;
}

const D = 784;
/** 2·(in·out) per multiply-add and layer, three products per layer (forward, dW, dIn), the first layer's dIn skipped. */
const denseFlops = (layers: Array<[number, number]>) => layers.reduce((a, [i, o], k) => a + 2 * i * o * (k === 0 ? 2 : 3), 0);

export const EPOCH_MODELS: EpochModel[] = [
  {
    name: 'autoencoder 784–256–784 (sigmoid, BCE), batch 256, SGD 0.1',
    config: { inputSize: D, hiddenSize: 256, encoderActivation: 'sigmoid', decoderActivation: 'sigmoid', loss: 'bce', seed: 1 },
    trainer: { batchSize: 256, optimizer: { type: 'sgd', learningRate: 0.1 }, seed: 1 },
    flopsPerSample: denseFlops([[D, 256], [256, D]]),
  },
  {
    name: 'VAE 784–400–20 (ReLU, Bernoulli decoder), batch 128, Adam 1e-3',
    config: { inputSize: D, hiddenSizes: [400, 20], encoderActivation: 'relu', variational: true, seed: 1 },
    trainer: { batchSize: 128, optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 1 },
    // Encoder 784→400, the μ and log σ² heads 400→20 each, decoder 20→400→784.
    flopsPerSample: denseFlops([[D, 400], [400, 20], [400, 20], [20, 400], [400, D]]),
  },
];

export interface EpochResult {
  name: string;
  samples: number;
  /** Seconds of each epoch, the first included (pipeline compilation, kernel tuning). */
  epochSeconds: number[];
  /** The median of the epochs after the first. */
  medianSeconds: number;
  gflops: number;
  /** Mean training loss of each epoch. */
  trainLosses: number[];
  /** The trainer's options beyond the model's recipe (the sweep's), and the matmul kernel each shape ran. */
  options?: Partial<TrainerOptions>;
  matmulKernels: { shape: string; kernel: string; source: string; ms?: Partial<Record<string, number>> }[];
}

/**
 * The autoencoder's epoch under the trainer's two speed knobs, for choosing their defaults
 * on a GPU: stepsPerSubmit (1, the default, 16) with the kernels tuned, then each matmul
 * family forced. Each runs `epochs` epochs; the median of epochs 2.. is reported.
 */
export const SWEEP: Partial<TrainerOptions>[] = [
  { stepsPerSubmit: 1 },
  {},
  { stepsPerSubmit: 16 },
  { matmulKernel: 'blocked' },
  { matmulKernel: 'tiled' },
  { matmulKernel: 'subgroup' },
];

/**
 * Train each model for `epochs` epochs on `images` ([count, 784] bytes) and time
 * every epoch (EpochRecord.seconds: from the epoch's first step to its losses read back).
 */
export async function epochTimes(images: Uint8Array, epochs: number, log: (line: string) => void): Promise<EpochResult[]> {
  const out: EpochResult[] = [];
  for (const m of EPOCH_MODELS) out.push((await timeEpochs(m, m.name, undefined, images, epochs, log))!);
  return out;
}

/**
 * The autoencoder's epochs under each SWEEP setting. A family the adapter cannot run
 * ('subgroup' without the feature) is listed in `skipped`; any other failure is in
 * `errors` (the caller fails the run), so a broken kernel is never mistaken for a skip.
 */
export async function sweepTimes(images: Uint8Array, epochs: number, log: (line: string) => void): Promise<{ results: EpochResult[]; skipped: string[]; errors: string[] }> {
  const out = { results: [] as EpochResult[], skipped: [] as string[], errors: [] as string[] };
  for (const options of SWEEP) {
    const name = `autoencoder ${JSON.stringify(options)}`;
    try {
      const r = await timeEpochs(EPOCH_MODELS[0], name, options, images, epochs, log);
      if (r) out.results.push(r);
      else {
        out.skipped.push(name);
        log(`${name}: skipped: this device cannot run the '${options.matmulKernel}' family`);
      }
    } catch (e) {
      out.errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      log(`${name}: FAILED: ${out.errors.at(-1)}`);
    }
  }
  return out;
}

/** Null when `options` force a matmul family the model's device cannot run. */
async function timeEpochs(m: EpochModel, name: string, options: Partial<TrainerOptions> | undefined, images: Uint8Array, epochs: number, log: (line: string) => void): Promise<EpochResult | null> {
  const count = images.length / D;
  const model = await createAutoencoder(m.config);
  try {
    const kernel = options?.matmulKernel;
    if (kernel && (MATMUL_KERNELS as readonly string[]).includes(kernel) && !matmulKernelAvailable(model.gpu.device, kernel as MatmulKernel)) return null;
    const train = model.uploadDataset({ data: images, features: D, label: 'epoch bench' });
    const trainer = model.createTrainer({ ...m.trainer, ...options });
    try {
      const history: EpochRecord[] = await trainer.fit(train, {
        epochs,
        onEpoch: (r) => log(`${name}: epoch ${r.epoch}/${epochs} ${r.seconds.toFixed(3)} s, ${Math.round(r.samplesPerSecond)} samples/s, loss ${r.trainLoss.toFixed(2)}`),
      });
      const seconds = history.map((r) => r.seconds);
      const later = seconds.slice(1).sort((a, b) => a - b);
      const median = later.length ? later[Math.floor(later.length / 2)] : seconds[0];
      const matmulKernels = trainer.matmulKernels().map((c) => ({ shape: `${c.form} ${c.M}×${c.N}×${c.K}`, kernel: c.kernel, source: c.source, ms: c.ms }));
      log(`${name}: matmuls ${matmulKernels.map((k) => `${k.shape} ${k.kernel} (${k.source}${k.ms ? `; ms ${JSON.stringify(k.ms)}` : ''})`).join(', ')}`);
      return { name, samples: count, epochSeconds: seconds, medianSeconds: median, gflops: (m.flopsPerSample * count) / median / 1e9, trainLosses: history.map((r) => r.trainLoss), options, matmulKernels };
    } finally {
      trainer.dispose();
    }
  } finally {
    model.dispose();
  }
}
