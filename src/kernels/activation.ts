// Elementwise activation kernels (shaders/activation.wgsl): the forward
// out = g(in) and the in-place backward d *= g'(a) from y = g(a).
import familyWgsl from '../../shaders/activation.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { ACTIVATION_CODE, ACTIVATION_WGSL, type Activation } from './activations';
import { requireActivation, requireCount, requireFloats, requireNoAliasing, workgroupGrid } from './checks';

const CODE = ACTIVATION_WGSL + familyWgsl;
const WG = 256; // @workgroup_size in shaders/activation.wgsl

export interface ActivationBackwardArgs {
  /** d, read and written in place: [count]. */
  grad: Resource;
  /** y = g(a) as stored by the forward pass: [count]. */
  output: Resource;
  count: number;
  activation: Activation;
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

/** In-place backward through an activation: d[i] *= g'(a_i), with g' computed from y[i] = g(a_i). */
export function activationBackwardDispatch(ctx: KernelContext, args: ActivationBackwardArgs): Dispatch {
  const label = args.label ?? `activation_backward(${args.activation})`;
  requireActivation(label, 'activation', args.activation);
  requireCount(label, 'count', args.count);
  requireFloats(ctx, label, 'grad', args.grad, args.count);
  requireFloats(ctx, label, 'output', args.output, args.count);
  requireNoAliasing(label, [['grad', args.grad]], [['output', args.output]]);
  return elementwise(ctx, 'activation_backward', args.activation, args.count, args.output, args.grad, label, args.gridWidth);
}

export interface ActivationForwardArgs {
  input: Resource;
  /** Written: [count]. */
  output: Resource;
  count: number;
  activation: Activation;
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

/** out[i] = g(in[i]) (e.g. reconstructions x̂ = f(z) at inference). */
export function activationForwardDispatch(ctx: KernelContext, args: ActivationForwardArgs): Dispatch {
  const label = args.label ?? `activation_forward(${args.activation})`;
  requireActivation(label, 'activation', args.activation);
  requireCount(label, 'count', args.count);
  requireFloats(ctx, label, 'input', args.input, args.count);
  requireFloats(ctx, label, 'output', args.output, args.count);
  requireNoAliasing(label, [['output', args.output]], [['input', args.input]]);
  return elementwise(ctx, 'activation_forward', args.activation, args.count, args.input, args.output, label, args.gridWidth);
}

function elementwise(
  ctx: KernelContext,
  entryPoint: string,
  activation: Activation,
  count: number,
  src: Resource,
  dst: Resource,
  label: string,
  gridWidth: number | undefined,
): Dispatch {
  const spec: KernelSpec = {
    name: entryPoint,
    code: CODE,
    entryPoint,
    bindings: ['uniform', 'read', 'rw'],
    constants: { ACT: ACTIVATION_CODE[activation] },
  };
  const params = ctx.arena.uniform(`${label}/params`, packUniform([['u32', count]]));
  return makeDispatch(ctx.cache, spec, [params, src, dst], workgroupGrid(ctx, Math.ceil(count / WG), label, gridWidth), label);
}
