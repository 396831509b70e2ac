// The static plan of one training (or evaluation) step for a batch size B:
// every buffer, pipeline and bind group is built here once; a step then only
// writes the Step uniform and records these dispatches in order.
//
// Forward          x̃ ← gather(data, perm) (+ noise)            [B, D]
//                  h  = g(x̃·Wᵀ + b)        matmul 'nt' + epilogue [B, H]
//                  h̃  = dropout(h)                               [B, H]
//                  z  = h̃·W*ᵀ + c          'nt' ('nn' with W when tied)
//                  ℓ, dz = loss(z, x)      fused with the output activation
// Backward         dW* = dzᵀ·h̃ ('tn'); dc = Σ_r dz
//                  dh̃ = dz·W* ('nn'; 'nt' when tied); dh = dropout'(dh̃)
//                  dh += sparsity'(h);  da = dh ⊙ g'(h)
//                  dW (+)= daᵀ·x̃ ('tn'); db = Σ_r da
//                  contractive and weight-decay terms added to dW, db
// Update           one optimizer dispatch over the flat parameter buffer
import { BufferArena, UNIFORM } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import type { Dispatch, Resource } from '../gpu/kernel';
import { STEP_BYTES } from '../gpu/step';
import { matmulDispatch } from '../kernels/matmul';
import { activationBackwardDispatch, activationForwardDispatch } from '../kernels/activation';
import { lossDispatch } from '../kernels/loss';
import { columnSumDispatch, lossLogDispatch, LOSS_COMPONENT } from '../kernels/reduce';
import { optimizerDispatch, optimizerStateBuffers, type OptimizerConfig } from '../kernels/optimizer';
import { weightDecayDispatch } from '../kernels/weight-decay';
import { gatherDispatch } from '../kernels/gather';
import { finiteGuardDispatches, GUARD_CLEAR } from '../kernels/finite';
import { dropoutBackwardDispatch, dropoutForwardDispatch } from '../kernels/dropout';
import type { GpuDataset } from '../data/dataset';
import type { ResolvedConfig } from './config';
import type { ParameterLayout } from './layout';
import { regulariserDispatches, type RegulariserBuffers } from './regularisers';
import { architecture, type Architecture, type DenseLayer } from './architecture';
import { vaeBackwardDispatch, vaeKlRowsDispatch, vaeSampleDispatch } from '../kernels/vae';
import type { Activation } from '../kernels/activations';

/** What the plan needs from the model. */
export interface PlanModel {
  readonly config: ResolvedConfig;
  readonly layout: ParameterLayout;
  readonly params: GPUBuffer;
}

/** Buffers of one encoder or decoder layer for a batch. */
export interface LayerBuffers {
  /** The layer's output (after its activation) [B, outputs]. */
  out: GPUBuffer;
  /** The output after dropout (encoder layers, when dropout is on). */
  dropped?: GPUBuffer;
  /** ∂L/∂output, then (in place) ∂L/∂pre-activation [B, outputs]. */
  grad: GPUBuffer;
}

/** The VAE's latent tensors [B, Z] (rowKl [B]). */
export interface VaeBuffers {
  mu: GPUBuffer;
  logvar: GPUBuffer;
  z: GPUBuffer;
  dz: GPUBuffer;
  dmu: GPUBuffer;
  dlogvar: GPUBuffer;
  rowKl: GPUBuffer;
}

/** The activations and scratch tensors of one batch. */
export interface BatchBuffers {
  step: GPUBuffer;
  clean: GPUBuffer; // x  [B, D]
  noisy?: GPUBuffer; // x̃  [B, D], when the model corrupts its input
  /** One per encoder layer (a VAE: the layers before the heads). */
  encoder: LayerBuffers[];
  /** One per decoder layer but the last (whose output is the logits). */
  decoder: LayerBuffers[];
  vae?: VaeBuffers;
  hidden: GPUBuffer; // the code h [B, Z] (μ for a VAE)
  dropped?: GPUBuffer; // the code after dropout
  logits: GPUBuffer; // z [B, D]
  output: GPUBuffer; // x̂ = f(z) [B, D], for reconstructions
  dLogits: GPUBuffer; // dz [B, D]
  dHidden: GPUBuffer; // ∂L/∂code (∂L/∂z for a VAE)
  rowLoss: GPUBuffer; // [B]
}

