// Save and load an Autoencoder as a safetensors file that PyTorch can read:
//   encoder.0.weight [H, D], encoder.0.bias [H], decoder.0.weight [D, H] (absent
//   when tied), decoder.0.bias [D] — F32, named like an nn.Sequential state_dict;
//   metadata: format = 'webgpu-autoencoders/1', config = JSON of the resolved config.
// With a trainer, also its optimizer state (optimizer.state.<i>.<param>, each the
// shape of its parameter: momentum [v], adam [m, v]) and metadata training = JSON
// { optimizer, schedule, step, epoch, row, seed, shuffle, batchSize, stateBuffers } — the
// counters from which the step's RNG draws, learning rate and shuffle order are derived.
// Callers may add metadata of their own (saveModel's `metadata`; ModelFile.metadata)
// and named sets of parameters besides the model's (`parameterSets`, stored as
// sets.<set>.<param>, each the shape of its parameter: e.g. early stopping's best epoch).
// Loading checks everything before any GPU allocation; see docs/safetensors.md.
import type { CreateOptions } from '../model/autoencoder';
import { createAutoencoder, type Autoencoder } from '../autoencoder';
import { ConfigError, resolveConfig, type AutoencoderConfig, type ResolvedConfig } from '../model/config';
import { autoencoderLayout, type ParameterLayout } from '../model/layout';
import { optimizerStateBuffers, validateOptimizer, type OptimizerConfig } from '../kernels/optimizer';
import type { Trainer } from '../train/trainer';
import type { TrainerOptions, TrainerState } from '../train/options';
import { validateSchedule } from '../train/schedule';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsTensor } from './safetensors';

export const MODEL_FORMAT = 'webgpu-autoencoders/1';

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** A training state read from a file, with the batch size it was saved with. */
export interface SavedTrainingState extends TrainerState {
  batchSize: number;
}

export interface ModelFile {
  config: ResolvedConfig;
  /** Parameter tensors by state_dict name (row-major, shapes as in model.layout). */
  tensors: Record<string, Float32Array>;
  training?: SavedTrainingState;
  /** Every metadata entry of the file (format, config, training and any the saver added). */
  metadata: Record<string, string>;
  /** Further whole sets of parameters the saver added (saveModel's parameterSets), by set name. */
  parameterSets: Record<string, Record<string, Float32Array>>;
}

/** Metadata keys saveModel writes itself; extra metadata may not use them. */
const RESERVED_METADATA = ['format', 'config', 'training', 'parameter-sets'];

const stateName = (i: number, param: string) => `optimizer.state.${i}.${param}`;
const setName = (set: string, param: string) => `sets.${set}.${param}`;
const SET_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Serialise a model (and optionally its trainer's state, for resuming) to
 * safetensors bytes; `metadata` adds string entries of the caller's own.
 */
export async function saveModel(
  model: Autoencoder,
  options: { trainer?: Trainer; metadata?: Record<string, string>; parameterSets?: Record<string, Record<string, Float32Array>> } = {},
): Promise<Uint8Array> {
  model.assertAlive();
  for (const [k, v] of Object.entries(options.metadata ?? {})) {
    if (RESERVED_METADATA.includes(k)) throw new ModelFileError(`saveModel: metadata "${k}" is written by saveModel itself; use another key`);
    if (typeof v !== 'string') throw new ModelFileError(`saveModel: metadata "${k}" must be a string (got ${typeof v})`);
  }
  const params = await model.getParameters();
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const t of model.layout.tensors) tensors[t.name] = { dtype: 'F32', shape: [...t.shape], data: params[t.name] };
  const metadata: Record<string, string> = { ...options.metadata, format: MODEL_FORMAT, config: JSON.stringify(model.config) };
  for (const [set, values] of Object.entries(options.parameterSets ?? {})) {
    if (!SET_NAME.test(set)) throw new ModelFileError(`saveModel: parameter set name "${set}" must be letters, digits, _ or -`);
    for (const t of model.layout.tensors) {
      const v = values[t.name];
      if (!(v instanceof Float32Array) || v.length !== t.size) throw new ModelFileError(`saveModel: parameterSets.${set}["${t.name}"] must be a Float32Array of ${t.size} values`);
      tensors[setName(set, t.name)] = { dtype: 'F32', shape: [...t.shape], data: v };
    }
  }
  if (options.parameterSets) metadata['parameter-sets'] = JSON.stringify(Object.keys(options.parameterSets));

  if (options.trainer) {
    const trainer = options.trainer;
    if (trainer.model !== model) throw new ModelFileError('saveModel: the trainer belongs to a different model');
    const s = await trainer.exportState();
    const stateBuffers = optimizerStateBuffers(s.optimizer);
    if (s.state.length !== stateBuffers) throw new ModelFileError(`saveModel: '${s.optimizer.type}' has ${stateBuffers} state buffer(s) but the trainer exported ${s.state.length}`);
    s.state.forEach((flat, i) => {
      if (flat.length !== model.layout.totalFloats) throw new ModelFileError(`saveModel: optimizer state ${i} has ${flat.length} floats, expected ${model.layout.totalFloats}`);
      for (const t of model.layout.tensors) {
        tensors[stateName(i, t.name)] = { dtype: 'F32', shape: [...t.shape], data: flat.slice(t.offset, t.offset + t.size) };
      }
    });
    const { optimizer, schedule, step, epoch, row, seed, shuffle } = s;
    metadata.training = JSON.stringify({ optimizer, schedule, step, epoch, row, seed, shuffle, batchSize: trainer.batchSize, stateBuffers });
  }
  return encodeSafetensors(tensors, metadata);
}

