// The static plan of one training step: the forward plan (src/model/plan.ts) with
// gradients, the objective's training hooks (src/model/objective.ts) and the update.
//
// Backward         dW* = dzᵀ·h̃ ('tn', with dc = Σ_r dz summed in the same dispatch, and
//                  the reconstruction loss's log riding in one extra workgroup)
//                  dh̃ = dz·W* ('nn'; 'nt' when tied); dh = dropout'(dh̃)
//                  dh += the terms' onCode hooks (sparsity);  da = dh ⊙ g'(h)
//                  dW (+)= daᵀ·x̃ ('tn', with db = Σ_r da)
//                  the terms' onEncoderGrads (contractive) and onGradients (weight decay)
// Classifier       dW_c = dz_cᵀ·code ('tn'); db_c = Σ_r dz_c; d code (+)= dz_c·W_c ('nn'),
//                  into ∂L/∂h̃ of the code (into dμ for a VAE) after the decoder's share;
//                  without a reconstruction weight the decoder's backward is skipped,
//                  with freezeEncoder the encoder's (its gradients stay zero: no update)
// Guard            the kernel that writes a gradient or a loss-log value last checks it (src/kernels/finite.ts
//                  has the codes): the weight-gradient matmuls ('tn' with their bias sums), the tied
//                  decoder's bias column sums, the contractive hook's last writes, every loss-log write
//                  and weight decay. A tied decoder's dW (inᵀ·dPre) is not checked itself: the
//                  encoder's guarded dW adds to it after (a non-finite value stays non-finite), and
//                  the config refuses a frozen encoder with a trained tied decoder
// Update           one optimizer dispatch over the flat parameter buffer, skipped once the guard is set
import type { BufferArena, BufferSlice } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import type { Dispatch } from '../gpu/kernel';
import { matmulDispatch } from '../kernels/matmul';
import { activationBackwardDispatch } from '../kernels/activation';
import { columnSumDispatch, type LossLogArgs } from '../kernels/reduce';
import { optimizerDispatch, optimizerStateBuffers, type OptimizerConfig } from '../kernels/optimizer';
import { gradientGuardCode, GUARD_CLEAR } from '../kernels/finite';
import { dropoutBackwardDispatch } from '../kernels/dropout';
import { vaeBackwardDispatch } from '../kernels/vae';
import type { Activation } from '../kernels/activations';
import type { DenseLayer } from '../model/architecture';
import { StepPlan, type PlanModel } from '../model/plan';
import { reconstructionWeight, trainsDecoder } from '../model/config';

export class TrainingPlan extends StepPlan {
  readonly optimizerState: GPUBuffer[];
  readonly backward: Dispatch[];
  /** The optimizer, which does nothing once the guard is set. */
  readonly update: Dispatch[];
  /** The non-finite guard: [step, code, kinds, 0] (src/kernels/finite.ts). */
  readonly guard: GPUBuffer;
  /** While the backward pass is built: the terms' backwardLog sums no weight-gradient matmul carries yet. */
  private uncarriedLogs: LossLogArgs[] = [];

  constructor(
    ctx: KernelContext,
    model: PlanModel,
    rows: number,
    arena: BufferArena,
    readonly optimizer: OptimizerConfig,
    log: GPUBuffer,
  ) {
    const guard = arena.storage('non-finite guard', GUARD_CLEAR);
    super(ctx, model, rows, arena, { log, grads: arena.storage('grads', model.layout.totalFloats * 4), guard });
    this.guard = guard;
    const P = model.layout.totalFloats;
    this.optimizerState = Array.from({ length: optimizerStateBuffers(optimizer) }, (_, i) => arena.storage(`optimizer_state_${i}`, P * 4));
    this.backward = this.buildBackward();
    this.update = [
      optimizerDispatch(ctx, { config: optimizer, params: model.params, grads: this.grads, state: this.optimizerState, count: P, step: this.batch.step, guard, label: `optimizer ${optimizer.type}` }),
    ];
  }

  /** The flat gradient buffer (the parameters' layout). */
  get grads(): GPUBuffer {
    return this.gradients!;
  }

  private g(name: string): BufferSlice {
    return this.model.layout.slice(this.grads, name);
  }