export class StepPlan {
  readonly batch: BatchBuffers;
  readonly rows: number;
  readonly arch: Architecture;
  protected readonly ctx: KernelContext;
  private readonly gathers = new Map<string, Dispatch>();
  /** The encoder, up to the code h (μ for a VAE). */
  readonly encoderPass: Dispatch[];
  /** A VAE's log σ² head, z = μ + σ ε and the per-row KL (empty otherwise): not needed for the codes μ. */
  readonly latentPass: Dispatch[];
  /** The decoder from `decoderInput` to the logits. */
  readonly decoderPass: Dispatch[];
  /** Encoder, decoder and loss: everything after the gather up to dL/dlogits. */
  readonly forward: Dispatch[];

  constructor(
    ctx: KernelContext,
    readonly model: PlanModel,
    rows: number,
    readonly arena: BufferArena,
  ) {
    this.ctx = ctx;
    this.rows = rows;
    const c = model.config;
    const D = c.inputSize;
    const B = rows;
    this.arch = architecture(c);
    const layer = (name: string, width: number, dropout: boolean): LayerBuffers => ({
      out: arena.storage(`${name} out`, B * width * 4),
      dropped: dropout ? arena.storage(`${name} dropout`, B * width * 4) : undefined,
      grad: arena.storage(`${name} grad`, B * width * 4),
    });
    const encoder = this.arch.encoder.map((l) => layer(l.name, l.outputs, c.dropout > 0));
    const decoder = this.arch.decoder.slice(0, -1).map((l) => layer(l.name, l.outputs, false));
    const Z = this.arch.codeSize;
    const latent = (name: string) => arena.storage(name, B * Z * 4);
    const vae = this.arch.heads
      ? { mu: latent('μ'), logvar: latent('log σ²'), z: latent('z = μ + σ ε'), dz: latent('dz'), dmu: latent('dμ'), dlogvar: latent('d log σ²'), rowKl: arena.storage('KL per row', B * 4) }
      : undefined;
    const code = encoder[encoder.length - 1];
    this.batch = {
      step: arena.create('step', STEP_BYTES, UNIFORM),
      clean: arena.storage('x', B * D * 4),
      noisy: c.noise.type !== 'none' ? arena.storage('x_noisy', B * D * 4) : undefined,
      encoder,
      decoder,
      vae,
      hidden: vae ? vae.mu : code.out,
      dropped: vae ? undefined : code.dropped,
      logits: arena.storage('logits', B * D * 4),
      output: arena.storage('x_hat', B * D * 4),
      dLogits: arena.storage('dlogits', B * D * 4),
      dHidden: vae ? vae.dz : code.grad,
      rowLoss: arena.storage('row_loss', B * 4),
    };
    this.encoderPass = this.buildEncoder();
    this.latentPass = this.buildLatent();
    this.decoderPass = this.buildDecoder();
    this.forward = [...this.encoderPass, ...this.latentPass, ...this.decoderPass, this.lossPass()];
  }

  /** The encoder's input: x̃ when the input is corrupted, else x. */
  get input(): GPUBuffer {
    return this.batch.noisy ?? this.batch.clean;
  }

  /** The decoder's input: z for a VAE, else the code (after dropout). */
  get code(): GPUBuffer {
    return this.batch.vae?.z ?? this.batch.dropped ?? this.batch.hidden;
  }

  /** Input of encoder layer l (x̃ for l = 0, else the previous layer's output after dropout). */
  protected encoderInput(l: number): GPUBuffer {
    if (l === 0) return this.input;
    const prev = this.batch.encoder[l - 1];
    return prev.dropped ?? prev.out;
  }

  /** Input of decoder layer k. */
  protected decoderInput(k: number): GPUBuffer {
    return k === 0 ? this.code : this.batch.decoder[k - 1].out;
  }

  protected w(name: string): Resource {
    return this.model.layout.slice(this.model.params, name);
  }

  /** The gather dispatch for `data` with permutation `indices`; built once per pair. */
  gather(data: GpuDataset, indices: GPUBuffer, key: string): Dispatch {
    let d = this.gathers.get(key);
    if (!d) {
      const c = this.model.config;
      d = gatherDispatch(this.ctx, {
        dataset: data,
        indices,
        step: this.batch.step,
        batchSize: this.rows,
        clean: this.batch.clean,
        noisy: this.batch.noisy,
        noise: c.noise,
        center: data.center,
        label: `gather ${key}`,
      });
      this.gathers.set(key, d);
    }
    return d;
  }

