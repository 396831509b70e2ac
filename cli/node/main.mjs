// The command: npx webgpu-autoencoders <command> (bin/webgpu-autoencoders.mjs
// loads this file, in a checkout and in the installed package). Each command's
// flags and help, parsed into a job for cli/node/commands.mjs. Exit codes: 0 success, 1 the job failed, 2 the
// command was called wrongly (bad flag, value, config field or input file).
import { readFileSync } from 'node:fs';

import { UsageError, describeOptions, parseOptions, positiveInt, positiveIntList, nonNegativeInt, positiveNumber } from './args.mjs';
import { ENCODER_ACTIVATIONS, FINETUNE_DEFAULTS, bundledMnist, outputDir, outputFile, overrideSet, probeSettings, readableFile, trainJob } from './job-config.mjs';
import { ADAPTER_MODES } from './browser-flags.mjs';
import { benchUnavailable } from './bench-check.mjs';
import { EXPERIMENT_NAMES, EXPERIMENT_SIZES } from './experiment-report.mjs';

const RUNTIMES = ['browser', 'node'];

// Playwright loads only when a job runs, so usage errors and --help answer at once.
const loadCommands = () => import('./commands.mjs');

/** The benchmark's exit code; where it cannot run (--only tfjs without TensorFlow.js) a UsageError saying why. */
async function runBench(args) {
  const why = benchUnavailable(args);
  if (why) throw new UsageError(why);
  return (await loadCommands()).bench(args);
}

const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const NAME = 'webgpu-autoencoders';

const COMMON = {
  adapter: { type: 'string', value: 'MODE', help: `WebGPU adapter: ${ADAPTER_MODES.join(' | ')} (default: $WEBGPU_ADAPTER, else auto = the GPU if there is one, else SwiftShader)` },
  runtime: { type: 'string', value: 'NAME', help: `where the job runs: ${RUNTIMES.join(' | ')} (default: $WEBGPU_RUNTIME, else browser = headless Chromium; node = Node with Dawn, the optional \`webgpu\` package)` },
  quiet: { type: 'boolean', help: 'no progress output' },
  verbose: { type: 'boolean', help: "show the page's console output" },
  help: { type: 'boolean', help: 'show this help' },
};

const PROBE = {
  'probe-epochs': { type: 'string', value: 'N', help: 'epochs of the linear probe on the codes; 0: no probe (default 5)' },
  'probe-limit': { type: 'string', value: 'N', help: 'train the probe on the first N labelled training samples (default 10000)' },
};

const TEST_DATA = {
  'test-images': { type: 'string', value: 'FILE', help: 'held-out images, IDX count×rows×cols u8 (default: MNIST t10k)' },
  'test-labels': { type: 'string', value: 'FILE', help: 'held-out labels, IDX 1-D u8 (optional)' },
  'test-limit': { type: 'string', value: 'N', help: 'use only the first N held-out samples' },
};

