// Rifai et al. 2011's comparison (Table 1), on this engine: which regulariser
// gives the codes that help a classifier? One table over raw pixels, PCA with the
// same number of codes, and one-layer autoencoders trained with each regulariser
// on the same digits, seed and budget: their held-out reconstruction, how much
// the encoder contracts (mean ‖J‖_F), how active the code is, a linear probe on
// the frozen codes, and the error of the classifier fine-tuned from the encoder.
import { acquireGpu, activationStatistics, pca, pcaProject, pcaReconstruct, probeRawPixels, probeWithPca, type AutoencoderConfig, type ClassifierEvaluation } from '../../../src/index';
import type { Experiment, ExperimentSize } from './experiment';
import { filterGrid, sideBySide } from './figures';
import { fineTuneOn, fmt, meanSquaredError, probeCodes, trainOn, unitPixels, type Trained, type TrainingBudget } from './common';

const SIZES: Record<ExperimentSize, { train: number; test: number; hidden: number; epochs: number; learningRate: number; probeEpochs: number; fineTuneEpochs: number; fineTuneRate: number }> = {
  // Adam 0.03 takes 1 000 digits off the sigmoid plateau in 10 epochs (at 0.001 the plain model is still on it, BCE ≈ 207);
  // the fine-tuning head needs 0.01 and 10 epochs to get past the frozen probe on these 200 steps.
  quick: { train: 1000, test: 500, hidden: 64, epochs: 10, learningRate: 0.03, probeEpochs: 10, fineTuneEpochs: 10, fineTuneRate: 0.01 },
  medium: { train: 10000, test: 10000, hidden: 256, epochs: 10, learningRate: 0.01, probeEpochs: 10, fineTuneEpochs: 10, fineTuneRate: 0.003 },
  // Rifai's protocol: 1 000 units, the whole training set.
  full: { train: 60000, test: 10000, hidden: 1000, epochs: 50, learningRate: 0.001, probeEpochs: 20, fineTuneEpochs: 30, fineTuneRate: 0.0003 },
};

const SEED = 5;
const RHO = 0.05;

interface Contender {
  name: string;
  /** Rifai et al.'s name for it, where the paper has one. */
  rifai?: string;
  config: Partial<AutoencoderConfig>;
}

// λ and β are large because the reconstruction term is summed over 784 pixels (the classic values assume a mean).
const CONTENDERS: Contender[] = [
  { name: 'plain', rifai: 'AE', config: {} },
  { name: 'weight decay', rifai: 'AE+wd', config: { weightDecay: 0.001 } },
  { name: 'sparse KL', config: { sparsity: { type: 'kl', rho: RHO, beta: 300 } } },
  { name: 'sparse L1', config: { sparsity: { type: 'l1', lambda: 1 } } },
  { name: 'denoising masking 0.25', rifai: 'DAE-b', config: { noise: { type: 'masking', rate: 0.25 } } },
  { name: 'denoising Gaussian 0.3', rifai: 'DAE-g', config: { noise: { type: 'gaussian', stddev: 0.3 } } },
  { name: 'denoising salt-and-pepper 0.2', config: { noise: { type: 'salt-and-pepper', rate: 0.2 } } },
  { name: 'contractive', rifai: 'CAE', config: { contractive: 1 } },
  { name: 'sparse + contractive', config: { sparsity: { type: 'kl', rho: RHO, beta: 300 }, contractive: 1 } },
  { name: 'VAE (μ)', config: { variational: true } },
];

/** The test suite's size trains the three whose claims it checks. */
const QUICK = ['plain', 'sparse KL', 'contractive'];

/** Rifai et al. 2011, Table 1: MNIST test error (%) after fine-tuning, 1 000 hidden units. */
const RIFAI_ERROR: Record<string, number> = { CAE: 1.14, 'DAE-g': 1.18, 'DAE-b': 1.57, 'AE+wd': 1.68, AE: 1.78 };

interface Row {
  name: string;
  reconstruction: number | null;
  mse: number;
  jacobian: number | null;
  activation: number | null;
  probe: number;
  fineTuned: (ClassifierEvaluation & { seconds: number }) | null;
  seconds: number;
}