  /** out = act(in·Wᵀ + b) for a layer (W read transposed for a tied decoder layer). */
  private dense(layer: DenseLayer, input: GPUBuffer, out: GPUBuffer, activation: Activation, label: string): Dispatch {
    return matmulDispatch(this.ctx, {
      form: layer.transposed ? 'nn' : 'nt',
      M: this.rows,
      N: layer.outputs,
      K: layer.inputs,
      a: input,
      b: this.w(layer.weight),
      c: out,
      bias: this.w(layer.bias),
      activation,
      label,
    });
  }

  private buildEncoder(): Dispatch[] {
    const c = this.model.config;
    const b = this.batch;
    const out: Dispatch[] = [];
    this.arch.encoder.forEach((layer, l) => {
      const buf = b.encoder[l];
      out.push(this.dense(layer, this.encoderInput(l), buf.out, layer.activation, `${layer.name}: h = g(h_in·Wᵀ + b)`));
      if (buf.dropped) {
        out.push(dropoutForwardDispatch(this.ctx, { input: buf.out, output: buf.dropped, step: b.step, rows: this.rows, units: layer.outputs, rate: c.dropout, layer: l, label: `${layer.name} dropout` }));
      }
    });
    const heads = this.arch.heads;
    if (heads && b.vae) out.push(this.dense(heads.mu, this.encoderInput(this.arch.encoder.length), b.vae.mu, 'linear', 'μ = h·W_μᵀ + b_μ'));
    return out;
  }

  private buildLatent(): Dispatch[] {
    const heads = this.arch.heads;
    const vae = this.batch.vae;
    if (!heads || !vae) return [];
    const step = this.batch.step;
    const Z = this.arch.codeSize;
    return [
      this.dense(heads.logvar, this.encoderInput(this.arch.encoder.length), vae.logvar, 'linear', 'log σ² = h·W_sᵀ + b_s'),
      vaeSampleDispatch(this.ctx, { mu: vae.mu, logvar: vae.logvar, z: vae.z, rows: this.rows, latent: Z, step, label: 'z = μ + σ ε' }),
      vaeKlRowsDispatch(this.ctx, { mu: vae.mu, logvar: vae.logvar, rowKl: vae.rowKl, rows: this.rows, latent: Z, step, label: 'KL per row' }),
    ];
  }

  private buildDecoder(): Dispatch[] {
    const last = this.arch.decoder.length - 1;
    return this.arch.decoder.map((layer, k) =>
      k === last
        ? this.dense(layer, this.decoderInput(k), this.batch.logits, 'linear', `${layer.name}: logits = y·W*ᵀ + c`)
        : this.dense(layer, this.decoderInput(k), this.batch.decoder[k].out, layer.activation, `${layer.name}: y = a(y_in·W*ᵀ + c)`),
    );
  }

  private lossPass(): Dispatch {
    const c = this.model.config;
    const b = this.batch;
    return lossDispatch(this.ctx, {
      logits: b.logits,
      target: b.clean,
      grad: b.dLogits,
      rowLoss: b.rowLoss,
      step: b.step,
      rows: this.rows,
      features: c.inputSize,
      loss: c.loss,
      outputActivation: c.decoderActivation,
    });
  }

  /** x̂ = f(z), for reconstructions (not part of a training step). */
  outputActivation(): Dispatch {
    const c = this.model.config;
    return activationForwardDispatch(this.ctx, {
      input: this.batch.logits,
      output: this.batch.output,
      count: this.rows * c.inputSize,
      activation: c.decoderActivation,
      label: 'x̂ = f(z)',
    });
  }

  /** Adds this batch's mean reconstruction loss into `log` at the step's slot. */
  logReconstruction(log: GPUBuffer): Dispatch {
    return lossLogDispatch(this.ctx, {
      values: this.batch.rowLoss,
      count: this.rows,
      log,
      step: this.batch.step,
      component: LOSS_COMPONENT.reconstruction,
      perSample: true,
      label: 'log reconstruction loss',
    });
  }

