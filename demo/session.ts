// One training run: builds the model and its datasets, then trains in short
// chunks of trainer.steps() so it can pause, resume and stop between chunks, and
// reports progress, held-out loss and pictures along the way. Awaiting each
// chunk's loss read-back hands the main thread back to the page, so the UI stays
// responsive; chunks are sized to take about CHUNK_MS each. A deep model may
// first be pretrained greedily, layer by layer (trainStacked); a VAE also gets
// prior samples, a latent map and an interpolation; every run ends with a
// linear probe of its codes.
import {
  createAutoencoder,
  linearProbe,
  project2d,
  scatterPlot,
  trainStacked,
  type Autoencoder,
  type Evaluation,
  type Gpu,
  type Mnist,
  type ProbeResult,
  type RgbaImage,
  type StageEvent,
} from '../src/index';
import { corruptDigits, digitGrid, INTERPOLATION_STEPS, manifoldLatents, MAP_SIDE, PIXELS, SAMPLE_COLUMNS } from './pictures';
import { interpolateCodes } from '../src/analysis/latent';
import { modelConfig, SHOWN_DIGITS } from './validation';
import type { Settings } from './presets';

/** Target wall time of one chunk of steps: how quickly Pause and Stop take effect. */
const CHUNK_MS = 250;
/** Most steps per chunk (also the trainer's syncEvery, so a chunk reads its losses once). */
const MAX_CHUNK = 64;
/** Held-out evaluations and pictures take at most about 1/(1 + this) of the time. */
const WORK_RATIO = 5;
/** … and are not refreshed more often than this. */
const MIN_REFRESH_MS = 1000;
/** Held-out digits whose codes feed the activation statistics. */
const STATS_DIGITS = 500;
/** Prior samples drawn for the VAE picture (the same z every time, so the picture shows the decoder learning). */
const VAE_SAMPLES = 20;
const VAE_SAMPLE_SEED = 7;
/** The linear probe: training digits whose codes it learns from, and its epochs. */
const PROBE_TRAIN = 2000;
const PROBE_EPOCHS = 5;

export type RunState = 'starting' | 'training' | 'paused' | 'stopping' | 'probing' | 'stopped' | 'done' | 'failed';

export interface ProgressInfo {
  step: number;
  totalSteps: number;
  /** Fraction of the whole run done, greedy pretraining included. */
  fraction: number;
  /** Fractional epochs done. */
  epoch: number;
  epochs: number;
  /** Mean loss per digit of the last chunk: all terms, and the reconstruction term alone. */
  trainLoss: number;
  trainReconstruction: number;
  /** A VAE's KL(q(z|x) ‖ N(0, I)) per digit (unweighted by β). */
  trainKl?: number;
  samplesPerSecond: number;
  /** Seconds spent training (pauses excluded). */
  seconds: number;
}

export interface Pictures {
  originals: Float32Array;
  /** Present for denoising models. */
  corrupted?: Float32Array;
  /** Of the corrupted digits for denoising models, else of the originals. */
  reconstructions: Float32Array;
  /** The first encoder layer's weights, [hiddenSizes[0], 784]. */
  encoderWeight: Float32Array;
  /** Codes (μ for a VAE) of the first codeCount held-out digits, [codeCount, code size]. */
  codes: Float32Array;
  codeCount: number;
  vae?: VaePictures;
}

export interface VaePictures {
  /** Digits decoded from VAE_SAMPLES latents drawn from the prior. */
  samples: RgbaImage;
  /** 2-D latent: digits decoded on a grid of Gaussian quantiles; else the 2-D PCA scatter of μ coloured by digit. */
  map: { kind: 'grid'; image: RgbaImage; side: number } | { kind: 'scatter'; image: RgbaImage; explained: [number, number]; count: number };
  interpolation: RgbaImage;
}

/** Greedy pretraining progress (before the end-to-end training). */
export interface StageInfo {
  stage: StageEvent;
  /** Fraction of the whole run (pretraining and training epochs) done. */
  fraction: number;
  epoch: number;
  epochs: number;
  loss?: number;
  samplesPerSecond?: number;
}

export interface ProbeReport {
  codes: ProbeResult;
  pixels: ProbeResult;
  trainCount: number;
  testCount: number;
}

export interface SessionEvents {
  state(state: RunState, detail?: string): void;
  progress(p: ProgressInfo): void;
  evaluated(epoch: number, evaluation: Evaluation): void;
  pictures(p: Pictures): void;
  stage(s: StageInfo): void;
  probed(p: ProbeReport): void;
}

export class TrainingSession {
  model?: Autoencoder;
  private paused = false;
  private stopped = false;
  private wake?: () => void;
  /** Aborts greedy pretraining, which runs in trainStacked's own loop. */
  private readonly abort = new AbortController();

  constructor(
    private readonly gpu: Gpu,
    private readonly mnist: Mnist,
    readonly settings: Settings,
    private readonly on: SessionEvents,
    /** Start from these weights (a loaded model file) instead of a fresh initialisation. */
    private readonly initialParameters?: Record<string, Float32Array>,
  ) {}