const SPECS = {
  train: {
    summary: 'train an autoencoder; write model.safetensors, metrics.json and PNGs to --out',
    usage: `${NAME} train [--config cfg.json] [--out DIR] [options]`,
    options: {
      config: { type: 'string', value: 'FILE', help: 'JSON: { model: AutoencoderConfig, training: {…}, data: {…} } (see README)' },
      out: { type: 'string', value: 'DIR', help: 'output folder (default out/)' },
      epochs: { type: 'string', value: 'N', help: 'epochs (default 5)' },
      'batch-size': { type: 'string', value: 'N', help: 'batch size (default 128)' },
      optimizer: { type: 'string', value: 'NAME', help: 'sgd | momentum | adam (default adam)' },
      lr: { type: 'string', value: 'X', help: 'learning rate (default 0.001 for adam, 0.1 otherwise)' },
      hidden: { type: 'string', value: 'N[,N…]', help: 'hidden units, or the widths of a deep encoder such as 500,250,30 (default 128)' },
      encoder: { type: 'string', value: 'ACT', help: `activation of every encoder layer: ${ENCODER_ACTIVATIONS.join(' | ')} (default sigmoid)` },
      tied: { type: 'boolean', help: "tie the decoder weights to the encoder's (W* = Wᵀ)" },
      'weight-decay': { type: 'string', value: 'λ', help: 'λ of the penalty λ·ΣW² on the weight matrices (default 0)' },
      variational: { type: 'boolean', help: 'a variational autoencoder (the last width is the latent size)' },
      seed: { type: 'string', value: 'N', help: "seed of shuffling, noise and dropout (default: the model's seed)" },
      'lr-schedule': { type: 'string', value: 'TYPE', help: 'learning-rate schedule: constant | step | cosine (default constant; cosine decays over the whole run)' },
      'warmup-steps': { type: 'string', value: 'N', help: 'linear learning-rate warm-up over the first N steps, before the schedule (default 0)' },
      'lr-step-size': { type: 'string', value: 'N', help: 'step schedule: multiply the learning rate by --lr-gamma every N steps' },
      'lr-gamma': { type: 'string', value: 'X', help: 'step schedule: the factor of each decay, in (0, 1] (default 0.1)' },
      'lr-min': { type: 'string', value: 'X', help: 'cosine schedule: the final learning rate (default 0)' },
      'early-stopping': { type: 'string', value: 'N', help: 'stop when the held-out loss has not improved for N epochs; keep the best epoch\'s weights' },
      'min-delta': { type: 'string', value: 'X', help: 'early stopping: an improvement must exceed X (default 0)' },
      'checkpoint-every': { type: 'string', value: 'N', help: 'every N epochs, write checkpoint.safetensors (model, optimizer state, counters) to --out, atomically' },
      resume: { type: 'string', value: 'FILE', help: 'continue bit-identically from a checkpoint.safetensors of the same run (same config and flags)' },
      'train-images': { type: 'string', value: 'FILE', help: 'training images, IDX count×rows×cols u8 (default: MNIST train)' },
      'train-labels': { type: 'string', value: 'FILE', help: 'training labels, IDX 1-D u8 (optional)' },
      'train-limit': { type: 'string', value: 'N', help: 'use only the first N training samples' },
      ...TEST_DATA,
      ...PROBE,
      ...COMMON,
    },
  },
  eval: {
    summary: 'measure a saved model on held-out data; write metrics.json and PNGs to --out',
    usage: `${NAME} eval --model m.safetensors [--out DIR] [options]`,
    options: {
      model: { type: 'string', value: 'FILE', help: 'a model saved by train (or saveModel)' },
      out: { type: 'string', value: 'DIR', help: 'output folder (default out/)' },
      config: { type: 'string', value: 'FILE', help: 'a train config: its data and limits are used' },
      ...TEST_DATA,
      'train-images': { type: 'string', value: 'FILE', help: "labelled training images for the linear probe (default: the config's, or MNIST's when testing on MNIST)" },
      'train-labels': { type: 'string', value: 'FILE', help: 'their labels, IDX 1-D u8' },
      ...PROBE,
      ...COMMON,
    },
  },
  finetune: {
    summary: 'fine-tune a classifier from a saved autoencoder on labelled data; write classifier.safetensors, metrics.json and PNGs to --out',
    usage: `${NAME} finetune --model m.safetensors [--config cfg.json] [--out DIR] [options]`,
    options: {
      model: { type: 'string', value: 'FILE', help: 'an autoencoder saved by train (a classifier file is fine-tuned further, its head settings kept)' },
      out: { type: 'string', value: 'DIR', help: 'output folder (default out/)' },
      config: { type: 'string', value: 'FILE', help: "a train config: its data, limits and classifier section are used" },
      epochs: { type: 'string', value: 'N', help: `fine-tuning epochs (default: classifier.epochs, else ${FINETUNE_DEFAULTS.epochs})` },
      lr: { type: 'string', value: 'X', help: `learning rate (default: classifier.optimizer's, else adam ${FINETUNE_DEFAULTS.optimizer.learningRate})` },
      'batch-size': { type: 'string', value: 'N', help: `batch size (default: classifier.batchSize, else training.batchSize, else 128)` },
      'freeze-encoder': { type: 'boolean', help: 'train the head only (a linear probe); with --reconstruction-weight, the decoder too' },
      'standardise-codes': { type: 'boolean', help: 'with --freeze-encoder: standardise the codes before the head with their training-set statistics (the probe of train and eval)' },
      'reconstruction-weight': { type: 'string', value: 'W', help: 'keep w × the reconstruction loss in the objective (semi-supervised; default 0)' },
      'train-images': { type: 'string', value: 'FILE', help: "labelled training images (default: the config's, else MNIST train)" },
      'train-labels': { type: 'string', value: 'FILE', help: 'their labels, IDX 1-D u8 (required with --train-images)' },
      'train-limit': { type: 'string', value: 'N', help: 'fine-tune on the first N training samples' },
      ...TEST_DATA,
      ...COMMON,
    },
  },
  grad: {
    summary: "one step's loss, parameter gradients and random draws on a batch, as safetensors",
    usage: `${NAME} grad --model m.safetensors --batch x.safetensors --out g.safetensors`,
    options: {
      model: { type: 'string', value: 'FILE', help: 'a model saved by train (or saveModel)' },
      batch: { type: 'string', value: 'FILE', help: 'safetensors with x: F32 [B, inputSize] (and, for a classifier, y: I32 or F32 [B] class indices); metadata step (default 1), seed (default: model seed)' },
      out: { type: 'string', value: 'FILE', help: 'where to write the gradients (safetensors)' },
      ...COMMON,
    },
  },
  experiment: {
    summary: "reproduce a classic result: train the models it compares, write results.md, results.json and figures",
    usage: `${NAME} experiment <${EXPERIMENT_NAMES.join('|')}> [--size ${EXPERIMENT_SIZES.join('|')}] [--out DIR]`,
    options: {
      size: { type: 'string', value: 'SIZE', help: 'quick (seconds to minutes, as in the tests) | medium (default; about 30 minutes or less on SwiftShader) | full (the literature\'s protocol, for a GPU)' },
      out: { type: 'string', value: 'DIR', help: 'output folder (default out/<experiment>-<size>/)' },
      ...COMMON,
    },
  },
  bench: {
    summary: 'benchmark against TensorFlow.js, if installed (--help for its options)',
    usage: `${NAME} bench [options]`,
    options: null,
  },
};

