// One training run: builds the model and its datasets, then trains in short
// chunks of trainer.steps() so it can pause, resume and stop between chunks, and
// reports progress, held-out loss and pictures along the way. Awaiting each
// chunk's loss read-back hands the main thread back to the page, so the UI stays
// responsive; chunks are sized to take about CHUNK_MS each.
import { createAutoencoder, type Autoencoder, type Gpu, type Mnist } from '../src/index';
import { corruptDigits, PIXELS } from './pictures';
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

export type RunState = 'starting' | 'training' | 'paused' | 'stopping' | 'stopped' | 'done' | 'failed';

export interface ProgressInfo {
  step: number;
  totalSteps: number;
  /** Fractional epochs done. */
  epoch: number;
  epochs: number;
  /** Mean loss per digit of the last chunk: all terms, and the reconstruction term alone. */
  trainLoss: number;
  trainReconstruction: number;
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
  encoderWeight: Float32Array;
  codes: Float32Array;
  codeCount: number;
}

export interface SessionEvents {
  state(state: RunState, detail?: string): void;
  progress(p: ProgressInfo): void;
  evaluated(epoch: number, loss: number): void;
  pictures(p: Pictures): void;
}

export class TrainingSession {
  model?: Autoencoder;
  private paused = false;
  private stopped = false;
  private wake?: () => void;

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
    const originals = Float32Array.from(te.images.subarray(0, SHOWN_DIGITS * PIXELS), (v) => v / 255);
    const noise = model.config.noise;
    // One small dataset of corrupted digits per run, reused for every picture.
    const corrupted = noise.type === 'none' ? undefined : corruptDigits(originals, noise, model.config.seed);
    const corruptedData = corrupted && model.uploadDataset({ data: corrupted, features: PIXELS, label: 'corrupted digits' });
    const trainer = model.createTrainer({ batchSize: s.batchSize, optimizer: s.optimizer, seed: model.config.seed, syncEvery: MAX_CHUNK });

    const stepsPerEpoch = Math.ceil(s.trainSamples / s.batchSize);
    const totalSteps = stepsPerEpoch * s.epochs;
    let done = 0;
    const refresh = { evalAt: 0, evalCost: 0, evalStep: -1, picturesAt: 0, picturesCost: 0 };
    const evaluate = async () => {
      const t0 = performance.now();
      const loss = (await model.evaluate(heldOut)).reconstruction;
      refresh.evalAt = performance.now();
      refresh.evalCost = refresh.evalAt - t0;
      refresh.evalStep = done;
      this.on.evaluated(done / stepsPerEpoch, loss);
    };
    const pictures = async () => {
      const t0 = performance.now();
      const reconstructions = corruptedData ? await model.reconstruct(corruptedData, 0, SHOWN_DIGITS) : await model.reconstruct(heldOut, 0, SHOWN_DIGITS);
      const codeCount = Math.min(STATS_DIGITS, heldOut.count);
      const codes = await model.encode(heldOut, 0, codeCount);
      const encoderWeight = (await model.getParameters())['encoder.0.weight'];
      refresh.picturesAt = performance.now();
      refresh.picturesCost = refresh.picturesAt - t0;
      this.on.pictures({ originals, corrupted, reconstructions, encoderWeight, codes, codeCount });
    };
    const due = (at: number, cost: number) => performance.now() - at >= Math.max(MIN_REFRESH_MS, WORK_RATIO * cost);

    await evaluate();
    await pictures();
    this.on.state('training');

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
      this.on.progress({
        step: done,
        totalSteps,
        epoch: done / stepsPerEpoch,
        epochs: s.epochs,
        trainLoss: losses.reduce((a, l) => a + l.total * l.rows, 0) / rows,
        trainReconstruction: losses.reduce((a, l) => a + l.components.reconstruction * l.rows, 0) / rows,
        samplesPerSecond: (rows * 1000) / ms,
        seconds,
      });
      const epochEnd = done % stepsPerEpoch === 0;
      if (epochEnd || due(refresh.evalAt, refresh.evalCost)) await evaluate();
      if (due(refresh.picturesAt, refresh.picturesCost)) await pictures();
    }
    if (refresh.evalStep !== done) await evaluate();
    await pictures();
    this.on.state(this.stopped ? 'stopped' : 'done');
  }
}
