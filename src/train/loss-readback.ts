// The trainer's loss log and its read-back. Every step's terms are reduced on the
// GPU into their own slot of the log (src/model/objective.ts says which
// component holds which term); a sync copies the whole log and the non-finite
// guard into one staging buffer and turns the pending steps' slots into StepLoss
// records, with the objective's total at each step.
import { mapCopy, READBACK, type BufferArena } from '../gpu/arena';
import type { LossLog } from '../gpu/runner';
import { decodeGuard, GUARD_BYTES, type GuardReport } from '../kernels/finite';
import { LOSS_LOG_STRIDE } from '../kernels/reduce';
import type { ResolvedConfig } from '../model/config';
import { objectiveTotal, readComponents } from '../model/objective';
import type { StepLoss } from './options';

interface PendingStep {
  slot: number;
  step: number;
  epoch: number;
  rows: number;
}

export class LossReadback {
  /** Slots of the log: at most this many steps between syncs. */
  readonly slots = 256;
  readonly log: LossLog;
  private readonly staging: GPUBuffer;
  private pending: PendingStep[] = [];

  constructor(
    arena: BufferArena,
    private readonly config: ResolvedConfig,
  ) {
    const bytes = this.slots * LOSS_LOG_STRIDE * 4;
    this.log = { buffer: arena.storage('loss log', bytes), slots: this.slots };
    // The loss log, then the non-finite guard.
    this.staging = arena.create('loss log and guard readback', bytes + GUARD_BYTES, READBACK);
  }

  /** The log slot of optimizer step `step`. */
  slotOf(step: number): number {
    return (step - 1) % this.slots;
  }

  /** Steps submitted since the last read. */
  get count(): number {
    return this.pending.length;
  }

  add(step: number, epoch: number, rows: number): void {
    this.pending.push({ slot: this.slotOf(step), step, epoch, rows });
  }

  /** Forget the pending steps (their device is gone). */
  clear(): void {
    this.pending = [];
  }

  /** Record the copies of the log and of `guard` into the staging buffer. */
  encode(enc: GPUCommandEncoder, guard: GPUBuffer): void {
    const log = this.log.buffer;
    enc.copyBufferToBuffer(log, 0, this.staging, 0, log.size);
    enc.copyBufferToBuffer(guard, 0, this.staging, log.size, GUARD_BYTES);
  }

  /** After the submit of encode(): the pending steps' losses and the guard's state. */
  async read(): Promise<{ losses: StepLoss[]; guard: GuardReport | null }> {
    const bytes = await mapCopy(this.staging);
    const size = this.log.buffer.size;
    const values = new Float32Array(bytes, 0, size / 4);
    const guard = decodeGuard(new Uint32Array(bytes, size, GUARD_BYTES / 4));
    const losses = this.pending.map((p) => this.stepLoss(values, p.slot * LOSS_LOG_STRIDE, p.step, p.epoch, p.rows));
    this.pending = [];
    return { losses, guard };
  }

  /** One step's record from its slot (LOSS_LOG_STRIDE floats at `base` of `values`). */
  stepLoss(values: Float32Array, base: number, step: number, epoch: number, rows: number): StepLoss {
    const components = readComponents(values, base);
    return { step, epoch, rows, total: objectiveTotal(this.config, components, step), components };
  }
}
