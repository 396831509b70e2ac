// Softmax cross-entropy against integer labels, its gradient and the argmax
// accuracy, fused (shaders/softmax.wgsl):
//   ℓ_r = log Σ_j exp(z_j − m) − (z_y − m);  dz_j = (softmax(z)_j − [j = y])·inv_rows;  correct_r = [argmax z = y]
// Padding rows (r ≥ step.valid_rows) get ℓ_r = 0, correct_r = 0 and dz = 0.
import familyWgsl from '../../shaders/softmax.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { requireCount, requireFloats, requireNoAliasing, requireStep, workgroupGrid } from './checks';

const CODE = stepWgsl + familyWgsl;

export interface SoftmaxForwardArgs {
  /** z [rows, classes]. */
  logits: Resource;
  /** y [rows]: class indices 0..classes−1 stored as f32. */
  labels: Resource;
  /** ℓ [rows], written: per-sample cross-entropy (0 for padding rows). */
  rowLoss: Resource;
  /** [rows], written: 1 where the argmax of z is the label, else 0 (0 for padding rows). */
  correct: Resource;
  /** The Step uniform (valid_rows, inv_rows). */
  step: GPUBuffer;
  rows: number;
  classes: number;
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

export interface SoftmaxArgs extends SoftmaxForwardArgs {
  /** dz [rows, classes], written: ∂(mean cross-entropy)/∂z (0 for padding rows). */
  grad: Resource;
}

/** Per-row cross-entropy, correctness and the gradient w.r.t. the logits; one workgroup per row. */
export function softmaxCrossEntropyDispatch(ctx: KernelContext, args: SoftmaxArgs): Dispatch {
  const label = args.label ?? 'softmax_xent_grad';
  validate(ctx, label, args);
  requireFloats(ctx, label, 'grad', args.grad, args.rows * args.classes);
  requireNoAliasing(
    label,
    [
      ['rowLoss', args.rowLoss],
      ['correct', args.correct],
      ['grad', args.grad],
    ],
    [
      ['logits', args.logits],
      ['labels', args.labels],
    ],
  );
  return build(ctx, 'softmax_xent_grad', args, [args.logits, args.labels, args.rowLoss, args.correct, args.grad], label);
}

/** Evaluation only: the same per-row loss and correctness, no gradient. */
export function softmaxCrossEntropyForwardDispatch(ctx: KernelContext, args: SoftmaxForwardArgs): Dispatch {
  const label = args.label ?? 'softmax_xent_forward';
  validate(ctx, label, args);
  requireNoAliasing(
    label,
    [
      ['rowLoss', args.rowLoss],
      ['correct', args.correct],
    ],
    [
      ['logits', args.logits],
      ['labels', args.labels],
    ],
  );
  return build(ctx, 'softmax_xent_forward', args, [args.logits, args.labels, args.rowLoss, args.correct], label);
}

function validate(ctx: KernelContext, label: string, args: SoftmaxForwardArgs): void {
  requireCount(label, 'rows', args.rows);
  requireCount(label, 'classes', args.classes);
  requireStep(label, args.step);
  requireFloats(ctx, label, 'logits', args.logits, args.rows * args.classes);
  requireFloats(ctx, label, 'labels', args.labels, args.rows);
  requireFloats(ctx, label, 'rowLoss', args.rowLoss, args.rows);
  requireFloats(ctx, label, 'correct', args.correct, args.rows);
}

function build(ctx: KernelContext, entryPoint: string, args: SoftmaxForwardArgs, buffers: Resource[], label: string): Dispatch {
  const spec: KernelSpec = {
    name: entryPoint,
    code: CODE,
    entryPoint,
    bindings: ['uniform', 'uniform', ...buffers.map((_, i) => (i < 2 ? 'read' : 'rw') as 'read' | 'rw')],
  };
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', args.rows],
      ['u32', args.classes],
    ]),
  );
  const grid = workgroupGrid(ctx, args.rows, label, args.gridWidth);
  return makeDispatch(ctx.cache, spec, [params, args.step, ...buffers], grid, label);
}
