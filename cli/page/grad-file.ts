// `grad`'s files: the batch file read and checked, and one training step's
// forward and backward pass (no update, computeGradientsWithDraws in the library)
// written as safetensors so another framework can check it exactly.
//
// Batch file (input): tensor `x` F32 [B, D] (D = the model's inputSize, values as
// the model sees them, e.g. pixels / 255); for a classifier model (and only for
// one) tensor `y` [B] of class indices 0..classes−1, I32 or F32 (integral values
// in F32); optional metadata `step` (integer ≥ 1,
// default 1) and `seed` (integer in [0, 2^32), default the model's seed). The
// random draws are hashes of (seed, step, element), so they fix the noise and
// the dropout mask.
//
// Gradient file (output), all F32:
//   loss.total, loss.reconstruction, loss.weightDecay, loss.l1, loss.klSparsity,
//   loss.contractive, loss.vaeKl             [1]    the step's loss terms per sample (vaeKl unweighted;
//                                                   total is the objective, with β_t·vaeKl)
//   loss.classifier                          [1]    a classifier's mean cross-entropy (a classifier only)
//   grad.<parameter>                         shape of the parameter, e.g. grad.encoder.0.weight
//   draws.input                              [B, D] x̃, the encoder's actual input (= x without noise)
//   draws.dropout_scale.<l>                  [B, n_l] m/(1−p) applied to encoder layer l's output (with dropout)
//   draws.epsilon                            [B, Z] the VAE's ε in z = μ + σ ⊙ ε (a VAE only)
// metadata: format = 'webgpu-autoencoders-grad/1', config (JSON), step, seed, rows.
import { computeGradientsWithDraws, decodeSafetensors, encodeSafetensors, type Autoencoder, type SafetensorsTensor } from '../../src/index';
import { InputError } from './data';

export const GRAD_FORMAT = 'webgpu-autoencoders-grad/1';

export interface GradBatch {
  x: Float32Array;
  /** A classifier's labels (the batch file's `y`). */
  labels?: Int32Array;
  rows: number;
  step: number;
  seed: number;
}

function metadataInt(meta: Record<string, string>, key: string, dflt: number, min: number, max: number, path: string): number {
  if (meta[key] === undefined) return dflt;
  const v = Number(meta[key]);
  if (!/^\d+$/.test(meta[key]) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new InputError(`${path}: metadata "${key}" must be an integer in [${min}, ${max}] (got ${JSON.stringify(meta[key])})`);
  }
  return v;
}

/** Read and check a batch file against the model. */
export function readGradBatch(bytes: Uint8Array, path: string, model: Autoencoder): GradBatch {
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    throw new InputError(`${path}: not a valid safetensors file: ${(e as Error).message}`);
  }
  const D = model.config.inputSize;
  const x = file.tensors.x;
  if (!x) throw new InputError(`${path}: has no tensor "x" (expected x: F32 [B, ${D}]; found ${Object.keys(file.tensors).map((n) => `"${n}"`).join(', ') || 'no tensors'})`);
  const head = model.config.classifier;
  const extra = Object.keys(file.tensors).filter((n) => n !== 'x' && n !== 'y');
  if (extra.length > 0) throw new InputError(`${path}: unexpected tensor(s) ${extra.map((n) => `"${n}"`).join(', ')}; a batch file holds only "x"${head ? ' and "y"' : ''}`);
  if (x.dtype !== 'F32') throw new InputError(`${path}: tensor "x" has dtype ${x.dtype}; expected F32`);
  if (x.shape.length !== 2 || x.shape[1] !== D || x.shape[0] < 1) {
    throw new InputError(`${path}: tensor "x" has shape [${x.shape.join(', ')}]; the model needs [B, ${D}] with B ≥ 1`);
  }
  const data = x.data as Float32Array;
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`${path}: x[${Math.floor(bad / D)}, ${bad % D}] is ${data[bad]}; values must be finite`);
  const rows = x.shape[0];
  return {
    x: data,
    ...(head || file.tensors.y ? { labels: readLabels(file.tensors.y, rows, head?.classes, path) } : {}),
    rows,
    step: metadataInt(file.metadata, 'step', 1, 1, 0xffffffff, path),
    seed: metadataInt(file.metadata, 'seed', model.config.seed, 0, 0xffffffff, path),
  };
}

/** The batch file's `y`: required for a classifier (`classes` given), refused otherwise. */
function readLabels(y: SafetensorsTensor | undefined, rows: number, classes: number | undefined, path: string): Int32Array {
  if (classes === undefined) {
    throw new InputError(`${path}: has a tensor "y" (labels) but the model is not a classifier (no config.classifier); leave "y" out, or use a classifier model (finetune writes one)`);
  }
  if (!y) throw new InputError(`${path}: has no tensor "y": the model is a classifier, so the batch needs y: I32 or F32 [${rows}] of class indices 0..${classes - 1}, one per row of x`);
  if (y.dtype !== 'I32' && y.dtype !== 'F32') throw new InputError(`${path}: tensor "y" has dtype ${y.dtype}; expected I32 or F32 (class indices)`);
  if (y.shape.length !== 1 || y.shape[0] !== rows) throw new InputError(`${path}: tensor "y" has shape [${y.shape.join(', ')}]; expected [${rows}], one label per row of x`);
  const bad = Array.from(y.data).findIndex((v) => !Number.isInteger(v) || v < 0 || v >= classes);
  if (bad >= 0) throw new InputError(`${path}: y[${bad}] is ${y.data[bad]}; labels must be integers in 0..${classes - 1} (the model has ${classes} classes)`);
  return Int32Array.from(y.data);
}

/** One forward+backward on `batch`; the gradient file's bytes and the loss terms. */
export async function gradientFile(model: Autoencoder, batch: GradBatch): Promise<{ bytes: Uint8Array; loss: Record<string, number> }> {
  const { loss, grads, draws } = await computeGradientsWithDraws(model, batch);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [k, v] of Object.entries(loss)) tensors[`loss.${k}`] = { dtype: 'F32', shape: [1], data: Float32Array.of(v) };
  for (const t of model.layout.tensors) tensors[`grad.${t.name}`] = { dtype: 'F32', shape: [...t.shape], data: grads[t.name] };
  for (const [name, d] of Object.entries(draws)) tensors[`draws.${name}`] = { dtype: 'F32', shape: [...d.shape], data: d.data };
  const metadata = { format: GRAD_FORMAT, config: JSON.stringify(model.config), step: String(batch.step), seed: String(batch.seed), rows: String(batch.rows) };
  return { bytes: encodeSafetensors(tensors, metadata), loss };
}
