// Elementwise activation kernels (shaders/activation.wgsl): the forward
// out = g(in) and the in-place backward d *= g'(a) from y = g(a).
// Also the small argument checks and grid helper shared by the builders of
// loss.ts, reduce.ts, optimizer.ts and weight-decay.ts.
import familyWgsl from '../../shaders/activation.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { ACTIVATION_CODE, ACTIVATION_WGSL, ACTIVATIONS, isActivation, type Activation } from './activations';

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
  requireFloats(label, 'grad', args.grad, args.count);
  requireFloats(label, 'output', args.output, args.count);
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
  requireFloats(label, 'input', args.input, args.count);
  requireFloats(label, 'output', args.output, args.count);
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

// ---------------------------------------------------------------------------
// Shared by this family's builders.

/**
 * A grid of `groupCount` workgroups: one row when it fits in
 * maxComputeWorkgroupsPerDimension, else rows of that width (the shader numbers
 * workgroups row by row, wid.y · nwg.x + wid.x, and skips the spare ones of the
 * last row). `gridWidth` lowers the row width so tests can exercise 2-D grids.
 */
export function workgroupGrid(ctx: KernelContext, groupCount: number, label: string, gridWidth?: number): [number, number] {
  const limit = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  const width = gridWidth ?? limit;
  if (!Number.isInteger(width) || width < 1 || width > limit) {
    throw new Error(`${label}: gridWidth must be an integer in 1..${limit}, got ${width}`);
  }
  const x = Math.max(1, Math.min(groupCount, width));
  const y = Math.max(1, Math.ceil(groupCount / x));
  if (y > limit) throw new Error(`${label}: ${groupCount} workgroups do not fit in a ${limit}×${limit} grid`);
  return [x, y];
}

/** `n` must be a positive integer (sizes, counts). */
export function requireCount(label: string, name: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new Error(`${label}: ${name} must be a positive integer, got ${String(n)}`);
  }
}

/** The binding `r` must hold at least `n` floats. */
export function requireFloats(label: string, name: string, r: Resource | undefined, n: number): void {
  if (!r) throw new Error(`${label}: ${name} is missing (a GPUBuffer or a BufferSlice of at least ${n} floats is required)`);
  if (r.size < n * 4) {
    throw new Error(`${label}: ${name} holds ${Math.floor(r.size / 4)} floats (${r.size} bytes) but ${n} are needed`);
  }
}

export function requireActivation(label: string, name: string, a: unknown): asserts a is Activation {
  if (!isActivation(a)) throw new Error(`${label}: ${name} must be one of ${ACTIVATIONS.join(', ')}, got ${String(a)}`);
}

function bufferOf(r: Resource): GPUBuffer {
  return 'buffer' in r ? r.buffer : r;
}

function range(r: Resource): [number, number] {
  const start = 'buffer' in r ? r.offset : 0;
  return [start, start + r.size];
}

/**
 * WebGPU forbids a buffer bound both read-only and writable in one dispatch, and
 * overlapping writable bindings race: reject both with a message naming them.
 */
export function requireNoAliasing(
  label: string,
  writable: readonly (readonly [string, Resource])[],
  readOnly: readonly (readonly [string, Resource])[],
): void {
  for (const [rName, r] of readOnly) {
    for (const [wName, w] of writable) {
      if (bufferOf(r) === bufferOf(w)) {
        throw new Error(`${label}: ${rName} (read) and ${wName} (written) are in the same GPUBuffer; WebGPU forbids that in one dispatch — use separate buffers`);
      }
    }
  }
  for (let a = 0; a < writable.length; a++) {
    for (let b = a + 1; b < writable.length; b++) {
      const [aName, ra] = writable[a];
      const [bName, rb] = writable[b];
      if (bufferOf(ra) !== bufferOf(rb)) continue;
      const [a0, a1] = range(ra);
      const [b0, b1] = range(rb);
      if (a0 < b1 && b0 < a1) throw new Error(`${label}: ${aName} and ${bName} are written and overlap in the same GPUBuffer`);
    }
  }
}