const MAIN_HELP = `usage: ${NAME} <command> [options]

commands:
${Object.entries(SPECS)
  .map(([n, s]) => `  ${n.padEnd(10)} ${s.summary}`)
  .join('\n')}
  help       show help (of a command: ${NAME} help train)

  ${NAME} --version   print the version
Exit codes: 0 success, 1 the job failed, 2 bad usage (flag, value, config field or input file).`;

function commandHelp(name) {
  const s = SPECS[name];
  return `usage: ${s.usage}\n${s.summary}\n\noptions:\n${describeOptions(s.options)}`;
}

function adapterMode(v) {
  const mode = v ?? process.env.WEBGPU_ADAPTER ?? 'auto';
  if (!ADAPTER_MODES.includes(mode)) throw new UsageError(`${v === undefined ? 'WEBGPU_ADAPTER' : '--adapter'} must be one of ${ADAPTER_MODES.join(', ')} (got ${JSON.stringify(mode)})`);
  return mode;
}

function runtimeName(v) {
  const name = v ?? process.env.WEBGPU_RUNTIME ?? 'browser';
  if (!RUNTIMES.includes(name)) throw new UsageError(`${v === undefined ? 'WEBGPU_RUNTIME' : '--runtime'} must be one of ${RUNTIMES.join(', ')} (got ${JSON.stringify(name)})`);
  return name;
}