  /**
   * Back through one layer from dPre = ∂L/∂(pre-activation) [B, out]:
   *   dW (+)= dPreᵀ·in ('tn'; a tied decoder writes its mirror's dW as inᵀ·dPre),
   *   db = Σ_r dPre (summed inside the 'tn' product, whose A is dPre; a separate
   *   column sum for the tied decoder, where dPre is B), and, when `dIn` is given,
   *   dIn (+)= dPre·W — times g'(y) of the layer below when `o.gate` fuses its
   *   activation's backward in (dIn is then that layer's dPre).
   */
  private denseBackward(
    layer: DenseLayer,
    input: GPUBuffer,
    dPre: GPUBuffer,
    dIn: GPUBuffer | undefined,
    o: { accumulateWeight?: boolean; accumulateInput?: boolean; gate?: { output: GPUBuffer; activation: Activation } } = {},
  ): Dispatch[] {
    const B = this.rows;
    const { inputs: n, outputs: m } = layer;
    const out: Dispatch[] = [];
    if (layer.transposed) {
      out.push(matmulDispatch(this.ctx, { form: 'tn', M: n, N: m, K: B, a: input, b: dPre, c: this.g(layer.weight), accumulate: o.accumulateWeight, label: `d${layer.weight} (tied, ${layer.name} term) = inᵀ·dPre` }));
      const guard = { guard: this.guard, step: this.batch.step, code: gradientGuardCode(this.model.layout, layer.bias) };
      out.push(columnSumDispatch(this.ctx, { input: dPre, output: this.g(layer.bias), rows: B, cols: m, guard, label: `d${layer.bias} = Σ_r dPre` }));
    } else {
      const layout = this.model.layout;
      const guard = { guard: this.guard, step: this.batch.step, cCode: gradientGuardCode(layout, layer.weight), sumsCode: gradientGuardCode(layout, layer.bias) };
      const ridingLog = this.uncarriedLogs.shift();
      const label = `d${layer.weight} ${o.accumulateWeight ? '+' : ''}= dPreᵀ·in, d${layer.bias} = Σ_r dPre${ridingLog ? `; ${ridingLog.label}` : ''}`;
      out.push(matmulDispatch(this.ctx, { form: 'tn', M: m, N: n, K: B, a: dPre, b: input, c: this.g(layer.weight), rowSums: this.g(layer.bias), guard, ridingLog, accumulate: o.accumulateWeight, label }));
    }
    if (dIn) {
      const gated = o.gate ? ` ⊙ ${o.gate.activation}'` : '';
      out.push(
        layer.transposed
          ? matmulDispatch(this.ctx, { form: 'nt', M: B, N: n, K: m, a: dPre, b: this.w(layer.weight), c: dIn, accumulate: o.accumulateInput, gate: o.gate, label: `${layer.name}: dIn = dPre·W*${gated}` })
          : matmulDispatch(this.ctx, { form: 'nn', M: B, N: n, K: m, a: dPre, b: this.w(layer.weight), c: dIn, accumulate: o.accumulateInput, gate: o.gate, label: `${layer.name}: dIn = dPre·W${gated}` }),
      );
    }
    return out;
  }

  private activationBackward(grad: GPUBuffer, output: GPUBuffer, count: number, activation: Activation, label: string): Dispatch[] {
    if (activation === 'linear') return [];
    return [activationBackwardDispatch(this.ctx, { grad, output, count, activation, label })];
  }

  /**
   * The backward pass. The terms' backwardLog sums ride in its first untied
   * weight-gradient matmuls (MatmulArgs.ridingLog). Every training plan whose
   * decoder trains has one: the decoder's own dW, or a tied decoder's encoder dW
   * (the config refuses a frozen encoder with a trained tied decoder).
   */
  private buildBackward(): Dispatch[] {
    this.uncarriedLogs = [...this.terms.values()].flatMap((t) => (t.backwardLog ? [t.backwardLog] : []));
    const passes = this.backwardPasses();
    const left = this.uncarriedLogs.map((l) => l.label);
    this.uncarriedLogs = [];
    if (left.length > 0) throw new Error(`internal: no weight-gradient matmul of this plan carries ${left.join(', ')} (TermDispatches.backwardLog)`);
    return passes;
  }

