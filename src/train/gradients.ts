// One training step's forward and backward pass on a given batch, without an
// update, together with the random draws the GPU used — so another framework
// (or the float64 reference, src/reference/autoencoder.ts) can redo the step
// exactly. The draws are counter-based hashes of (seed, step, element), so the
// batch's `step` and `seed` fix them:
//   input            [B, D]   x̃, the encoder's actual input (= x without noise)
//   dropout_scale.<l> [B, n_l] m/(1−p) applied to encoder layer l's output (with dropout)
//   epsilon          [B, Z]   the VAE's ε in z = μ + σ ⊙ ε (a VAE only)
// The command line's `grad` writes this as a safetensors file (cli/page/grad-file.ts).
import type { AutoencoderModel } from '../model/autoencoder';
import { BufferArena, readFloats } from '../gpu/arena';
import { runDispatches, type Dispatch } from '../gpu/kernel';
import { dropoutForwardDispatch } from '../kernels/dropout';
import { vaeSampleDispatch } from '../kernels/vae';
import type { LossComponents } from '../model/objective';
import { Trainer } from './trainer';

export interface GradientBatch {
  /** The samples, row-major [rows, inputSize], values as the model sees them (e.g. pixels / 255). */
  x: Float32Array;
  rows: number;
  /** The step number the draws are taken for (integer ≥ 1). Default 1. */
  step?: number;
  /** The seed of the draws (integer in [0, 2³²)). Default: the model's seed. */
  seed?: number;
  /** A classifier's labels, one per row (integers 0..classes−1); required exactly for a classifier. */
  labels?: ArrayLike<number>;
}

/** One random draw of the step: a row-major [rows, columns] array. */
export interface GradientDraw {
  shape: [number, number];
  data: Float32Array;
}

export interface GradientsWithDraws {
  /** The step's loss per sample: the objective `total` (a VAE's KL weighted by β_t) and its terms (`classifier` only for a classifier). */
  loss: { total: number } & Omit<LossComponents, 'classifier'> & { classifier?: number };
  /** ∂total/∂parameter, by parameter name (the model's layout, e.g. `encoder.0.weight`). */
  grads: Record<string, Float32Array>;
  /** The draws the GPU used, by name: `input`, `dropout_scale.<l>`, `epsilon` (see the file comment). */
  draws: Record<string, GradientDraw>;
  step: number;
  seed: number;
}

const MAX_U32 = 0xffffffff;

function checkBatch(model: AutoencoderModel, batch: GradientBatch): { rows: number; step: number; seed: number } {
  const D = model.config.inputSize;
  const { x, rows } = batch;
  if (!(x instanceof Float32Array)) throw new TypeError('computeGradientsWithDraws: batch.x must be a Float32Array');
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`computeGradientsWithDraws: batch.rows must be a positive integer (got ${rows})`);
  if (x.length !== rows * D) {
    throw new RangeError(`computeGradientsWithDraws: batch.x has ${x.length} values but rows × inputSize = ${rows} × ${D} = ${rows * D}`);
  }
  const step = batch.step ?? 1;
  if (!Number.isInteger(step) || step < 1 || step > MAX_U32) throw new RangeError(`computeGradientsWithDraws: batch.step must be an integer in [1, 2^32) (got ${step})`);
  const seed = batch.seed ?? model.config.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_U32) throw new RangeError(`computeGradientsWithDraws: batch.seed must be an integer in [0, 2^32) (got ${seed})`);
  const head = model.config.classifier;
  if (head) {
    const l = batch.labels;
    if (!l || l.length !== rows) throw new RangeError(`computeGradientsWithDraws: a classifier needs batch.labels, one per row (${rows}), got ${l?.length ?? 'none'}`);
    for (let r = 0; r < rows; r++) {
      if (!Number.isInteger(l[r]) || l[r] < 0 || l[r] >= head.classes) throw new RangeError(`computeGradientsWithDraws: batch.labels[${r}] is ${l[r]}; labels must be integers in 0..${head.classes - 1}`);
    }
  } else if (batch.labels !== undefined) {
    throw new RangeError('computeGradientsWithDraws: batch.labels is only for a classifier (config.classifier)');
  }
  return { rows, step, seed };
}