  /** Adds a VAE batch's mean KL (unweighted) into `log`; none for other models. */
  logVaeKl(log: GPUBuffer): Dispatch[] {
    const vae = this.batch.vae;
    if (!vae) return [];
    return [lossLogDispatch(this.ctx, { values: vae.rowKl, count: this.rows, log, step: this.batch.step, component: LOSS_COMPONENT.vaeKl, perSample: true, label: 'log VAE KL' })];
  }
}

/** A step plan plus gradients, regularisers and the optimizer: one training step. */
export class TrainingPlan extends StepPlan {
  readonly grads: GPUBuffer;
  readonly optimizerState: GPUBuffer[];
  readonly backward: Dispatch[];
  /** Non-finite guard checks then the optimizer (which does nothing once the guard is set). */
  readonly update: Dispatch[];
  /** The non-finite guard: [step, code, kinds, 0] (src/kernels/finite.ts). */
  readonly guard: GPUBuffer;
  readonly regularisers: RegulariserBuffers;

  constructor(
    ctx: KernelContext,
    model: PlanModel,
    rows: number,
    arena: BufferArena,
    readonly optimizer: OptimizerConfig,
    readonly log: GPUBuffer,
  ) {
    super(ctx, model, rows, arena);
    const P = model.layout.totalFloats;
    this.grads = arena.storage('grads', P * 4);
    this.optimizerState = Array.from({ length: optimizerStateBuffers(optimizer) }, (_, i) => arena.storage(`optimizer_state_${i}`, P * 4));
    const codeLayer = this.arch.encoder[this.arch.encoder.length - 1];
    const reg = this.arch.heads
      ? { onHidden: [], onEncoderGrads: [], buffers: {} }
      : regulariserDispatches(ctx, arena, {
          config: model.config,
          rows,
          step: this.batch.step,
          log,
          input: this.input,
          hidden: this.batch.hidden,
          dHidden: this.batch.dHidden,
          weight: this.w(codeLayer.weight),
          dWeight: this.g(codeLayer.weight),
          dBias: this.g(codeLayer.bias),
        });
    this.regularisers = reg.buffers;
    this.backward = this.buildBackward(reg.onHidden, reg.onEncoderGrads);
    this.guard = arena.storage('non-finite guard', GUARD_CLEAR);
    this.update = [
      ...finiteGuardDispatches(ctx, { layout: model.layout, grads: this.grads, log, step: this.batch.step, guard: this.guard }),
      optimizerDispatch(ctx, { config: optimizer, params: model.params, grads: this.grads, state: this.optimizerState, count: P, step: this.batch.step, guard: this.guard, label: `optimizer ${optimizer.type}` }),
    ];
  }

  private g(name: string): Resource {
    return this.model.layout.slice(this.grads, name);
  }

  /**
   * Back through one layer from dPre = ∂L/∂(pre-activation) [B, out]:
   *   dW (+)= dPreᵀ·in ('tn'; a tied decoder writes its mirror's dW as inᵀ·dPre),
   *   db = Σ_r dPre, and, when `dIn` is given, dIn (+)= dPre·W.
   */
  private denseBackward(layer: DenseLayer, input: GPUBuffer, dPre: GPUBuffer, dIn: GPUBuffer | undefined, o: { accumulateWeight?: boolean; accumulateInput?: boolean } = {}): Dispatch[] {
    const B = this.rows;
    const { inputs: n, outputs: m } = layer;
    const out: Dispatch[] = [];
    out.push(
      layer.transposed
        ? matmulDispatch(this.ctx, { form: 'tn', M: n, N: m, K: B, a: input, b: dPre, c: this.g(layer.weight), accumulate: o.accumulateWeight, label: `d${layer.weight} (tied, ${layer.name} term) = inᵀ·dPre` })
        : matmulDispatch(this.ctx, { form: 'tn', M: m, N: n, K: B, a: dPre, b: input, c: this.g(layer.weight), accumulate: o.accumulateWeight, label: `d${layer.weight} ${o.accumulateWeight ? '+' : ''}= dPreᵀ·in` }),
    );
    out.push(columnSumDispatch(this.ctx, { input: dPre, output: this.g(layer.bias), rows: B, cols: m, label: `d${layer.bias} = Σ_r dPre` }));
    if (dIn) {
      out.push(
        layer.transposed
          ? matmulDispatch(this.ctx, { form: 'nt', M: B, N: n, K: m, a: dPre, b: this.w(layer.weight), c: dIn, accumulate: o.accumulateInput, label: `${layer.name}: dIn = dPre·W*` })
          : matmulDispatch(this.ctx, { form: 'nn', M: B, N: n, K: m, a: dPre, b: this.w(layer.weight), c: dIn, accumulate: o.accumulateInput, label: `${layer.name}: dIn = dPre·W` }),
      );
    }
    return out;
  }

