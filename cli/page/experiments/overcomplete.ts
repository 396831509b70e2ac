// More hidden units than inputs: nothing stops a plain autoencoder from copying
// its input (the identity is a perfect, useless solution), while corruption or a
// sparsity penalty makes copying fail and forces the code to model the digits.
// Measured as: reconstruction of clean digits (copying wins), of images that are
// not digits at all (a copier reconstructs them too; a model of digits does not),
// of corrupted digits, how noise-like the filters are, and a probe on the codes.
import type { AutoencoderConfig } from '../../../src/index';
import type { ImageSet } from '../data';
import type { Experiment, ExperimentSize } from './experiment';
import { comparisonGrid, filterGrid, sideBySide } from './figures';
import { corrupt, fmt, hostRandom, meanSquaredError, probeCodes, trainOn, unitPixels, type TrainingBudget } from './common';

const SIZES: Record<ExperimentSize, { train: number; test: number; pool: number; hidden: number; epochs: number; learningRate: number; probeEpochs: number }> = {
  // 14×14 digits (2×2 averages) and 256 units: overcomplete (256 > 196) at a size the test suite affords.
  quick: { train: 2000, test: 500, pool: 2, hidden: 256, epochs: 10, learningRate: 0.01, probeEpochs: 10 },
  medium: { train: 10000, test: 10000, pool: 1, hidden: 1000, epochs: 10, learningRate: 0.003, probeEpochs: 10 },
  full: { train: 60000, test: 10000, pool: 1, hidden: 2000, epochs: 30, learningRate: 0.001, probeEpochs: 20 },
};

const SEED = 17;

const CONTENDERS: Array<{ name: string; config: Partial<AutoencoderConfig> }> = [
  { name: 'plain', config: {} },
  { name: 'denoising masking 0.5', config: { noise: { type: 'masking', rate: 0.5 } } },
  // β scaled to the reconstruction term, which is summed over the (fewer, at quick size) pixels.
  { name: 'sparse KL ρ=0.05', config: { sparsity: { type: 'kl', rho: 0.05, beta: 100 } } },
];

/** Average `pool`×`pool` blocks of pixels (pool 1: the images unchanged). */
function pooled(set: ImageSet, pool: number): ImageSet {
  if (pool === 1) return set;
  const rows = Math.floor(set.rows / pool);
  const cols = Math.floor(set.cols / pool);
  const images = new Uint8Array(set.count * rows * cols);
  for (let n = 0; n < set.count; n++) {
    const src = n * set.rows * set.cols;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let sum = 0;
        for (let i = 0; i < pool; i++) for (let j = 0; j < pool; j++) sum += set.images[src + (r * pool + i) * set.cols + c * pool + j];
        images[(n * rows + r) * cols + c] = Math.round(sum / (pool * pool));
      }
    }
  }
  return { ...set, images, rows, cols };
}

/**
 * How noise-like the filters are: Σ over horizontal and vertical neighbours of
 * (w_a − w_b)² over Σ w², averaged over the units. White noise gives about 4
 * (each difference has twice the variance, in two directions); smooth strokes
 * give much less.
 */
export function roughness(weight: Float32Array, hidden: number, rows: number, cols: number): number {
  let total = 0;
  for (let j = 0; j < hidden; j++) {
    const w = weight.subarray(j * rows * cols, (j + 1) * rows * cols);
    let diff = 0;
    let energy = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = w[r * cols + c];
        energy += v * v;
        if (c + 1 < cols) diff += (v - w[r * cols + c + 1]) ** 2;
        if (r + 1 < rows) diff += (v - w[(r + 1) * cols + c]) ** 2;
      }
    }
    total += energy > 0 ? diff / energy : 0;
  }
  return total / hidden;
}

