// Reductions (shaders/reduce.wgsl): column sums for bias gradients, and the
// loss log, a GPU buffer of f32 with LOSS_LOG_STRIDE components per step slot.
import familyWgsl from '../../shaders/reduce.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { requireBoolean, requireCount, requireFinite, requireFloats, requireInteger, requireNoAliasing, requireStep, workgroupGrid } from './checks';
import { GUARD_BYTES, GUARD_WGSL } from './guard';

const CODE = stepWgsl + workgroupSumWgsl + GUARD_WGSL + familyWgsl;
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
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

/** out[j] (= or +=) Σ_{r < rows} in[r, j]: bias gradients from a [B, F] gradient. */
export function columnSumDispatch(ctx: KernelContext, args: ColumnSumArgs): Dispatch {
  const accumulate = args.accumulate ?? false;
  const label = args.label ?? `column_sum${accumulate ? '(accumulate)' : ''}`;
  requireCount(label, 'rows', args.rows);
  requireCount(label, 'cols', args.cols);
  requireBoolean(label, 'accumulate', accumulate);
  requireFloats(ctx, label, 'input', args.input, args.rows * args.cols);
  requireFloats(ctx, label, 'output', args.output, args.cols);
  requireNoAliasing(label, [['output', args.output]], [['input', args.input]]);
  const spec: KernelSpec = {
    name: 'column_sum',
    code: CODE,
    entryPoint: 'column_sum',
    bindings: ['uniform', 'read', 'rw'],
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
  return makeDispatch(ctx.cache, spec, [params, args.input, args.output], grid, label);
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

/**
 * log[step.loss_slot·8 + component] += scale · (perSample ? inv_rows : 1) · Σ_{i<count} values[i],
 * one workgroup with a tree reduction. The trainer clears the slot each step.
 */
export function lossLogDispatch(ctx: KernelContext, args: LossLogArgs): Dispatch {
  const scale = args.scale ?? 1;
  const perSample = args.perSample ?? false;
  const label = args.label ?? `loss_log(component ${args.component})`;
  requireCount(label, 'count', args.count);
  requireInteger(label, 'component', args.component, 0, LOSS_LOG_STRIDE - 1, 'see LOSS_COMPONENT in src/model/objective.ts');
  requireFinite(label, 'scale', scale);
  requireBoolean(label, 'perSample', perSample);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'values', args.values, args.count);
  requireFloats(ctx, label, 'log', args.log, LOSS_LOG_STRIDE);
  if (args.guard !== undefined) requireFloats(ctx, label, 'guard', args.guard, GUARD_BYTES / 4);
  const written: [string, Resource][] = [['log', args.log]];
  if (args.guard !== undefined) written.push(['guard', args.guard]);
  requireNoAliasing(label, written, [['values', args.values]]);
  const guarded = args.guard !== undefined;
  const spec: KernelSpec = {
    name: guarded ? 'loss_log_guarded' : 'loss_log',
    code: CODE,
    entryPoint: guarded ? 'loss_log_guarded' : 'loss_log',
    bindings: guarded ? ['uniform', 'uniform', 'read', 'rw', 'rw'] : ['uniform', 'uniform', 'read', 'rw'],
    constants: { PER_SAMPLE: perSample ? 1 : 0 },
  };
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', args.count],
      ['u32', args.component],
      ['f32', scale],
    ]),
  );
  return makeDispatch(ctx.cache, spec, [params, args.step, args.values, args.log, ...(guarded ? [args.guard!] : [])], [1], label);
}
