// The objective: every term a model's loss can have, each defined once here.
//
//   L_t = Σ_terms weight_t(term) · term,   each term a mean per valid sample of the batch
//
// An entry says when the term is on, which loss-log slot it writes, how it is
// weighted at step t (only the VAE's KL changes with t: β warm-up), whether
// evaluate() reports it (the data terms, not the regularisers), and what it adds to
// a plan:
//   forward         after the decoder, in every plan (training and inference)
//   onCode          training: into ∂L/∂h of the code, before it goes through g'
//   onEncoderGrads  training: into the first encoder layer's dW, db
//   onGradients     training: after the whole backward pass, into any gradient
// The kernel of a training hook that writes a gradient last checks what it stores
// through t.guard (the plan runs no separate guard pass over the gradients).
// Each hook also logs the term's value into its slot with `t.log(…)`.
//
// Everything that lists the terms derives from OBJECTIVE: the loss-log slots, the
// LossComponents type, the trainer's step loss, evaluate(), the grad command's
// loss.* tensors and the float64 reference's total. A new regulariser is one entry
// here (plus its shader, kernel builder, kernel reference, config field and test).
import type { BufferArena, BufferSlice } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import type { Dispatch } from '../gpu/kernel';
import { lossForwardDispatch } from '../kernels/loss';
import { columnSumDispatch, lossLogDispatch, LOSS_LOG_STRIDE, type LossLogArgs } from '../kernels/reduce';
import { klColumnStatsDispatch, klGradDispatch, l1ActivityDispatch } from '../kernels/sparsity';
import { addScaledRowsDispatch, contractiveTermsDispatch, rowNormsSqDispatch } from '../kernels/contractive';
import { weightDecayDispatch } from '../kernels/weight-decay';
import { gradientGuardCode } from '../kernels/finite';
import { klWeight, vaeKlRowsDispatch } from '../kernels/vae';
import { matmulDispatch } from '../kernels/matmul';
import { softmaxCrossEntropyDispatch, softmaxCrossEntropyForwardDispatch } from '../kernels/softmax';
import { reconstructionWeight, trainsDecoder, type ResolvedConfig } from './config';
import { trainedTensors, type Architecture } from './architecture';
import type { ParameterLayout } from './layout';

/** What a term's hooks can see of the plan being built. */
export interface TermContext {
  ctx: KernelContext;
  arena: BufferArena;
  config: ResolvedConfig;
  arch: Architecture;
  layout: ParameterLayout;
  rows: number;
  /** The Step uniform. */
  step: GPUBuffer;
  /** A training plan (gradients exist) or an inference plan. */
  training: boolean;
  /** x [B, D], the encoder's input x̃ (x when clean), the code h [B, Z], the logits z [B, D]. */
  clean: GPUBuffer;
  input: GPUBuffer;
  code: GPUBuffer;
  logits: GPUBuffer;
  /** ∂L/∂logits [B, D] (training) and ∂L/∂h of the code [B, Z] (training, in place). */
  dLogits?: GPUBuffer;
  dCode?: GPUBuffer;
  /** Per-row reconstruction loss [B]. */
  rowLoss: GPUBuffer;
  /** Training: ℓ of each element [B, D], with dz, written by the decoder's last matmul (its loss epilogue). */
  elementLoss?: GPUBuffer;
  /** A VAE's μ, log σ² [B, Z]. */
  vae?: { mu: GPUBuffer; logvar: GPUBuffer };
  /** A classifier's tensors: the head's logits [B, C], ∂L/∂logits (training), the batch's labels [B], per-row loss and correctness [B]. */
  classifier?: ClassifierBuffers;
  /** A parameter tensor, and (training) its gradient. */
  param(name: string): BufferSlice;
  grad(name: string): BufferSlice;
  /** Training: the step's non-finite guard, for kernels that write gradients or the log themselves. */
  guard?: GPUBuffer;
  /** The loss log, and this term's component in each of its slots. */
  lossLog: GPUBuffer;
  component: number;
  /** log[slot of this term] += scale · (perSample ? 1/valid rows : 1) · Σ values. */
  log(values: GPUBuffer, count: number, o: TermLogOptions): Dispatch;
  /** The same sum as lossLogDispatch's arguments, for TermDispatches.backwardLog. */
  logArgs(values: GPUBuffer, count: number, o: TermLogOptions): LossLogArgs;
}

export interface TermLogOptions {
  scale?: number;
  perSample: boolean;
  label: string;
}