function probeFlags(v) {
  return {
    probeEpochs: v['probe-epochs'] === undefined ? undefined : nonNegativeInt('probe-epochs', v['probe-epochs']),
    probeLimit: v['probe-limit'] === undefined ? undefined : positiveInt('probe-limit', v['probe-limit']),
  };
}

function required(values, name, command) {
  if (values[name] === undefined) throw new UsageError(`${command}: --${name} is required\n\n${commandHelp(command)}`);
  return values[name];
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError(`a command is needed\n\n${MAIN_HELP}`);
  if (command === '--help' || command === '-h') return void console.log(MAIN_HELP);
  if (command === '--version' || command === '-v') return void console.log(VERSION);
  if (command === 'help') {
    const topic = rest[0];
    if (topic === undefined) return void console.log(MAIN_HELP);
    if (!(topic in SPECS)) throw new UsageError(`help: unknown command "${topic}"; commands: ${Object.keys(SPECS).join(', ')}`);
    if (topic === 'bench') return void (process.exitCode = await runBench(['--help']));
    return void console.log(commandHelp(topic));
  }
  if (!(command in SPECS)) {
    throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(SPECS).join(', ')}, help (or --help, --version)`);
  }
  if (command === 'bench') return void (process.exitCode = await runBench(rest));

  const { values: v, positionals } = parseOptions(rest, SPECS[command].options, command);
  if (v.help) return void console.log(commandHelp(command));
  if (command === 'experiment') {
    const [name, ...extra] = positionals;
    if (name === undefined) throw new UsageError(`experiment: name one of ${EXPERIMENT_NAMES.join(', ')}\n\n${commandHelp(command)}`);
    if (!EXPERIMENT_NAMES.includes(name)) throw new UsageError(`experiment: unknown experiment "${name}"; experiments: ${EXPERIMENT_NAMES.join(', ')}`);
    if (extra.length > 0) throw new UsageError(`experiment: unexpected argument(s) ${extra.map((p) => JSON.stringify(p)).join(' ')}; one experiment at a time`);
    const size = v.size ?? 'medium';
    if (!EXPERIMENT_SIZES.includes(size)) throw new UsageError(`--size must be one of ${EXPERIMENT_SIZES.join(', ')} (got ${JSON.stringify(size)})`);
    const common = { adapter: adapterMode(v.adapter), runtime: runtimeName(v.runtime), quiet: Boolean(v.quiet), verbose: Boolean(v.verbose), version: VERSION, command: [NAME, ...argv].join(' ') };
    return void (await (await loadCommands()).experiment(name, size, outputDir(v.out ?? `out/${name}-${size}`), common));
  }
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument(s) ${positionals.map((p) => JSON.stringify(p)).join(' ')}; options are written --name value`);
  const common = { adapter: adapterMode(v.adapter), runtime: runtimeName(v.runtime), quiet: Boolean(v.quiet), verbose: Boolean(v.verbose), version: VERSION };
  const int = (name) => (v[name] === undefined ? undefined : positiveInt(name, v[name]));

  if (command === 'train') {
    const job = trainJob(v.config, {
      epochs: int('epochs'),
      batchSize: int('batch-size'),
      optimizer: v.optimizer,
      lr: v.lr === undefined ? undefined : positiveNumber('lr', v.lr),
      seed: v.seed === undefined ? undefined : nonNegativeInt('seed', v.seed),
      hidden: v.hidden === undefined ? undefined : positiveIntList('hidden', v.hidden),
      encoder: v.encoder,
      tied: Boolean(v.tied),
      weightDecay: v['weight-decay'] === undefined ? undefined : positiveNumber('weight-decay', v['weight-decay'], true),
      variational: Boolean(v.variational),
      trainLimit: int('train-limit'),
      testLimit: int('test-limit'),
      trainImages: v['train-images'],
      trainLabels: v['train-labels'],
      testImages: v['test-images'],
      testLabels: v['test-labels'],
      ...probeFlags(v),
      lrSchedule: v['lr-schedule'],
      warmupSteps: v['warmup-steps'] === undefined ? undefined : nonNegativeInt('warmup-steps', v['warmup-steps']),
      lrStepSize: int('lr-step-size'),
      lrGamma: v['lr-gamma'] === undefined ? undefined : positiveNumber('lr-gamma', v['lr-gamma']),
      lrMin: v['lr-min'] === undefined ? undefined : positiveNumber('lr-min', v['lr-min'], true),
      earlyStopping: int('early-stopping'),
      minDelta: v['min-delta'] === undefined ? undefined : positiveNumber('min-delta', v['min-delta'], true),
    });
    job.checkpointEvery = int('checkpoint-every');
    if (v.resume !== undefined) {
      job.resume = readableFile(v.resume, '--resume');
    }
    await (await loadCommands()).train(job, outputDir(v.out ?? 'out'), common);
  } else if (command === 'eval') {
    const model = readableFile(required(v, 'model', command), 'model');
    const flags = { testImages: v['test-images'], testLabels: v['test-labels'], testLimit: int('test-limit'), trainImages: v['train-images'], trainLabels: v['train-labels'], ...probeFlags(v) };
    // The training set is only for the linear probe: the config's, the flags', or MNIST's when the model is tested on MNIST.
    const onMnist = v.config === undefined && flags.testImages === undefined;
    const { data, limits, probe } =
      v.config !== undefined
        ? trainJob(v.config, flags)
        : {
            data: {
              test: overrideSet(bundledMnist().test, flags.testImages, flags.testLabels, 'test'),
              train: onMnist || flags.trainImages !== undefined ? overrideSet(bundledMnist().train, flags.trainImages, flags.trainLabels, 'train') : undefined,
            },
            limits: { test: flags.testLimit },
            probe: probeSettings(undefined, flags),
          };
    const out = outputDir(v.out ?? 'out');
    await (await loadCommands()).evaluate(model, data, limits, probe, out, common);
  } else if (command === 'finetune') {
    const model = readableFile(required(v, 'model', command), 'model');
    const flags = { trainImages: v['train-images'], trainLabels: v['train-labels'], testImages: v['test-images'], testLabels: v['test-labels'], trainLimit: int('train-limit'), testLimit: int('test-limit') };
    flags.finetune = {
      epochs: int('epochs'),
      lr: v.lr === undefined ? undefined : positiveNumber('lr', v.lr),
      batchSize: int('batch-size'),
      freezeEncoder: Boolean(v['freeze-encoder']),
      standardiseCodes: Boolean(v['standardise-codes']),
      reconstructionWeight: v['reconstruction-weight'] === undefined ? undefined : positiveNumber('reconstruction-weight', v['reconstruction-weight'], true),
    };
    // The config's data, limits and classifier section (its training section is not used: the model is trained already).
    const { data, limits, classifier } = trainJob(v.config, flags);
    await (await loadCommands()).finetune(model, data, limits, classifier, outputDir(v.out ?? 'out'), common);
  } else if (command === 'grad') {
    const model = readableFile(required(v, 'model', command), 'model');
    const batch = readableFile(required(v, 'batch', command), 'batch');
    await (await loadCommands()).grad(model, batch, outputFile(required(v, 'out', command)), common);
  }
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`${NAME}: ${e.message}`);
    if (!e.message.includes('usage:')) console.error(`(${NAME} --help for usage)`);
    process.exitCode = 2;
  } else {
    console.error(`${NAME}: ${e?.name === 'JobError' ? '' : 'error: '}${e instanceof Error ? e.message : String(e)}`);
    if (process.env.DEBUG) console.error(e?.stack);
    process.exitCode = 1;
  }
}
