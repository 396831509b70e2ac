// What a kernel builder needs: where pipelines come from and where buffers live.
import type { BufferArena } from './arena';
import type { PipelineCache } from './kernel';

export interface KernelContext {
  readonly device: GPUDevice;
  readonly cache: PipelineCache;
  /** Owns the static uniform buffers created for dispatches. */
  readonly arena: BufferArena;
}
