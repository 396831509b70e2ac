// Argument checks shared by the kernel builders: each throws a message naming the
// kernel, the argument, what it got and what is allowed.
import type { KernelContext } from '../gpu/context';
import type { Resource } from '../gpu/kernel';
import { STEP_BYTES } from '../gpu/step';

export function checkDim(label: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${label}: ${name} must be a positive integer, got ${n}`);
}

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