  pause(): void {
    if (this.stopped) return;
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
  }

  /** Train to the end (or until stopped); never throws: failures are reported as the 'failed' state. */
  async run(): Promise<void> {
    try {
      await this.train();
    } catch (e) {
      // A lost device first shows up as a failed read-back; its 'lost' promise may settle a moment later.
      await Promise.race([this.gpu.lost, new Promise((resolve) => setTimeout(resolve, 250))]);
      this.on.state('failed', this.gpu.isLost() ? 'the GPU device was lost' : (e as Error).message);
    }
  }

  dispose(): void {
    this.stop();
    this.model?.dispose();
    this.model = undefined;
  }

  private async train(): Promise<void> {
    const s = this.settings;
    this.on.state('starting', 'compiling shaders and uploading MNIST…');
    const model = await createAutoencoder(modelConfig(s), { gpu: this.gpu });
    this.model = model;
    if (this.initialParameters) model.setParameters(this.initialParameters);
    const { train: tr, test: te } = this.mnist;
    const train = model.uploadDataset({ data: tr.images.subarray(0, s.trainSamples * PIXELS), features: PIXELS, label: 'mnist train' });
    const heldOut = model.uploadDataset({ data: te.images.subarray(0, s.evalSamples * PIXELS), features: PIXELS, label: 'mnist held-out' });
    const heldOutLabels = te.labels.subarray(0, s.evalSamples);
    const originals = Float32Array.from(te.images.subarray(0, SHOWN_DIGITS * PIXELS), (v) => v / 255);
    const noise = model.config.noise;
    // One small dataset of corrupted digits per run, reused for every picture.
    const corrupted = noise.type === 'none' ? undefined : corruptDigits(originals, noise, model.config.seed);
    const corruptedData = corrupted && model.uploadDataset({ data: corrupted, features: PIXELS, label: 'corrupted digits' });
    const stepsPerEpoch = Math.ceil(s.trainSamples / s.batchSize);
    const totalSteps = stepsPerEpoch * s.epochs;
    const pretrainEpochs = s.pretrainEpochs * model.config.hiddenSizes.length;
    let done = 0;
    const refresh = { evalAt: 0, evalCost: 0, evalStep: -1, picturesAt: 0, picturesCost: 0 };
    const evaluate = async () => {
      const t0 = performance.now();
      const evaluation = await model.evaluate(heldOut);
      refresh.evalAt = performance.now();
      refresh.evalCost = refresh.evalAt - t0;
      refresh.evalStep = done;
      this.on.evaluated(done / stepsPerEpoch, evaluation);
    };
    const pictures = async () => {
      const t0 = performance.now();
      const reconstructions = corruptedData ? await model.reconstruct(corruptedData, 0, SHOWN_DIGITS) : await model.reconstruct(heldOut, 0, SHOWN_DIGITS);
      const codeCount = Math.min(STATS_DIGITS, heldOut.count);
      const codes = await model.encode(heldOut, 0, codeCount);
      const encoderWeight = (await model.getParameters())['encoder.0.weight'];
      const vae = model.config.variational ? await this.vaePictures(model, codes, heldOutLabels.subarray(0, codeCount)) : undefined;
      refresh.picturesAt = performance.now();
      refresh.picturesCost = refresh.picturesAt - t0;
      this.on.pictures({ originals, corrupted, reconstructions, encoderWeight, codes, codeCount, vae });
    };
    const due = (at: number, cost: number) => performance.now() - at >= Math.max(MIN_REFRESH_MS, WORK_RATIO * cost);

    await evaluate();
    await pictures();
    this.on.state('training');
    if (s.pretrainEpochs > 0 && !this.stopped) {
      await this.pretrain(model, train);
      if (!this.stopped) {
        await evaluate(); // the pretrained stack, before fine-tuning
        await pictures();
      }
    }
    const trainer = model.createTrainer({ batchSize: s.batchSize, optimizer: s.optimizer, seed: model.config.seed, syncEvery: MAX_CHUNK });

    let chunk = 1; // the first chunk measures the step time
    let msPerStep = 0;
    let seconds = 0;
    while (done < totalSteps && !this.stopped) {
      if (this.paused) {
        this.on.state('paused');
        await pictures();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        if (this.stopped) break;
        this.on.state('training');
      }
      // Never cross an epoch boundary inside a chunk, so epochs end on a report.
      const n = Math.min(chunk, stepsPerEpoch - (done % stepsPerEpoch), totalSteps - done);
      const t0 = performance.now();
      const losses = await trainer.steps(train, n);
      const ms = performance.now() - t0;
      seconds += ms / 1000;
      done += n;
      msPerStep = msPerStep === 0 ? ms / n : 0.7 * msPerStep + 0.3 * (ms / n);
      chunk = Math.max(1, Math.min(MAX_CHUNK, Math.round(CHUNK_MS / msPerStep)));
      const rows = losses.reduce((a, l) => a + l.rows, 0);
      const meanOf = (f: (l: (typeof losses)[number]) => number) => losses.reduce((a, l) => a + f(l) * l.rows, 0) / rows;
      this.on.progress({
        step: done,
        totalSteps,
        fraction: (pretrainEpochs + done / stepsPerEpoch) / (pretrainEpochs + s.epochs),
        epoch: done / stepsPerEpoch,
        epochs: s.epochs,
        trainLoss: meanOf((l) => l.total),
        trainReconstruction: meanOf((l) => l.components.reconstruction),
        trainKl: model.config.variational ? meanOf((l) => l.components.vaeKl) : undefined,
        samplesPerSecond: (rows * 1000) / ms,
        seconds,
      });
      const epochEnd = done % stepsPerEpoch === 0;
      if (epochEnd || due(refresh.evalAt, refresh.evalCost)) await evaluate();
      if (due(refresh.picturesAt, refresh.picturesCost)) await pictures();
    }
    if (refresh.evalStep !== done) await evaluate();
    await pictures();
    const stopped = this.stopped;
    this.on.state('probing', 'Training the linear probe on the codes…');
    await this.probe(model, train, heldOut, heldOutLabels);
    this.on.state(stopped ? 'stopped' : 'done');
  }

