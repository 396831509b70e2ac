// Builders for the activity-sparsity kernels (shaders/sparsity.wgsl): L1 and KL.
// Each adds its penalty's gradient into dH = ∂L/∂h in place and writes values whose
// scaled sum is the penalty (the caller reduces them into the loss log):
//   L1: loss += λ · step.inv_rows · Σ_r rowAbs[r]
//   KL: loss += β · Σ_j klUnit[j]
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import sparsityWgsl from '../../shaders/sparsity.wgsl?raw';
import { groups, makeDispatch, packUniform, type Dispatch, type KernelContext, type KernelSpec, type Resource } from '../gpu';
import { requireCount, requireFloats, requireNoAliasing, requireNonNegative, requireStep, requireValue } from './checks';

const CODE = stepWgsl + workgroupSumWgsl + sparsityWgsl;

export interface L1ActivityArgs {
  /** [rows, hidden] activations h (read). */
  h: Resource;
  /** [rows, hidden] ∂L/∂h; λ/V·sign(h) is added for the valid rows. */
  dh: Resource;
  /** [rows] out: Σ_j |h_rj| for valid rows, 0 for padding rows. */
  rowAbs: Resource;
  rows: number;
  hidden: number;
  /** λ ≥ 0. */
  lambda: number;
  /** The Step uniform (valid_rows, inv_rows). */
  step: GPUBuffer;
  label?: string;
}

/** L1 activity penalty: dH += λ/V·sign(h) and per-row Σ|h|. Grid: one workgroup per row. */
export function l1ActivityDispatch(ctx: KernelContext, args: L1ActivityArgs): Dispatch {
  const label = args.label ?? 'l1_activity';
  const { rows, hidden } = args;
  requireCount(label, 'rows', rows);
  requireCount(label, 'hidden', hidden);
  requireNonNegative(label, 'lambda', args.lambda);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'h', args.h, rows * hidden);
  requireFloats(ctx, label, 'dh', args.dh, rows * hidden);
  requireFloats(ctx, label, 'rowAbs', args.rowAbs, rows);
  requireNoAliasing(
    label,
    [
      ['dh', args.dh],
      ['rowAbs', args.rowAbs],
    ],
    [['h', args.h]],
  );
  const params = uniform(ctx, label, rows, hidden, args.lambda, 0);
  const spec: KernelSpec = { name: 'l1_activity', code: CODE, entryPoint: 'l1_activity', bindings: ['uniform', 'uniform', 'read', 'rw', 'rw'] };
  return makeDispatch(ctx.cache, spec, [params, args.step, args.h, args.dh, args.rowAbs], [rows], label);
}

export interface KlColumnStatsArgs {
  /** [rows, hidden] sigmoid activations h (read). */
  h: Resource;
  /** [hidden] out: ρ̂_j = mean of h over the valid rows (unclamped). */
  rhoHat: Resource;
  /** [hidden] out: KL(ρ ‖ clamp(ρ̂_j, ε, 1−ε)), without β. */
  klUnit: Resource;
  rows: number;
  hidden: number;
  /** Target activation ρ ∈ (0, 1). */
  rho: number;
  step: GPUBuffer;
  label?: string;
}

/** KL sparsity, pass 1: column means ρ̂ and per-unit KL. Grid: one invocation per unit. */
export function klColumnStatsDispatch(ctx: KernelContext, args: KlColumnStatsArgs): Dispatch {
  const label = args.label ?? 'kl_column_stats';
  const { rows, hidden } = args;
  requireCount(label, 'rows', rows);
  requireCount(label, 'hidden', hidden);
  requireRho(label, args.rho);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'h', args.h, rows * hidden);
  requireFloats(ctx, label, 'rhoHat', args.rhoHat, hidden);
  requireFloats(ctx, label, 'klUnit', args.klUnit, hidden);
  requireNoAliasing(
    label,
    [
      ['rhoHat', args.rhoHat],
      ['klUnit', args.klUnit],
    ],
    [['h', args.h]],
  );
  const params = uniform(ctx, label, rows, hidden, 0, args.rho);
  const spec: KernelSpec = { name: 'kl_column_stats', code: CODE, entryPoint: 'kl_column_stats', bindings: ['uniform', 'uniform', 'read', 'rw', 'rw'] };
  return makeDispatch(ctx.cache, spec, [params, args.step, args.h, args.rhoHat, args.klUnit], [groups(hidden, 64)], label);
}

export interface KlGradArgs {
  /** [hidden] ρ̂ from klColumnStatsDispatch (read). */
  rhoHat: Resource;
  /** [rows, hidden] ∂L/∂h; the KL gradient is added for the valid rows. */
  dh: Resource;
  rows: number;
  hidden: number;
  rho: number;
  /** β ≥ 0. */
  beta: number;
  step: GPUBuffer;
  label?: string;
}

/**
 * KL sparsity, pass 2: dH_rj += β/V·((1−ρ)/(1−ρ̂_j) − ρ/ρ̂_j) for r < V, and 0 where
 * ρ̂_j is outside [ε, 1−ε] (exact derivative of the clamped penalty).
 * Grid: [⌈hidden/64⌉, rows].
 */
export function klGradDispatch(ctx: KernelContext, args: KlGradArgs): Dispatch {
  const label = args.label ?? 'kl_grad';
  const { rows, hidden } = args;
  requireCount(label, 'rows', rows);
  requireCount(label, 'hidden', hidden);
  requireRho(label, args.rho);
  requireNonNegative(label, 'beta', args.beta);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'rhoHat', args.rhoHat, hidden);
  requireFloats(ctx, label, 'dh', args.dh, rows * hidden);
  requireNoAliasing(label, [['dh', args.dh]], [['rhoHat', args.rhoHat]]);
  const params = uniform(ctx, label, rows, hidden, args.beta, args.rho);
  const spec: KernelSpec = { name: 'kl_grad', code: CODE, entryPoint: 'kl_grad', bindings: ['uniform', 'uniform', 'read', 'rw'] };
  return makeDispatch(ctx.cache, spec, [params, args.step, args.rhoHat, args.dh], [groups(hidden, 64), rows], label);
}

// ---- the params uniform and ρ ---------------------------------------------------

function uniform(ctx: KernelContext, label: string, rows: number, hidden: number, coef: number, rho: number): GPUBuffer {
  const data = packUniform([
    ['u32', rows],
    ['u32', hidden],
    ['f32', coef],
    ['f32', rho],
  ]);
  return ctx.arena.uniform(`${label}/params`, data);
}

function requireRho(label: string, rho: number): void {
  requireValue(label, 'rho (target activation)', rho, rho > 0 && rho < 1, 'strictly between 0 and 1');
}