function parseJson(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(`metadata "${field}" is not valid JSON (${(e as Error).message})`);
  }
}

function integer(field: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ModelFileError(`training.${field} must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return v;
}

function parseTraining(text: string): Omit<SavedTrainingState, 'state'> & { stateBuffers: number } {
  const t = parseJson('training', text);
  if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new ModelFileError(`metadata "training" must be a JSON object (got ${text.slice(0, 80)})`);
  const r = t as Record<string, unknown>;
  let optimizer: OptimizerConfig;
  try {
    optimizer = validateOptimizer(r.optimizer);
  } catch (e) {
    throw new ModelFileError(`training.optimizer is invalid: ${(e as Error).message}`);
  }
  const stateBuffers = optimizerStateBuffers(optimizer);
  let schedule;
  try {
    schedule = validateSchedule(r.schedule, optimizer.learningRate); // absent in files of earlier versions: constant
  } catch (e) {
    throw new ModelFileError(`training.schedule is invalid: ${(e as Error).message}`);
  }
  if (typeof r.shuffle !== 'boolean') throw new ModelFileError(`training.shuffle must be true or false (got ${JSON.stringify(r.shuffle)})`);
  if (r.stateBuffers !== stateBuffers) throw new ModelFileError(`training.stateBuffers is ${JSON.stringify(r.stateBuffers)} but '${optimizer.type}' has ${stateBuffers}`);
  return {
    optimizer,
    schedule,
    step: integer('step', r.step),
    epoch: integer('epoch', r.epoch),
    row: integer('row', r.row),
    seed: integer('seed', r.seed, 0, 0xffffffff),
    shuffle: r.shuffle,
    batchSize: integer('batchSize', r.batchSize, 1),
    stateBuffers,
  };
}

/** Check one F32 tensor against the layout's shape and finiteness. */
function checkTensor(name: string, t: SafetensorsTensor, shape: readonly number[]): Float32Array {
  if (t.dtype !== 'F32') throw new ModelFileError(`tensor "${name}" has dtype ${t.dtype}; expected F32 (in PyTorch: tensor.float())`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ModelFileError(`tensor "${name}" has shape [${t.shape.join(', ')}]; the config needs [${shape.join(', ')}]`);
  }
  const data = t.data as Float32Array;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) throw new ModelFileError(`tensor "${name}"[${k}] is ${data[k]}; values must be finite`);
  }
  return data;
}

/** Parse and check a model file without touching the GPU. Throws naming what is wrong. */
export function readModelFile(bytes: Uint8Array): ModelFile {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new ModelFileError(`not a valid safetensors file: ${e.message}`);
    throw e;
  }
  const { tensors, metadata } = decoded;
  if (metadata.format !== MODEL_FORMAT) {
    throw new ModelFileError(
      metadata.format === undefined
        ? `the file's metadata has no "format" (expected "${MODEL_FORMAT}"): not written by saveModel?`
        : `the file's format is "${metadata.format}"; this version reads "${MODEL_FORMAT}"`,
    );
  }
  if (metadata.config === undefined) throw new ModelFileError('the file\'s metadata has no "config"');
  let config: ResolvedConfig;
  try {
    config = resolveConfig(parseJson('config', metadata.config) as AutoencoderConfig);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`the file's config is invalid: ${e.message}`);
    throw e;
  }
  const layout = autoencoderLayout(config);
  const training = metadata.training === undefined ? undefined : parseTraining(metadata.training);

  const expected = new Map<string, readonly number[]>(layout.tensors.map((t) => [t.name, t.shape]));
  for (let i = 0; i < (training?.stateBuffers ?? 0); i++) for (const t of layout.tensors) expected.set(stateName(i, t.name), t.shape);
  const sets = metadata['parameter-sets'] === undefined ? [] : parseSetNames(metadata['parameter-sets']);
  for (const set of sets) for (const t of layout.tensors) expected.set(setName(set, t.name), t.shape);
  const missing = [...expected.keys()].filter((n) => !(n in tensors));
  if (missing.length > 0) throw new ModelFileError(`missing tensor(s) ${missing.map((n) => `"${n}"`).join(', ')} (the config ${describeConfig(config)} needs them)`);
  const unexpected = Object.keys(tensors).filter((n) => !expected.has(n));
  if (unexpected.length > 0) {
    throw new ModelFileError(
      `unexpected tensor(s) ${unexpected.map((n) => `"${n}"`).join(', ')} for the config ${describeConfig(config)} (expected: ${[...expected.keys()].join(', ')})`,
    );
  }
  const params: Record<string, Float32Array> = {};
  for (const t of layout.tensors) params[t.name] = checkTensor(t.name, tensors[t.name], t.shape);
  const parameterSets: Record<string, Record<string, Float32Array>> = {};
  for (const set of sets) parameterSets[set] = Object.fromEntries(layout.tensors.map((t) => [t.name, checkTensor(setName(set, t.name), tensors[setName(set, t.name)], t.shape)]));
  const file: ModelFile = { config, tensors: params, metadata, parameterSets };
  if (training) {
    const { stateBuffers, ...counters } = training;
    const state = Array.from({ length: stateBuffers }, (_, i) => flatState(layout, i, tensors));
    file.training = { ...counters, state };
  }
  return file;
}

