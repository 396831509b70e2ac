// The Compare view's runs: 2–4 one-layer variants (from demo/presets.ts) trained
// one after another on the same digits, with the same seed, width, epochs and
// batch size, so their differences come from the variant alone. Each is then
// measured the same way: held-out loss, reconstructions of the same corrupted
// test digits (masking noise drawn once), its filters, the mean Jacobian norm
// ‖J‖_F of its encoder, a linear probe on its frozen codes and a classifier
// fine-tuned from it. Every model is disposed before the next one is built.
import { createAutoencoder, probeAutoencoder, resolveConfig, type AutoencoderConfig, type Gpu, type Mnist } from '../src/index';
import { fineTune } from './finetune';
import { corruptDigits, PIXELS } from './pictures';
import { PRESETS, type Preset } from './presets';
import { INPUT_SIZE, MNIST_TEST, MNIST_TRAIN, SHOWN_DIGITS, type Errors } from './validation';

export interface CompareSettings {
  /** Preset ids, 2 to 4 of COMPARABLE. */
  variants: string[];
  hiddenSize: number;
  /** The first n MNIST training digits: training, the probe and fine-tuning. */
  trainSamples: number;
  /** The first n MNIST test digits: held-out loss, ‖J‖, probe and fine-tuned accuracy. */
  testSamples: number;
  epochs: number;
  batchSize: number;
  seed: number;
  fineTuneEpochs: number;
  /** Masking rate of the corrupted test digits every variant reconstructs. */
  maskingRate: number;
}

/** Small enough for a software GPU: a few seconds per variant. */
export const COMPARE_DEFAULTS: CompareSettings = {
  variants: ['plain', 'denoising-masking', 'contractive'],
  hiddenSize: 64,
  trainSamples: 2000,
  testSamples: 500,
  epochs: 3,
  batchSize: 50,
  seed: 1,
  fineTuneEpochs: 2,
  maskingRate: 0.3,
};

export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 4;
/** Epochs of the linear probe (softmax regression on the standardised codes). */
const PROBE_EPOCHS = 5;

/** Presets that compare like for like: one hidden layer, not variational (the contractive penalty needs one layer). */
export const COMPARABLE: readonly Preset[] = PRESETS.filter((p) => p.settings.model.hiddenSizes === undefined && !p.settings.model.variational);

/** The preset's model with the comparison's width and seed. */
export function variantConfig(preset: Preset, s: CompareSettings): AutoencoderConfig {
  return { inputSize: INPUT_SIZE, ...preset.settings.model, hiddenSize: s.hiddenSize, seed: s.seed };
}

/** Checks of the settings as { field: message } (fields as in CompareSettings); empty when all is well. */
export function validateCompare(s: CompareSettings): Errors {
  const errors: Errors = {};
  const integerIn = (field: keyof CompareSettings, what: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) errors[field] = `${what} must be an integer in [${lo}, ${hi}] (got ${Number.isNaN(v) ? 'nothing' : v})`;
  };
  if (s.variants.length < MIN_VARIANTS || s.variants.length > MAX_VARIANTS) {
    errors.variants = `pick ${MIN_VARIANTS} to ${MAX_VARIANTS} variants (${s.variants.length} picked)`;
  }
  for (const id of s.variants) if (!COMPARABLE.some((p) => p.id === id)) errors.variants = `'${id}' is not a variant the comparison offers`;
  integerIn('hiddenSize', 'hidden units', s.hiddenSize, 1, 1024);
  integerIn('trainSamples', 'training digits', s.trainSamples, 1, MNIST_TRAIN);
  integerIn('testSamples', 'test digits', s.testSamples, SHOWN_DIGITS, MNIST_TEST);
  integerIn('epochs', 'epochs', s.epochs, 1, 100);
  integerIn('fineTuneEpochs', 'fine-tuning epochs', s.fineTuneEpochs, 1, 100);
  integerIn('seed', 'seed', s.seed, 0, 2 ** 31 - 1);
  integerIn('batchSize', 'batch size', s.batchSize, 1, Number.isInteger(s.trainSamples) && s.trainSamples >= 1 ? Math.min(s.trainSamples, MNIST_TRAIN) : MNIST_TRAIN);
  if (!(s.maskingRate >= 0 && s.maskingRate < 1)) errors.maskingRate = `masking rate must be a number in [0, 1) (got ${Number.isNaN(s.maskingRate) ? 'nothing' : s.maskingRate})`;
  // The library's own checks of each variant's model, should a preset and the width disagree.
  if (!errors.variants && !errors.hiddenSize && !errors.seed) {
    for (const p of COMPARABLE.filter((p) => s.variants.includes(p.id))) {
      try {
        resolveConfig(variantConfig(p, s));
      } catch (e) {
        errors.variants = `${p.label}: ${(e as Error).message}`;
      }
    }
  }
  return errors;
}

