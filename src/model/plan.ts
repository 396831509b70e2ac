// The static forward plan of one batch of B rows: every buffer, pipeline and
// bind group is built here once; a batch then only writes the Step uniform and
// records these dispatches in order. The training plan (src/train/training-plan.ts)
// extends it with the backward pass and the update.
//
// Forward          x̃ ← gather(data, perm) (+ noise)            [B, D]
//                  h  = g(x̃·Wᵀ + b)        matmul 'nt' + epilogue [B, H]
//                  h̃  = dropout(h)                               [B, H]
//                  z  = h̃·W*ᵀ + c          'nt' ('nn' with W when tied); in training its
//                                          epilogue also gives ℓ per element and dz
//                  z_c = code·W_cᵀ + b_c   a classifier's head (the code after dropout; μ for a VAE),
//                                          on (code − mean)/√(var + ε) with classifier.standardiseCodes
//                  the objective's forward terms (src/model/objective.ts): the loss
//                  ℓ per row (inference; in training the decoder's epilogue did it,
//                  and the training plan logs its sum in the backward pass), a VAE's
//                  KL, a classifier's softmax cross-entropy, each reduced into the loss log
// A classifier without a reconstruction weight skips the decoder (and a VAE's
// sampling) in training; inference plans always run it (evaluate reports it).
import { BufferArena, UNIFORM } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import type { Dispatch, Resource } from '../gpu/kernel';
import { STEP_BYTES } from '../gpu/step';
import { matmulDispatch, type MatmulLoss } from '../kernels/matmul';
import { activationForwardDispatch } from '../kernels/activation';
import { gatherDispatch } from '../kernels/gather';
import { dropoutForwardDispatch } from '../kernels/dropout';
import type { GpuDataset } from '../data/dataset';
import type { ResolvedConfig } from './config';
import type { ParameterLayout } from './layout';
import { architecture, type Architecture, type DenseLayer } from './architecture';
import { vaeSampleDispatch } from '../kernels/vae';
import type { Activation } from '../kernels/activations';
import { objectiveTerms, termLogger, LOSS_COMPONENT, type ClassifierBuffers, type TermContext, type TermDispatches, type TermName } from './objective';
import { CODE_NORM_EPS, reconstructionWeight, trainsDecoder } from './config';
import { standardiseDispatch } from '../kernels/standardise';

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

/** The VAE's latent tensors [B, Z]. */
export interface VaeBuffers {
  mu: GPUBuffer;
  logvar: GPUBuffer;
  z: GPUBuffer;
  dz: GPUBuffer;
  dmu: GPUBuffer;
  dlogvar: GPUBuffer;
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
  /** ℓ of each element [B, D]: in a training plan whose decoder trains, written by its last matmul's loss epilogue. */
  elementLoss?: GPUBuffer;
  /** A classifier's head: logits [B, C], their gradient, the batch's labels [B] (f32), per-row loss and correctness. */
  classifier?: ClassifierBuffers;
}

/** Where a plan's objective terms log their values, and (training) the gradient buffer. */
export interface PlanTargets {
  /** The loss log (LOSS_LOG_STRIDE floats per slot). */
  log: GPUBuffer;
  /** A training plan's flat gradient buffer (the parameters' layout); none for inference. */
  grads?: GPUBuffer;
  /** A training plan's non-finite guard (src/kernels/finite.ts): the terms' loss-log writes check what they leave there. */
  guard?: GPUBuffer;
}

