// The non-finite guard: the first non-finite value of a step sets a 16-byte
// guard buffer (step, what, kinds; src/kernels/guard.ts), and the optimizer then
// leaves parameters and state alone. The trainer reads the guard at its sync
// points, so there is no read-back per step. The kernels that write gradients
// and the loss log record into it themselves where they can (the weight-gradient
// matmuls, the guarded loss log); the checks here (shaders/finite.wgsl) scan
// buffers afterwards: check_step, one dispatch over the step's loss row and the
// whole flat gradient buffer, for the plans where some other kernel writes them.
import familyWgsl from '../../shaders/finite.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import type { ParameterLayout } from '../model/layout';
import { requireBoolean, requireCount, requireFloats, requireInteger, requireNoAliasing, requireStep, workgroupGrid } from './checks';
import { GUARD_BYTES, GUARD_WGSL, NON_FINITE_KIND } from './guard';
import { LOSS_LOG_STRIDE } from './reduce';

const CODE = stepWgsl + GUARD_WGSL + familyWgsl;
const VALUES_PER_WORKGROUP = 256 * 4; // WG × PER_THREAD

export { GUARD_BYTES, GUARD_CLEAR, NON_FINITE_KIND } from './guard';

export interface FiniteCheckArgs {
  /** The values to check: [count] (plus slotStride · slots when slotStride > 0). */
  values: Resource;
  count: number;
  /** What the values are, recorded in guard.code; the smallest failing code of a step wins. */
  code: number;
  /** Value i records code + i (to locate it). Default false: every value records code. */
  indexed?: boolean;
  /** Check values[step.loss_slot · slotStride + i] (the loss log's row of the step). Default 0. */
  slotStride?: number;
  step: GPUBuffer;
  /** The 16-byte guard buffer, GUARD_CLEAR before the first step. */
  guard: Resource;
  label?: string;
  /** Testing: most workgroups per grid row. */
  gridWidth?: number;
}

export function finiteCheckDispatch(ctx: KernelContext, args: FiniteCheckArgs): Dispatch {
  const label = args.label ?? `check_finite(code ${args.code})`;
  requireCount(label, 'count', args.count);
  const slotStride = args.slotStride ?? 0;
  requireInteger(label, 'slotStride', slotStride, 0);
  requireInteger(label, 'code', args.code, 0, 0xfffffffe, '0xffffffff is the clear guard');
  const indexed = args.indexed ?? false;
  requireBoolean(label, 'indexed', indexed);
  if (indexed && args.code + args.count > 0xffffffff) throw new Error(`${label}: code + count must stay below 2^32 − 1 when indexed, got ${args.code} + ${args.count}`);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'values', args.values, args.count);
  requireFloats(ctx, label, 'guard', args.guard, GUARD_BYTES / 4);
  requireNoAliasing(label, [['guard', args.guard]], [['values', args.values]]);
  const spec: KernelSpec = { name: 'check_finite', code: CODE, entryPoint: 'check_finite', bindings: ['uniform', 'uniform', 'read', 'rw'] };
  const params = ctx.arena.uniform(`${label}/params`, packUniform([['u32', args.count], ['u32', args.code], ['u32', slotStride], ['u32', indexed ? 1 : 0]]));
  const grid = workgroupGrid(ctx, Math.ceil(args.count / VALUES_PER_WORKGROUP), label, args.gridWidth);
  return makeDispatch(ctx.cache, spec, [params, args.step, args.values, args.guard], grid, label);
}

/** What a guard code stands for: 0 the loss, 1 + i the gradient tensor holding flat gradient value i. */
export function guardName(layout: ParameterLayout, code: number): string {
  if (code === 0) return 'loss';
  const i = code - 1;
  const t = layout.tensors.find((x) => i >= x.offset && i < x.offset + x.size);
  return t ? `gradient of ${t.name}` : `guard code ${code}`;
}

/**
 * The guard of one training step, in one dispatch (check_step): the whole flat
 * gradient buffer (code 1 + flat index, so the first bad value in layout order
 * names its tensor; the alignment padding stays 0) and the step's loss row of the
 * log (code 0, so a bad loss is named first).
 */
export function finiteGuardDispatches(
  ctx: KernelContext,
  args: { layout: ParameterLayout; grads: GPUBuffer; log: GPUBuffer; step: GPUBuffer; guard: GPUBuffer },
): Dispatch[] {
  const label = 'guard: loss and gradients are finite';
  const count = args.layout.totalFloats;
  requireStep(label, args.step);
  requireFloats(ctx, label, 'grads', args.grads, count);
  requireFloats(ctx, label, 'guard', args.guard, GUARD_BYTES / 4);
  requireNoAliasing(label, [['guard', args.guard]], [['grads', args.grads], ['log', args.log]]);
  const spec: KernelSpec = { name: 'check_step', code: CODE, entryPoint: 'check_step', bindings: ['uniform', 'uniform', 'read', 'rw', 'read'] };
  const params = ctx.arena.uniform(`${label}/params`, packUniform([['u32', count], ['u32', 1], ['u32', LOSS_LOG_STRIDE], ['u32', 1]]));
  const grid = workgroupGrid(ctx, Math.ceil(count / VALUES_PER_WORKGROUP), label);
  return [makeDispatch(ctx.cache, spec, [params, args.step, args.grads, args.guard, args.log], grid, label)];
}

export interface GuardReport {
  step: number;
  code: number;
  kinds: Array<'NaN' | 'Infinity' | '-Infinity'>;
}

/** Decode the guard's words; null while everything was finite. */
export function decodeGuard(words: ArrayLike<number>): GuardReport | null {
  if (words[0] === 0) return null;
  const kinds: GuardReport['kinds'] = [];
  if (words[2] & NON_FINITE_KIND.nan) kinds.push('NaN');
  if (words[2] & NON_FINITE_KIND.posInf) kinds.push('Infinity');
  if (words[2] & NON_FINITE_KIND.negInf) kinds.push('-Infinity');
  return { step: words[0], code: words[1], kinds };
}
