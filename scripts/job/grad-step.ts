// `grad`: one training step's forward and backward pass (no update) on a given
// batch, written as safetensors so another framework can check it exactly.
//
// Batch file (input): tensor `x` F32 [B, D] (D = the model's inputSize, values as
// the model sees them, e.g. pixels / 255); optional metadata `step` (integer ≥ 1,
// default 1) and `seed` (integer in [0, 2^32), default the model's seed). The
// random draws are hashes of (seed, step, element), so they fix the noise and
// the dropout mask.
//
// Gradient file (output), all F32:
//   loss.total, loss.reconstruction, loss.weightDecay, loss.l1, loss.klSparsity,
//   loss.contractive, loss.vaeKl             [1]    the step's loss terms (per sample)
//   grad.<parameter>                         shape of the parameter, e.g. grad.encoder.0.weight
//   draws.input                              [B, D] x̃, the encoder's actual input (= x without noise)
//   draws.dropout_scale.0                    [B, H] m/(1−p) applied to h (only with dropout)
//   (HOOK) draws.epsilon.<layer>             [B, Z] the VAE's ε, when the VAE lands
// metadata: format = 'webgpu-autoencoders-grad/1', config (JSON), step, seed, rows.
import type { Autoencoder } from '../../src/model/autoencoder';
import { BufferArena, readFloats } from '../../src/gpu/arena';
import { encodeDispatches } from '../../src/gpu/kernel';
import { dropoutForwardDispatch } from '../../src/kernels/dropout';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors';
import { InputError } from './data';

export const GRAD_FORMAT = 'webgpu-autoencoders-grad/1';

export interface GradBatch {
  x: Float32Array;
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
  const extra = Object.keys(file.tensors).filter((n) => n !== 'x');
  if (extra.length > 0) throw new InputError(`${path}: unexpected tensor(s) ${extra.map((n) => `"${n}"`).join(', ')}; a batch file holds only "x"`);
  if (x.dtype !== 'F32') throw new InputError(`${path}: tensor "x" has dtype ${x.dtype}; expected F32`);
  if (x.shape.length !== 2 || x.shape[1] !== D || x.shape[0] < 1) {
    throw new InputError(`${path}: tensor "x" has shape [${x.shape.join(', ')}]; the model needs [B, ${D}] with B ≥ 1`);
  }
  const data = x.data as Float32Array;
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`${path}: x[${Math.floor(bad / D)}, ${bad % D}] is ${data[bad]}; values must be finite`);
  return {
    x: data,
    rows: x.shape[0],
    step: metadataInt(file.metadata, 'step', 1, 1, 0xffffffff, path),
    seed: metadataInt(file.metadata, 'seed', model.config.seed, 0, 0xffffffff, path),
  };
}

/** One forward+backward on `batch`; the gradient file's bytes and the loss terms. */
export async function gradientStep(model: Autoencoder, batch: GradBatch): Promise<{ bytes: Uint8Array; loss: Record<string, number> }> {
  const { rows: B, step, seed } = batch;
  const D = model.config.inputSize;
  const H = model.config.hiddenSize;
  const device = model.gpu.device;
  const data = model.uploadDataset({ data: batch.x, features: D, label: 'grad batch' });
  // The optimizer is never applied (computeGradients does no update); SGD needs no state.
  const optimizer = { type: 'sgd', learningRate: 1 } as const;
  const trainer = model.createTrainer({ batchSize: B, optimizer, seed, shuffle: false });
  const arena = new BufferArena(device, 'grad draws');
  try {
    // The trainer's next step is stepsTaken + 1: start it at the batch's step.
    if (step > 1) trainer.importState({ optimizer, step: step - 1, epoch: 0, row: 0, seed, shuffle: false, state: [] });
    const { loss } = await trainer.computeGradients(data);
    const tensors: Record<string, SafetensorsTensor> = {};
    const scalar = (v: number) => ({ dtype: 'F32' as const, shape: [1], data: Float32Array.of(v) });
    tensors['loss.total'] = scalar(loss.total);
    for (const [k, v] of Object.entries(loss.components)) tensors[`loss.${k}`] = scalar(v);
    const grads = await trainer.readGradients();
    for (const t of model.layout.tensors) tensors[`grad.${t.name}`] = { dtype: 'F32', shape: [...t.shape], data: grads[t.name] };

    // The draws the GPU used. x̃ is read from the plan's noisy buffer.
    const plan = trainer.plan;
    const input = plan.batch.noisy ? await readFloats(device, plan.batch.noisy, B * D) : batch.x;
    tensors['draws.input'] = { dtype: 'F32', shape: [B, D], data: input };
    // The dropout scale m/(1−p): the step's own dropout kernel applied to ones (the
    // Step uniform still holds this step's seed and counter), so it is the GPU's draw.
    if (plan.batch.dropped) {
      const ones = arena.storage('dropout probe: ones', new Float32Array(B * H).fill(1));
      const scale = arena.storage('dropout probe: scale', B * H * 4);
      const ctx = { ...model.ctx, arena };
      const dispatch = dropoutForwardDispatch(ctx, { input: ones, output: scale, step: plan.batch.step, rows: B, units: H, rate: model.config.dropout, layer: 0, label: 'dropout probe' });
      const enc = device.createCommandEncoder({ label: 'dropout probe' });
      encodeDispatches(enc, [dispatch], 'dropout probe');
      device.queue.submit([enc.finish()]);
      tensors['draws.dropout_scale.0'] = { dtype: 'F32', shape: [B, H], data: await readFloats(device, scale, B * H) };
    }
    // HOOK (VAE): add draws.epsilon.<layer> [B, Z] from the plan's ε buffer when the VAE lands.

    const metadata = { format: GRAD_FORMAT, config: JSON.stringify(model.config), step: String(step), seed: String(seed), rows: String(B) };
    const lossOut: Record<string, number> = { total: loss.total, ...loss.components };
    return { bytes: encodeSafetensors(tensors, metadata), loss: lossOut };
  } finally {
    arena.dispose();
    trainer.dispose();
  }
}
