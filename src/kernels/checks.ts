// Argument checks of the kernel builders: the one set every builder in
// src/kernels/ uses. Each throws a message that names the kernel (its label),
// the argument, what is allowed and what it got:
//   `${label}: ${argument} must be ${allowed}, got ${value}`
// and, for buffers, `${label}: ${argument} holds N floats (B bytes) but n are needed`.
// Checks that relate two arguments (e.g. 'bce' needs a sigmoid output) throw in
// the builder, in the same `${label}: …` form.
import type { KernelContext } from '../gpu/context';
import type { Resource } from '../gpu/kernel';
import { STEP_BYTES } from '../gpu/step';
import { ACTIVATIONS, type Activation } from './activations';

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Throw `${label}: ${name} must be ${allowed}, got ${got}`. */
export function fail(label: string, name: string, allowed: string, got: unknown): never {
  throw new Error(`${label}: ${name} must be ${allowed}, got ${show(got)}`);
}

/** `ok` says whether `value` is allowed; `allowed` says in words what is. */
export function requireValue(label: string, name: string, value: unknown, ok: boolean, allowed: string): void {
  if (!ok) fail(label, name, allowed, value);
}

/** `n` must be a positive integer (sizes, counts). */
export function requireCount(label: string, name: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail(label, name, 'a positive integer', n);
}

/** An integer ≥ min, or in min..max when max is given; `why` is added to the message. */
export function requireInteger(label: string, name: string, n: unknown, min: number, max?: number, why?: string): asserts n is number {
  const ok = typeof n === 'number' && Number.isInteger(n) && n >= min && (max === undefined || n <= max);
  if (!ok) fail(label, name, `an integer ${max === undefined ? `≥ ${min}` : `in ${min}..${max}`}${why ? ` (${why})` : ''}`, n);
}

export function requireFinite(label: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(label, name, 'a finite number', v);
}

/** A finite number ≥ 0 (penalty weights). */
export function requireNonNegative(label: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(label, name, 'a finite number ≥ 0', v);
}

export function requireBoolean(label: string, name: string, v: unknown): asserts v is boolean {
  if (typeof v !== 'boolean') fail(label, name, 'a boolean', v);
}

export function requireOneOf<T extends string>(label: string, name: string, v: unknown, allowed: readonly T[]): asserts v is T {
  if (!(allowed as readonly unknown[]).includes(v)) fail(label, name, `one of ${allowed.join(', ')}`, v);
}

export function requireActivation(label: string, name: string, a: unknown): asserts a is Activation {
  requireOneOf(label, name, a, ACTIVATIONS);
}

/** The Step uniform: a GPUBuffer of at least STEP_BYTES with UNIFORM usage. */
export function requireStep(label: string, step: unknown): asserts step is GPUBuffer {
  if (!(step instanceof GPUBuffer)) fail(label, 'step', 'the Step uniform GPUBuffer', step);
  if (step.size < STEP_BYTES) throw new Error(`${label}: step buffer ${show(step.label)} holds ${step.size} bytes but the Step uniform needs ${STEP_BYTES}`);
  if (!(step.usage & GPUBufferUsage.UNIFORM)) throw new Error(`${label}: step buffer ${show(step.label)} lacks UNIFORM usage (the Step uniform is bound as var<uniform>)`);
}

function requireWords(ctx: KernelContext, label: string, name: string, r: Resource | undefined, n: number, unit: string, shape?: string): void {
  if (!r) throw new Error(`${label}: ${name} is missing (a GPUBuffer or a BufferSlice of at least ${n} ${unit} is required)`);
  if (r.size < n * 4) {
    throw new Error(`${label}: ${name} holds ${Math.floor(r.size / 4)} ${unit} (${r.size} bytes) but ${n} are needed${shape ? ` for ${shape}` : ''}`);
  }
  const offset = 'buffer' in r ? r.offset : 0;
  const align = ctx.device.limits.minStorageBufferOffsetAlignment;
  if (offset % align !== 0) fail(label, `${name} offset`, `a multiple of ${align} bytes (minStorageBufferOffsetAlignment)`, offset);
}

/**
 * The storage binding `r` must hold at least `n` floats and start at an offset
 * the device can bind. `shape` names where `n` comes from, e.g. '[rows, units] = [5, 4]'.
 */
export function requireFloats(ctx: KernelContext, label: string, name: string, r: Resource | undefined, n: number, shape?: string): void {
  requireWords(ctx, label, name, r, n, 'floats', shape);
}

/** As requireFloats, for a binding of u32 values. */
export function requireU32s(ctx: KernelContext, label: string, name: string, r: Resource | undefined, n: number, shape?: string): void {
  requireWords(ctx, label, name, r, n, 'u32 values', shape);
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
 * Read-only bindings may share a buffer.
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

/**
 * A grid of `groupCount` workgroups: one row when it fits in
 * maxComputeWorkgroupsPerDimension, else rows of that width (the shader numbers
 * workgroups row by row, wid.y · nwg.x + wid.x, and skips the spare ones of the
 * last row). `gridWidth` lowers the row width so tests can exercise 2-D grids.
 */
export function workgroupGrid(ctx: KernelContext, groupCount: number, label: string, gridWidth?: number): [number, number] {
  const limit = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  const width = gridWidth ?? limit;
  requireInteger(label, 'gridWidth', width, 1, limit);
  const x = Math.max(1, Math.min(groupCount, width));
  const y = Math.max(1, Math.ceil(groupCount / x));
  if (y > limit) throw new Error(`${label}: ${groupCount} workgroups do not fit in a ${limit}×${limit} grid`);
  return [x, y];
}
