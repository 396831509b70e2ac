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
import { dropoutBackwardDispatch, dropoutForwardDispatch } from '../kernels/dropout';
import type { GpuDataset } from '../data/dataset';
import type { ResolvedConfig } from './config';
import type { ParameterLayout } from './layout';
import { regulariserDispatches, type RegulariserBuffers } from './regularisers';

/** What the plan needs from the model. */
export interface PlanModel {
  readonly config: ResolvedConfig;
  readonly layout: ParameterLayout;
  readonly params: GPUBuffer;
}

/** The activations and scratch tensors of one batch. */
export interface BatchBuffers {
  step: GPUBuffer;
  clean: GPUBuffer; // x  [B, D]
  noisy?: GPUBuffer; // x̃  [B, D], when the model corrupts its input
  hidden: GPUBuffer; // h  [B, H]
  dropped?: GPUBuffer; // h̃  [B, H], with dropout
  logits: GPUBuffer; // z  [B, D]
  output: GPUBuffer; // x̂ = f(z) [B, D], for reconstructions
  dLogits: GPUBuffer; // dz [B, D]
  dHidden: GPUBuffer; // dh, then da [B, H]
  rowLoss: GPUBuffer; // [B]
}

export class StepPlan {
  readonly batch: BatchBuffers;
  readonly rows: number;
  private readonly ctx: KernelContext;
  private readonly gathers = new Map<string, Dispatch>();
  /** Encoder, dropout, decoder and loss: everything after the gather up to dz. */
  readonly forward: Dispatch[];

  constructor(
    ctx: KernelContext,
    readonly model: PlanModel,
    rows: number,
    readonly arena: BufferArena,
  ) {
    this.ctx = ctx;
    this.rows = rows;
    const { inputSize: D, hiddenSize: H } = model.config;
    const c = model.config;
    const B = rows;
    this.batch = {
      step: arena.create('step', STEP_BYTES, UNIFORM),
      clean: arena.storage('x', B * D * 4),
      noisy: c.noise.type !== 'none' ? arena.storage('x_noisy', B * D * 4) : undefined,
      hidden: arena.storage('h', B * H * 4),
      dropped: c.dropout > 0 ? arena.storage('h_dropout', B * H * 4) : undefined,
      logits: arena.storage('z', B * D * 4),
      output: arena.storage('x_hat', B * D * 4),
      dLogits: arena.storage('dz', B * D * 4),
      dHidden: arena.storage('dh', B * H * 4),
      rowLoss: arena.storage('row_loss', B * 4),
    };
    this.forward = this.buildForward();
  }

  /** The encoder's input: x̃ when the input is corrupted, else x. */
  get input(): GPUBuffer {
    return this.batch.noisy ?? this.batch.clean;
  }

  /** The decoder's input: h̃ with dropout, else h. */
  get code(): GPUBuffer {
    return this.batch.dropped ?? this.batch.hidden;
  }

  /**
   * The encoder alone (x → codes, no decoder): a prefix of `forward`, used to
   * encode without paying for the decoder. Keep in step with buildForward().
   */
  get encoderForward(): Dispatch[] {
    return this.forward.slice(0, 1);
  }

  /** Where the encoder writes the codes, [rows, codeSize]; the input of the decoder before dropout. */
  get codes(): GPUBuffer {
    return this.batch.hidden;
  }

  get codeSize(): number {
    return this.model.config.hiddenSize;
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
        label: `gather ${key}`,
      });
      this.gathers.set(key, d);
    }
    return d;
  }

  private buildForward(): Dispatch[] {
    const c = this.model.config;
    const { inputSize: D, hiddenSize: H } = c;
    const B = this.rows;
    const b = this.batch;
    const ctx = this.ctx;
    const out: Dispatch[] = [];
    out.push(
      matmulDispatch(ctx, {
        form: 'nt',
        M: B,
        N: H,
        K: D,
        a: this.input,
        b: this.w('encoder.0.weight'),
        c: b.hidden,
        bias: this.w('encoder.0.bias'),
        activation: c.encoderActivation,
        label: 'encoder: h = g(x·Wᵀ + b)',
      }),
    );
    if (b.dropped) {
      out.push(dropoutForwardDispatch(ctx, { input: b.hidden, output: b.dropped, step: b.step, rows: B, units: H, rate: c.dropout, layer: 0 }));
    }
    out.push(
      c.tiedWeights
        ? matmulDispatch(ctx, { form: 'nn', M: B, N: D, K: H, a: this.code, b: this.w('encoder.0.weight'), c: b.logits, bias: this.w('decoder.0.bias'), label: 'decoder (tied): z = h·W + c' })
        : matmulDispatch(ctx, { form: 'nt', M: B, N: D, K: H, a: this.code, b: this.w('decoder.0.weight'), c: b.logits, bias: this.w('decoder.0.bias'), label: 'decoder: z = h·W*ᵀ + c' }),
    );
    out.push(
      lossDispatch(ctx, {
        logits: b.logits,
        target: b.clean,
        grad: b.dLogits,
        rowLoss: b.rowLoss,
        step: b.step,
        rows: B,
        features: D,
        loss: c.loss,
        outputActivation: c.decoderActivation,
      }),
    );
    return out;
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
}

