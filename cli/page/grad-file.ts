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
//   loss.contractive, loss.vaeKl             [1]    the step's loss terms per sample (vaeKl unweighted;
//                                                   total is the objective, with β_t·vaeKl)
//   grad.<parameter>                         shape of the parameter, e.g. grad.encoder.0.weight
//   draws.input                              [B, D] x̃, the encoder's actual input (= x without noise)
//   draws.dropout_scale.<l>                  [B, n_l] m/(1−p) applied to encoder layer l's output (with dropout)
//   draws.epsilon                            [B, Z] the VAE's ε in z = μ + σ ⊙ ε (a VAE only)
// metadata: format = 'webgpu-autoencoders-grad/1', config (JSON), step, seed, rows.
import type { Autoencoder } from '../../src/model/autoencoder';
import { BufferArena, readFloats } from '../../src/gpu/arena';
import { encodeDispatches, type Dispatch } from '../../src/gpu/kernel';
import { dropoutForwardDispatch } from '../../src/kernels/dropout';
import { vaeSampleDispatch } from '../../src/kernels/vae';
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
    // The other draws, taken by running this step's own kernels on neutral inputs
    // (the Step uniform still holds this step's seed, counter and batch offset), so
    // they are the GPU's draws, not a re-implementation:
    //   dropout on ones gives m/(1−p) for encoder layer l;
    //   z = μ + exp(½ log σ²)·ε with μ = log σ² = 0 gives ε exactly.
    const ctx = { ...model.ctx, arena };
    const probes: Array<{ name: string; out: GPUBuffer; shape: number[]; dispatch: Dispatch }> = [];
    model.arch.encoder.forEach((layer, l) => {
      if (!plan.batch.encoder[l].dropped) return;
      const n = B * layer.outputs;
      const ones = arena.storage(`dropout probe ${l}: ones`, new Float32Array(n).fill(1));
      const out = arena.storage(`dropout probe ${l}: scale`, n * 4);
      const dispatch = dropoutForwardDispatch(ctx, { input: ones, output: out, step: plan.batch.step, rows: B, units: layer.outputs, rate: model.config.dropout, layer: l, label: `dropout probe ${l}` });
      probes.push({ name: `draws.dropout_scale.${l}`, out, shape: [B, layer.outputs], dispatch });
    });
    if (model.arch.heads) {
      const Z = model.arch.codeSize;
      const zeros = () => arena.storage('ε probe: zeros', B * Z * 4); // storage buffers start zeroed
      const out = arena.storage('ε probe: ε', B * Z * 4);
      const dispatch = vaeSampleDispatch(ctx, { mu: zeros(), logvar: zeros(), z: out, rows: B, latent: Z, step: plan.batch.step, label: 'ε probe' });
      probes.push({ name: 'draws.epsilon', out, shape: [B, Z], dispatch });
    }
    if (probes.length > 0) {
      const enc = device.createCommandEncoder({ label: 'draw probes' });
      encodeDispatches(enc, probes.map((p) => p.dispatch), 'draw probes');
      device.queue.submit([enc.finish()]);
      await model.ctx.cache.checkErrors();
      for (const p of probes) tensors[p.name] = { dtype: 'F32', shape: p.shape, data: await readFloats(device, p.out, p.shape[0] * p.shape[1]) };
    }

    const metadata = { format: GRAD_FORMAT, config: JSON.stringify(model.config), step: String(step), seed: String(seed), rows: String(B) };
    const lossOut: Record<string, number> = { total: loss.total, ...loss.components };
    return { bytes: encodeSafetensors(tensors, metadata), loss: lossOut };
  } finally {
    arena.dispose();
    trainer.dispose();
  }
}