  /** Greedy layer-wise pretraining of the deep model's encoder layers (no fine-tuning: the main loop does that). */
  private async pretrain(model: Autoencoder, train: Parameters<Autoencoder['encode']>[0]): Promise<void> {
    const s = this.settings;
    const layers = model.config.hiddenSizes.length;
    const totalEpochs = layers * s.pretrainEpochs + s.epochs;
    let stage: StageEvent | undefined;
    const report = (epoch: number, part: number, loss?: number, samplesPerSecond?: number) =>
      stage && this.on.stage({ stage, fraction: (stage.index * s.pretrainEpochs + epoch - 1 + part) / totalEpochs, epoch, epochs: s.pretrainEpochs, loss, samplesPerSecond });
    try {
      await trainStacked(model, train, {
        pretrain: { epochs: s.pretrainEpochs, batchSize: s.batchSize, optimizer: s.optimizer },
        fineTune: false,
        signal: this.abort.signal,
        onStage: (e) => {
          stage = e;
          report(1, 0);
        },
        onProgress: (p) => report(p.epoch, p.stepInEpoch / p.stepsPerEpoch, p.loss, p.samplesPerSecond),
      });
    } catch (e) {
      if (!this.stopped) throw e; // a Stop aborts trainStacked; the model keeps its initial weights
    }
  }

  /**
   * Softmax regression on the codes (μ for a VAE) of the first PROBE_TRAIN
   * training digits, tested on the held-out digits; the same on raw pixels for
   * comparison. A few seconds on a software GPU.
   */
  private async probe(model: Autoencoder, train: Parameters<Autoencoder['encode']>[0], heldOut: Parameters<Autoencoder['encode']>[0], testLabels: Uint8Array): Promise<void> {
    const { train: tr, test: te } = this.mnist;
    const n = Math.min(PROBE_TRAIN, train.count);
    const trainLabels = tr.labels.subarray(0, n);
    const options = { epochs: PROBE_EPOCHS, batchSize: Math.min(128, n) };
    const [trainCodes, testCodes] = [await model.encode(train, 0, n), await model.encode(heldOut)];
    const width = model.config.hiddenSize;
    const codes = await linearProbe(
      model.gpu,
      { trainFeatures: trainCodes, trainLabels, testFeatures: testCodes, testLabels, features: width },
      { ...options, label: 'demo probe (codes)' },
    );
    const pixels = await linearProbe(
      model.gpu,
      { trainFeatures: tr.images.subarray(0, n * PIXELS), trainLabels, testFeatures: te.images.subarray(0, heldOut.count * PIXELS), testLabels, features: PIXELS },
      { ...options, label: 'demo probe (pixels)' },
    );
    this.on.probed({ codes, pixels, trainCount: n, testCount: heldOut.count });
  }

  /** Prior samples, the latent map and an interpolation between the first two held-out digits' μ. */
  private async vaePictures(model: Autoencoder, mu: Float32Array, labels: Uint8Array): Promise<VaePictures> {
    const Z = model.config.hiddenSize;
    const count = labels.length;
    const samples = digitGrid((await model.sample(VAE_SAMPLES, VAE_SAMPLE_SEED)).images, VAE_SAMPLES, SAMPLE_COLUMNS);
    let map: VaePictures['map'];
    if (Z === 2) {
      const grid = await model.decode(manifoldLatents(MAP_SIDE));
      map = { kind: 'grid', image: digitGrid(grid, MAP_SIDE * MAP_SIDE, MAP_SIDE), side: MAP_SIDE };
    } else {
      const projection = project2d(mu, count, Z, labels);
      map = { kind: 'scatter', image: scatterPlot(projection, { width: 256, height: 256, radius: 1 }), explained: projection.explainedVarianceRatio, count };
    }
    const line = interpolateCodes(mu.subarray(0, Z), mu.subarray(Z, 2 * Z), INTERPOLATION_STEPS);
    const interpolation = digitGrid(await model.decode(line), INTERPOLATION_STEPS, INTERPOLATION_STEPS);
    return { samples, map, interpolation };
  }
}
