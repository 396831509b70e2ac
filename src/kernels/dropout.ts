// Inverted dropout on hidden units (shaders/dropout.wgsl): the mask is a hash of
// (seed, STREAM_DROPOUT + layer, step, element), recomputed by the backward pass.
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import rngWgsl from '../../shaders/common/rng.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type Resource } from '../gpu/kernel';
import { packUniform, type UniformField } from '../gpu/uniforms';
import { MAX_DROPOUT_LAYER } from '../random/rng';
import { requireCount, requireFloats, requireInteger, requireNoAliasing, requireStep, requireValue } from './checks';

interface DropoutShape {
  /** The Step uniform (seed, step, training). */
  step: GPUBuffer;
  rows: number;
  units: number;
  /** Drop probability p, 0 ≤ p < 1. */
  rate: number;
  /** Hidden layer index 0..13: selects the random stream STREAM_DROPOUT + layer. */
  layer: number;
  label?: string;
}

export interface DropoutForwardArgs extends DropoutShape {
  /** [rows, units] hidden activations. */
  input: Resource;
  /** [rows, units]; a different buffer from input. */
  output: Resource;
}

export interface DropoutBackwardArgs extends DropoutShape {
  /** [rows, units] gradient w.r.t. the dropout output, scaled in place. */
  grad: Resource;
}

const WG = 64;
const CODE = stepWgsl + rngWgsl + dropoutWgsl;

/** Validate and create the kernel's params uniform. */
function paramsBuffer(ctx: KernelContext, label: string, a: DropoutShape, written: [string, Resource], read?: [string, Resource]): GPUBuffer {
  const { rows, units, rate, layer } = a;
  requireCount(label, 'rows', rows);
  requireCount(label, 'units', units);
  requireValue(label, 'rate', rate, Number.isFinite(rate) && rate >= 0 && rate < 1, 'in [0, 1)');
  requireInteger(label, 'layer', layer, 0, MAX_DROPOUT_LAYER, "its random stream must stay below the VAE's");
  if (rows * units > 0xffffffff) throw new Error(`${label}: rows×units = ${rows * units} exceeds the u32 element index`);
  for (const [name, r] of read ? [read, written] : [written]) requireFloats(ctx, label, name, r, rows * units, `[rows, units] = [${rows}, ${units}]`);
  requireNoAliasing(label, [written], read ? [read] : []);
  requireStep(label, a.step);
  const fields: UniformField[] = [['u32', rows], ['u32', units], ['f32', rate], ['f32', 1 / (1 - rate)], ['u32', layer], ['u32', 0], ['u32', 0], ['u32', 0]];
  return ctx.arena.uniform(`${label}/params`, packUniform(fields));
}

/** out = h · m / (1 − p) when training, out = h otherwise. */
export function dropoutForwardDispatch(ctx: KernelContext, args: DropoutForwardArgs): Dispatch {
  const label = args.label ?? 'dropout_forward';
  const params = paramsBuffer(ctx, label, args, ['output', args.output], ['input', args.input]);
  return makeDispatch(
    ctx.cache,
    { name: 'dropout_forward', code: CODE, entryPoint: 'dropout_forward', bindings: ['uniform', 'uniform', 'read', 'rw'], constants: { WG } },
    [params, args.step, args.input, args.output],
    [Math.ceil(args.units / WG), args.rows],
    label,
  );
}

/** dh ← dh · m / (1 − p) in place when training (the forward pass's mask, recomputed). */
export function dropoutBackwardDispatch(ctx: KernelContext, args: DropoutBackwardArgs): Dispatch {
  const label = args.label ?? 'dropout_backward';
  const params = paramsBuffer(ctx, label, args, ['grad', args.grad]);
  return makeDispatch(
    ctx.cache,
    { name: 'dropout_backward', code: CODE, entryPoint: 'dropout_backward', bindings: ['uniform', 'uniform', 'rw'], constants: { WG } },
    [params, args.step, args.grad],
    [Math.ceil(args.units / WG), args.rows],
    label,
  );
}