  private activationBackward(grad: GPUBuffer, output: GPUBuffer, count: number, activation: Activation, label: string): Dispatch[] {
    if (activation === 'linear') return [];
    return [activationBackwardDispatch(this.ctx, { grad, output, count, activation, label })];
  }

  private buildBackward(onHidden: Dispatch[], onEncoderGrads: Dispatch[]): Dispatch[] {
    const c = this.model.config;
    const B = this.rows;
    const b = this.batch;
    const arch = this.arch;
    const out: Dispatch[] = [this.logReconstruction(this.log), ...this.logVaeKl(this.log)];

    // Decoder, last layer first: dPre of the last layer is dL/dlogits.
    const lastDec = arch.decoder.length - 1;
    for (let k = lastDec; k >= 0; k--) {
      const layer = arch.decoder[k];
      let dPre = b.dLogits;
      if (k < lastDec) {
        dPre = b.decoder[k].grad;
        out.push(...this.activationBackward(dPre, b.decoder[k].out, B * layer.outputs, layer.activation, `${layer.name}: dPre = dy ⊙ a'(y)`));
      }
      const dIn = k > 0 ? b.decoder[k - 1].grad : b.dHidden;
      out.push(...this.denseBackward(layer, this.decoderInput(k), dPre, dIn));
    }

    // VAE: through the reparameterisation and the KL, then the heads.
    const Lenc = arch.encoder.length;
    if (arch.heads && b.vae) {
      const v = b.vae;
      const vc = c.variational as { beta: number; warmupSteps: number };
      out.push(vaeBackwardDispatch(this.ctx, { mu: v.mu, logvar: v.logvar, dz: v.dz, dmu: v.dmu, dlogvar: v.dlogvar, rows: B, latent: arch.codeSize, step: b.step, beta: vc.beta, warmupSteps: vc.warmupSteps, label: 'dμ, d log σ²' }));
      const hin = this.encoderInput(Lenc);
      const dIn = Lenc > 0 ? b.encoder[Lenc - 1].grad : undefined;
      out.push(...this.denseBackward(arch.heads.mu, hin, v.dmu, dIn));
      out.push(...this.denseBackward(arch.heads.logvar, hin, v.dlogvar, dIn, { accumulateInput: true }));
    }

    // Encoder, code layer first; grad holds ∂L/∂h̃_l on entry.
    for (let l = Lenc - 1; l >= 0; l--) {
      const layer = arch.encoder[l];
      const buf = b.encoder[l];
      const units = layer.outputs;
      if (buf.dropped) out.push(dropoutBackwardDispatch(this.ctx, { grad: buf.grad, step: b.step, rows: B, units, rate: c.dropout, layer: l, label: `${layer.name} dropout backward` }));
      if (l === Lenc - 1) out.push(...onHidden); // sparsity terms into dh of the code
      out.push(...this.activationBackward(buf.grad, buf.out, B * units, layer.activation, `${layer.name}: da = dh ⊙ g'(h)`));
      out.push(...this.denseBackward(layer, this.encoderInput(l), buf.grad, l > 0 ? b.encoder[l - 1].grad : undefined, { accumulateWeight: c.tiedWeights }));
      if (l === 0) out.push(...onEncoderGrads); // contractive terms into dW, db
    }

    if (c.weightDecay > 0) {
      for (const t of this.model.layout.tensors.filter((x) => x.kind === 'weight')) {
        out.push(
          weightDecayDispatch(this.ctx, {
            weights: this.w(t.name),
            grads: this.g(t.name),
            count: t.size,
            lambda: c.weightDecay,
            log: this.log,
            step: b.step,
            label: `weight decay ${t.name}`,
          }),
        );
      }
    }
    return out;
  }
}
