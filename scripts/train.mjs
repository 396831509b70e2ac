#!/usr/bin/env node
// The main job (npm run train): train an autoencoder on the bundled MNIST in
// headless Chromium and write loss.png, reconstructions.png, filters.png,
// metrics.json and model.safetensors into --out. The same code path as
// `npx webgpu-autoencoders train` (scripts/cli/commands.mjs), with this
// script's historical flags; WebGPU on the GPU when Chromium finds one, else
// SwiftShader (WEBGPU_ADAPTER=hardware|swiftshader forces one).
import { readFileSync } from 'node:fs';
import { UsageError, describeOptions, nonNegativeInt, parseOptions, positiveInt, positiveNumber } from './cli/args.mjs';
import { bundledMnist, overrideSet, probeSettings } from './cli/job-config.mjs';
import { ADAPTER_MODES } from './cli/run-job.mjs';
import { train } from './cli/commands.mjs';

const OPTIONS = {
  hidden: { type: 'string', value: 'N', help: 'hidden units (default 128)' },
  epochs: { type: 'string', value: 'N', help: 'epochs over the 60 000 training digits (default 5)' },
  batch: { type: 'string', value: 'N', help: 'batch size (default 128)' },
  optimizer: { type: 'string', value: 'NAME', help: 'sgd | momentum | adam (default adam)' },
  lr: { type: 'string', value: 'X', help: 'learning rate (default 0.001 for adam, 0.1 otherwise)' },
  encoder: { type: 'string', value: 'ACT', help: 'sigmoid | tanh | relu | linear (default sigmoid)' },
  tied: { type: 'boolean', help: "tie the decoder weights to the encoder's (W* = Wᵀ)" },
  'weight-decay': { type: 'string', value: 'X', help: 'λ of λ·ΣW² (default 0)' },
  'train-limit': { type: 'string', value: 'N', help: 'use only the first N training digits' },
  seed: { type: 'string', value: 'N', help: 'seed of initialisation, shuffling and noise (default 1)' },
  out: { type: 'string', value: 'DIR', help: 'output folder (default out/)' },
  help: { type: 'boolean', help: 'show this help' },
};
const HELP = `usage: npm run train -- [options]   (also: npx webgpu-autoencoders train --help)\n${describeOptions(OPTIONS)}`;

try {
  const { values: a, positionals } = parseOptions(process.argv.slice(2), OPTIONS, 'train');
  if (a.help) {
    console.log(HELP);
    process.exit(0);
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument(s) ${positionals.join(' ')}`);
  const optimizer = a.optimizer ?? 'adam';
  if (!['sgd', 'momentum', 'adam'].includes(optimizer)) throw new UsageError(`--optimizer must be sgd, momentum or adam (got ${JSON.stringify(optimizer)})`);
  const seed = a.seed === undefined ? 1 : nonNegativeInt('seed', a.seed);
  const mnist = bundledMnist();
  const job = {
    model: {
      hiddenSize: a.hidden === undefined ? 128 : positiveInt('hidden', a.hidden),
      encoderActivation: a.encoder ?? 'sigmoid',
      decoderActivation: 'sigmoid',
      loss: 'bce',
      tiedWeights: Boolean(a.tied),
      weightDecay: a['weight-decay'] === undefined ? 0 : positiveNumber('weight-decay', a['weight-decay'], true),
      seed,
    },
    training: {
      epochs: a.epochs === undefined ? 5 : positiveInt('epochs', a.epochs),
      batchSize: a.batch === undefined ? 128 : positiveInt('batch', a.batch),
      optimizer: { type: optimizer, learningRate: a.lr !== undefined ? positiveNumber('lr', a.lr) : optimizer === 'adam' ? 0.001 : 0.1 },
      seed,
    },
    data: { train: overrideSet(mnist.train, undefined, undefined, 'train'), test: overrideSet(mnist.test, undefined, undefined, 'test') },
    limits: { train: a['train-limit'] === undefined ? undefined : positiveInt('train-limit', a['train-limit']) },
    probe: probeSettings(undefined, {}),
  };
  const adapter = process.env.WEBGPU_ADAPTER ?? 'auto';
  if (!ADAPTER_MODES.includes(adapter)) throw new UsageError(`WEBGPU_ADAPTER must be one of ${ADAPTER_MODES.join(', ')} (got ${JSON.stringify(adapter)})`);
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  await train(job, a.out ?? 'out', { adapter, version });
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`${e.message}\n\n${HELP}`);
    process.exit(2);
  }
  console.error(`training failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