/**
 * Forward and backward on `batch` as training step `batch.step` with `batch.seed`
 * would run it, without updating the weights: the loss, every parameter's
 * gradient and the random draws. The batch is uploaded for the call and released
 * when it returns: nothing of the call stays on the GPU.
 */
export async function computeGradientsWithDraws(model: AutoencoderModel, batch: GradientBatch): Promise<GradientsWithDraws> {
  const { rows: B, step, seed } = checkBatch(model, batch);
  const D = model.config.inputSize;
  const device = model.gpu.device;
  const labels = batch.labels && Uint8Array.from(batch.labels);
  const data = model.uploadDataset({ data: batch.x, features: D, labels, label: 'gradient batch' });
  // The optimizer is never applied (computeGradients does no update); SGD needs no state.
  const optimizer = { type: 'sgd', learningRate: 1 } as const;
  const trainer = new Trainer(model, { batchSize: B, optimizer, seed, shuffle: false });
  const arena = new BufferArena(device, 'gradient draws');
  try {
    // The trainer's next step is stepsTaken + 1: start it at the batch's step.
    if (step > 1) trainer.importState({ optimizer, step: step - 1, epoch: 0, row: 0, seed, shuffle: false, state: [] });
    const { loss } = await trainer.computeGradients(data);
    const grads = await trainer.readGradients();

    // x̃ is read from the plan's noisy buffer.
    const plan = trainer.plan;
    const draws: Record<string, GradientDraw> = {
      input: { shape: [B, D], data: plan.batch.noisy ? await readFloats(device, plan.batch.noisy, B * D) : batch.x },
    };
    // The other draws, taken by running this step's own kernels on neutral inputs
    // (the Step uniform still holds this step's seed, counter and batch offset), so
    // they are the GPU's draws, not a re-implementation:
    //   dropout on ones gives m/(1−p) for encoder layer l;
    //   z = μ + exp(½ log σ²)·ε with μ = log σ² = 0 gives ε exactly.
    const ctx = { ...model.ctx, arena };
    const probes: Array<{ name: string; out: GPUBuffer; shape: [number, number]; dispatch: Dispatch }> = [];
    model.arch.encoder.forEach((layer, l) => {
      if (!plan.batch.encoder[l].dropped) return;
      const n = B * layer.outputs;
      const ones = arena.storage(`dropout probe ${l}: ones`, new Float32Array(n).fill(1));
      const out = arena.storage(`dropout probe ${l}: scale`, n * 4);
      const dispatch = dropoutForwardDispatch(ctx, { input: ones, output: out, step: plan.batch.step, rows: B, units: layer.outputs, rate: model.config.dropout, layer: l, label: `dropout probe ${l}` });
      probes.push({ name: `dropout_scale.${l}`, out, shape: [B, layer.outputs], dispatch });
    });
    if (model.arch.heads) {
      const Z = model.arch.codeSize;
      const zeros = () => arena.storage('ε probe: zeros', B * Z * 4); // storage buffers start zeroed
      const out = arena.storage('ε probe: ε', B * Z * 4);
      const dispatch = vaeSampleDispatch(ctx, { mu: zeros(), logvar: zeros(), z: out, rows: B, latent: Z, step: plan.batch.step, label: 'ε probe' });
      probes.push({ name: 'epsilon', out, shape: [B, Z], dispatch });
    }
    if (probes.length > 0) {
      await runDispatches(device, probes.map((p) => p.dispatch), model.gpu.debug, 'draw probes');
      await model.ctx.cache.checkErrors();
      for (const p of probes) draws[p.name] = { shape: p.shape, data: await readFloats(device, p.out, p.shape[0] * p.shape[1]) };
    }
    // An autoencoder's loss keeps the terms it always had (its grad file is unchanged); a classifier's adds its cross-entropy.
    const { classifier, ...terms } = loss.components;
    return { loss: { total: loss.total, ...terms, ...(model.config.classifier ? { classifier } : {}) }, grads, draws, step, seed };
  } finally {
    arena.dispose();
    trainer.dispose();
    model.releaseDataset(data); // a one-off batch: nothing of this call stays on the GPU
  }
}