/** The batch tensors of a classifier's head (src/model/plan.ts allocates them). */
export interface ClassifierBuffers {
  /** The standardised codes the head reads, when the classifier standardises them (classifier.standardiseCodes). */
  standardised?: GPUBuffer;
  logits: GPUBuffer;
  dLogits: GPUBuffer;
  labels: GPUBuffer;
  rowLoss: GPUBuffer;
  correct: GPUBuffer;
}

/** The dispatches a term adds to a plan, and scratch buffers by name (for tests and metrics). */
export interface TermDispatches {
  forward?: Dispatch[];
  onCode?: Dispatch[];
  onEncoderGrads?: Dispatch[];
  onGradients?: Dispatch[];
  /**
   * Training: a loss-log sum whose values are ready before the backward pass (the
   * reconstruction term's per-element losses, from the decoder's loss epilogue). The
   * training plan carries it in a weight-gradient matmul (MatmulArgs.ridingLog: one
   * extra workgroup, no dispatch of its own).
   */
  backwardLog?: LossLogArgs;
  buffers?: Record<string, GPUBuffer>;
}

export interface ObjectiveTerm {
  readonly name: string;
  /** Whether this config's objective has the term. */
  enabled(c: ResolvedConfig): boolean;
  /** Reported by evaluate() on held-out data (a data term), not only logged in training. */
  readonly evaluated: boolean;
  /** Its weight in the objective at optimizer step t when the logged value is unweighted (default 1). */
  weight?(c: ResolvedConfig, step: number): number;
  build(t: TermContext): TermDispatches;
}

/**
 * Per-sample reconstruction loss, fused with the output activation (src/kernels/loss.ts).
 * A classifier weights it by its reconstructionWeight w (the gradient is scaled in
 * the loss kernel) and, with w = 0, does not run the decoder in training at all.
 */
const reconstruction: ObjectiveTerm = {
  name: 'reconstruction',
  evaluated: true,
  enabled: () => true,
  weight: (c) => reconstructionWeight(c),
  build(t) {
    const c = t.config;
    if (t.training) {
      // The decoder's loss epilogue wrote ℓ per element and dz (weighted by w) in the logits' dispatch;
      // their sum rides in the backward pass.
      if (!trainsDecoder(c)) return {};
      return { backwardLog: t.logArgs(t.elementLoss!, t.rows * c.inputSize, { perSample: true, label: 'log reconstruction loss' }) };
    }
    const loss = lossForwardDispatch(t.ctx, { logits: t.logits, target: t.clean, rowLoss: t.rowLoss, step: t.step, rows: t.rows, features: c.inputSize, loss: c.loss, outputActivation: c.decoderActivation });
    return { forward: [loss, t.log(t.rowLoss, t.rows, { perSample: true, label: 'log reconstruction loss' })] };
  },
};

/** λ·Σ W² over every weight tensor (not biases): dW += 2λW. */
const weightDecay: ObjectiveTerm = {
  name: 'weightDecay',
  evaluated: false,
  enabled: (c) => c.weightDecay > 0,
  build(t) {
    if (!t.training) return {};
    // Only tensors the step trains: a frozen encoder or an unused decoder keeps its weights (and zero gradients).
    const trained = trainedTensors(t.arch, t.config);
    const weights = t.layout.tensors.filter((x) => x.kind === 'weight' && trained.has(x.name));
    // The kernel logs λ·Σ W² itself: one pass over W gives the gradient and the sum.
    return {
      onGradients: weights.map((w) =>
        weightDecayDispatch(t.ctx, { weights: t.param(w.name), grads: t.grad(w.name), count: w.size, lambda: t.config.weightDecay, log: t.lossLog, component: t.component, step: t.step, guard: { guard: t.guard!, code: gradientGuardCode(t.layout, w.name) }, label: `weight decay ${w.name}` }),
      ),
    };
  },
};

/** λ/V Σ_r Σ_j |h_rj| on the code: dh += λ·sign(h)/V. */
const l1: ObjectiveTerm = {
  name: 'l1',
  evaluated: false,
  enabled: (c) => c.sparsity.type === 'l1',
  build(t) {
    if (!t.training) return {};
    const sp = t.config.sparsity as { type: 'l1'; lambda: number };
    const H = t.arch.codeSize;
    const rowAbs = t.arena.storage('l1 Σ|h| per row', t.rows * 4);
    return {
      onCode: [
        l1ActivityDispatch(t.ctx, { h: t.code, dh: t.dCode!, rowAbs, rows: t.rows, hidden: H, lambda: sp.lambda, step: t.step }),
        t.log(rowAbs, t.rows, { scale: sp.lambda, perSample: true, label: 'log L1 penalty' }),
      ],
      buffers: { l1RowAbs: rowAbs },
    };
  },
};