export interface VariantResult {
  id: string;
  label: string;
  /** Of the shared corrupted test digits, [SHOWN_DIGITS, 784]. */
  reconstructions: Float32Array;
  /** [hiddenSize, 784]. */
  encoderWeight: Float32Array;
  /** Mean reconstruction loss per clean test digit. */
  heldOutLoss: number;
  /** Mean over the test digits of ‖∂h/∂x‖_F. */
  jacobianNorm: number;
  probeAccuracy: number;
  fineTunedAccuracy: number;
  seconds: number;
}

export interface CompareEvents {
  /** What variant `index` is doing now, and the fraction of the whole comparison done. */
  phase(index: number, text: string, fraction: number): void;
  result(index: number, r: VariantResult): void;
}

export class Comparison {
  /** The first SHOWN_DIGITS test digits, clean and masked (one draw for every variant). */
  readonly originals: Float32Array;
  readonly corrupted: Float32Array;
  private readonly abort = new AbortController();
  private readonly variants: Preset[];

  constructor(
    private readonly gpu: Gpu,
    private readonly mnist: Mnist,
    readonly settings: CompareSettings,
    private readonly on: CompareEvents,
  ) {
    this.variants = settings.variants.map((id) => COMPARABLE.find((p) => p.id === id)!);
    this.originals = Float32Array.from(mnist.test.images.subarray(0, SHOWN_DIGITS * PIXELS), (v) => v / 255);
    this.corrupted = corruptDigits(this.originals, { type: 'masking', rate: settings.maskingRate }, settings.seed);
  }

  stop(): void {
    this.abort.abort();
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Train and measure every variant in turn; resolves 'stopped' after a Stop, rejects on a failure. */
  async run(): Promise<'done' | 'stopped'> {
    for (let i = 0; i < this.variants.length && !this.stopped; i++) {
      try {
        this.on.result(i, await this.runOne(i));
      } catch (e) {
        if (this.stopped) break; // a Stop aborts the fit in progress
        throw e;
      }
    }
    return this.stopped ? 'stopped' : 'done';
  }

  private async runOne(i: number): Promise<VariantResult> {
    const s = this.settings;
    const preset = this.variants[i];
    const t0 = performance.now();
    const share = 1 / this.variants.length;
    // Training is most of a variant's time; measuring and fine-tuning the rest.
    const say = (text: string, part: number) => this.on.phase(i, text, (i + part) * share);
    say('building the model', 0);
    const model = await createAutoencoder(variantConfig(preset, s), { gpu: this.gpu });
    try {
      const { train: tr, test: te } = this.mnist;
      const train = model.uploadDataset({
        data: tr.images.subarray(0, s.trainSamples * PIXELS),
        features: PIXELS,
        labels: tr.labels.subarray(0, s.trainSamples),
        label: `compare ${preset.id} train`,
      });
      const test = model.uploadDataset({
        data: te.images.subarray(0, s.testSamples * PIXELS),
        features: PIXELS,
        labels: te.labels.subarray(0, s.testSamples),
        label: `compare ${preset.id} test`,
      });
      const corrupted = model.uploadDataset({ data: this.corrupted, features: PIXELS, label: `compare ${preset.id} corrupted digits` });
      const trainer = model.createTrainer({ batchSize: s.batchSize, optimizer: preset.settings.optimizer, seed: s.seed });
      await trainer.fit(train, {
        epochs: s.epochs,
        signal: this.abort.signal,
        onProgress: (p) => say(`training, epoch ${p.epoch} of ${p.epochs}`, (0.6 * (p.epoch - 1 + p.stepInEpoch / p.stepsPerEpoch)) / p.epochs),
      });
      this.check();
      say('measuring', 0.6);
      const heldOutLoss = (await model.evaluate(test)).reconstruction;
      const reconstructions = await model.reconstruct(corrupted, 0, SHOWN_DIGITS);
      const encoderWeight = (await model.getParameters())['encoder.0.weight'];
      const { meanJacobianNorm } = await model.contraction(test);
      this.check();
      say('linear probe on the codes', 0.65);
      const probe = await probeAutoencoder(model, train, test, { epochs: PROBE_EPOCHS, batchSize: Math.min(128, s.trainSamples), seed: s.seed, label: `compare ${preset.id} probe` });
      this.check();
      say('fine-tuning a classifier', 0.7);
      const tuned = await fineTune(model, this.mnist, {
        trainCount: s.trainSamples,
        testCount: s.testSamples,
        epochs: s.fineTuneEpochs,
        batchSize: s.batchSize,
        seed: s.seed,
        signal: this.abort.signal,
        onProgress: (f) => say('fine-tuning a classifier', 0.7 + 0.3 * f),
      });
      return {
        id: preset.id,
        label: preset.label,
        reconstructions,
        encoderWeight,
        heldOutLoss,
        jacobianNorm: meanJacobianNorm,
        probeAccuracy: probe.testAccuracy,
        fineTunedAccuracy: tuned.evaluation.accuracy,
        seconds: (performance.now() - t0) / 1000,
      };
    } finally {
      model.dispose();
    }
  }

  /** Between the measurements: a Stop ends the variant here. */
  private check(): void {
    if (this.stopped) throw new DOMException('the comparison was stopped', 'AbortError');
  }
}
