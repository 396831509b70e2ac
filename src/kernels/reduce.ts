// Reductions: column sums for bias gradients (shaders/column_sum.wgsl), and the
// loss log (shaders/reduce.wgsl), a GPU buffer of f32 with LOSS_LOG_STRIDE
// components per step slot.
import familyWgsl from '../../shaders/reduce.wgsl?raw';
import columnSumWgsl from '../../shaders/column_sum.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import lossLogWgsl from '../../shaders/common/loss_log.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { requireBoolean, requireCount, requireFinite, requireFloats, requireInteger, requireNoAliasing, requireStep, workgroupGrid } from './checks';
import { GUARD_BYTES, GUARD_WGSL } from './guard';

/** The loss log's record (shaders/common/loss_log.wgsl; after common/step.wgsl), for every kernel that adds to the log. */
export const LOSS_LOG_WGSL: string = lossLogWgsl;
const CODE = stepWgsl + workgroupSumWgsl + GUARD_WGSL + LOSS_LOG_WGSL + familyWgsl;
const COLUMN_SUM_CODE = stepWgsl + GUARD_WGSL + columnSumWgsl;
const COL_TILE = 64; // columns per workgroup in column_sum

/** Floats per step slot of the loss log. */
export const LOSS_LOG_STRIDE = 8;

export interface ColumnSumArgs {
  /** [rows, cols]. */
  input: Resource;
  /** [cols], written (or added to when `accumulate`). */
  output: Resource;
  rows: number;
  cols: number;
  /** out[j] += Σ instead of out[j] = Σ. Default false. */
  accumulate?: boolean;
  /**
   * A training step's non-finite guard: a non-finite out[j], as stored, records code
   * `code` + j at step's step (out a slice of the gradient buffer: code = 1 + its offset).
   */
  guard?: { guard: Resource; step: GPUBuffer; code: number };
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

/** out[j] (= or +=) Σ_{r < rows} in[r, j]: bias gradients from a [B, F] gradient (checked as stored, with a guard). */
export function columnSumDispatch(ctx: KernelContext, args: ColumnSumArgs): Dispatch {
  const accumulate = args.accumulate ?? false;
  const label = args.label ?? `column_sum${accumulate ? '(accumulate)' : ''}`;
  requireCount(label, 'rows', args.rows);
  requireCount(label, 'cols', args.cols);
  requireBoolean(label, 'accumulate', accumulate);
  requireFloats(ctx, label, 'input', args.input, args.rows * args.cols);
  requireFloats(ctx, label, 'output', args.output, args.cols);
  const g = args.guard;
  const written: [string, Resource][] = [['output', args.output]];
  if (g !== undefined) {
    requireFloats(ctx, label, 'guard.guard', g.guard, GUARD_BYTES / 4);
    requireStep(label, g.step);
    requireInteger(label, 'guard.code', g.code, 1, 0xfffffffe - args.cols, 'codes stay below 2^32 − 1');
    written.push(['guard.guard', g.guard]);
  }
  requireNoAliasing(label, written, [['input', args.input]]);
  const spec: KernelSpec = {
    name: g ? 'column_sum_guarded' : 'column_sum',
    code: COLUMN_SUM_CODE,
    entryPoint: g ? 'column_sum_guarded' : 'column_sum',
    bindings: g ? ['uniform', 'read', 'rw', 'rw', 'uniform', 'uniform'] : ['uniform', 'read', 'rw'],
    constants: { ACCUMULATE: accumulate ? 1 : 0 },
  };
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', args.rows],
      ['u32', args.cols],
    ]),
  );
  const grid = workgroupGrid(ctx, Math.ceil(args.cols / COL_TILE), label, args.gridWidth);
  const guarded = g ? [g.guard, g.step, ctx.arena.uniform(`${label}/guard code`, packUniform([['u32', g.code]]))] : [];
  return makeDispatch(ctx.cache, spec, [params, args.input, args.output, ...guarded], grid, label);
}

export interface LossLogArgs {
  /** The values to sum, e.g. per-row losses [B]. */
  values: Resource;
  count: number;
  /** The loss log (f32, LOSS_LOG_STRIDE per slot), read and written. */
  log: Resource;
  /** The Step uniform (loss_slot, inv_rows). */
  step: GPUBuffer;
  /** Which component of the slot, 0..LOSS_LOG_STRIDE-1 (see LOSS_COMPONENT in src/model/objective.ts). */
  component: number;
  /** Multiplies the sum. Default 1. */
  scale?: number;
  /** Also multiply by step.inv_rows (a mean over the batch's valid rows). Default false. */
  perSample?: boolean;
  /** A training step's non-finite guard: a non-finite value left in the log records code 0, the loss. */
  guard?: Resource;
  label?: string;
}

/** What a sum into the loss log adds, and where (LossLogArgs without the step, guard and label). */
export type LossLogTerm = Pick<LossLogArgs, 'values' | 'count' | 'log' | 'component' | 'scale' | 'perSample'>;

/** Check a loss-log sum's arguments (shared by lossLogDispatch and the matmuls' loss-log rider); throw a message naming the bad one. */
export function validateLossLogTerm(ctx: KernelContext, label: string, args: LossLogTerm): void {
  requireCount(label, 'count', args.count);
  requireInteger(label, 'component', args.component, 0, LOSS_LOG_STRIDE - 1, 'see LOSS_COMPONENT in src/model/objective.ts');
  requireFinite(label, 'scale', args.scale ?? 1);
  requireBoolean(label, 'perSample', args.perSample ?? false);
  requireFloats(ctx, label, 'values', args.values, args.count);
  requireFloats(ctx, label, 'log', args.log, LOSS_LOG_STRIDE);
}

/** The LogParams uniform of common/loss_log.wgsl and the PER_SAMPLE constant, for a loss-log sum. */
export function lossLogParams(ctx: KernelContext, label: string, args: LossLogTerm): { params: GPUBuffer; constants: { PER_SAMPLE: number } } {
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', args.count],
      ['u32', args.component],
      ['f32', args.scale ?? 1],
    ]),
  );
  return { params, constants: { PER_SAMPLE: args.perSample ? 1 : 0 } };
}

/**
 * log[step.loss_slot·8 + component] += scale · (perSample ? inv_rows : 1) · Σ_{i<count} values[i],
 * one workgroup with a tree reduction. The trainer clears the slot each step.
 */
export function lossLogDispatch(ctx: KernelContext, args: LossLogArgs): Dispatch {
  const label = args.label ?? `loss_log(component ${args.component})`;
  validateLossLogTerm(ctx, label, args);
  requireStep(label, args.step);
  if (args.guard !== undefined) requireFloats(ctx, label, 'guard', args.guard, GUARD_BYTES / 4);
  const written: [string, Resource][] = [['log', args.log]];
  if (args.guard !== undefined) written.push(['guard', args.guard]);
  requireNoAliasing(label, written, [['values', args.values]]);
  const guarded = args.guard !== undefined;
  const { params, constants } = lossLogParams(ctx, label, args);
  const spec: KernelSpec = {
    name: guarded ? 'loss_log_guarded' : 'loss_log',
    code: CODE,
    entryPoint: guarded ? 'loss_log_guarded' : 'loss_log',
    bindings: guarded ? ['uniform', 'uniform', 'read', 'rw', 'rw'] : ['uniform', 'uniform', 'read', 'rw'],
    constants,
  };
  return makeDispatch(ctx.cache, spec, [params, args.step, args.values, args.log, ...(guarded ? [args.guard!] : [])], [1], label);
}
