// Kernels, pipelines and dispatches.
//
// A kernel is a `.wgsl` file (the source of truth, imported with `?raw`) plus a
// small spec: entry point, the kinds of its @group(0) bindings in order, and
// `override` constants. Pipelines are cached per (code, entry point, constants),
// with an explicit bind-group layout so specs that agree share it.
// A Dispatch is a pipeline + a bind group + a workgroup count, built once when a
// plan is built and encoded every step.

import { type BufferSlice } from './arena';
import { withErrorScope } from './device';

/** How a @group(0) binding is declared in WGSL. */
export type BindingKind = 'uniform' | 'read' | 'rw';

export interface KernelSpec {
  /** Label used for the pipeline and in error messages, e.g. 'matmul_nt'. */
  name: string;
  code: string;
  entryPoint: string;
  /** Kinds of @group(0) @binding(0..n-1), in order. */
  bindings: readonly BindingKind[];
  /** Values of WGSL `override` constants (booleans as 0/1). */
  constants?: Readonly<Record<string, number>>;
}

export interface Dispatch {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

const codeIdByText = new Map<string, number>();
function codeId(code: string): number {
  let id = codeIdByText.get(code);
  if (id === undefined) {
    id = codeIdByText.size;
    codeIdByText.set(code, id);
  }
  return id;
}

/** Pipelines, shader modules and layouts of one device, created once each. */
export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private pendingChecks: Array<Promise<string | null>> = [];

  constructor(
    readonly device: GPUDevice,
    readonly debug = false,
  ) {}

  get size(): number {
    return this.pipelines.size;
  }

  module(spec: Pick<KernelSpec, 'name' | 'code'>): GPUShaderModule {
    const key = String(codeId(spec.code));
    let m = this.modules.get(key);
    if (!m) {
      m = this.device.createShaderModule({ label: `${spec.name}.wgsl`, code: spec.code });
      this.modules.set(key, m);
    }
    return m;
  }

  layout(bindings: readonly BindingKind[]): GPUBindGroupLayout {
    const key = bindings.join(',');
    let l = this.layouts.get(key);
    if (!l) {
      l = this.device.createBindGroupLayout({
        label: `layout(${key})`,
        entries: bindings.map((kind, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
        })),
      });
      this.layouts.set(key, l);
    }
    return l;
  }

  pipeline(spec: KernelSpec): GPUComputePipeline {
    const key = pipelineKey(spec);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline({
        label: spec.name,
        layout: this.device.createPipelineLayout({ label: spec.name, bindGroupLayouts: [this.layout(spec.bindings)] }),
        compute: { module: this.module(spec), entryPoint: spec.entryPoint, constants: spec.constants as Record<string, number> },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * In debug mode, run `fn` inside validation and out-of-memory error scopes and
   * remember any error under the name `what`; checkErrors() reports it. Scopes
   * are popped asynchronously, so the synchronous build and step paths stay so.
   */
  guard<T>(what: string, fn: () => T): T {
    if (!this.debug) return fn();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    try {
      return fn();
    } finally {
      const validation = this.device.popErrorScope();
      const oom = this.device.popErrorScope();
      this.pendingChecks.push(Promise.all([validation, oom]).then(([v, o]) => (v ?? o ? `${what}: ${(v ?? o)!.message}` : null)));
    }
  }

  /** Throw a GpuValidationError naming the first guarded operation that failed since the last check. */
  async checkErrors(): Promise<void> {
    if (this.pendingChecks.length === 0) return;
    const results = (await Promise.all(this.pendingChecks.splice(0))).filter((r): r is string => r !== null);
    if (results.length > 0) {
      throw new GpuValidationError(`WebGPU error in ${results[0]}${results.length > 1 ? ` (and ${results.length - 1} more)` : ''}`);
    }
  }
}

export class GpuValidationError extends Error {
  override name = 'GpuValidationError';
}

function pipelineKey(spec: KernelSpec): string {
  const consts = spec.constants
    ? Object.keys(spec.constants)
        .sort()
        .map((k) => `${k}=${spec.constants![k]}`)
        .join(',')
    : '';
  return `${codeId(spec.code)}|${spec.entryPoint}|${spec.bindings.join(',')}|${consts}`;
}

/** A buffer or a slice of one, as a binding resource. */
export type Resource = GPUBuffer | BufferSlice;

function toBinding(r: Resource): GPUBufferBinding {
  return r instanceof GPUBuffer ? { buffer: r } : { buffer: r.buffer, offset: r.offset, size: r.size };
}

/** Build a dispatch (pipeline + bind group) once; encode it every step. */
export function makeDispatch(
  cache: PipelineCache,
  spec: KernelSpec,
  resources: readonly Resource[],
  workgroups: readonly [number, number?, number?],
  label = spec.name,
): Dispatch {
  if (resources.length !== spec.bindings.length) {
    throw new Error(`${label}: kernel ${spec.name} takes ${spec.bindings.length} bindings, got ${resources.length}`);
  }
  const maxWg = cache.device.limits.maxComputeWorkgroupsPerDimension;
  const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
  for (const n of wg) {
    if (!Number.isInteger(n) || n < 1 || n > maxWg) {
      throw new Error(`${label}: workgroup count ${wg.join('×')} is outside 1..${maxWg} (maxComputeWorkgroupsPerDimension)`);
    }
  }
  return cache.guard(`kernel ${spec.name} (dispatch '${label}')`, () => {
    const pipeline = cache.pipeline(spec);
    const bindGroup = cache.device.createBindGroup({
      label,
      layout: cache.layout(spec.bindings),
      entries: resources.map((r, binding) => ({ binding, resource: toBinding(r) })),
    });
    return { label, pipeline, bindGroup, workgroups: wg };
  });
}

/** Record dispatches into one compute pass, in order. */
export function encodeDispatches(encoder: GPUCommandEncoder, dispatches: readonly Dispatch[], label = 'step'): void {
  const pass = encoder.beginComputePass({ label });
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
  pass.end();
}

/** Encode and submit dispatches; in debug mode, throw naming the first failing dispatch. */
export async function runDispatches(device: GPUDevice, dispatches: readonly Dispatch[], debug: boolean, label = 'run'): Promise<void> {
  if (!debug) {
    const enc = device.createCommandEncoder({ label });
    encodeDispatches(enc, dispatches, label);
    device.queue.submit([enc.finish()]);
    return;
  }
  // Debug: one error scope per dispatch so the message names the kernel.
  for (const d of dispatches) {
    await withErrorScope(device, `dispatch ${d.label}`, () => {
      const enc = device.createCommandEncoder({ label: d.label });
      encodeDispatches(enc, [d], d.label);
      device.queue.submit([enc.finish()]);
    });
  }
}

/** Number of workgroups to cover `n` items with `size` items each. */
export function groups(n: number, size: number): number {
  return Math.max(1, Math.ceil(n / size));
}