  private backwardPasses(): Dispatch[] {
    const c = this.model.config;
    const B = this.rows;
    const b = this.batch;
    const arch = this.arch;
    const out: Dispatch[] = [];
    const decoder = trainsDecoder(c);
    const frozen = c.classifier?.freezeEncoder ?? false;
    const head = arch.classifier;
    const Lenc = arch.encoder.length;
    const onCode = this.hook('onCode');
    // g'(y) of a layer goes into the matmul that writes its output's gradient when
    // that matmul alone writes it and nothing is added to it before g' (no dropout,
    // no sparsity on the code, no classifier head or VAE heads adding their share).
    const gate = (output: GPUBuffer, activation: Activation) => (activation === 'linear' ? undefined : { output, activation });
    const encoderGate = (l: number) => {
      const fusable = !b.encoder[l].dropped && (l < Lenc - 1 || (decoder && !head && !arch.heads && onCode.length === 0));
      return fusable ? gate(b.encoder[l].out, arch.encoder[l].activation) : undefined;
    };
    const decoderGate = (k: number) => gate(b.decoder[k].out, arch.decoder[k].activation);

    // Decoder, last layer first: dPre of the last layer is dL/dlogits (written by the loss term).
    const lastDec = decoder ? arch.decoder.length - 1 : -1;
    for (let k = lastDec; k >= 0; k--) {
      const layer = arch.decoder[k];
      let dPre = b.dLogits;
      if (k < lastDec) dPre = b.decoder[k].grad; // g' already applied by the layer above's dIn
      // A frozen encoder needs no ∂L/∂code (a VAE's dz still feeds the heads' KL path, also frozen).
      const dIn = k > 0 ? b.decoder[k - 1].grad : frozen ? undefined : b.dHidden;
      const below = k > 0 ? decoderGate(k - 1) : dIn && Lenc > 0 ? encoderGate(Lenc - 1) : undefined;
      out.push(...this.denseBackward(layer, this.decoderInput(k), dPre, dIn, { gate: below }));
    }

    // VAE: through the reparameterisation and the KL (w·β_t·∂KL fused in) into dμ, d log σ².
    const v = b.vae;
    if (arch.heads && v && decoder && !frozen) {
      const vc = c.variational as { beta: number; warmupSteps: number };
      const beta = vc.beta * reconstructionWeight(c);
      out.push(vaeBackwardDispatch(this.ctx, { mu: v.mu, logvar: v.logvar, dz: v.dz, dmu: v.dmu, dlogvar: v.dlogvar, rows: B, latent: arch.codeSize, step: b.step, beta, warmupSteps: vc.warmupSteps, label: 'dμ, d log σ²' }));
    }

    // The classifier's head, into ∂L/∂h̃ of the code (dμ for a VAE), after the decoder's share.
    const k = b.classifier;
    if (head && k) {
      const dCode = frozen ? undefined : (v?.dmu ?? b.dHidden);
      out.push(...this.denseBackward(head, this.classifierInput, k.dLogits, dCode, { accumulateInput: decoder }));
    }
    if (frozen) {
      out.push(...this.hook('onGradients')); // weight decay of the trained tensors
      return out;
    }

    // The VAE's heads.
    if (arch.heads && v) {
      const hin = this.encoderInput(Lenc);
      const dIn = Lenc > 0 ? b.encoder[Lenc - 1].grad : undefined;
      out.push(...this.denseBackward(arch.heads.mu, hin, v.dmu, dIn));
      if (decoder) out.push(...this.denseBackward(arch.heads.logvar, hin, v.dlogvar, dIn, { accumulateInput: true }));
    }

    // Encoder, code layer first; grad holds ∂L/∂h̃_l on entry.
    for (let l = Lenc - 1; l >= 0; l--) {
      const layer = arch.encoder[l];
      const buf = b.encoder[l];
      const units = layer.outputs;
      if (buf.dropped) out.push(dropoutBackwardDispatch(this.ctx, { grad: buf.grad, step: b.step, rows: B, units, rate: c.dropout, layer: l, label: `${layer.name} dropout backward` }));
      if (l === Lenc - 1 && !arch.heads) out.push(...onCode); // e.g. sparsity, into dh of the code
      if (!encoderGate(l)) out.push(...this.activationBackward(buf.grad, buf.out, B * units, layer.activation, `${layer.name}: da = dh ⊙ g'(h)`));
      out.push(...this.denseBackward(layer, this.encoderInput(l), buf.grad, l > 0 ? b.encoder[l - 1].grad : undefined, { accumulateWeight: c.tiedWeights, gate: l > 0 ? encoderGate(l - 1) : undefined }));
      if (l === 0) out.push(...this.hook('onEncoderGrads')); // e.g. contractive, into dW, db
    }
    out.push(...this.hook('onGradients')); // e.g. weight decay
    return out;
  }
}