function parseSetNames(text: string): string[] {
  const names = parseJson('parameter-sets', text);
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && SET_NAME.test(n))) {
    throw new ModelFileError(`metadata "parameter-sets" must be a JSON array of set names (letters, digits, _ or -), got ${text.slice(0, 80)}`);
  }
  return names;
}

/** One optimizer state buffer in the model's flat layout (the alignment gaps stay zero). */
function flatState(layout: ParameterLayout, i: number, tensors: Record<string, SafetensorsTensor>): Float32Array {
  const flat = new Float32Array(layout.totalFloats);
  for (const t of layout.tensors) flat.set(checkTensor(stateName(i, t.name), tensors[stateName(i, t.name)], t.shape), t.offset);
  return flat;
}

function describeConfig(c: ResolvedConfig): string {
  return `{ inputSize: ${c.inputSize}, hiddenSize: ${c.hiddenSize}, tiedWeights: ${c.tiedWeights} }`;
}

/**
 * Build a model from safetensors bytes. Everything is checked before the model
 * is created; if anything fails afterwards the model is disposed before the
 * error is rethrown, so nothing stays on the GPU.
 */
export async function loadModel(bytes: Uint8Array, options?: CreateOptions): Promise<Autoencoder> {
  const file = readModelFile(bytes);
  const model = await createAutoencoder(file.config, options);
  try {
    model.setParameters(file.tensors);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * A trainer for `model` that continues from a saved training state: same
 * optimizer, learning-rate schedule, seed, step count, epoch position and optimizer state. The trainer
 * is disposed again if the state cannot be imported.
 */
export async function resumeTrainer(
  model: Autoencoder,
  training: SavedTrainingState,
  options: Omit<TrainerOptions, 'optimizer' | 'schedule' | 'seed' | 'shuffle' | 'batchSize'> & { batchSize?: number } = {},
): Promise<Trainer> {
  const { batchSize, ...state } = training;
  const trainer = model.createTrainer({ ...options, batchSize: options.batchSize ?? batchSize, optimizer: state.optimizer, schedule: state.schedule, seed: state.seed, shuffle: state.shuffle });
  try {
    trainer.importState(state);
    return trainer;
  } catch (e) {
    trainer.dispose();
    throw e;
  }
}