/** A step plan plus gradients, regularisers and the optimizer: one training step. */
export class TrainingPlan extends StepPlan {
  readonly grads: GPUBuffer;
  readonly optimizerState: GPUBuffer[];
  readonly backward: Dispatch[];
  readonly update: Dispatch[];
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
    const reg = regulariserDispatches(ctx, arena, {
      config: model.config,
      rows,
      step: this.batch.step,
      log,
      input: this.input,
      hidden: this.batch.hidden,
      dHidden: this.batch.dHidden,
      weight: this.w('encoder.0.weight'),
      dWeight: this.g('encoder.0.weight'),
      dBias: this.g('encoder.0.bias'),
    });
    this.regularisers = reg.buffers;
    this.backward = this.buildBackward(ctx, reg.onHidden, reg.onEncoderGrads);
    this.update = [
      optimizerDispatch(ctx, { config: optimizer, params: model.params, grads: this.grads, state: this.optimizerState, count: P, step: this.batch.step, label: `optimizer ${optimizer.type}` }),
    ];
  }

  private g(name: string): Resource {
    return this.model.layout.slice(this.grads, name);
  }

  private buildBackward(ctx: KernelContext, onHidden: Dispatch[], onEncoderGrads: Dispatch[]): Dispatch[] {
    const c = this.model.config;
    const { inputSize: D, hiddenSize: H } = c;
    const B = this.rows;
    const b = this.batch;
    const W = this.w('encoder.0.weight');
    const out: Dispatch[] = [this.logReconstruction(this.log)];

    // Decoder: dW* = dzᵀ·h̃ (tied: written into dW as h̃ᵀ·dz, the encoder term accumulates later); dc = Σ_r dz.
    out.push(
      c.tiedWeights
        ? matmulDispatch(ctx, { form: 'tn', M: H, N: D, K: B, a: this.code, b: b.dLogits, c: this.g('encoder.0.weight'), label: 'dW (tied, decoder term) = h̃ᵀ·dz' })
        : matmulDispatch(ctx, { form: 'tn', M: D, N: H, K: B, a: b.dLogits, b: this.code, c: this.g('decoder.0.weight'), label: 'dW* = dzᵀ·h̃' }),
    );
    out.push(columnSumDispatch(ctx, { input: b.dLogits, output: this.g('decoder.0.bias'), rows: B, cols: D, label: 'dc = Σ_r dz' }));

    // dh̃ = dz·W* (tied: dz·W where W* = Wᵀ).
    out.push(
      c.tiedWeights
        ? matmulDispatch(ctx, { form: 'nt', M: B, N: H, K: D, a: b.dLogits, b: W, c: b.dHidden, label: 'dh (tied) = dz·Wᵀ' })
        : matmulDispatch(ctx, { form: 'nn', M: B, N: H, K: D, a: b.dLogits, b: this.w('decoder.0.weight'), c: b.dHidden, label: 'dh = dz·W*' }),
    );
    if (b.dropped) {
      out.push(dropoutBackwardDispatch(ctx, { grad: b.dHidden, step: b.step, rows: B, units: H, rate: c.dropout, layer: 0 }));
    }
    out.push(...onHidden); // sparsity terms into dh
    out.push(activationBackwardDispatch(ctx, { grad: b.dHidden, output: b.hidden, count: B * H, activation: c.encoderActivation, label: "da = dh ⊙ g'(h)" }));

    // Encoder: dW (+)= daᵀ·x̃; db = Σ_r da.
    out.push(
      matmulDispatch(ctx, {
        form: 'tn',
        M: H,
        N: D,
        K: B,
        a: b.dHidden,
        b: this.input,
        c: this.g('encoder.0.weight'),
        accumulate: c.tiedWeights,
        label: c.tiedWeights ? 'dW += daᵀ·x̃' : 'dW = daᵀ·x̃',
      }),
    );
    out.push(columnSumDispatch(ctx, { input: b.dHidden, output: this.g('encoder.0.bias'), rows: B, cols: H, label: 'db = Σ_r da' }));
    out.push(...onEncoderGrads); // contractive terms into dW, db

    if (c.weightDecay > 0) {
      for (const t of this.model.layout.tensors.filter((x) => x.kind === 'weight')) {
        out.push(
          weightDecayDispatch(ctx, {
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
