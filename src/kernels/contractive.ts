// Builders for the contractive-penalty kernels (shaders/contractive.wgsl).
// One step of the penalty of a layer h = g(X·Wᵀ + b), W [hidden, inputs]:
//   1. rowNormsSqDispatch:      s_j = Σ_i W_ji²
//   2. contractiveTermsDispatch: u [rows, hidden], rowScale [hidden], rowJacSq [rows]
//   3. the caller: dW += uᵀ·X (TN matmul, accumulate), db += column sums of u
//      (for relu and linear u = 0 and both can be skipped)
//   4. addScaledRowsDispatch:   dW_ji += rowScale_j · W_ji, the last write of dW: it
//      checks what it stores (the step's non-finite guard, src/kernels/guard.ts)
// Loss: λ · step.inv_rows · Σ_r rowJacSq[r]. rowJacSq[r] = ‖J_r‖²_F is also the
// analysis metric: mean ‖J_r‖_F = mean over valid rows of sqrt(rowJacSq[r]).
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import contractiveWgsl from '../../shaders/contractive.wgsl?raw';
import { groups, makeDispatch, packUniform, type Dispatch, type KernelContext, type KernelSpec, type Resource } from '../gpu';
import { ACTIVATION_CODE, ACTIVATION_WGSL, type Activation } from './activations';
import { requireActivation, requireCount, requireFloats, requireInteger, requireNoAliasing, requireNonNegative, requireStep } from './checks';
import { GUARD_BYTES, GUARD_WGSL } from './guard';

const CODE = ACTIVATION_WGSL + stepWgsl + workgroupSumWgsl + GUARD_WGSL + contractiveWgsl;

export interface RowNormsSqArgs {
  /** [hidden, inputs] weights W (read). */
  w: Resource;
  /** [hidden] out: s_j = Σ_i W_ji². */
  s: Resource;
  hidden: number;
  inputs: number;
  label?: string;
}

/** Squared norms of the rows of W. Grid: one workgroup per row. */
export function rowNormsSqDispatch(ctx: KernelContext, args: RowNormsSqArgs): Dispatch {
  const label = args.label ?? 'row_norms_sq';
  const { hidden, inputs } = args;
  requireCount(label, 'hidden', hidden);
  requireCount(label, 'inputs', inputs);
  requireFloats(ctx, label, 'w', args.w, hidden * inputs);
  requireFloats(ctx, label, 's', args.s, hidden);
  requireNoAliasing(label, [['s', args.s]], [['w', args.w]]);
  const params = uniform(ctx, label, 0, hidden, inputs, 0);
  const spec: KernelSpec = { name: 'row_norms_sq', code: CODE, entryPoint: 'row_norms_sq', bindings: ['uniform', 'read', 'rw'] };
  return makeDispatch(ctx.cache, spec, [params, args.w, args.s], [hidden], label);
}

export interface ContractiveTermsArgs {
  /** [rows, hidden] activations h = g(a) (read). */
  h: Resource;
  /** [hidden] s from rowNormsSqDispatch (read). */
  s: Resource;
  /** [rows, hidden] out: u_rj = λ/V·s_j·2g'g'' (0 for padding rows). */
  u: Resource;
  /** [hidden] out: rowScale_j = λ/V·Σ_{r<V} 2g'². */
  rowScale: Resource;
  /** [rows] out: ‖J_r‖²_F = Σ_j g'² s_j (0 for padding rows). */
  rowJacSq: Resource;
  rows: number;
  hidden: number;
  activation: Activation;
  /** λ ≥ 0. */
  lambda: number;
  step: GPUBuffer;
  label?: string;
}

