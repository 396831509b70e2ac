// Argument checks shared by the kernel builders: each throws a message naming the
// kernel, the argument, what it got and what is allowed.
import type { KernelContext } from '../gpu/context';
import type { Resource } from '../gpu/kernel';
import { STEP_BYTES } from '../gpu/step';
import { ACTIVATIONS, isActivation, type Activation } from './activations';


export function checkStep(label: string, step: GPUBuffer): void {
  if (!step || typeof step.size !== 'number') throw new Error(`${label}: step must be the Step uniform GPUBuffer`);
  if (step.size < STEP_BYTES) throw new Error(`${label}: step buffer has ${step.size} bytes, the Step uniform needs ${STEP_BYTES}`);
  if (!(step.usage & GPUBufferUsage.UNIFORM)) throw new Error(`${label}: step buffer ${step.label} lacks UNIFORM usage`);
}

export function checkResource(ctx: KernelContext, label: string, name: string, r: Resource, floats: number): void {
  const offset = 'buffer' in r ? r.offset : 0;
  if (r.size < floats * 4) throw new Error(`${label}: ${name} has ${r.size} bytes but needs ${floats * 4} (${floats} floats)`);
  const align = ctx.device.limits.minStorageBufferOffsetAlignment;
  if (offset % align !== 0) throw new Error(`${label}: ${name} offset ${offset} is not a multiple of ${align} (minStorageBufferOffsetAlignment)`);
}

/** WebGPU forbids binding one buffer twice in a dispatch when either binding is writable. */
export function checkDistinct(label: string, resources: Record<string, Resource>): void {
  const seen = new Map<GPUBuffer, string>();
  for (const [name, r] of Object.entries(resources)) {
    const buffer = 'buffer' in r ? r.buffer : r;
    const other = seen.get(buffer);
    if (other) throw new Error(`${label}: ${name} and ${other} are the same buffer; they must be distinct buffers`);
    seen.set(buffer, name);
  }
}

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
