// The fixed column standardisation of shaders/standardise.wgsl: a classifier's
// frozen codes before its head, y = (x − mean)/√(var + ε) per column.
import familyWgsl from '../../shaders/standardise.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { requireCount, requireFloats, requireNoAliasing, workgroupGrid } from './checks';

const WG = 256; // @workgroup_size in shaders/standardise.wgsl

export interface StandardiseArgs {
  /** x [rows, cols] (read). */
  input: Resource;
  /** mean [cols], var [cols] (read). */
  mean: Resource;
  variance: Resource;
  /** y [rows, cols] (written). */
  output: Resource;
  rows: number;
  cols: number;
  /** ε > 0 added to the variance. */
  eps: number;
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

/** y[r, j] = (x[r, j] − mean[j]) / √(var[j] + ε). */
export function standardiseDispatch(ctx: KernelContext, args: StandardiseArgs): Dispatch {
  const label = args.label ?? 'standardise';
  requireCount(label, 'rows', args.rows);
  requireCount(label, 'cols', args.cols);
  if (!(args.eps > 0) || !Number.isFinite(args.eps)) throw new RangeError(`${label}: eps must be a finite number > 0, got ${args.eps}`);
  const count = args.rows * args.cols;
  requireFloats(ctx, label, 'input', args.input, count);
  requireFloats(ctx, label, 'mean', args.mean, args.cols);
  requireFloats(ctx, label, 'variance', args.variance, args.cols);
  requireFloats(ctx, label, 'output', args.output, count);
  requireNoAliasing(label, [['output', args.output]], [['input', args.input], ['mean', args.mean], ['variance', args.variance]]);
  const spec: KernelSpec = { name: 'standardise', code: familyWgsl, entryPoint: 'standardise', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', count],
      ['u32', args.cols],
      ['f32', args.eps],
    ]),
  );
  return makeDispatch(ctx.cache, spec, [params, args.input, args.mean, args.variance, args.output], workgroupGrid(ctx, Math.ceil(count / WG), label, args.gridWidth), label);
}