export const overcompleteExperiment: Experiment = {
  name: 'overcomplete',
  title: 'Overcomplete autoencoders: copying the input, or modelling the digits',
  question: 'With more hidden units than inputs, does the plain autoencoder drift toward copying its input while a denoising or sparse one of the same size learns the digits?',
  mnist: (size) => ({ train: SIZES[size].train, test: SIZES[size].test }),
  async run(ctx) {
    const s = SIZES[ctx.size];
    const train = pooled(ctx.mnist!.train, s.pool);
    const test = pooled(ctx.mnist!.test, s.pool);
    const D = test.rows * test.cols;
    const budget: TrainingBudget = { epochs: s.epochs, batchSize: 50, optimizer: { type: 'adam', learningRate: s.learningRate }, seed: SEED };
    const clean = unitPixels(test.images);
    const masked = corrupt(clean, { type: 'masking', rate: 0.5 }, 1001);
    // Images that are not digits: independent uniform pixels (seeded, the same for every model).
    const u = hostRandom(1002);
    const noise = Float32Array.from({ length: 200 * D }, () => u());
    const shown = 10;
    const rows: Array<{ name: string; clean: number; masked: number; noise: number; roughness: number; probe: number; seconds: number }> = [];
    const panels = [];
    const pictures: Float32Array[] = [masked.subarray(0, shown * D), noise.subarray(0, shown * D)];
    for (const c of CONTENDERS) {
      const t = await trainOn(ctx, c.name, { inputSize: D, hiddenSize: s.hidden, ...c.config }, { train, test }, budget);
      try {
        const w = (await t.model.getParameters())['encoder.0.weight'];
        const recMasked = await t.model.reconstructBatch(masked);
        const recNoise = await t.model.reconstructBatch(noise);
        pictures.push(recMasked.subarray(0, shown * D), recNoise.subarray(0, shown * D));
        panels.push(filterGrid(w, s.hidden, test.rows, test.cols));
        ctx.say(`${c.name}: linear probe on the codes`);
        const probe = await probeCodes(t, s.probeEpochs, SEED);
        rows.push({
          name: c.name,
          clean: meanSquaredError(await t.model.reconstruct(t.test), clean, D),
          masked: meanSquaredError(recMasked, clean, D),
          noise: meanSquaredError(recNoise, noise, D),
          roughness: roughness(w, s.hidden, test.rows, test.cols),
          probe: probe.testAccuracy,
          seconds: t.seconds,
        });
        const r = rows.at(-1)!;
        ctx.say(`${r.name} measured: MSE clean ${r.clean.toFixed(2)}, masked ${r.masked.toFixed(2)}, noise ${r.noise.toFixed(2)}, roughness ${r.roughness.toFixed(3)}, probe ${r.probe.toFixed(4)}`);
      } finally {
        t.model.dispose();
      }
    }
    const [plain, ...regularised] = rows;
    const checks = [
      {
        claim: 'the plain model reconstructs clean digits best (copying is what it can do)',
        passed: regularised.every((r) => plain.clean < r.clean),
        measured: rows.map((r) => `${r.name} ${r.clean.toFixed(2)}`).join(', '),
      },
      {
        claim: 'the plain model also reconstructs images that are not digits closer than the regularised ones do: it leans toward copying, they toward digits',
        passed: regularised.every((r) => plain.noise < r.noise),
        measured: rows.map((r) => `${r.name} ${r.noise.toFixed(2)}`).join(', '),
      },
      {
        claim: 'the denoising model repairs masked digits better than the plain one',
        passed: regularised[0].masked < plain.masked,
        measured: `${regularised[0].masked.toFixed(2)} vs ${plain.masked.toFixed(2)}`,
      },
      {
        claim: 'the denoising model’s filters are smoother (less noise-like) than the plain model’s',
        passed: regularised[0].roughness < plain.roughness,
        measured: rows.map((r) => `${r.name} ${r.roughness.toFixed(3)}`).join(', '),
      },
    ];
    return {
      settings: { ...s, inputs: D, imageSize: `${test.rows}×${test.cols}`, batchSize: budget.batchSize, optimizer: budget.optimizer, seed: SEED, encoder: 'sigmoid', decoder: 'sigmoid', loss: 'bce', contenders: CONTENDERS },
      tables: [
        {
          title: `${s.hidden} hidden units for ${D} inputs`,
          columns: ['model', 'MSE clean', 'MSE masked q=0.5 → clean', 'MSE uniform noise', 'filter roughness', 'probe accuracy', 'training s'],
          rows: rows.map((r) => [r.name, fmt(r.clean), fmt(r.masked), fmt(r.noise), fmt(r.roughness, 3), fmt(r.probe), fmt(r.seconds, 3)]),
          note:
            `${train.count} training and ${test.count} test digits${s.pool > 1 ? `, averaged over ${s.pool}×${s.pool} blocks to ${test.rows}×${test.cols}` : ''}; ${D}–${s.hidden}–${D}, sigmoid units, cross-entropy, ${s.epochs} epochs of Adam ${s.learningRate}, batch ${budget.batchSize}, seed ${SEED}. ` +
            `MSE: Σ(x̂−x)² per image, of clean test digits, of masked ones against the clean digit, and of 200 images of uniform random pixels against themselves (a constant grey image would score D/12 = ${fmt(D / 12)}). Roughness: Σ (w_a − w_b)² over neighbouring pixels / Σ w², mean over units (white noise ≈ 4). Probe: softmax regression on the frozen codes.`,
        },
      ],
      figures: {
        'filters.png': ctx.png(sideBySide(panels)),
        'reconstructions.png': ctx.png(comparisonGrid(pictures, shown, test.rows, test.cols)),
      },
      captions: {
        'filters.png': `The first ${Math.min(s.hidden, 100)} filters, left to right: ${CONTENDERS.map((c) => c.name).join(', ')}.`,
        'reconstructions.png': `Rows: masked test digits (q = 0.5), uniform-noise images; then for each model (${CONTENDERS.map((c) => c.name).join(', ')}) its reconstruction of the masked digits and of the noise images.`,
      },
      checks,
      notes: [
        'Vincent et al. 2008/2010 and Bengio’s Learning Deep Architectures (2009): an overcomplete autoencoder without a regulariser can learn the identity; corruption or a sparsity penalty is what lets it learn useful features with more units than inputs.',
      ],
    };
  },
};