export class StepPlan {
  readonly batch: BatchBuffers;
  readonly rows: number;
  readonly arch: Architecture;
  protected readonly ctx: KernelContext;
  private readonly gathers = new Map<string, Dispatch>();
  /** The encoder, up to the code h (μ for a VAE). */
  readonly encoderPass: Dispatch[];
  /** A VAE's log σ² head and z = μ + σ ε (empty otherwise): not needed for the codes μ. */
  readonly latentPass: Dispatch[];
  /** The decoder from `decoderInput` to the logits. */
  readonly decoderPass: Dispatch[];
  /** A classifier's head: its logits from the code (empty for an autoencoder). */
  readonly headPass: Dispatch[];
  /** Encoder, decoder (unless a classifier's training skips it), head and the objective's forward terms: everything after the gather (up to dL/dlogits when training). */
  readonly forward: Dispatch[];
  readonly log: GPUBuffer;
  /** A training plan's gradient buffer. */
  protected readonly gradients?: GPUBuffer;
  /** A training plan's non-finite guard. */
  protected readonly guardBuffer?: GPUBuffer;
  /** What each objective term of the model added to the plan, by term name. */
  readonly terms: ReadonlyMap<TermName, TermDispatches>;

  constructor(
    ctx: KernelContext,
    readonly model: PlanModel,
    rows: number,
    readonly arena: BufferArena,
    targets: PlanTargets,
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
      ? { mu: latent('μ'), logvar: latent('log σ²'), z: latent('z = μ + σ ε'), dz: latent('dz'), dmu: latent('dμ'), dlogvar: latent('d log σ²') }
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
      elementLoss: targets.grads !== undefined && trainsDecoder(c) ? arena.storage('element loss', B * D * 4) : undefined,
    };
    const C = c.classifier?.classes;
    if (C !== undefined) {
      this.batch.classifier = {
        standardised: this.arch.codeNorm ? arena.storage('standardised code', B * Z * 4) : undefined,
        logits: arena.storage('classifier logits', B * C * 4),
        dLogits: arena.storage('classifier dlogits', B * C * 4),
        labels: arena.storage('batch labels', B * 4),
        rowLoss: arena.storage('classifier row loss', B * 4),
        correct: arena.storage('classifier row correct', B * 4),
      };
    }
    this.log = targets.log;
    this.gradients = targets.grads;
    this.guardBuffer = targets.guard;
    this.encoderPass = this.buildEncoder();
    this.latentPass = this.buildLatent();
    this.decoderPass = this.buildDecoder();
    this.headPass = this.buildHead();
    this.terms = this.buildTerms(targets.grads);
    const decoding = targets.grads === undefined || trainsDecoder(c) ? [...this.latentPass, ...this.decoderPass] : [];
    this.forward = [...this.encoderPass, ...decoding, ...this.headPass, ...[...this.terms.values()].flatMap((t) => t.forward ?? [])];
  }

  /** Each objective term of the model, built against this plan's tensors. */
  private buildTerms(grads: GPUBuffer | undefined): Map<TermName, TermDispatches> {
    const b = this.batch;
    const layout = this.model.layout;
    const out = new Map<TermName, TermDispatches>();
    for (const term of objectiveTerms(this.model.config)) {
      const name = term.name as TermName;
      const t: TermContext = {
        ctx: this.ctx,
        arena: this.arena,
        config: this.model.config,
        arch: this.arch,
        layout,
        rows: this.rows,
        step: b.step,
        training: grads !== undefined,
        clean: b.clean,
        input: this.input,
        code: b.hidden,
        logits: b.logits,
        dLogits: grads ? b.dLogits : undefined,
        dCode: grads ? b.dHidden : undefined,
        rowLoss: b.rowLoss,
        elementLoss: b.elementLoss,
        vae: b.vae,
        classifier: b.classifier,
        param: (p) => layout.slice(this.model.params, p),
        grad: (p) => {
          if (!grads) throw new Error(`objective term '${name}' asked for the gradient of ${p} in an inference plan`);
          return layout.slice(grads, p);
        },
        guard: this.guardBuffer,
        lossLog: this.log,
        component: LOSS_COMPONENT[name],
        ...termLogger(this.ctx, this.log, b.step, name, this.guardBuffer),
      };
      out.set(name, term.build(t));
    }
    return out;
  }

  /** The dispatches every term adds at one hook of the backward pass, in objective order. */
  protected hook(which: 'onCode' | 'onEncoderGrads' | 'onGradients'): Dispatch[] {
    return [...this.terms.values()].flatMap((t) => t[which] ?? []);
  }

  /** The encoder's input: x̃ when the input is corrupted, else x. */
  get input(): GPUBuffer {
    return this.batch.noisy ?? this.batch.clean;
  }

  /** The decoder's input: z for a VAE, else the code (after dropout). */
  get code(): GPUBuffer {
    return this.batch.vae?.z ?? this.batch.dropped ?? this.batch.hidden;
  }

  /** The code the head reads: μ for a VAE, else the code (after dropout, in training). */
  get classifierCode(): GPUBuffer {
    return this.batch.vae?.mu ?? this.batch.dropped ?? this.batch.hidden;
  }

  /** The head's input: the code, or its standardised copy (classifier.standardiseCodes). */
  get classifierInput(): GPUBuffer {
    return this.batch.classifier?.standardised ?? this.classifierCode;
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

  /**
   * A classifier's labels for the batch, gathered from `labels` (the dataset's
   * labels as a one-feature f32 dataset, model.labelData) by the same permutation
   * as the samples; built once per key. None for an autoencoder.
   */
  gatherLabels(labels: GpuDataset, indices: GPUBuffer, key: string): Dispatch[] {
    const k = this.batch.classifier;
    if (!k) return [];
    const name = `labels ${key}`;
    let d = this.gathers.get(name);
    if (!d) {
      d = gatherDispatch(this.ctx, { dataset: labels, indices, step: this.batch.step, batchSize: this.rows, clean: k.labels, noise: { type: 'none' }, label: `gather ${name}` });
      this.gathers.set(name, d);
    }
    return [d];
  }

  /** out = act(in·Wᵀ + b) for a layer (W read transposed for a tied decoder layer). */
  private dense(layer: DenseLayer, input: GPUBuffer, out: GPUBuffer, activation: Activation, label: string, loss?: MatmulLoss): Dispatch {
    return matmulDispatch(this.ctx, {
      loss,
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
    ];
  }

  private buildHead(): Dispatch[] {
    const head = this.arch.classifier;
    const k = this.batch.classifier;
    if (!head || !k) return [];
    const norm = this.arch.codeNorm; // with it the plan allocated k.standardised
    const standardise = norm
      ? [standardiseDispatch(this.ctx, { input: this.classifierCode, mean: this.w(norm.mean), variance: this.w(norm.variance), output: k.standardised!, rows: this.rows, cols: norm.size, eps: CODE_NORM_EPS, label: 'classifier: code ← (code − mean)/√(var + ε)' })]
      : [];
    return [...standardise, this.dense(head, this.classifierInput, k.logits, 'linear', 'classifier: z_c = code·W_cᵀ + b_c')];
  }

  /**
   * The decoder up to the logits. In training, its last matmul's epilogue also
   * computes the reconstruction loss of each element and dz (the loss kernel's
   * work, in the same dispatch); the objective's term then only logs the sum.
   */
  private buildDecoder(): Dispatch[] {
    const last = this.arch.decoder.length - 1;
    const b = this.batch;
    const c = this.model.config;
    const loss: MatmulLoss | undefined = b.elementLoss && { target: b.clean, grad: b.dLogits, elementLoss: b.elementLoss, step: b.step, kind: c.loss, outputActivation: c.decoderActivation, gradScale: reconstructionWeight(c) };
    return this.arch.decoder.map((layer, k) =>
      k === last
        ? this.dense(layer, this.decoderInput(k), b.logits, 'linear', `${layer.name}: logits = y·W*ᵀ + c${loss ? ', and each element’s loss and dz' : ''}`, loss)
        : this.dense(layer, this.decoderInput(k), this.batch.decoder[k].out, layer.activation, `${layer.name}: y = a(y_in·W*ᵀ + c)`),
    );
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
}