/** u, rowScale and per-row ‖J_r‖²_F. Grid: rows + ⌈hidden/64⌉ workgroups (row and column roles). */
export function contractiveTermsDispatch(ctx: KernelContext, args: ContractiveTermsArgs): Dispatch {
  const label = args.label ?? 'contractive_terms';
  const { rows, hidden } = args;
  requireCount(label, 'rows', rows);
  requireCount(label, 'hidden', hidden);
  requireActivation(label, 'activation', args.activation);
  requireNonNegative(label, 'lambda', args.lambda);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'h', args.h, rows * hidden);
  requireFloats(ctx, label, 's', args.s, hidden);
  requireFloats(ctx, label, 'u', args.u, rows * hidden);
  requireFloats(ctx, label, 'rowScale', args.rowScale, hidden);
  requireFloats(ctx, label, 'rowJacSq', args.rowJacSq, rows);
  requireNoAliasing(
    label,
    [
      ['u', args.u],
      ['rowScale', args.rowScale],
      ['rowJacSq', args.rowJacSq],
    ],
    [
      ['h', args.h],
      ['s', args.s],
    ],
  );
  const params = uniform(ctx, label, rows, hidden, 0, args.lambda);
  const spec: KernelSpec = {
    name: 'contractive_terms',
    code: CODE,
    entryPoint: 'contractive_terms',
    bindings: ['uniform', 'read', 'read', 'rw', 'rw', 'rw', 'uniform'],
    constants: { ACT: ACTIVATION_CODE[args.activation] },
  };
  const resources = [params, args.h, args.s, args.u, args.rowScale, args.rowJacSq, args.step];
  return makeDispatch(ctx.cache, spec, resources, [rows + groups(hidden, 64)], label);
}

export interface AddScaledRowsArgs {
  /** [hidden, inputs] weights W (read). */
  w: Resource;
  /** [hidden] rowScale from contractiveTermsDispatch (read). */
  rowScale: Resource;
  /** [hidden, inputs] gradient dW, updated in place. */
  dw: Resource;
  hidden: number;
  inputs: number;
  /**
   * The step's non-finite guard: a non-finite dW value, as stored, records code
   * `code` + its flat index (dw a slice of the gradient buffer: code = 1 + its offset).
   */
  guard: { guard: Resource; step: GPUBuffer; code: number };
  label?: string;
}

/** dW_ji += rowScale_j · W_ji, each stored value checked. Grid: [⌈inputs/64⌉, hidden]. */
export function addScaledRowsDispatch(ctx: KernelContext, args: AddScaledRowsArgs): Dispatch {
  const label = args.label ?? 'add_scaled_rows';
  const { hidden, inputs } = args;
  requireCount(label, 'hidden', hidden);
  requireCount(label, 'inputs', inputs);
  requireFloats(ctx, label, 'w', args.w, hidden * inputs);
  requireFloats(ctx, label, 'rowScale', args.rowScale, hidden);
  requireFloats(ctx, label, 'dw', args.dw, hidden * inputs);
  const g = args.guard;
  if (g === undefined) throw new Error(`${label}: guard is required (the last kernel to write dW checks what it stores)`);
  requireFloats(ctx, label, 'guard.guard', g.guard, GUARD_BYTES / 4);
  requireStep(label, g.step);
  requireInteger(label, 'guard.code', g.code, 1, 0xfffffffe - hidden * inputs, 'codes stay below 2^32 − 1');
  requireNoAliasing(
    label,
    [
      ['dw', args.dw],
      ['guard.guard', g.guard],
    ],
    [
      ['w', args.w],
      ['rowScale', args.rowScale],
    ],
  );
  const params = uniform(ctx, label, 0, hidden, inputs, 0);
  const code = ctx.arena.uniform(`${label}/guard code`, packUniform([['u32', g.code]]));
  const spec: KernelSpec = { name: 'add_scaled_rows', code: CODE, entryPoint: 'add_scaled_rows', bindings: ['uniform', 'read', 'read', 'rw', 'rw', 'uniform', 'uniform'] };
  return makeDispatch(ctx.cache, spec, [params, args.w, args.rowScale, args.dw, g.guard, code, g.step], [groups(inputs, 64), hidden], label);
}

// ---- the params uniform ------------------------------------------------------

function uniform(ctx: KernelContext, label: string, rows: number, hidden: number, inputs: number, lambda: number): GPUBuffer {
  const data = packUniform([
    ['u32', rows],
    ['u32', hidden],
    ['u32', inputs],
    ['f32', lambda],
  ]);
  return ctx.arena.uniform(`${label}/params`, data);
}
