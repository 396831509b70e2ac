#!/usr/bin/env node
// The main job: train an autoencoder on the bundled MNIST inside headless
// Chromium (WebGPU: SwiftShader by default, the real GPU with
// WEBGPU_ADAPTER=hardware) and write what a person wants to look at into --out:
// loss.png, reconstructions.png, filters.png and metrics.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { withHeadlessPage, callPageFunction } from './headless.mjs';

const HELP = `usage: npm run train -- [options]
  --hidden N         hidden units (default 128)
  --epochs N         epochs over the 60 000 training digits (default 5)
  --batch N          batch size (default 128)
  --optimizer NAME   sgd | momentum | adam (default adam)
  --lr X             learning rate (default 0.001 for adam, 0.1 otherwise)
  --encoder ACT      sigmoid | tanh | relu | linear (default sigmoid)
  --tied             tie the decoder weights to the encoder's (W* = Wᵀ)
  --weight-decay X   λ of λ·ΣW² (default 0)
  --train-limit N    use only the first N training digits
  --seed N           seed of initialisation, shuffling and noise (default 1)
  --out DIR          output folder (default out/)`;

const { values: a } = parseArgs({
  options: {
    hidden: { type: 'string', default: '128' },
    epochs: { type: 'string', default: '5' },
    batch: { type: 'string', default: '128' },
    optimizer: { type: 'string', default: 'adam' },
    lr: { type: 'string' },
    encoder: { type: 'string', default: 'sigmoid' },
    tied: { type: 'boolean', default: false },
    'weight-decay': { type: 'string', default: '0' },
    'train-limit': { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'out' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}

const int = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer (got ${v})\n\n${HELP}`);
    process.exit(2);
  }
  return n;
};
const num = (name, v) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a number ≥ 0 (got ${v})\n\n${HELP}`);
    process.exit(2);
  }
  return n;
};

const job = {
  model: {
    inputSize: 784,
    hiddenSize: int('hidden', a.hidden),
    encoderActivation: a.encoder,
    decoderActivation: 'sigmoid',
    loss: 'bce',
    tiedWeights: a.tied,
    weightDecay: num('weight-decay', a['weight-decay']),
    seed: num('seed', a.seed),
  },
  optimizer: { type: a.optimizer, learningRate: a.lr !== undefined ? num('lr', a.lr) : a.optimizer === 'adam' ? 0.001 : 0.1 },
  batchSize: int('batch', a.batch),
  epochs: int('epochs', a.epochs),
  trainLimit: a['train-limit'] !== undefined ? int('train-limit', a['train-limit']) : undefined,
  seed: num('seed', a.seed),
};

const outDir = resolve(a.out);
const started = Date.now();
console.log(`training ${job.model.inputSize}–${job.model.hiddenSize}–${job.model.inputSize} autoencoder on MNIST: ${job.epochs} epochs, batch ${job.batchSize}, ${job.optimizer.type} lr ${job.optimizer.learningRate}`);

function onProgress(p) {
  if (p.kind === 'status') console.log(p.message);
  else if (p.kind === 'progress') {
    const width = 24;
    const done = Math.round((p.stepInEpoch / p.stepsPerEpoch) * width);
    const bar = '█'.repeat(done) + '░'.repeat(width - done);
    process.stdout.write(
      `epoch ${p.epoch}/${p.epochs} ${bar} ${String(p.stepInEpoch).padStart(4)}/${p.stepsPerEpoch}  loss ${p.loss.toFixed(3)}  ${Math.round(p.samplesPerSecond)} samples/s${process.stdout.isTTY ? '\r' : '\n'}`,
    );
  } else if (p.kind === 'epoch') {
    if (process.stdout.isTTY) process.stdout.write('\n');
    console.log(
      `epoch ${p.epoch} done in ${p.seconds.toFixed(1)} s: train loss ${p.trainLoss.toFixed(3)}, held-out loss ${p.evalLoss?.toFixed(3)}, ${Math.round(p.samplesPerSecond)} samples/s`,
    );
  }
}

try {
  const result = await withHeadlessPage('scripts/job/train.html', ({ page }) => callPageFunction(page, 'runTrainingJob', job), {
    expose: { reportProgress: onProgress },
  });
  await mkdir(outDir, { recursive: true });
  for (const [name, dataUrl] of Object.entries(result.images)) {
    await writeFile(resolve(outDir, name), Buffer.from(dataUrl.split(',')[1], 'base64'));
  }
  const metrics = { date: new Date().toISOString(), job, initialEvalLoss: result.initialEval, epochs: result.history, config: result.config, wallSeconds: (Date.now() - started) / 1000 };
  await writeFile(resolve(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2));
  console.log(`\nwrote ${Object.keys(result.images).join(', ')}, metrics.json to ${outDir}`);
  const last = result.history.at(-1);
  console.log(`held-out reconstruction loss: ${result.initialEval.toFixed(2)} before training → ${last.evalLoss.toFixed(2)} after ${job.epochs} epochs`);
} catch (e) {
  console.error(`training failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