export const featuresExperiment: Experiment = {
  name: 'features',
  title: 'Which regulariser gives features that help a classifier',
  question: 'Trained on the same digits with the same budget, which autoencoder regulariser gives codes that a linear classifier reads best, and which encoder fine-tunes into the best classifier?',
  mnist: (size) => ({ train: SIZES[size].train, test: SIZES[size].test }),
  async run(ctx) {
    const s = SIZES[ctx.size];
    const { train, test } = ctx.mnist!;
    const D = test.rows * test.cols;
    const budget: TrainingBudget = { epochs: s.epochs, batchSize: 50, optimizer: { type: 'adam', learningRate: s.learningRate }, seed: SEED };
    const fineTuning: TrainingBudget = { epochs: s.fineTuneEpochs, batchSize: 50, optimizer: { type: 'adam', learningRate: s.fineTuneRate }, seed: SEED };
    const clean = unitPixels(test.images);
    const rows: Row[] = [];
    const filterPanels = [];

    ctx.say('raw pixels: softmax regression');
    const device = await acquireGpu();
    try {
      const labelled = { train: { ...train, labels: train.labels! }, test: { ...test, labels: test.labels! } };
      const raw = await probeRawPixels(device, labelled, { classes: 10, epochs: s.probeEpochs, seed: SEED });
      // The identity: no reconstruction error, J = I (‖J‖_F = √D), logistic regression is its own fine-tuned classifier.
      rows.push({ name: 'raw pixels', reconstruction: null, mse: 0, jacobian: Math.sqrt(D), activation: null, probe: raw.testAccuracy, fineTuned: null, seconds: 0 });
      ctx.say(`PCA (k = ${s.hidden}): softmax regression on the projections`);
      const trainPixels = unitPixels(train.images);
      const p = pca(trainPixels, train.count, D, s.hidden);
      const pcaRecon = Float32Array.from(pcaReconstruct(p, pcaProject(p, clean, test.count), test.count));
      const pcaProbe = await probeWithPca(device, { trainFeatures: train.images, trainLabels: train.labels!, testFeatures: test.images, testLabels: test.labels!, features: D }, s.hidden, { classes: 10, epochs: s.probeEpochs, seed: SEED });
      // An orthonormal projection onto k directions: ‖J‖_F = √k.
      rows.push({ name: `PCA (k = ${s.hidden})`, reconstruction: null, mse: meanSquaredError(pcaRecon, clean, D), jacobian: Math.sqrt(s.hidden), activation: null, probe: pcaProbe.testAccuracy, fineTuned: null, seconds: 0 });
    } finally {
      device.destroy();
    }

    // A network of the same shape from its random start: what fine-tuning alone gives with this budget.
    const contenders: Contender[] = [...(ctx.size === 'quick' ? CONTENDERS.filter((c) => QUICK.includes(c.name)) : CONTENDERS), { name: 'random init (no pretraining)', config: {} }];
    for (const c of contenders) {
      const pretrained = !c.name.startsWith('random init');
      const hiddenSizes = c.config.variational ? { hiddenSizes: [2 * s.hidden, s.hidden] } : { hiddenSize: s.hidden };
      const t: Trained = await trainOn(ctx, c.name, { inputSize: D, ...hiddenSizes, ...c.config }, { train, test }, pretrained ? budget : { ...budget, epochs: 0 });
      try {
        const evaluation = await t.model.evaluate(t.test);
        // A VAE's μ is linear and signed: its mean says nothing about sparsity.
        const activation = c.config.variational ? null : activationStatistics(await t.model.encode(t.test), test.count, s.hidden).mean;
        const jacobian = (await t.model.contraction(t.test)).meanJacobianNorm;
        ctx.say(`${c.name}: linear probe on the codes`);
        const probe = await probeCodes(t, s.probeEpochs, SEED);
        const fineTuned = await fineTuneOn(ctx, c.name, t, fineTuning);
        if (pretrained && !c.config.variational) filterPanels.push(filterGrid((await t.model.getParameters())['encoder.0.weight'], s.hidden, test.rows, test.cols));
        rows.push({
          name: c.name,
          reconstruction: pretrained ? evaluation.reconstruction : null,
          mse: meanSquaredError(await t.model.reconstruct(t.test), clean, D),
          jacobian,
          activation,
          probe: probe.testAccuracy,
          fineTuned,
          seconds: t.seconds + fineTuned.seconds,
        });
        // Each row as it is measured, so a run that stops later still leaves it in the log.
        const r = rows.at(-1)!;
        ctx.say(`${r.name} measured: BCE ${r.reconstruction?.toFixed(2) ?? '—'}, MSE ${r.mse.toFixed(2)}, ‖J‖_F ${jacobian.toFixed(3)}, activation ${activation?.toFixed(4) ?? '—'}, probe ${r.probe.toFixed(4)}, fine-tuned error ${(100 * fineTuned.error).toFixed(2)}%`);
      } finally {
        t.model.dispose();
      }
    }

    const row = (name: string) => rows.find((r) => r.name === name)!;
    const [raw, , plain] = rows;
    const trained = rows.slice(2, -1);
    const random = rows.at(-1)!;
    const best = trained.reduce((a, b) => (b.probe > a.probe ? b : a));
    const checks = [
      {
        claim: `KL sparsity holds the mean code activation within ρ/2 of ρ = ${RHO}, and the plain code is far above it (> 3ρ)`,
        passed: Math.abs(row('sparse KL').activation! - RHO) < RHO / 2 && plain.activation! > 3 * RHO,
        measured: `sparse KL ${row('sparse KL').activation!.toFixed(4)}, plain ${plain.activation!.toFixed(4)}`,
      },
      {
        claim: 'the contractive encoder contracts: its mean ‖J‖_F is under half the plain encoder’s',
        passed: row('contractive').jacobian! < 0.5 * plain.jacobian!,
        measured: `${row('contractive').jacobian!.toFixed(3)} vs ${plain.jacobian!.toFixed(3)}`,
      },
      {
        claim: 'every fine-tuned classifier beats the linear probe on its frozen codes',
        passed: rows.every((r) => !r.fineTuned || r.fineTuned.accuracy > r.probe),
        measured: rows.filter((r) => r.fineTuned).map((r) => `${r.name}: ${r.fineTuned!.accuracy.toFixed(3)} vs ${r.probe.toFixed(3)}`).join('; '),
      },
      ...(ctx.size === 'quick'
        ? []
        : [
            {
              claim: 'at least one regularised autoencoder’s frozen codes beat raw pixels by 3 points or more under the same linear probe',
              passed: best.probe >= raw.probe + 0.03,
              measured: `${best.name} ${best.probe.toFixed(4)} vs raw pixels ${raw.probe.toFixed(4)}`,
            },
            {
              claim: 'pretraining helps: the best pretrained encoder fine-tunes to a lower test error than the same network from its random start',
              passed: Math.min(...trained.map((r) => r.fineTuned!.error)) < random.fineTuned!.error,
              measured: `${Math.min(...trained.map((r) => r.fineTuned!.error)).toFixed(4)} vs ${random.fineTuned!.error.toFixed(4)}`,
            },
          ]),
    ];
    const percent = (v: number) => fmt(100 * v, 3);
    const ranked = trained.filter((r) => CONTENDERS.find((c) => c.name === r.name)?.rifai).sort((a, b) => a.fineTuned!.error - b.fineTuned!.error);
    const rifaiOf = (name: string) => CONTENDERS.find((c) => c.name === name)!.rifai!;
    const rifaiOrder = Object.keys(RIFAI_ERROR);
    return {
      settings: { ...s, batchSize: budget.batchSize, optimizer: budget.optimizer, fineTuning: { ...fineTuning.optimizer, epochs: s.fineTuneEpochs, regularisers: 'none' }, seed: SEED, encoder: 'sigmoid', decoder: 'sigmoid', loss: 'bce', contenders: contenders.map((c) => ({ name: c.name, ...c.config })) },
      tables: [
        {
          title: 'Held-out measures of each representation',
          columns: ['representation', 'held-out BCE', 'MSE clean', 'mean ‖J‖_F', 'mean activation', 'probe accuracy', 'fine-tuned error %', 'training s'],
          rows: rows.map((r) => [r.name, r.reconstruction === null ? null : fmt(r.reconstruction), fmt(r.mse), r.jacobian === null ? null : fmt(r.jacobian), r.activation === null ? null : fmt(r.activation), fmt(r.probe), r.fineTuned ? percent(r.fineTuned.error) : null, fmt(r.seconds, 3)]),
          note:
            `${train.count} training and ${test.count} test digits; every autoencoder ${D}–${s.hidden}–${D} (the VAE ${D}–${2 * s.hidden}–${s.hidden}–…, its code μ), sigmoid units, cross-entropy, ${s.epochs} epochs of Adam ${s.learningRate}, batch ${budget.batchSize}, seed ${SEED}. ` +
            `BCE: nats per test image (a VAE's reconstruction term). MSE: Σ(x̂−x)² per image. ‖J‖_F: Frobenius norm of ∂code/∂x, mean over test digits (raw pixels √${D}, PCA √k). Mean activation: over units and test digits. ` +
            `Probe: softmax regression on the standardised frozen codes, ${s.probeEpochs} epochs. Fine-tuned: the encoder plus a softmax head trained end to end on the labels, ${s.fineTuneEpochs} epochs of Adam ${s.fineTuneRate}, no noise or penalties; the last row is the same network fine-tuned from its random initialisation.`,
        },
      ],
      figures: { 'filters.png': ctx.png(sideBySide(filterPanels)) },
      captions: { 'filters.png': `The first ${Math.min(s.hidden, 100)} encoder filters of each one-layer autoencoder, left to right: ${contenders.filter((c) => !c.config.variational && !c.name.startsWith('random')).map((c) => c.name).join(', ')}.` },
      checks,
      notes: [
        `Rifai et al. 2011, Table 1 (MNIST, 1 000 units, fine-tuned test error): ${rifaiOrder.map((k) => `${k} ${RIFAI_ERROR[k]}%`).join(', ')}. ` +
          (ranked.length > 1 ? `This run's order of the same models by fine-tuned error: ${ranked.map((r) => `${rifaiOf(r.name)} ${percent(r.fineTuned!.error)}%`).join(', ')}.` : 'This size trains too few of them to compare the order.'),
        'Logistic regression on raw pixels: 7.49% test error on the full MNIST (the Theano tutorial); UFLDL’s self-taught learning reaches 98.3% accuracy with sparse-autoencoder features.',
      ],
    };
  },
};
