// Reconstruction loss and its gradient with respect to the output
// pre-activation z, fused (shaders/loss.wgsl):
//   'bce' (output activation sigmoid): ℓ_r = Σ_i max(z,0) − x·z + log1p(e^−|z|);  dz = (σ(z) − x)·inv_rows
//   'mse' (any output activation f):    ℓ_r = Σ_i (f(z) − x)²;                   dz = 2(x̂ − x)·f'(z)·inv_rows
// Padding rows (r ≥ step.valid_rows) get ℓ_r = 0 and dz = 0.
import familyWgsl from '../../shaders/loss.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import reconLossWgsl from '../../shaders/common/recon_loss.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { requireActivation, requireCount, requireFinite, requireFloats, requireNoAliasing, requireOneOf, requireStep, workgroupGrid } from './checks';
import { ACTIVATION_CODE, ACTIVATION_WGSL, type Activation } from './activations';

/** shaders/common/recon_loss.wgsl: one element's reconstruction loss and ∂ℓ/∂z (after ACTIVATION_WGSL). */
export const RECON_LOSS_WGSL: string = reconLossWgsl;

const CODE = ACTIVATION_WGSL + RECON_LOSS_WGSL + stepWgsl + workgroupSumWgsl + familyWgsl;

export const LOSS_KINDS = ['bce', 'mse'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];
/** RECON_BCE, RECON_MSE of shaders/common/recon_loss.wgsl. */
export const LOSS_CODE: Record<LossKind, number> = { bce: 0, mse: 1 };

export interface LossForwardArgs {
  /** z [rows, features]: the output layer's pre-activation. */
  logits: Resource;
  /** x [rows, features]. */
  target: Resource;
  /** ℓ [rows], written: per-sample loss (0 for padding rows). */
  rowLoss: Resource;
  /** The Step uniform (valid_rows, inv_rows). */
  step: GPUBuffer;
  rows: number;
  features: number;
  loss: LossKind;
  outputActivation: Activation;
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

export interface LossArgs extends LossForwardArgs {
  /** dz [rows, features], written: ∂(mean loss)/∂z (0 for padding rows), times gradScale. */
  grad: Resource;
  /** The weight of the loss in the objective (a classifier's reconstruction weight), applied to dz only. Default 1. */
  gradScale?: number;
}

/** Per-row loss and its gradient w.r.t. z, one workgroup per row. */
export function lossDispatch(ctx: KernelContext, args: LossArgs): Dispatch {
  const label = args.label ?? `loss_grad(${args.loss}, ${args.outputActivation})`;
  validate(ctx, label, args);
  requireFloats(ctx, label, 'grad', args.grad, args.rows * args.features);
  if (args.gradScale !== undefined) requireFinite(label, 'gradScale', args.gradScale);
  requireNoAliasing(
    label,
    [
      ['rowLoss', args.rowLoss],
      ['grad', args.grad],
    ],
    [
      ['logits', args.logits],
      ['target', args.target],
    ],
  );
  return build(ctx, 'loss_grad', args, [args.logits, args.target, args.rowLoss, args.grad], label);
}

/** Evaluation only: the same per-row loss, no gradient. */
export function lossForwardDispatch(ctx: KernelContext, args: LossForwardArgs): Dispatch {
  const label = args.label ?? `loss_forward(${args.loss}, ${args.outputActivation})`;
  validate(ctx, label, args);
  requireNoAliasing(
    label,
    [['rowLoss', args.rowLoss]],
    [
      ['logits', args.logits],
      ['target', args.target],
    ],
  );
  return build(ctx, 'loss_forward', args, [args.logits, args.target, args.rowLoss], label);
}

function validate(ctx: KernelContext, label: string, args: LossForwardArgs): void {
  requireOneOf(label, 'loss', args.loss, LOSS_KINDS);
  requireActivation(label, 'outputActivation', args.outputActivation);
  if (args.loss === 'bce' && args.outputActivation !== 'sigmoid') {
    throw new Error(
      `${label}: loss 'bce' needs outputActivation 'sigmoid' (cross-entropy is computed from the logits z with x̂ = σ(z)), ` +
        `got '${args.outputActivation}'; use loss 'mse' for other output activations`,
    );
  }
  requireCount(label, 'rows', args.rows);
  requireCount(label, 'features', args.features);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'logits', args.logits, args.rows * args.features, `[rows, features] = [${args.rows}, ${args.features}]`);
  requireFloats(ctx, label, 'target', args.target, args.rows * args.features, `[rows, features] = [${args.rows}, ${args.features}]`);
  requireFloats(ctx, label, 'rowLoss', args.rowLoss, args.rows);
}

function build(ctx: KernelContext, entryPoint: string, args: LossForwardArgs, buffers: Resource[], label: string): Dispatch {
  const spec: KernelSpec = {
    name: entryPoint,
    code: CODE,
    entryPoint,
    bindings: entryPoint === 'loss_grad' ? ['uniform', 'uniform', 'read', 'read', 'rw', 'rw'] : ['uniform', 'uniform', 'read', 'read', 'rw'],
    constants: { LOSS: LOSS_CODE[args.loss], ACT: ACTIVATION_CODE[args.outputActivation] },
  };
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', args.rows],
      ['u32', args.features],
      ['f32', (args as LossArgs).gradScale ?? 1],
    ]),
  );
  // One workgroup per row.
  const grid = workgroupGrid(ctx, args.rows, label, args.gridWidth);
  return makeDispatch(ctx.cache, spec, [params, args.step, ...buffers], grid, label);
}