/** β Σ_j KL(ρ ‖ ρ̂_j), ρ̂ the batch mean of h: dh += β(−ρ/ρ̂ + (1−ρ)/(1−ρ̂))/V. */
const klSparsity: ObjectiveTerm = {
  name: 'klSparsity',
  evaluated: false,
  enabled: (c) => c.sparsity.type === 'kl',
  build(t) {
    if (!t.training) return {};
    const sp = t.config.sparsity as { type: 'kl'; rho: number; beta: number };
    const H = t.arch.codeSize;
    const rhoHat = t.arena.storage('ρ̂ (mean activation)', H * 4);
    const klUnit = t.arena.storage('KL per unit', H * 4);
    return {
      onCode: [
        klColumnStatsDispatch(t.ctx, { h: t.code, rhoHat, klUnit, rows: t.rows, hidden: H, rho: sp.rho, step: t.step }),
        klGradDispatch(t.ctx, { rhoHat, dh: t.dCode!, rows: t.rows, hidden: H, rho: sp.rho, beta: sp.beta, step: t.step }),
        t.log(klUnit, H, { scale: sp.beta, perSample: false, label: 'log KL sparsity penalty' }),
      ],
      buffers: { rhoHat, klUnit },
    };
  },
};

/**
 * λ/V Σ_r ‖∂h_r/∂x̃_r‖²_F of a one-layer encoder (config refuses deeper ones),
 * added straight into its gradients, factored as
 *   u_rj = (λ/V)·s_j·2g'g''(a_rj),  s_j = Σ_i W_ji²
 *   dW += uᵀ·x̃ (matmul 'tn'),  db += Σ_r u,  dW_j += rowScale_j·W_j
 * (u is identically 0 for relu and linear encoders, so those two dispatches are skipped).
 */
const contractive: ObjectiveTerm = {
  name: 'contractive',
  evaluated: false,
  enabled: (c) => c.contractive > 0,
  build(t) {
    if (!t.training) return {};
    const lambda = t.config.contractive;
    const g = t.config.encoderActivation;
    const layer = t.arch.encoder[0];
    const H = layer.outputs;
    const D = layer.inputs;
    const w = t.param(layer.weight);
    const dW = t.grad(layer.weight);
    const s = t.arena.storage('s = Σ_i W_ji²', H * 4);
    const u = t.arena.storage('contractive u', t.rows * H * 4);
    const rowScale = t.arena.storage('contractive row scale', H * 4);
    const rowJacSq = t.arena.storage('‖J_r‖²_F per row', t.rows * 4);
    const out: Dispatch[] = [
      rowNormsSqDispatch(t.ctx, { w, s, hidden: H, inputs: D }),
      contractiveTermsDispatch(t.ctx, { h: t.code, s, u, rowScale, rowJacSq, rows: t.rows, hidden: H, activation: g, lambda, step: t.step }),
    ];
    if (g === 'sigmoid' || g === 'tanh') {
      out.push(matmulDispatch(t.ctx, { form: 'tn', M: H, N: D, K: t.rows, a: u, b: t.input, c: dW, accumulate: true, label: 'contractive dW += uᵀ·x̃' }));
      const biasGuard = { guard: t.guard!, step: t.step, code: gradientGuardCode(t.layout, layer.bias) };
      out.push(columnSumDispatch(t.ctx, { input: u, output: t.grad(layer.bias), rows: t.rows, cols: H, accumulate: true, guard: biasGuard, label: 'contractive db += Σ_r u' }));
    }
    // The last writes of dW and db check what they store (the matmul's sum before is checked with them).
    const weightGuard = { guard: t.guard!, step: t.step, code: gradientGuardCode(t.layout, layer.weight) };
    out.push(addScaledRowsDispatch(t.ctx, { w, rowScale, dw: dW, hidden: H, inputs: D, guard: weightGuard }));
    out.push(t.log(rowJacSq, t.rows, { scale: lambda, perSample: true, label: 'log contractive penalty' }));
    return { onEncoderGrads: out, buffers: { rowNormsSq: s, contractiveU: u, contractiveRowScale: rowScale, rowJacobianSq: rowJacSq } };
  },
};

/**
 * The VAE's KL(q(z|x) ‖ N(0, I)) per sample, logged unweighted (reconstruction +
 * KL is the negative ELBO) and weighted by β_t in the objective. Its gradient is
 * fused into the reparameterisation's backward (vae_backward in the plan).
 */
