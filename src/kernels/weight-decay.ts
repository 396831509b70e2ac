// Weight decay on one weight tensor (shaders/weight_decay.wgsl): the penalty
// λ·Σ w² adds 2λ·w to the gradient in place, and its value goes into the loss
// log at component `component` of step.loss_slot (the term's slot in
// src/model/objective.ts). One workgroup. What it stores goes through the
// training step's non-finite guard (src/kernels/guard.ts).
import familyWgsl from '../../shaders/weight_decay.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { requireCount, requireFloats, requireInteger, requireNoAliasing, requireNonNegative, requireStep } from './checks';
import { GUARD_BYTES, GUARD_WGSL } from './guard';
import { LOSS_LOG_STRIDE } from './reduce';

const CODE = stepWgsl + workgroupSumWgsl + GUARD_WGSL + familyWgsl;

export interface WeightDecayArgs {
  /** w [count] (read). */
  weights: Resource;
  /** ∂L/∂w [count], added to in place. */
  grads: Resource;
  count: number;
  /** λ ≥ 0. */
  lambda: number;
  /** The loss log (read and written). */
  log: Resource;
  /** Which component of a loss-log slot receives λ·Σ w², 0..LOSS_LOG_STRIDE−1. */
  component: number;
  /** The Step uniform (loss_slot, step). */
  step: GPUBuffer;
  /** The step's non-finite guard, and the code of grads[0] (1 + its offset in the gradient buffer; grads[i] records code + i). */
  guard: { guard: Resource; code: number };
  label?: string;
}

/** grads[i] += 2λ·w[i];  log[slot·LOSS_LOG_STRIDE + component] += λ·Σ w². */
export function weightDecayDispatch(ctx: KernelContext, args: WeightDecayArgs): Dispatch {
  const label = args.label ?? 'weight_decay';
  requireCount(label, 'count', args.count);
  requireNonNegative(label, 'lambda', args.lambda);
  requireStep(label, args.step);
  requireInteger(label, 'component', args.component, 0, LOSS_LOG_STRIDE - 1, 'a loss-log component');
  requireFloats(ctx, label, 'weights', args.weights, args.count);
  requireFloats(ctx, label, 'grads', args.grads, args.count);
  requireFloats(ctx, label, 'log', args.log, LOSS_LOG_STRIDE);
  if (args.guard === undefined) throw new Error(`${label}: guard is required: { guard, code }, the training step's non-finite guard and the code of grads[0]`);
  requireFloats(ctx, label, 'guard.guard', args.guard.guard, GUARD_BYTES / 4);
  requireInteger(label, 'guard.code', args.guard.code, 1, 0xfffffffe - args.count, 'codes stay below 2^32 − 1');
  requireNoAliasing(
    label,
    [
      ['grads', args.grads],
      ['log', args.log],
      ['guard.guard', args.guard.guard],
    ],
    [['weights', args.weights]],
  );
  const spec: KernelSpec = {
    name: 'weight_decay',
    code: CODE,
    entryPoint: 'weight_decay',
    bindings: ['uniform', 'uniform', 'read', 'rw', 'rw', 'rw', 'uniform'],
    constants: { COMPONENT: args.component },
  };
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', args.count],
      ['f32', args.lambda],
      ['f32', 2 * args.lambda], // rounded once from float64
    ]),
  );
  const code = ctx.arena.uniform(`${label}/guard code`, packUniform([['u32', args.guard.code]]));
  return makeDispatch(ctx.cache, spec, [params, args.step, args.weights, args.grads, args.log, args.guard.guard, code], [1], label);
}