const vaeKl: ObjectiveTerm = {
  name: 'vaeKl',
  evaluated: true,
  enabled: (c) => c.variational !== false,
  weight: (c, step) => (c.variational ? klWeight(c.variational, step) * reconstructionWeight(c) : 1),
  build(t) {
    if (t.training && !trainsDecoder(t.config)) return {};
    const v = t.vae!;
    const rowKl = t.arena.storage('KL per row', t.rows * 4);
    return {
      forward: [
        vaeKlRowsDispatch(t.ctx, { mu: v.mu, logvar: v.logvar, rowKl, rows: t.rows, latent: t.arch.codeSize, step: t.step, label: 'KL per row' }),
        t.log(rowKl, t.rows, { perSample: true, label: 'log VAE KL' }),
      ],
      buffers: { rowKl },
    };
  },
};

/**
 * A classifier's softmax cross-entropy against the batch's labels, on the logits
 * of its head (the plan's headPass, z_c = code·W_cᵀ + b_c): ℓ_r = −log softmax(z_c)_y
 * and, training, ∂L/∂z_c (shaders/softmax.wgsl). Its backward through the head
 * into the code is in src/train/training-plan.ts.
 */
const classifier: ObjectiveTerm = {
  name: 'classifier',
  evaluated: true,
  enabled: (c) => c.classifier !== undefined,
  build(t) {
    const k = t.classifier!;
    const args = { logits: k.logits, labels: k.labels, rowLoss: k.rowLoss, correct: k.correct, step: t.step, rows: t.rows, classes: t.config.classifier!.classes };
    const xent = t.training
      ? softmaxCrossEntropyDispatch(t.ctx, { ...args, grad: k.dLogits, label: 'classifier: softmax cross-entropy, dL/dlogits' })
      : softmaxCrossEntropyForwardDispatch(t.ctx, { ...args, label: 'classifier: softmax cross-entropy' });
    return { forward: [xent, t.log(k.rowLoss, t.rows, { perSample: true, label: 'log classifier cross-entropy' })] };
  },
};

/** Every term, in loss-log slot order (the order of LossComponents and of the grad file's loss.* tensors). */
export const OBJECTIVE = [reconstruction, weightDecay, l1, klSparsity, contractive, vaeKl, classifier] as const;

export type TermName = (typeof OBJECTIVE)[number]['name'];

/** The loss-log slot of each term. */
export const LOSS_COMPONENT = Object.fromEntries(OBJECTIVE.map((t, i) => [t.name, i])) as { readonly [K in TermName]: number };

/** Each term's mean per sample over some steps (0 for a term the model does not have). */
export type LossComponents = { [K in TermName]: number };

if (OBJECTIVE.length > LOSS_LOG_STRIDE) throw new Error(`the objective has ${OBJECTIVE.length} terms but a loss-log slot holds ${LOSS_LOG_STRIDE}`);

/** The terms of a config's objective. */
export function objectiveTerms(c: ResolvedConfig): ObjectiveTerm[] {
  return OBJECTIVE.filter((t) => t.enabled(c));
}

/** Read one loss-log slot (LOSS_LOG_STRIDE floats from `base`) as components. */
export function readComponents(values: ArrayLike<number>, base = 0): LossComponents {
  return Object.fromEntries(OBJECTIVE.map((t, i) => [t.name, values[base + i]])) as LossComponents;
}

/** The objective at optimizer step `step`: Σ weight · component, in slot order. */
export function objectiveTotal(c: ResolvedConfig, components: LossComponents, step: number): number {
  return OBJECTIVE.reduce((a, t) => a + (t.weight ? t.weight(c, step) : 1) * components[t.name as TermName], 0);
}

/** Components as a mean over rows-weighted steps. */
export function meanComponents(list: ReadonlyArray<{ components: LossComponents; rows: number }>): LossComponents {
  const rows = list.reduce((a, l) => a + l.rows, 0);
  return Object.fromEntries(OBJECTIVE.map((t) => [t.name, list.reduce((a, l) => a + l.components[t.name as TermName] * l.rows, 0) / rows])) as LossComponents;
}

/** Make the `log` and `logArgs` of a TermContext for term `name` writing into `log` (through a training step's non-finite `guard`, when given). */
export function termLogger(ctx: KernelContext, log: GPUBuffer, step: GPUBuffer, name: TermName, guard?: GPUBuffer): Pick<TermContext, 'log' | 'logArgs'> {
  const component = LOSS_COMPONENT[name];
  const logArgs: TermContext['logArgs'] = (values, count, o) => ({ values, count, log, step, component, scale: o.scale, perSample: o.perSample, guard, label: o.label });
  return { logArgs, log: (values, count, o) => lossLogDispatch(ctx, logArgs(values, count, o)) };
}
